// Effects on the target directory, with SPEC's "nothing lost" guarantees:
// render everything into a staging directory first, move originals at template paths into a backup
// folder (only with --overwrite), move the new files into place, and undo all of it on failure or Ctrl-C.
import { lstatSync, readdirSync } from 'node:fs';
import fs from 'fs-extra';
import path from 'node:path';
import { cancelled } from './errors.js';
import type { PlannedFile } from './plan.js';

/** Entries that do not make a directory "non-empty" (SPEC, Safety). */
export const IGNORABLE_ENTRIES = ['.git', '.hg', '.svn', '.idea', '.vscode', '.DS_Store', 'Thumbs.db'];
export const BACKUP_PREFIX = '.aya-atomic-backup-';
const STAGING_PREFIX = '.create-aya-atomic-staging-';

export type TargetState =
  | { kind: 'missing' }
  | { kind: 'not-a-directory' }
  | { kind: 'empty' }
  | { kind: 'non-empty'; entries: string[] };

export function inspectTarget(dir: string): TargetState {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    // ENOTDIR: a parent on the path is a file, so nothing can be written there either.
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? { kind: 'not-a-directory' } : { kind: 'missing' };
  }
  if (!stat.isDirectory()) {
    // A symlink to a directory is fine to write into; anything else is not.
    try {
      if (!fs.statSync(dir).isDirectory()) return { kind: 'not-a-directory' };
    } catch {
      return { kind: 'not-a-directory' };
    }
  }
  const entries = readdirSync(dir).filter((e) => !IGNORABLE_ENTRIES.includes(e));
  return entries.length ? { kind: 'non-empty', entries: entries.sort() } : { kind: 'empty' };
}

/**
 * Paths (relative to dir) that exist where the template writes: a file, link or directory at a template
 * file's path, or a non-directory (file or link) where a template needs a directory.
 */
export function findConflicts(dir: string, files: readonly PlannedFile[]): string[] {
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
  replaced: string[];
  backupDir?: string;
}

export interface WriteOptions {
  overwrite: boolean;
  signal?: AbortSignal;
  /** Pause between files; lets tests interrupt a write half-way. */
  delayMs?: number;
  now?: Date;
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

export async function writeWorkspace(dir: string, files: readonly PlannedFile[], opts: WriteOptions): Promise<WriteResult> {
  const createdDirs: string[] = [];
  const createdFiles: string[] = [];
  const movedToBackup: { from: string; to: string }[] = [];
  let staging: string | undefined;
  let backupDir: string | undefined;
  const check = () => {
    if (opts.signal?.aborted) throw cancelled('Cancelled while writing; removed what this run wrote.');
  };
  const pause = () => (opts.delayMs ? new Promise((r) => setTimeout(r, opts.delayMs)) : Promise.resolve());

  // Synchronous file calls: two dozen small files take a few milliseconds, and Ctrl-C is still seen
  // between the phases (and between files when a test slows the moves down with delayMs).
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
  const yieldToSignals = () => new Promise<void>((resolve) => setImmediate(resolve));

  try {
    mkdirs(dir);
    staging = fs.mkdtempSync(path.join(dir, STAGING_PREFIX));
    const stagingDirs = new Set<string>();
    for (const f of files) {
      const to = path.join(staging, ...f.path.split('/'));
      const parent = path.dirname(to);
      if (!stagingDirs.has(parent)) {
        fs.mkdirSync(parent, { recursive: true });
        stagingDirs.add(parent);
      }
      fs.writeFileSync(to, f.contents);
    }
    await yieldToSignals();
    check();

    const conflicts = findConflicts(dir, files);
    if (conflicts.length && !opts.overwrite) {
      throw new Error(`refusing to replace existing paths without --overwrite: ${conflicts.join(', ')}`);
    }
    if (conflicts.length) {
      const stamp = (opts.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
      backupDir = path.join(dir, `${BACKUP_PREFIX}${stamp}`);
      fs.mkdirSync(backupDir);
      for (const rel of conflicts) {
        const from = path.join(dir, rel);
        const to = path.join(backupDir, rel);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.renameSync(from, to); // rename moves a symlink itself, never what it points to
        movedToBackup.push({ from, to });
      }
      await yieldToSignals();
      check();
    }

    // Nothing of the template's exists in the target yet (the usual case): move each top-level entry
    // whole, a dozen renames instead of a mkdir and a rename per file. Otherwise, file by file.
    const topLevel = [...new Set(files.map((f) => f.path.split('/')[0]))];
    const units = conflicts.length === 0 && topLevel.every((name) => !lexists(path.join(dir, name)))
      ? topLevel
      : files.map((f) => f.path);
    for (const unit of units) {
      if (opts.delayMs) {
        await pause();
        check();
      }
      const from = path.join(staging, ...unit.split('/'));
      const to = path.join(dir, ...unit.split('/'));
      mkdirs(path.dirname(to));
      fs.renameSync(from, to);
      createdFiles.push(to);
    }
    fs.removeSync(staging);
    await yieldToSignals();
    check();
    return { written: files.map((f) => f.path), replaced: conflicts, backupDir };
  } catch (error) {
    await rollback();
    throw error;
  }

  async function rollback() {
    // Each entry came whole from the staging area: a file, or a directory this run made.
    for (const entry of createdFiles.reverse()) fs.removeSync(entry);
    if (staging) await fs.remove(staging);
    // Directories this run created go before the originals come back: one may stand where an original
    // link or file was (a link at <name>-ebpf), and rename() cannot put a link over a directory.
    for (const d of createdDirs.reverse()) {
      try {
        await fs.rmdir(d); // only if empty: a directory this run created never holds anything else
      } catch {
        /* not empty: something else wrote there meanwhile; leave it */
      }
    }
    for (const { from, to } of movedToBackup.reverse()) {
      await fs.mkdir(path.dirname(from), { recursive: true });
      await fs.rename(to, from);
    }
    if (backupDir) await fs.remove(backupDir);
  }
}
