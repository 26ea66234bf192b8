// Helpers for tests that run the BUILT command (bin/create-aya-atomic.cjs → dist/) as a child process.
// `npm test` builds first; run `npm run build` before `npx vitest` by hand.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { mkTestTmp } from './tree.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'create-aya-atomic.cjs');
export const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

if (!fs.existsSync(path.join(ROOT, 'dist', 'index.cjs'))) {
  throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
}

// ---------------------------------------------------------------------------------------------
// Temporary directories: one root per test file, removed after the file's tests.

let tmpRoot: string | undefined;

// Registered when a test file imports this module (test files are isolated, so once per file);
// hooks registered later, from inside a test, would not run.
afterAll(() => {
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
});

/** The test file's temporary root (created on first use, removed after the file's tests). */
export function tmpRootDir(): string {
  if (!tmpRoot) {
    tmpRoot = mkTestTmp('create-aya-atomic-test-');
    fs.writeFileSync(path.join(tmpRoot, 'gitconfig-empty'), '');
  }
  return tmpRoot;
}

/** A fresh empty directory under the test file's temporary root. */
export function makeTmp(label = 't'): string {
  const safe = label.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 't';
  const work = path.join(tmpRootDir(), 'work');
  fs.mkdirSync(work, { recursive: true });
  return fs.mkdtempSync(path.join(work, `${safe}-`));
}

/** A git config file with an identity, for GIT_CONFIG_GLOBAL. */
export function gitConfigWithIdentity(): string {
  const file = path.join(tmpRootDir(), 'gitconfig-identity');
  // Written once, whole (tests running at the same time read it): a temporary name, then a rename.
  if (!fs.existsSync(file)) {
    fs.writeFileSync(
      `${file}.${process.pid}.tmp`,
      '[user]\n\tname = Test Person\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n',
    );
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Environment: independent of the developer's git identity, colour settings and CI.

export type EnvPatch = Record<string, string | undefined>;

export function cliEnv(patch: EnvPatch = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    // npm_*: the package manager running the tests (npm test, npx vitest) is not one that ran the CLI.
    if (/^(GIT_|NO_COLOR$|FORCE_COLOR$|CI$|CREATE_AYA_ATOMIC_|npm_|COLORTERM$)/i.test(key)) delete env[key];
  }
  const root = tmpRootDir();
  env.GIT_CONFIG_GLOBAL = path.join(root, 'gitconfig-empty'); // no identity unless a test sets one
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.GIT_CEILING_DIRECTORIES = path.dirname(root); // never find a repository around the temp root
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Running the command.

export interface RunOptions {
  cwd: string;
  env?: EnvPatch;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Leave stdin open (a pipe nobody writes to), to prove the run never waits for input. */
  keepStdinOpen?: boolean;
  /** Do not add --no-verify (only for tests about verify). */
  verify?: boolean;
  /** Kill the child after this long; the result then has timedOut set (a hang guard, not a speed test). */
  hangGuardMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface Started {
  child: ChildProcess;
  done: Promise<RunResult>;
}

export function cliArgs(args: readonly string[], verify = false): string[] {
  const mentionsVerify = args.includes('--verify') || args.includes('--no-verify');
  return verify || mentionsVerify ? [...args] : ['--no-verify', ...args];
}

/** Starts the built command with an argument array (never a shell). */
export function startCli(args: readonly string[], opts: RunOptions): Started {
  const child = spawn(process.execPath, [BIN, ...cliArgs(args, opts.verify)], {
    cwd: opts.cwd,
    env: cliEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return { child, done: collect(child, opts) };
}

export function runCli(args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return startCli(args, opts).done;
}

/**
 * What `child` prints and how it ends. A piped stdin gets `input` and is closed, unless kept open; the child is
 * killed after `hangGuardMs` (30 s by default), and the result then says timedOut.
 */
export function collect(
  child: ChildProcess,
  opts: { input?: string; keepStdinOpen?: boolean; hangGuardMs?: number },
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const stdin = child.stdin;
  if (stdin) {
    stdin.on('error', () => {}); // EPIPE when the child exits first
    if (opts.input !== undefined) stdin.write(opts.input);
    if (!opts.keepStdinOpen) stdin.end();
  }
  const guard = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.hangGuardMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (opts.keepStdinOpen) stdin?.destroy();
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The single JSON object a --json run prints on stdout. */
export function parseJson(result: RunResult): Record<string, any> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch (e) {
    throw new Error(`stdout is not one JSON document (${String(e)}):\n${result.stdout}\nstderr:\n${result.stderr}`, {
      cause: e,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`stdout is not a JSON object: ${result.stdout}`);
  return parsed as Record<string, any>;
}

/** For assertion messages. */
export function show(result: RunResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? ' TIMED OUT' : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

// ---------------------------------------------------------------------------------------------
// File trees: see tree.ts (no dist/ needed there, so in-process tests use it too).

export { filesIn, findNamed, readToml, snapshot, type TreeEntry } from './tree.js';

/** Any escape sequence at all. */
export const ESC_RE = /\x1b/;
/**
 * A colour: an SGR sequence setting a foreground or background colour (30-37, 39, 40-47, 49, 90-97, 100-107, 38;…,
 * 48;…).
 */
export const SGR_COLOR_RE = /\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

export const isRoot = process.getuid?.() === 0;

/** Whether process `pid` has ended (a zombie waiting for a reaper counts as ended: it runs nothing). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw e;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true; // gone between the two looks
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `predicate` holds (a synchronisation point, not a speed assertion). */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(10);
  }
}
