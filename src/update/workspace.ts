// Reading the user's copy of each generated path without following anything the update must not write
// through: every directory on the way is checked with lstat (a directory symlink is kept, never entered),
// only regular files are read, and only up to a limit.
import fs from 'node:fs';
import path from 'node:path';
import { kindOf, readRegularFile, WORKSPACE_FILE_LIMIT } from '../read-file.js';
import type { Ours } from './decide.js';

const lstat = (p: string) => fs.lstatSync(p, { throwIfNoEntry: false });

/**
 * The user's copy of `rel` (slash-separated) in `root`. `generatedDirs`: the directories the recorded
 * version generated, so that a file below one the user removed is known as such. `to`: this version,
 * for reasons.
 */
export function readOurs(
  root: string,
  rel: string,
  generatedDirs: ReadonlySet<string>,
  to: string,
  limit = WORKSPACE_FILE_LIMIT,
): Ours {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    const st = lstat(path.join(root, ...parts.slice(0, i)));
    if (!st) {
      // The first missing directory: removed by the user if the recorded version generated it.
      return generatedDirs.has(dir) ? { kind: 'missing', removedDir: dir } : { kind: 'missing' };
    }
    if (st.isSymbolicLink())
      return { kind: 'blocked', reason: `${dir} is a symbolic link: kept, and never written through` };
    if (!st.isDirectory())
      return { kind: 'blocked', reason: `${dir} is ${kindOf(st)} where ${to} has a directory: kept` };
  }
  const abs = path.join(root, ...parts);
  const st = lstat(abs);
  if (!st) return { kind: 'missing' };
  if (st.isSymbolicLink()) return { kind: 'blocked', reason: 'a symbolic link: kept as it is' };
  if (st.isDirectory()) return { kind: 'blocked', reason: `a directory where ${to} has a file: kept` };
  if (!st.isFile()) return { kind: 'blocked', reason: `${kindOf(st)}: kept as it is` };
  const mode = st.mode & 0o7777;
  if (st.size > limit) return { kind: 'large', size: st.size, mode };
  try {
    return { kind: 'file', bytes: readRegularFile(abs, limit, { noFollow: true }), mode };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EFBIG') return { kind: 'large', size: st.size, mode };
    return { kind: 'blocked', reason: `cannot be read (${code ?? String(e)}): kept as it is` };
  }
}

/** Every directory that holds one of `paths` (slash-separated), at any depth. */
export function directoriesOf(paths: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

/**
 * The regular files below `root`, as slash-separated paths → bytes (what a release rendered into a temporary folder).
 */
export function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string, rel: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), p);
      else if (entry.isFile()) out.set(p, readRegularFile(path.join(dir, entry.name), WORKSPACE_FILE_LIMIT));
    }
  };
  walk(root, '');
  return out;
}
