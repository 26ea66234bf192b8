// Reading a file a person or a repository controls: regular files only, and only up to a limit. A FIFO
// would block the open forever, a link to /dev/zero would fill the memory; both are refused with a code.
import fs from 'node:fs';

/** Limits, in bytes. */
export const CONFIG_LIMIT = 1 << 20; // aya-atomic.toml, --config, a manifest: a few hundred bytes in practice
export const WORKSPACE_FILE_LIMIT = 64 << 20; // a workspace file --update compares and merges

export type NotReadable = 'ENOENT' | 'ENOTREG' | 'EFBIG' | string;

/**
 * An error from readRegularFile: `code` is ENOENT, ENOTREG (not a regular file), EFBIG (over the limit) or an errno.
 */
export class ReadError extends Error {
  constructor(
    readonly code: NotReadable,
    readonly what: string,
    readonly path: string,
  ) {
    super(`${path}: ${what}`);
  }
}

/** What a non-regular file is, in words. */
export function kindOf(st: fs.Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (fifo)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/**
 * The bytes of the regular file at `abs` (symbolic links followed), at most `limit` of them; throws a
 * ReadError otherwise. Opened non-blocking, so a FIFO is seen for what it is instead of waited on.
 * `noFollow`: a symbolic link at `abs` itself is refused (ELOOP).
 */
export function readRegularFile(abs: string, limit: number, opts: { noFollow?: boolean } = {}): Buffer {
  let fd: number;
  try {
    const flags = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (opts.noFollow ? fs.constants.O_NOFOLLOW : 0);
    fd = fs.openSync(abs, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ReadError(code, code === 'ENOENT' ? 'no such file' : code, abs);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile())
      throw new ReadError('ENOTREG', st.isDirectory() ? 'is a directory' : `is ${kindOf(st)}, not a regular file`, abs);
    if (st.size > limit) throw new ReadError('EFBIG', `is larger than ${limit >> 20} MiB (${st.size} bytes)`, abs);
    // Read to the end, but never past the limit (a file may grow while it is read).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      if (chunk.length === 0) throw new ReadError('EFBIG', `is larger than ${limit >> 20} MiB`, abs);
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof ReadError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ReadError(code, code, abs);
  } finally {
    fs.closeSync(fd);
  }
}

/** A text file read as UTF-8 within `limit` (see readRegularFile). */
export const readRegularText = (abs: string, limit = CONFIG_LIMIT): string =>
  readRegularFile(abs, limit).toString('utf8');
