// Failures that end a run with a documented exit code (SPEC, Exit codes).
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
  const where = at ? `Cannot write ${at}: ` : 'Cannot write the workspace: ';
  return new CliError(`${where}${os.cause} (${os.code}). ${undone}`, EXIT.unexpected, 'os');
}
