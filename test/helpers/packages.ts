// Packages of create-aya-atomic for the --update tests: an earlier release built from this repository's
// history, and this version packed as it is published (both as npm would install them).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Not from cli.ts, which registers test hooks: the registry suite's global setup uses this module too.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The commit that was released as 0.1.0 (also tagged v0.1.0). */
export const RELEASE_0_1_0 = '6bc952ca2c17cebfb3be887d9a3329dea98bb228';
/** The commit that was released as 0.2.0 (the last of that round; not tagged in every clone). */
export const RELEASE_0_2_0 = '424f1a948490302da315aca998466466b89b554e';

/** Whether this clone has the history the release is built from (a shallow clone does not). */
export function missingHistory(commit = RELEASE_0_1_0): string | undefined {
  const r = spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' });
  return r.status === 0
    ? undefined
    : `commit ${commit.slice(0, 10)} (release ${commit === RELEASE_0_2_0 ? '0.2.0' : '0.1.0'}) is not in this clone's history (a shallow clone?)`;
}

export interface BuiltPackage {
  /** The unpacked package: run its bin (`bin/create-aya-atomic.js` up to 0.1.0, `.cjs` since). */
  dir: string;
  tarball: string;
  version: string;
}

/**
 * The package as it was at `commit`, with the dependencies its own lock file names (npm ci, from npm's
 * cache when it can), built with its own build script, packed into `packagesDir` as
 * create-aya-atomic-<version>.tgz.
 */
export function packFromHistory(commit: string, workDir: string, packagesDir: string): BuiltPackage {
  const dir = path.join(workDir, `source-${commit.slice(0, 10)}`);
  fs.mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', commit], { maxBuffer: 64 << 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
  // esbuild's binary comes from its platform package; its install script only checks it.
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, stdio: 'ignore' });
  return pack(dir, packagesDir);
}

/** This checkout packed as published (dist/ must be built: npm test builds it first). */
export function packCurrent(packagesDir: string): BuiltPackage {
  return pack(ROOT, packagesDir);
}

/**
 * A copy of this package with another version, whose templates `change` edits (given the copy's
 * templates/workspace folder): a "next" release.
 */
export function copyAsVersion(version: string, workDir: string, change: (workspaceTemplates: string) => void): string {
  const dir = path.join(workDir, `next-${version}`);
  for (const entry of ['bin', 'dist', 'templates', 'package.json', 'README.md', 'LICENSE', 'THIRD-PARTY-LICENSES.md']) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  change(path.join(dir, 'templates', 'workspace'));
  // The package reads its templates from dist/templates.json: rebuild it from the changed templates/.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'templates-json.mjs'), dir]);
  const pkgFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  fs.writeFileSync(pkgFile, JSON.stringify({ ...pkg, version }, null, 2));
  return dir;
}

function pack(dir: string, packagesDir: string): BuiltPackage {
  fs.mkdirSync(packagesDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packagesDir], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
  const [info] = JSON.parse(out) as { filename: string; version: string }[];
  return { dir, tarball: path.join(packagesDir, info.filename), version: info.version };
}
