// The registry suite's global setup: a local registry (scripts/local-registry.mjs: verdaccio on 127.0.0.1, a free
// port, no uplink) holding releases 0.1.0 and 0.2.0 (built from this repository's history) and this build, all
// packed as published; and a folder of package manager commands (pnpm, yarn 1, bun: dev dependencies) for the tests'
// PATH. Stopped, and everything removed, when the suite ends.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { cleanEnv, startRegistry } from '../../scripts/local-registry.mjs';
import { skipUnlessCi } from '../helpers/ci.js';
import { RELEASE_0_1_0, RELEASE_0_2_0, missingHistory, packCurrent, packFromHistory } from '../helpers/packages.js';

export interface RegistryContext {
  /** The registry's URL, `http://127.0.0.1:<port>/`. */
  url: string;
  /** A folder for the tests' homes and work (removed after the suite). */
  root: string;
  /** A folder holding `pnpm`, `yarn` and `bun` (put first on PATH). */
  bin: string;
  /** The version of this build, published as `latest`. */
  version: string;
  /** Why release 0.1.0 is not in the registry (a shallow clone); undefined when it is. */
  no010?: string;
  /** Why release 0.2.0 is not in the registry; undefined when it is. */
  no020?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    registry: RegistryContext;
  }
}

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The package managers the tests run, from node_modules/.bin (dev dependencies). */
const COMMANDS = ['pnpm', 'yarn', 'bun', 'bunx'];

export default async function setup(project: TestProject) {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.cjs')))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'caa-registry-'));
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  for (const name of COMMANDS) {
    const target = path.join(ROOT, 'node_modules', '.bin', name);
    if (!fs.existsSync(target)) throw new Error(`node_modules/.bin/${name} is missing: run \`npm ci\``);
    fs.symlinkSync(target, path.join(bin, name));
    const version = spawnSync(target, ['--version'], { encoding: 'utf8' });
    if (version.status !== 0) throw new Error(`${name} --version failed here: ${version.stderr}${version.error ?? ''}`);
  }

  const registry = await startRegistry(path.join(root, 'registry'));
  const packages = path.join(root, 'packages');
  // The releases first, oldest first: the last one published is `latest`.
  const no010 = skipUnlessCi(missingHistory(RELEASE_0_1_0));
  if (!no010) registry.publish(packFromHistory(RELEASE_0_1_0, root, packages).tarball);
  const no020 = skipUnlessCi(missingHistory(RELEASE_0_2_0));
  if (!no020) registry.publish(packFromHistory(RELEASE_0_2_0, root, packages).tarball);
  const current = packCurrent(packages);
  registry.publish(current.tarball);
  // What a user's npm sees: `latest` is this build.
  const latest = execFileSync('npm', ['view', 'create-aya-atomic', 'dist-tags.latest', '--registry', registry.url], {
    encoding: 'utf8',
    env: cleanEnv({ npm_config_cache: path.join(root, 'npm-cache-setup') }),
  }).trim();
  if (latest !== current.version) throw new Error(`the registry's latest is ${latest}, not ${current.version}`);

  project.provide('registry', { url: registry.url, root, bin, version: current.version, no010, no020 });
  return async () => {
    await registry.close();
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(root, { recursive: true, force: true });
  };
}
