// Helpers for tests that run the BUILT command (bin/create-aya-atomic.js → dist/) as a child process.
// `npm test` builds first; run `npm run build` before `npx vitest` by hand.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'create-aya-atomic.js');
export const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
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
    tmpRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'create-aya-atomic-test-')));
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
  fs.writeFileSync(file, '[user]\n\tname = Test Person\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n');
  return file;
}

// ---------------------------------------------------------------------------------------------
// Environment: independent of the developer's git identity, colour settings and CI.

export type EnvPatch = Record<string, string | undefined>;

export function cliEnv(patch: EnvPatch = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(GIT_|NO_COLOR$|FORCE_COLOR$|CI$|CREATE_AYA_ATOMIC_|npm_config_color$|COLORTERM$)/.test(key)) delete env[key];
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

function collect(child: ChildProcess, opts: { input?: string; keepStdinOpen?: boolean; hangGuardMs?: number }): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.on('error', () => {}); // EPIPE when the child exits first
  if (opts.input !== undefined) child.stdin!.write(opts.input);
  if (!opts.keepStdinOpen) child.stdin!.end();
  const guard = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.hangGuardMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (opts.keepStdinOpen) child.stdin!.destroy();
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
    throw new Error(`stdout is not one JSON document (${String(e)}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`stdout is not a JSON object: ${result.stdout}`);
  return parsed as Record<string, any>;
}

/** For assertion messages. */
export function show(result: RunResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? ' TIMED OUT' : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

// ---------------------------------------------------------------------------------------------
// File trees.

export type TreeEntry =
  | { type: 'file'; sha256: string; mode: number }
  | { type: 'dir'; mode: number }
  | { type: 'symlink'; target: string }
  | { type: 'other' };

/** Every entry under dir (relative paths with '/'), never following symbolic links. */
export function snapshot(dir: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  // Entries that vanish while we look (a run still writing) are left out.
  const gone = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';
  const walk = (abs: string, rel: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(abs).sort();
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    for (const name of names) {
      const full = path.join(abs, name);
      const key = rel ? `${rel}/${name}` : name;
      try {
        const st = fs.lstatSync(full);
        if (st.isSymbolicLink()) out[key] = { type: 'symlink', target: fs.readlinkSync(full) };
        else if (st.isDirectory()) {
          out[key] = { type: 'dir', mode: st.mode & 0o7777 };
          walk(full, key);
        } else if (st.isFile()) {
          out[key] = { type: 'file', sha256: createHash('sha256').update(fs.readFileSync(full)).digest('hex'), mode: st.mode & 0o7777 };
        } else out[key] = { type: 'other' };
      } catch (e) {
        if (!gone(e)) throw e;
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}

/** Relative paths of regular files under dir (not following links). */
export function filesIn(dir: string): string[] {
  return Object.entries(snapshot(dir))
    .filter(([, e]) => e.type === 'file')
    .map(([p]) => p)
    .sort();
}

/** Paths under root (following nothing) whose base name is `name`. */
export function findNamed(root: string, name: string): string[] {
  return Object.keys(snapshot(root)).filter((p) => path.posix.basename(p) === name);
}

export function readToml(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(dir, 'aya-atomic.toml'), 'utf8').split('\n')) {
    const m = /^([a-z-]+) = "(.*)"$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

// Terminal escape sequences (CSI, OSC and two-character escapes).
// eslint-disable-next-line no-control-regex
export const ESC_RE = /\x1b/;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `predicate` holds (a synchronisation point, not a speed assertion). */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(10);
  }
}
