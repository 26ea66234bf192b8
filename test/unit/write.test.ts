// writeFiles(), in-process: all or nothing. A cancel (the AbortController a signal aborts) or an error from
// the OS at any step of any phase (staging, backing up, moving into place) leaves the target byte for byte
// as it was, links as links; the error says what was undone. The faults are injected with spies on the
// node:fs calls write.ts makes, at the k-th call of a phase, for every k.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/errors.js';
import type { PlannedFile } from '../../src/plan.js';
import { writeFiles } from '../../src/write.js';
import { lazyTestTmp, snapshot } from '../helpers/tree.js';

const STAGING = '.create-aya-atomic-staging-';
const BACKUP = '.aya-atomic-backup-';

const FILES: PlannedFile[] = [
  { path: '.cargo/config.toml', contents: '[alias]\nxtask = "run --package xtask --"\n' },
  { path: 'Cargo.toml', contents: '[workspace]\nmembers = ["probe", "probe-ebpf"]\n' },
  { path: 'README.md', contents: '# probe\n' },
  { path: 'probe-common/Cargo.toml', contents: '[package]\nname = "probe-common"\n' },
  { path: 'probe-ebpf/Cargo.toml', contents: '[package]\nname = "probe-ebpf"\n' },
  { path: 'probe-ebpf/src/main.rs', contents: '#![no_std]\n' },
  { path: 'probe/src/main.rs', contents: 'fn main() {}\n' },
  { path: 'xtask/src/main.rs', contents: 'fn main() {}\n' },
];

const baseTmp = lazyTestTmp('caa-write-');
afterAll(() => baseTmp.remove());
afterEach(() => {
  vi.restoreAllMocks();
});
let n = 0;

interface Scenario {
  /** Makes <root>/…, returns the target directory. */
  make(root: string): string;
  replace: boolean;
  remove?: string[];
}

const SCENARIOS: Record<string, Scenario> = {
  'a missing directory': { make: (root) => path.join(root, 'probe'), replace: false },
  'a missing directory below missing ones': { make: (root) => path.join(root, 'a', 'b', 'probe'), replace: false },
  'an empty directory': {
    make: (root) => {
      fs.mkdirSync(path.join(root, 'probe'), { mode: 0o750 });
      return path.join(root, 'probe');
    },
    replace: false,
  },
  // Files, links and a file where a directory goes at the template's paths; other files beside them.
  'a non-empty directory, with --overwrite': {
    make: (root) => {
      const outside = path.join(root, 'outside');
      fs.mkdirSync(path.join(outside, 'ebpf-dir', 'src'), { recursive: true });
      fs.writeFileSync(path.join(outside, 'readme.txt'), 'outside readme\n');
      fs.writeFileSync(path.join(outside, 'ebpf-dir', 'Cargo.toml'), 'outside cargo\n');
      const target = path.join(root, 'probe');
      fs.mkdirSync(path.join(target, 'probe-common'), { recursive: true });
      fs.writeFileSync(path.join(target, 'Cargo.toml'), '[workspace] # mine\n', { mode: 0o600 });
      fs.writeFileSync(path.join(target, 'probe-common', 'Cargo.toml'), 'mine too\n');
      fs.writeFileSync(path.join(target, 'probe-common', 'keep.rs'), '// untouched\n');
      fs.writeFileSync(path.join(target, 'notes.txt'), 'notes\n');
      fs.writeFileSync(path.join(target, 'xtask'), 'a file where the template has a directory\n');
      fs.symlinkSync('../outside/readme.txt', path.join(target, 'README.md'));
      fs.symlinkSync(path.join(outside, 'ebpf-dir'), path.join(target, 'probe-ebpf'));
      return target;
    },
    replace: true,
  },
  // --update: files to remove are moved into the backup too.
  'an update that replaces and removes': {
    make: (root) => {
      const target = path.join(root, 'probe');
      fs.mkdirSync(path.join(target, 'probe', 'src'), { recursive: true });
      fs.writeFileSync(path.join(target, 'Cargo.toml'), 'old workspace\n');
      fs.writeFileSync(path.join(target, 'probe', 'src', 'main.rs'), 'old main\n');
      fs.writeFileSync(path.join(target, 'probe', 'src', 'gone.rs'), 'a file this version no longer has\n');
      return target;
    },
    replace: true,
    remove: ['probe/src/gone.rs'],
  },
};

type Phase = 'staging' | 'backup' | 'place';
type Fault = 'abort' | 'errno';

/** Spies that count each phase's calls, and fail or abort the k-th call of one phase. */
function instrument(fault?: { phase: Phase; k: number; kind: Fault; controller: AbortController }) {
  const counts: Record<Phase, number> = { staging: 0, backup: 0, place: 0 };
  const realWrite = fs.writeFileSync;
  const realRename = fs.renameSync;
  const hit = (phase: Phase) => ++counts[phase] === fault?.k && fault.phase === phase;
  vi.spyOn(fs, 'writeFileSync').mockImplementation((file, data, options) => {
    if (String(file).includes(STAGING) && hit('staging')) {
      if (fault!.kind === 'errno') {
        // What a write() that fails for lack of space throws: no path of its own.
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
          errno: -28,
          syscall: 'write',
        });
      }
      fault!.controller.abort('SIGINT');
    }
    return realWrite(file, data, options);
  });
  vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
    const phase: Phase | undefined = String(to).includes(BACKUP)
      ? 'backup'
      : String(from).includes(STAGING)
        ? 'place'
        : undefined;
    if (phase && hit(phase)) {
      if (fault!.kind === 'errno') {
        throw Object.assign(new Error(`EIO: i/o error, rename '${String(from)}' -> '${String(to)}'`), {
          code: 'EIO',
          errno: -5,
          syscall: 'rename',
          path: String(from),
          dest: String(to),
        });
      }
      fault!.controller.abort('SIGINT');
    }
    return realRename(from, to);
  });
  return counts;
}

describe.each(Object.entries(SCENARIOS))('writeFiles into %s', (_, scenario) => {
  const setUp = () => {
    const root = path.join(baseTmp.dir(), `r${n++}`);
    fs.mkdirSync(root);
    const dir = scenario.make(root);
    return { root, dir, before: snapshot(root) };
  };

  // A run without faults, counting each phase's calls: the loops below inject a fault at each of them.
  let countDir: string;
  let counts: Record<Phase, number>;
  beforeAll(async () => {
    countDir = setUp().dir;
    counts = instrument();
    try {
      await writeFiles(countDir, FILES, { replace: scenario.replace, remove: scenario.remove });
    } finally {
      vi.restoreAllMocks(); // also when it fails: a spy left in place would wrap the next block's spies
    }
  });

  it('writes every file, leaves no staging folder, and backs up what it replaced', () => {
    for (const f of FILES) expect(fs.readFileSync(path.join(countDir, f.path), 'utf8'), f.path).toBe(f.contents);
    const after = Object.keys(snapshot(countDir));
    expect(after.filter((p) => p.startsWith(STAGING))).toEqual([]);
    expect(after.some((p) => p.startsWith(BACKUP))).toBe(scenario.replace);
    expect(counts.staging).toBe(FILES.length);
    expect(counts.place).toBeGreaterThan(0);
    expect(counts.backup > 0).toBe(scenario.replace);
  });

  const phases: Phase[] = scenario.replace ? ['staging', 'backup', 'place'] : ['staging', 'place'];
  describe.each(phases)('interrupted while %s', (phase) => {
    it('by a cancel at every step: exit 130, the tree exactly as before', async () => {
      const total = counts[phase];
      expect(total).toBeGreaterThan(0);
      for (let k = 1; k <= total; k++) {
        const { root, dir, before } = setUp();
        const controller = new AbortController();
        instrument({ phase, k, kind: 'abort', controller });
        const error = await writeFiles(dir, FILES, {
          replace: scenario.replace,
          remove: scenario.remove,
          signal: controller.signal,
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        vi.restoreAllMocks();
        expect(error, `${phase} step ${k}`).toBeInstanceOf(CliError);
        expect((error as CliError).exitCode).toBe(130);
        expect((error as CliError).message).toBe(
          'Cancelled while writing; removed what this run wrote and put back what it had moved.',
        );
        expect(snapshot(root), `${phase} step ${k} of ${total}`).toEqual(before);
      }
    });

    it('by an OS error at every step: exit 1, one sentence naming the path and saying what was undone, the tree as before', async () => {
      const total = counts[phase];
      for (let k = 1; k <= total; k++) {
        const { root, dir, before } = setUp();
        instrument({ phase, k, kind: 'errno', controller: new AbortController() });
        const error = await writeFiles(dir, FILES, { replace: scenario.replace, remove: scenario.remove }).then(
          () => undefined,
          (e: unknown) => e,
        );
        vi.restoreAllMocks();
        expect(error, `${phase} step ${k}`).toBeInstanceOf(CliError);
        const { exitCode, kind, message } = error as CliError;
        expect({ exitCode, kind }).toEqual({ exitCode: 1, kind: 'os' });
        const cause =
          phase === 'staging' ? 'no space left on the device \\(ENOSPC\\)' : 'an input/output error \\(EIO\\)';
        expect(message).toMatch(
          new RegExp(
            `^Cannot write ${dir}/[^ ]+: ${cause}\\. Nothing was changed: what this run wrote was removed( and the files it had moved were put back)?\\.$`,
          ),
        );
        // The path is one the user knows: where the file goes, never the staging folder that is gone.
        expect(message).not.toContain(STAGING);
        expect(snapshot(root), `${phase} step ${k} of ${total}`).toEqual(before);
      }
    });
  });
});

describe('writeFiles without --overwrite', () => {
  it('refuses to replace an existing path, and leaves everything as it was', async () => {
    const root = path.join(baseTmp.dir(), `r${n++}`);
    fs.mkdirSync(path.join(root, 'probe'), { recursive: true });
    fs.writeFileSync(path.join(root, 'probe', 'Cargo.toml'), 'mine\n');
    const before = snapshot(root);
    await expect(writeFiles(path.join(root, 'probe'), FILES, { replace: false })).rejects.toThrow(
      'refusing to replace existing paths without --overwrite: Cargo.toml',
    );
    expect(snapshot(root)).toEqual(before);
  });
});
