// Effects on the target directory, with the "nothing lost" guarantees of docs/safety.md: render everything into a
// staging directory first, move what stands at the paths we write (or remove) into a backup folder,
// move the new files into place, and undo all of it on failure or Ctrl-C.
import fs, { lstatSync } from 'node:fs';
import path from 'node:path';
import { cancelled, osError } from './errors.js';
import { printable } from './validate.js';

/**
 * A file to write: a path relative to the target, its contents, and a mode to give it (kept from the file it replaces).
 */
export interface FileToWrite {
  path: string;
  contents: string | Uint8Array;
  mode?: number;
}

export const BACKUP_PREFIX = '.aya-atomic-backup-';
const STAGING_PREFIX = '.create-aya-atomic-staging-';

/**
 * Paths (relative to dir) that exist where files are to be written: a file, link or directory at a
 * file's path, or a non-directory (file or link) where a directory is needed.
 */
export function findConflicts(dir: string, files: readonly { path: string }[]): string[] {
  const conflicts = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      let st;
      try {
        st = lstatSync(path.join(dir, rel));
      } catch {
        break; // missing: nothing below it can exist either
      }
      if (i === parts.length || !st.isDirectory()) {
        conflicts.add(rel);
        break;
      }
    }
  }
  return [...conflicts].sort();
}

export interface WriteResult {
  written: string[];
  /** Paths whose originals were moved into the backup folder before being replaced. */
  replaced: string[];
  removed: string[];
  backupDir?: string;
}

export interface WriteOptions {
  /** Allow replacing what exists at the paths written (with a backup); otherwise such a path is an error. */
  replace: boolean;
  /** Files to remove (moved into the backup folder), relative to dir. */
  remove?: readonly string[];
  signal?: AbortSignal;
}

/**
 * Moves `from` to `to`: a rename, which moves a symbolic link itself, never what it points to. Across
 * devices (a crate folder that is a mount point, say) rename fails with EXDEV; fs-extra's move copies
 * then, and is loaded only for that.
 */
async function move(from: string, to: string): Promise<void> {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const { move: moveAcross } = await import('./vendor/fs-extra.js');
    await moveAcross(from, to, { overwrite: false });
  }
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes `files` into `dir` as one step: all of them, or (on an error or an abort) none. */
export async function writeFiles(dir: string, files: readonly FileToWrite[], opts: WriteOptions): Promise<WriteResult> {
  const createdDirs: string[] = [];
  const placed: string[] = [];
  const movedToBackup: { from: string; to: string }[] = [];
  let staging: string | undefined;
  let backupDir: string | undefined;
  // The path being written, as the user knows it: an error names it (a failed write() has no path of
  // its own), and a staged copy is named by where it goes, not by the staging folder rollback removes.
  let current = dir;
  const shownPath = (error: unknown): string => {
    const p = (error as NodeJS.ErrnoException).path;
    if (p && staging && p.startsWith(staging)) return path.join(dir, path.relative(staging, p));
    return p ?? current;
  };
  const check = () => {
    if (opts.signal?.aborted)
      throw cancelled('Cancelled while writing; removed what this run wrote and put back what it had moved.');
  };
  // Synchronous file calls: two dozen small files take a few milliseconds. Ctrl-C is seen between the
  // phases (the event loop runs) and the abort flag is checked after every step.
  const yieldToSignals = () => new Promise<void>((resolve) => setImmediate(resolve));
  const knownDirs = new Set<string>();
  const mkdirs = (target: string) => {
    const missing: string[] = [];
    for (let d = target; !knownDirs.has(d) && !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      fs.mkdirSync(d);
      createdDirs.push(d);
    }
    knownDirs.add(target);
  };

  try {
    mkdirs(dir);
    staging = fs.mkdtempSync(path.join(dir, STAGING_PREFIX));
    const stagingDirs = new Set<string>([staging]);
    const stagingDir = (d: string) => {
      if (stagingDirs.has(d)) return;
      stagingDir(path.dirname(d)); // parents first; plain mkdirs, the staging folder is new and ours
      fs.mkdirSync(d);
      stagingDirs.add(d);
    };
    for (const f of files) {
      current = path.join(dir, ...f.path.split('/'));
      const to = path.join(staging, ...f.path.split('/'));
      stagingDir(path.dirname(to));
      fs.writeFileSync(to, f.contents);
      if (f.mode !== undefined) fs.chmodSync(to, f.mode);
      check();
    }
    await yieldToSignals();
    check();

    // What the target holds at its top (one readdir; nothing but staging when this run created it):
    // paths below a missing entry need no more checks.
    const present = new Set(createdDirs.includes(dir) ? [] : fs.readdirSync(dir));
    const conflicts = findConflicts(
      dir,
      files.filter((f) => present.has(f.path.split('/')[0])),
    );
    if (conflicts.length && !opts.replace) {
      throw new Error(`refusing to replace existing paths without --overwrite: ${conflicts.join(', ')}`);
    }
    const removals = (opts.remove ?? []).filter((rel) => lexists(path.join(dir, rel)));
    if (conflicts.length || removals.length) {
      backupDir = path.join(dir, `${BACKUP_PREFIX}${new Date().toISOString().replace(/[:.]/g, '-')}`);
      fs.mkdirSync(backupDir);
      for (const rel of [...conflicts, ...removals]) {
        const from = path.join(dir, rel);
        const to = path.join(backupDir, rel);
        current = from;
        fs.mkdirSync(path.dirname(to), { recursive: true });
        await move(from, to);
        movedToBackup.push({ from, to });
        check();
      }
      await yieldToSignals();
      check();
    }

    // Nothing of ours exists in the target yet (the usual case): move each top-level entry whole, a
    // dozen renames instead of a mkdir and a rename per file. Otherwise, file by file.
    const topLevel = [...new Set(files.map((f) => f.path.split('/')[0]))];
    const units =
      conflicts.length === 0 && topLevel.every((name) => !present.has(name)) ? topLevel : files.map((f) => f.path);
    for (const unit of units) {
      const from = path.join(staging, ...unit.split('/'));
      const to = path.join(dir, ...unit.split('/'));
      current = to;
      mkdirs(path.dirname(to));
      await move(from, to);
      placed.push(to);
      check();
    }
    // Whole entries moved leave the staging folder empty; file by file leaves its folders behind.
    if (units === topLevel) fs.rmdirSync(staging);
    else fs.rmSync(staging, { recursive: true, force: true });
    await yieldToSignals();
    check();
    return { written: files.map((f) => f.path), replaced: conflicts, removed: removals, backupDir };
  } catch (error) {
    const undo = await rollback();
    throw osError(error, undo, shownPath(error)) ?? error;
  }

  /** Undoes everything; says what was undone, for the error message. */
  async function rollback(): Promise<string> {
    try {
      // Each placed entry came whole from the staging area: a file, or a directory this run made.
      for (const entry of placed.reverse()) fs.rmSync(entry, { recursive: true, force: true });
      if (staging) fs.rmSync(staging, { recursive: true, force: true });
      // Directories this run created go before the originals come back: one may stand where an original
      // link or file was (a link at <name>-ebpf), and rename() cannot put a link over a directory.
      for (const d of createdDirs.reverse()) {
        try {
          fs.rmdirSync(d); // only if empty: a directory this run created never holds anything else
        } catch {
          /* not empty: something else wrote there meanwhile; leave it */
        }
      }
      for (const { from, to } of movedToBackup.reverse()) {
        fs.mkdirSync(path.dirname(from), { recursive: true });
        await move(to, from);
      }
      if (backupDir) fs.rmSync(backupDir, { recursive: true, force: true });
      return movedToBackup.length
        ? 'Nothing was changed: what this run wrote was removed and the files it had moved were put back.'
        : 'Nothing was changed: what this run wrote was removed.';
    } catch (e) {
      return `Undoing what this run wrote also failed (${printable((e as Error).message)}); check ${printable(dir)}${backupDir ? ` and ${printable(backupDir)}` : ''}.`;
    }
  }
}
