// The published package (docs/architecture.md, The package): `npm pack` holds bin, the built code (the
// templates inside it), README, CHANGELOG and licences, and nothing else; it has no dependencies, so it installs
// without the registry, and the installed bin generates a workspace end to end.
// Needs dist/ from `npm run build` (`npm test` builds first); packs with --ignore-scripts so that prepack's
// rebuild does not replace dist/ under other test files running at the same time.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

// What `npm pack` must hold, written out (not read from the folders package.json's `files` names, which
// would check the list against itself). When the templates or the build's outputs change, update these
// lists by hand from `npm pack --dry-run --json --ignore-scripts` and review the difference: a file that
// appears or disappears unexpectedly is what this test is for.
const PACKAGE_FILES = [
  'CHANGELOG.md', // the README links it: what each release changes in a workspace
  'LICENSE',
  'README.md',
  'THIRD-PARTY-LICENSES.md',
  'bin/create-aya-atomic.cjs',
  'dist/index.cjs',
  'dist/templates.json', // the template tree, one file (scripts/templates-json.mjs)
  'dist/vendor/execa.cjs',
  'dist/vendor/fs-extra.cjs',
  'dist/vendor/prompts.cjs',
  'package.json',
];

/** The environment for a nested npm: nothing inherited from the `npm test` that may be running us. */
function npmEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function check(r: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

describe('npm package', () => {
  let tmp: string;
  let pack: PackResult;
  let tarball: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    if (!existsSync(path.join(root, 'dist/index.cjs')))
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'aya-atomic-pack-'));
    env = npmEnv({ npm_config_cache: path.join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' });
    const packDir = path.join(tmp, 'pack');
    mkdirSync(packDir);
    const out = check(
      spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {
        cwd: root,
        env,
        encoding: 'utf8',
      }),
      'npm pack',
    );
    pack = (JSON.parse(out.stdout) as PackResult[])[0];
    tarball = path.join(packDir, pack.filename);
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('holds bin, dist, templates, README, CHANGELOG, licences and package.json, and nothing else', () => {
    expect(pack.files.map((f) => f.path).sort()).toEqual([...PACKAGE_FILES].sort());
  });

  it('has no runtime dependencies and installs from the tarball without the registry', () => {
    const project = path.join(tmp, 'project');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'pack-test', version: '0.0.0', private: true }),
    );
    check(
      spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], {
        cwd: project,
        env,
        encoding: 'utf8',
      }),
      'npm install --offline <tarball>',
    );
    const installed = JSON.parse(
      readFileSync(path.join(project, 'node_modules/create-aya-atomic/package.json'), 'utf8'),
    );
    for (const field of [
      'dependencies',
      'optionalDependencies',
      'peerDependencies',
      'bundleDependencies',
      'bundledDependencies',
    ]) {
      expect(installed[field] ?? {}, field).toEqual({});
    }
    // Nothing but the package itself came in.
    expect(readdirSync(path.join(project, 'node_modules')).filter((e) => !e.startsWith('.'))).toEqual([
      'create-aya-atomic',
    ]);

    // The installed bin, end to end.
    const work = path.join(tmp, 'work');
    mkdirSync(work);
    const bin = path.join(project, 'node_modules/.bin/create-aya-atomic');
    const run = spawnSync(bin, ['probe', '--yes', '--no-verify', '--no-git'], {
      cwd: work,
      env: { ...npmEnv({}), CI: 'true', NO_COLOR: '1' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(run.error).toBeUndefined();
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const f of [
      'Cargo.toml',
      'probe-ebpf/src/counter.rs',
      '.gitignore',
      '.cargo/config.toml',
      'aya-atomic.toml',
    ]) {
      expect(existsSync(path.join(work, 'probe', f)), f).toBe(true);
    }
    expect(existsSync(path.join(work, 'probe', '_gitignore'))).toBe(false);
  });
});
