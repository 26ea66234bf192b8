// Child processes, on node:child_process: an argument array, never a shell string. `run` collects a
// short command's output; `runGroup` puts the child in a process group of its own, so an abort (Ctrl-C,
// SIGTERM, SIGHUP) stops it and everything it started: no rustc or bpf-linker outlives the run.
// (execa was bundled before: 37 kB of the 100 kB package budget, and it stops only the child, not its group.)
import { spawn } from 'node:child_process';

export interface RunResult {
  /** The exit code; null when a signal ended it or it never started. */
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
  stdout: string;
  /** Set when the command could not be started (ENOENT and the like). */
  failedToStart?: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Run in a process group of its own, stopped as a whole when `signal` aborts. */
  signal?: AbortSignal;
  onData?: (chunk: string) => void;
}

export function run(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) return resolve({ code: null, output: '', stdout: '' });
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: Boolean(opts.signal), // the leader of a new process group
    });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const s = chunk.toString();
      stdout += s;
      output += s;
      opts.onData?.(s);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const s = chunk.toString();
      output += s;
      opts.onData?.(s);
    });
    const stop = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    const end = (result: RunResult) => {
      opts.signal?.removeEventListener('abort', stop);
      resolve(result);
    };
    child.on('error', (e) => end({ code: null, output, stdout, failedToStart: e.message }));
    child.on('close', (code) => {
      // Grandchildren may outlive the leader: stop the rest of the group too.
      if (opts.signal?.aborted) stop();
      end({ code, output, stdout });
    });
  });
}
