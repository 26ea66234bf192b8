// Failures that end a run with a documented exit code (docs/command-line.md, Exit codes).
import os from 'node:os';
import { mdCell } from './markdown.js';
import { printable } from './validate.js';

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notEmpty: 3,
  prerequisitesMissing: 4,
  buildFailed: 5,
  conflicts: 6,
  cancelled: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * What each exit code means: `short` for --help, `long` for the README's and docs/command-line.md's table
 * (derived from here; a test fails when they are stale, `npm run docs` rewrites them).
 */
export const EXIT_MEANINGS: Record<ExitCode, { short: string; long: string }> = {
  0: { short: 'done', long: 'done: generated (and verified, unless `--no-verify`), or updated' },
  1: {
    short: 'unexpected error',
    long:
      'unexpected error, or an error from the operating system (one sentence naming the path, the cause and what was ' +
      'undone); `--update`: the recorded version could not be fetched, unpacked or run to render the base (nothing changed)',
  },
  2: {
    short: 'usage error',
    long:
      'usage error: unknown flag, invalid value or name, bad `--config` file or `aya-atomic.toml`, a target that can never ' +
      'be a directory (a file, fifo, device, dangling link, link loop, or a path below a file); nothing written',
  },
  3: {
    short: 'directory not empty, or (--update) not ready to update',
    long:
      'target directory not empty and `--overwrite` not given (or refused at the prompt); `--update`: uncommitted ' +
      "changes and no `--overwrite`, git cannot tell whether there are any (git's own first error line is shown), or " +
      'another `--update` is running in the workspace; nothing written',
  },
  4: { short: 'generated but prerequisites missing', long: 'generated, but verify found prerequisites missing' },
  5: {
    short: 'generated but the build failed',
    long: "generated, but the build failed (or crates could not be downloaded, or the kernel's verifier rejected the program)",
  },
  6: {
    short: 'updated with conflicts to resolve',
    long: '`--update`: updated, with conflicts left to resolve (listed)',
  },
  130: {
    short: 'cancelled',
    long:
      'cancelled: Ctrl-C or Esc at a prompt, or Ctrl-C, SIGTERM or SIGHUP later (what was being written is rolled ' +
      'back; a written workspace stays); `--update`: also when a signal ended `git status`',
  },
};

/** The exit codes as a markdown table. */
export function exitCodesMarkdown(): string {
  const rows = Object.entries(EXIT_MEANINGS).map(([code, m]) => `| ${code} | ${mdCell(m.long)} |`);
  return ['| code | meaning |', '|---|---|', ...rows].join('\n');
}

export type ErrorKind = 'usage' | 'not-empty' | 'cancelled' | 'os' | 'unexpected';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly kind: ErrorKind,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage, 'usage');
export const notEmptyError = (message: string) => new CliError(message, EXIT.notEmpty, 'not-empty');
export const cancelled = (message = 'Cancelled.') => new CliError(message, EXIT.cancelled, 'cancelled');

const CAUSES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  ENAMETOOLONG: 'the name is too long',
  EEXIST: 'something else already exists there',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
  ELOOP: 'too many symbolic links',
  EBUSY: 'the resource is busy',
  EXDEV: 'it is on another device',
};

/** An error from the operating system (it has a code such as EROFS), or undefined. */
export function osErrorCause(error: unknown): { code: string; cause: string; path?: string } | undefined {
  const e = error as NodeJS.ErrnoException & { dest?: string };
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return undefined;
  return { code: e.code, cause: CAUSES[e.code] ?? e.code, path: e.path };
}

/** One plain sentence for an operating-system error while writing, saying what was undone. */
export function osError(error: unknown, undone: string, at = osErrorCause(error)?.path): CliError | undefined {
  const os = osErrorCause(error);
  if (!os) return undefined;
  const where = at ? `Cannot write ${printable(at)}: ` : 'Cannot write the workspace: ';
  return new CliError(`${where}${os.cause} (${os.code}). ${undone}`, EXIT.unexpected, 'os');
}

/**
 * An error from the operating system in this run's temporary folder: one sentence naming TMPDIR (where it is,
 * and that it is the variable to change), never "the target". `doing`: what failed, e.g. "create a folder in".
 */
export function temporaryFolderError(doing: string, error: unknown): CliError {
  const tmp = os.tmpdir();
  const cause = osErrorCause(error);
  return new CliError(
    `Cannot ${doing} ${printable(tmp)} (TMPDIR${process.env.TMPDIR ? '' : ', the default'}): ` +
      `${cause ? `${cause.cause} (${cause.code})` : String(error)}. Set TMPDIR to a writable folder. Nothing was changed.`,
    EXIT.unexpected,
    'os',
  );
}

/** `fn`, which writes in this run's temporary folder: an error from the operating system there names TMPDIR. */
export function inTemporaryFolder<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CliError || !osErrorCause(e)) throw e;
    throw temporaryFolderError('write a temporary file in', e);
  }
}
