// File trees as the tests compare them: every entry, links as links (never followed), file bytes as a hash.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where tests make their temporary trees: a memory file system when the machine has one (/dev/shm), so
 * that thousands of small files written and removed do not wait for a disk other jobs are using.
 */
export const TEST_TMP = (() => {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    /* none here */
  }
  return os.tmpdir();
})();

/** A fresh directory under TEST_TMP (real path, so that paths in messages compare as written). */
export const mkTestTmp = (prefix: string): string => fs.realpathSync(fs.mkdtempSync(path.join(TEST_TMP, prefix)));

/**
 * A test file's temporary directory, made on first use (so that merely collecting the tests, as
 * `vitest list` does, leaves nothing behind); `remove` is for afterAll.
 */
export function lazyTestTmp(prefix: string): { dir: () => string; remove: () => void } {
  let dir: string | undefined;
  return {
    dir: () => (dir ??= mkTestTmp(prefix)),
    remove: () => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}

export type TreeEntry =
  | { type: 'file'; sha256: string; mode: number }
  | { type: 'dir'; mode: number }
  | { type: 'symlink'; target: string }
  | { type: 'other' };

/** Every entry under dir (relative paths with '/'), never following symbolic links. */
export function snapshot(dir: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  // Entries that vanish while we look (a run still writing) are left out.
  const gone = (e: unknown) =>
    (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';
  const walk = (abs: string, rel: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(abs).sort();
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    for (const name of names) {
      const full = path.join(abs, name);
      const key = rel ? `${rel}/${name}` : name;
      try {
        const st = fs.lstatSync(full);
        if (st.isSymbolicLink()) out[key] = { type: 'symlink', target: fs.readlinkSync(full) };
        else if (st.isDirectory()) {
          out[key] = { type: 'dir', mode: st.mode & 0o7777 };
          walk(full, key);
        } else if (st.isFile()) {
          out[key] = {
            type: 'file',
            sha256: createHash('sha256').update(fs.readFileSync(full)).digest('hex'),
            mode: st.mode & 0o7777,
          };
        } else out[key] = { type: 'other' };
      } catch (e) {
        if (!gone(e)) throw e;
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}

/** Relative paths of regular files under dir (not following links). */
export function filesIn(dir: string): string[] {
  return Object.entries(snapshot(dir))
    .filter(([, e]) => e.type === 'file')
    .map(([p]) => p)
    .sort();
}

/** Paths under root (following nothing) whose base name is `name`. */
export function findNamed(root: string, name: string): string[] {
  return Object.keys(snapshot(root)).filter((p) => path.posix.basename(p) === name);
}

/** The `key = "value"` lines of <dir>/aya-atomic.toml. */
export function readToml(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(dir, 'aya-atomic.toml'), 'utf8').split('\n')) {
    const m = /^([a-z-]+) = "(.*)"$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * A non-empty target for the overwrite tests, in `root`. <root>/outside: a file and a directory the
 * target links to. <root>/probe: a file, a link and a nested file at template file paths, a link where a
 * template directory is, a file where a template directory is, and files the template does not write.
 */
export function populatedTarget(root: string): { root: string; outside: string; target: string } {
  const outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(outside, 'ebpf-dir', 'src'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'readme.txt'), 'outside readme\n');
  fs.writeFileSync(path.join(outside, 'ebpf-dir', 'Cargo.toml'), 'outside cargo\n');
  fs.writeFileSync(path.join(outside, 'ebpf-dir', 'src', 'main.rs'), 'fn outside() {}\n');
  const target = path.join(root, 'probe');
  fs.mkdirSync(path.join(target, 'probe-common'), { recursive: true });
  fs.mkdirSync(path.join(target, 'docs'));
  fs.writeFileSync(path.join(target, 'Cargo.toml'), '[workspace] # mine\n');
  fs.writeFileSync(path.join(target, 'probe-common', 'Cargo.toml'), 'mine too\n', { mode: 0o600 });
  fs.writeFileSync(path.join(target, 'probe-common', 'keep.rs'), '// untouched\n');
  fs.writeFileSync(path.join(target, 'notes.txt'), 'notes\n');
  fs.writeFileSync(path.join(target, 'docs', 'a.md'), '# a\n');
  fs.writeFileSync(path.join(target, 'xtask'), 'a file where the template has a directory\n');
  fs.symlinkSync('../outside/readme.txt', path.join(target, 'README.md'));
  fs.symlinkSync(path.join(outside, 'ebpf-dir'), path.join(target, 'probe-ebpf'));
  return { root, outside, target };
}
