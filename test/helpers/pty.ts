// Drives the built command through a real pseudo-terminal, via test/helpers/pty-relay.py
// (python3's pty module: node-pty would need a native build).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { BIN, ROOT, cliArgs, cliEnv, type EnvPatch } from './cli.js';
import { skipUnlessCi } from './ci.js';

export const PTY_RELAY = path.join(ROOT, 'test', 'helpers', 'pty-relay.py');

export const KEY = {
  enter: '\r',
  down: '\x1b[B',
  up: '\x1b[A',
  ctrlC: '\x03',
  esc: '\x1b',
  backspace: '\x7f',
} as const;

/**
 * Why python3 cannot drive a test here (it is missing, or its pty, termios or fcntl module is), for the
 * skip; undefined when it can. CI (.ci/run) installs python3 and sets AYA_ATOMIC_CI=1: there, this is a
 * missing install step, and the test file fails with it instead.
 */
export const noPython = skipUnlessCi(
  spawnSync('python3', ['-c', 'import pty, termios, fcntl'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'python3 with its pty, termios and fcntl modules is not installed',
);

/** Why the terminal tests cannot run here, for the skip; undefined when they can. */
export const noPty = noPython && `${noPython}: the terminal tests drive a pseudo-terminal through it`;

export interface PtyExit {
  code: number | null;
  /** Everything the command drew, escape sequences removed. */
  screen: string;
  raw: string;
}

export class PtySession {
  raw = '';
  private cursor = 0;
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<PtyExit>;
  private exitedFlag = false;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.raw += d;
      for (const w of [...this.waiters]) w();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.raw += d; // the relay's own errors
      for (const w of [...this.waiters]) w();
    });
    child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        this.exitedFlag = true;
        for (const w of [...this.waiters]) w();
        resolve({ code, screen: this.screen, raw: this.raw });
      });
    });
  }

  /** Starts `create-aya-atomic args` on a new terminal (adding --no-verify unless opts.verify), 200×50 unless told. */
  static start(
    args: readonly string[],
    opts: { cwd: string; env?: EnvPatch; verify?: boolean; cols?: number; rows?: number },
  ): PtySession {
    const size = ['--cols', String(opts.cols ?? 200), '--rows', String(opts.rows ?? 50)];
    const child = spawn('python3', [PTY_RELAY, ...size, '--', process.execPath, BIN, ...cliArgs(args, opts.verify)], {
      cwd: opts.cwd,
      env: cliEnv({ TERM: 'xterm-256color', ...opts.env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new PtySession(child);
  }

  /** Starts any command (a package manager that runs the CLI) on a new terminal, with exactly `env`. */
  static command(
    argv: readonly string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv; cols?: number; rows?: number },
  ): PtySession {
    const size = ['--cols', String(opts.cols ?? 200), '--rows', String(opts.rows ?? 50)];
    const child = spawn('python3', [PTY_RELAY, ...size, '--', ...argv], {
      cwd: opts.cwd,
      env: { TERM: 'xterm-256color', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new PtySession(child);
  }

  /** What the terminal showed so far, without escape sequences and carriage returns. */
  get screen(): string {
    return stripVTControlCharacters(this.raw).replace(/\r/g, '');
  }

  /**
   * Waits until text matching `pattern` appears after the previous match, and returns the screen
   * from the previous match to the end of this one.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const find = () => {
      const rest = this.screen.slice(this.cursor);
      if (typeof pattern === 'string') {
        const i = rest.indexOf(pattern);
        return i < 0 ? undefined : { end: i + pattern.length, text: rest.slice(0, i + pattern.length) };
      }
      const m = pattern.exec(rest);
      return m ? { end: m.index + m[0].length, text: rest.slice(0, m.index + m[0].length) } : undefined;
    };
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (hit) {
          done();
          this.cursor += hit.end;
          resolve(hit.text);
        } else if (this.exitedFlag) {
          done();
          reject(new Error(`the command ended before showing ${String(pattern)}; screen:\n${this.screen}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`gave up waiting for ${String(pattern)}; screen:\n${this.screen}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Types into the terminal. */
  send(keys: string): void {
    this.child.stdin!.write(keys);
  }

  /** Waits for the command to end (killing it after timeoutMs: a hang guard). */
  async exit(timeoutMs = 20_000): Promise<PtyExit> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (!this.exitedFlag) this.child.kill('SIGKILL');
  }
}
