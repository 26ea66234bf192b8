// One --update at a time in a workspace (docs/update.md, "Two runs at once"): a lock file in the workspace,
// created atomically (a hard link of a complete file: it exists whole or not at all). A lock whose process
// is gone on this machine is stale and taken over; one held by a live process refuses the second run
// with exit 3 (the workspace is busy), naming the process and the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { notEmptyError } from '../errors.js';
import { printable } from '../validate.js';

export const LOCK_FILE = '.aya-atomic-update.lock';

interface Holder {
  pid: number;
  host: string;
  since: string;
  token: string;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Holder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string')
      return { pid: h.pid, host: h.host, since: String(h.since ?? ''), token: h.token };
  } catch {
    /* unreadable or not ours: held, by something we cannot judge */
  }
  return undefined;
}

/** Whether process `pid` of this machine still runs (a zombie awaiting its parent does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return errno(e) === 'EPERM'; // it exists, owned by another user
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true; // no /proc: kill(0) said it exists
  }
}

const isStale = (h: Holder | undefined) => h !== undefined && h.host === os.hostname() && !alive(h.pid);

function busy(dir: string, shownDir: string, holder: Holder | undefined): Error {
  const file = path.join(dir, LOCK_FILE);
  const who = holder
    ? `process ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${printable(holder.host)}`}, since ${printable(holder.since)}`
    : 'a process this run cannot identify';
  return notEmptyError(
    `Another --update is running in ${shownDir} (${who}): two at once would mix their changes.\n` +
      `Wait for it to end, then run again. If no update is running, remove ${printable(file)}. Nothing was changed.`,
  );
}

/** For --dry-run: refuses as the real run would, without taking the lock. */
export function checkUnlocked(dir: string, shownDir: string): void {
  const file = path.join(dir, LOCK_FILE);
  if (!fs.existsSync(file)) return;
  const holder = readHolder(file);
  if (!isStale(holder)) throw busy(dir, shownDir, holder);
}

/** Takes the workspace's update lock; returns its release. */
export function acquireLock(dir: string, shownDir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const mine: Holder = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  };
  const draft = `${file}.${mine.token}`;
  fs.writeFileSync(draft, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(draft, file); // fails with EEXIST when held
        break;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      const holder = readHolder(file);
      if (!isStale(holder) || attempt > 2) throw busy(dir, shownDir, holder);
      // Stale: move it aside under a name of our own (only one run can), then check it was the stale one.
      const aside = `${file}.stale.${mine.token}`;
      try {
        fs.renameSync(file, aside);
      } catch (e) {
        if (errno(e) === 'ENOENT') continue; // another run took it over first
        throw e;
      }
      if (readHolder(aside)?.token !== holder!.token) {
        // A fresh lock was taken meanwhile: put it back and refuse.
        try {
          fs.linkSync(aside, file);
        } catch {
          /* another one is there again */
        }
        fs.rmSync(aside, { force: true });
        throw busy(dir, shownDir, readHolder(file));
      }
      fs.rmSync(aside, { force: true });
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  return () => {
    if (readHolder(file)?.token === mine.token) fs.rmSync(file, { force: true });
  };
}
