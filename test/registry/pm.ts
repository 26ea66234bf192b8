// Running a package manager as a user would: a fresh home (so every cache is empty) whose npmrc points at the
// suite's local registry, the package managers first on PATH, and a command line as typed (split on spaces).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { collect, gitConfigWithIdentity, tmpRootDir, type RunResult } from '../helpers/cli.js';

export const registry = inject('registry');

/**
 * A user's home: npm, pnpm, yarn and bun read the registry from its .npmrc and keep their caches and stores
 * below it (HOME and the XDG folders), so each home starts with empty caches. yarn 1 installs `create-*`
 * packages globally: its prefix is inside the home too, not /usr/local.
 */
export function freshHome(label: string): string {
  const home = fs.mkdtempSync(path.join(registry.root, `home-${label.replace(/\W+/g, '-')}-`));
  fs.writeFileSync(path.join(home, '.npmrc'), `registry=${registry.url}\n`);
  fs.writeFileSync(path.join(home, '.yarnrc'), `prefix "${path.join(home, '.yarn-prefix')}"\n`);
  return home;
}

/** The environment of a user in `home`: nothing from the npm running the tests, no CI variables, no colour. */
export function userEnv(home: string, extra: Record<string, string> = {}, pathPrefix?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|CI$|GIT_|NO_COLOR$|FORCE_COLOR$|CREATE_AYA_ATOMIC_|XDG_|COLORTERM$)/i.test(k)) env[k] = v;
  // The test runner's node_modules/.bin is not on a user's PATH.
  const userPath = (process.env.PATH ?? '')
    .split(':')
    .filter((p) => p && !p.includes(`${path.sep}node_modules${path.sep}.bin`))
    .join(':');
  return {
    ...env,
    HOME: home,
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    PATH: [pathPrefix, registry.bin, userPath].filter(Boolean).join(':'),
    GIT_CONFIG_GLOBAL: gitConfigWithIdentity(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CEILING_DIRECTORIES: path.dirname(tmpRootDir()),
    NO_COLOR: '1',
    ...extra,
  };
}

/**
 * Runs `commandLine` (words separated by spaces, no quoting) in `cwd` as the user of `home`; `pathPrefix`
 * goes first on PATH (a fake cargo).
 */
export function runAs(
  commandLine: string,
  opts: { cwd: string; home: string; env?: Record<string, string>; pathPrefix?: string; hangGuardMs?: number },
): Promise<RunResult> {
  const [file, ...args] = commandLine.split(' ');
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: userEnv(opts.home, opts.env, opts.pathPrefix),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child, { hangGuardMs: opts.hangGuardMs ?? 240_000 });
}
