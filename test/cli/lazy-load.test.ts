// The libraries only some runs need are files of their own in dist/vendor/ (scripts/build.mjs), loaded when a run
// needs them: execa when a child process runs (git, cargo, npm), prompts for a question, fs-extra for a move
// across devices. --help and a generation that runs no child load none of them, so they never pay for their
// start-up. A preload records every file of dist/vendor/ the built command loads.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, makeTmp, runCli, show } from '../helpers/cli.js';

const HOOK = `const Module = require('node:module');
const fs = require('node:fs');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try {
    const file = Module._resolveFilename(request, parent, isMain);
    if (/[\\\\/]dist[\\\\/]vendor[\\\\/]/.test(file)) fs.appendFileSync(process.env.VENDOR_LOADS, file + '\\n');
  } catch {}
  return load.apply(this, arguments);
};
`;

/** Runs the built command with `args` (and --no-verify) in an empty directory; the dist/vendor/ files it loaded. */
async function vendorLoads(args: string[]) {
  const dir = makeTmp('vendor-loads');
  const hook = path.join(dir, 'hook.cjs');
  const out = path.join(dir, 'loaded');
  fs.writeFileSync(hook, HOOK);
  const cwd = path.join(dir, 'cwd');
  fs.mkdirSync(cwd);
  const result = await runCli(args, {
    cwd,
    env: { NODE_OPTIONS: `--require ${JSON.stringify(hook)}`, VENDOR_LOADS: out, CI: 'true' },
  });
  const loaded = fs.existsSync(out)
    ? [...new Set(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean))].map((f) => path.relative(ROOT, f))
    : [];
  return { result, loaded, cwd };
}

describe.concurrent('libraries loaded only when a run needs them', () => {
  it('--help and --version load none', async () => {
    for (const flag of ['--help', '--version']) {
      const { result, loaded } = await vendorLoads([flag]);
      expect(result.code, show(result)).toBe(0);
      expect(loaded, flag).toEqual([]);
    }
  });

  it('a generation that runs no child process (--no-git --no-verify) loads none', async () => {
    const { result, loaded, cwd } = await vendorLoads(['probe', '--yes', '--no-git']);
    expect(result.code, show(result)).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'probe', 'aya-atomic.toml'))).toBe(true);
    expect(loaded).toEqual([]);
  });

  it('a generation that runs git loads execa, from its own file', async () => {
    const { result, loaded } = await vendorLoads(['probe', '--yes']);
    expect(result.code, show(result)).toBe(0);
    expect(loaded).toEqual(['dist/vendor/execa.cjs']);
  });
});
