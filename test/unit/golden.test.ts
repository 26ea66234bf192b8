// Golden trees: three generated workspaces, byte for byte, kept in test/golden/ as vitest file snapshots.
// Any change to a template or to the renderer shows up here as a diff to review. After an intended change:
//   npm run golden:update      (vitest -u; then read `git diff test/golden`)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Options } from '../../src/options.js';
import { planWorkspace, templatesNeeded } from '../../src/plan.js';
import { loadTemplates } from '../../src/templates.js';

const GOLDEN = fileURLToPath(new URL('../golden', import.meta.url));
const VERSION: string = JSON.parse(
  fs.readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
).version;

const CASES: Record<string, Options> = {
  default: {
    name: 'probe',
    map: 'array',
    ordering: 'relaxed',
    program: 'kprobe',
    attach: 'auto',
    toolchain: 'nightly',
  },
  'hash-seqcst-kprobe': {
    name: 'hash-probe',
    map: 'hash',
    ordering: 'seqcst',
    program: 'kprobe',
    attach: 'auto',
    toolchain: 'nightly',
  },
  'lru-per-cpu-hash-tracepoint': {
    name: 'lru-probe',
    map: 'lru-per-cpu-hash',
    ordering: 'relaxed',
    program: 'tracepoint',
    attach: 'syscalls/sys_enter_execve',
    toolchain: '/usr/bin',
  },
};

function onDisk(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), p);
      else out.set(p, fs.readFileSync(path.join(d, e.name), 'utf8'));
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}

describe.each(Object.entries(CASES))('golden tree %s', (name, options) => {
  const dir = path.join(GOLDEN, name);
  const rendered = new Map(
    planWorkspace(options, VERSION, loadTemplates(templatesNeeded(options))).map((f) => [f.path, f.contents]),
  );

  // Each file is a file snapshot: `vitest -u` (npm run golden:update) rewrites what changed, and the
  // diff is reviewed in git like any other change.
  it.each([...rendered.keys()].sort())('%s', async (file) => {
    await expect(rendered.get(file)).toMatchFileSnapshot(path.join(dir, file));
  });

  it('has no file the generator no longer writes', () => {
    const stale = [...onDisk(dir).keys()].filter((file) => !rendered.has(file)).sort();
    // Under -u, the snapshot mechanism's update mode removes them, as it rewrites changed files.
    if (stale.length && expect.getState().snapshotState.snapshotUpdateState === 'all') {
      for (const file of stale) fs.rmSync(path.join(dir, file));
      return;
    }
    expect(stale, `no longer generated: remove them (npm run golden:update)`).toEqual([]);
  });
});
