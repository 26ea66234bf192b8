// Child processes (cargo, git, npm), on execa: an argument array, never a shell string. `run` collects a
// command's output. With a `signal`, the child leads a process group of its own (execa passes `detached`
// on to spawn), and an abort (Ctrl-C, SIGTERM, SIGHUP) stops the whole group, not only the child: SIGTERM,
// then SIGKILL for whatever is still there after a grace period, so no rustc or bpf-linker outlives the
// run. execa is loaded only when a child runs: a file of its own in dist/vendor/ (scripts/build.mjs).
import { readdirSync, readFileSync } from 'node:fs';

export interface RunResult {
  /** The exit code; null when a signal ended it or it never started. */
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
  stdout: string;
  stderr: string;
  /** The signal that ended it, when one did. */
  signal?: NodeJS.Signals | null;
  /** Set when the command could not be started (ENOENT and the like). */
  failedToStart?: string;
}

export interface RunOptions {
  cwd: string;
  /** Added to this process's environment; with `replaceEnv`, the whole environment. */
  env?: NodeJS.ProcessEnv;
  /** `env` replaces this process's environment (a caller that leaves variables out). */
  replaceEnv?: boolean;
  /** Run in a process group of its own, stopped as a whole when `signal` aborts. */
  signal?: AbortSignal;
  onData?: (chunk: string) => void;
  /** How long the group has to end after SIGTERM before SIGKILL (default 3 s). */
  forceAfterMs?: number;
}

const FORCE_AFTER_MS = 3_000;
/** How long to wait for a SIGKILLed group to be gone before run() returns anyway. */
const KILL_WAIT_MS = 2_000;

export async function run(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  if (opts.signal?.aborted) return { code: null, output: '', stdout: '', stderr: '' };
  const { execa } = await import('./vendor/execa.js');
  const child = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: !opts.replaceEnv,
    stdin: 'ignore',
    detached: Boolean(opts.signal), // the leader of a new process group
    reject: false,
    buffer: false, // collected here, as it comes, for onData
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    output += s;
    opts.onData?.(s);
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    output += s;
    opts.onData?.(s);
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    if (child.pid) stopped ??= stopGroup(child.pid, opts.forceAfterMs ?? FORCE_AFTER_MS);
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    const result = await child;
    // Grandchildren may outlive the leader: the rest of the group is stopped before we return.
    if (opts.signal?.aborted) {
      stop();
      await stopped;
    }
    if (result.exitCode === undefined && !result.signal && result.failed)
      return { code: null, output, stdout, stderr, failedToStart: result.originalMessage ?? result.shortMessage };
    return { code: result.exitCode ?? null, output, stdout, stderr, signal: result.signal ?? null };
  } finally {
    opts.signal?.removeEventListener('abort', stop);
  }
}

/** Sends `signal` to every process in the group; false when none is left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

/**
 * Whether a process of the group still runs. A zombie runs nothing, but counts for kill(2) until its
 * parent reaps it, and an orphan's new parent (a container's init) may take its time: read /proc.
 */
function groupRuns(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return true;
  }
  return entries.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After the command's name in parentheses: state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z';
    } catch {
      return false; // ended while we looked
    }
  });
}

/** SIGTERM to the group; SIGKILL to whatever of it still runs after `forceAfterMs`. */
async function stopGroup(pgid: number, forceAfterMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const end = Date.now() + forceAfterMs;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 25));
    if (!groupRuns(pgid)) return;
  }
  signalGroup(pgid, 'SIGKILL');
  // SIGKILL is delivered, not done: a busy machine may take a moment to end them. Wait (bounded) so a
  // caller that goes on after run() returns finds none of the group still running.
  const killedBy = Date.now() + KILL_WAIT_MS;
  while (groupRuns(pgid) && Date.now() < killedBy) await new Promise((r) => setTimeout(r, 10));
}
