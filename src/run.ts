// Child processes, loaded lazily: only git and verify need them, so --help and --dry-run do not pay for execa.
import type { Options as ExecaOptions, ResultPromise } from 'execa';

export interface RunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The command could not be started (ENOENT and the like). */
  failedToStart: boolean;
}

/** Runs a command with an argument array (never a shell string) and never throws for a non-zero exit. */
export async function run(file: string, args: readonly string[], options: ExecaOptions = {}): Promise<RunResult> {
  const { execa } = await import('execa');
  const result = await execa(file, args, { reject: false, stdin: 'ignore', ...options });
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    failedToStart: result.exitCode === undefined && !result.isTerminated,
  };
}

/** Starts a child and hands it back unawaited (wrapped, since awaiting the child itself would wait for its end). */
export async function spawnChild(file: string, args: readonly string[], options: ExecaOptions): Promise<{ child: ResultPromise }> {
  const { execa } = await import('execa');
  return { child: execa(file, args, { reject: false, stdin: 'ignore', ...options }) };
}
