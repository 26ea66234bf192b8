// The three-way merge of --update, by `git merge-file` (diff3 style): the merge every developer already
// trusts, byte-exact (a byte that is not UTF-8 stays that byte) and fast on files of any length. Line
// endings are compared without regard to CRLF/LF and written back in the file's own (docs/update.md).
import fs from 'node:fs';
import path from 'node:path';
import { cancelled, inTemporaryFolder } from './errors.js';
import { firstErrorLine } from './git.js';
import { run } from './run.js';
import { printable } from './validate.js';

export interface MergeLabels {
  ours: string;
  base: string;
  theirs: string;
}

export type MergeOutcome =
  | { kind: 'clean'; bytes: Buffer }
  | { kind: 'conflict'; bytes: Buffer; conflicts: number }
  /** git cannot merge these as text (a binary file, a file too large for it, no git): nothing merged. */
  | { kind: 'unmergeable'; reason: string };

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from([CR, LF]);

/** Whether every line break of `b` is CRLF (and it has at least one): a file checked out with CRLF endings. */
export function usesCrlf(b: Uint8Array): boolean {
  let crlf = false;
  for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) {
    if (i === 0 || b[i - 1] !== CR) return false;
    crlf = true;
  }
  return crlf;
}

/** `b` with each CRLF as LF. */
export function toLf(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (!(b[i] === CR && b[i + 1] === LF)) out[n++] = b[i];
  return out.subarray(0, n);
}

/** `b` with each LF as CRLF: the inverse of toLf, for a file whose line breaks were all CRLF. */
export function toCrlf(b: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let start = 0;
  for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) {
    chunks.push(b.subarray(start, i), CRLF);
    start = i + 1;
  }
  chunks.push(b.subarray(start));
  return Buffer.concat(chunks);
}

/** `ours` as the other two are written: LF line endings when ours is a CRLF checkout. */
export const comparable = (ours: Buffer): Buffer => (usesCrlf(ours) ? toLf(ours) : ours);

/** Whether the user's copy holds `other`, line endings aside. */
export const sameContent = (ours: Buffer, other: Buffer): boolean =>
  ours.equals(other) || comparable(ours).equals(other);

/** `content` (LF endings) in the line endings of `ours`. */
export const inLineEndingsOf = (ours: Buffer, content: Buffer): Buffer => (usesCrlf(ours) ? toCrlf(content) : content);

/**
 * Merges the changes from `base` to `theirs` into `ours` with `git merge-file --diff3`, in `tmp` (a
 * directory of this run's own). Labels are escaped: they are written into the file.
 */
export async function mergeFile(
  base: Buffer,
  ours: Buffer,
  theirs: Buffer,
  labels: MergeLabels,
  opts: { tmp: string; signal: AbortSignal },
): Promise<MergeOutcome> {
  const crlf = usesCrlf(ours);
  const dir = inTemporaryFolder(() => fs.mkdtempSync(path.join(opts.tmp, 'merge-')));
  try {
    const [o, b, t] = ['ours', 'base', 'theirs'].map((n) => path.join(dir, n));
    inTemporaryFolder(() => {
      fs.writeFileSync(o, crlf ? toLf(ours) : ours);
      fs.writeFileSync(b, base);
      fs.writeFileSync(t, theirs);
    });
    const r = await run(
      'git',
      [
        'merge-file',
        '--diff3',
        '-L',
        printable(labels.ours),
        '-L',
        printable(labels.base),
        '-L',
        printable(labels.theirs),
        o,
        b,
        t,
      ],
      { cwd: dir, signal: opts.signal, env: { LC_ALL: 'C' } },
    );
    if (opts.signal.aborted) throw cancelled('Cancelled; nothing was changed.');
    if (r.failedToStart !== undefined)
      return {
        kind: 'unmergeable',
        reason: `git is needed to merge, and cannot be run (${printable(r.failedToStart)})`,
      };
    // git merge-file: 0 clean, 1-127 the number of conflicts, 255 (-1) when it cannot merge.
    if (r.code === null || r.code < 0 || r.code > 127)
      return {
        kind: 'unmergeable',
        reason: r.signal ? `git merge-file was ended by ${r.signal}` : `git merge-file: ${firstErrorLine(r.stderr)}`,
      };
    const merged = fs.readFileSync(o);
    const bytes = crlf ? toCrlf(merged) : merged;
    return r.code === 0 ? { kind: 'clean', bytes } : { kind: 'conflict', bytes, conflicts: r.code };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
