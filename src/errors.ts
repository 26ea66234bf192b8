// Failures that end a run with a documented exit code (SPEC, Exit codes).
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notEmpty: 3,
  prerequisitesMissing: 4,
  buildFailed: 5,
  cancelled: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly kind: 'usage' | 'not-empty' | 'cancelled' | 'unexpected',
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage, 'usage');
export const notEmptyError = (message: string) => new CliError(message, EXIT.notEmpty, 'not-empty');
export const cancelled = (message = 'Cancelled.') => new CliError(message, EXIT.cancelled, 'cancelled');
