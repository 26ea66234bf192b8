// A local npm registry for the registry tests and the benchmark: verdaccio (6.8, the last release that runs
// on Node 20) on 127.0.0.1 and a free port, with storage of its own and no uplink, so a package manager
// pointed at it can fetch only what was published there. It runs as a child process (`node
// scripts/local-registry.mjs <storage>` prints `{"port":N}` once it listens): a caller that waits for a
// package manager synchronously must not block the server.
//
//   const registry = await startRegistry(storageDir);
//   registry.publish('create-aya-atomic-0.2.0.tgz');   // npm publish, with a token the registry accepts
//   … npm_config_registry=registry.url …
//   await registry.close();
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

/** The environment for an npm of our own: nothing inherited from an npm that may be running us. */
export function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, ...extra };
}

export async function startRegistry(storage) {
  mkdirSync(storage, { recursive: true });
  const child = spawn(process.execPath, [self, storage], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the local registry exited (${code}) before listening:\n${log}`)));
  });
  const url = `http://127.0.0.1:${port}/`;
  // npm publish needs a token for the registry; this one accepts any (publish: $all).
  const userconfig = path.join(storage, 'publish.npmrc');
  writeFileSync(userconfig, `//127.0.0.1:${port}/:_authToken=local-registry\n`);
  return {
    url,
    port,
    /** Publishes a tarball (`npm publish <file>`); throws with npm's output when it fails. */
    publish(tarball, tag = 'latest') {
      const r = spawnSync(
        'npm',
        ['publish', tarball, '--registry', url, '--tag', tag, '--ignore-scripts', '--provenance=false'],
        {
          encoding: 'utf8',
          env: cleanEnv({ NPM_CONFIG_USERCONFIG: userconfig, npm_config_update_notifier: 'false' }),
        },
      );
      if (r.status !== 0) throw new Error(`npm publish ${tarball} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

// As a child process: serve until SIGTERM.
if (process.argv[1] === self) {
  const storage = process.argv[2];
  const { runServer } = await import('verdaccio');
  const app = await runServer({
    self_path: storage,
    storage: path.join(storage, 'packages'),
    uplinks: {},
    packages: { '**': { access: '$all', publish: '$all', unpublish: '$all' } },
    auth: { htpasswd: { file: path.join(storage, 'htpasswd'), max_users: -1 } },
    log: { type: 'stdout', format: 'pretty', level: 'fatal' },
    web: { enable: false },
    // The size of our tarballs and of create-vite's is far below any limit; the default is 10 MB.
    max_body_size: '50mb',
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
