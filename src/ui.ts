// Terminal output. Human text goes to stdout, or to stderr under --json (stdout then carries one JSON object).
import { fstatSync, statSync, writeSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

export interface Ui {
  /** A line for the user. */
  say(text?: string): void;
  warn(text: string): void;
  error(text: string): void;
  /** A live status line on a terminal; plain lines every `plainEveryMs` otherwise. */
  progress(label: string): Progress;
}

export interface Progress {
  update(detail: string): void;
  /** Replaces the live line with `finalLine` (nothing at all when it is empty). */
  done(finalLine: string): void;
}

type Paint = (text: string) => string;
const plain: Paint = (text) => text;

/**
 * The colours, plain until configureColor(true) loads kolorist: it looks at process.stdout as it loads,
 * and creating that stream for a pipe (a CI log) costs milliseconds of a run that never colours.
 */
const PLAIN = { bold: plain, cyan: plain, dim: plain, green: plain, red: plain, yellow: plain };
export const c: Record<keyof typeof PLAIN, Paint> = { ...PLAIN };

/** Whether to colour: a flag wins, then NO_COLOR, then FORCE_COLOR, then whether `stream` is a terminal. */
export function colorEnabled(
  flag: boolean | undefined,
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (flag !== undefined) return flag;
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if ('FORCE_COLOR' in env) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export async function configureColor(enabled: boolean): Promise<void> {
  if (!enabled) {
    Object.assign(c, PLAIN);
    return;
  }
  const { bold, cyan, dim, green, options, red, yellow } = await import('kolorist');
  options.enabled = true;
  options.supportLevel = 1;
  Object.assign(c, { bold, cyan, dim, green, red, yellow });
}

const terminals = new Map<number, boolean>();

/**
 * Whether the descriptor is a terminal (asked once per run). node:tty is asked only about a character
 * device other than /dev/null (a terminal is one; a pipe, a file or `2>/dev/null` is not): loading it
 * loads Node's socket modules, a few milliseconds of a run that never talks to a terminal.
 */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  let known = terminals.get(fd);
  if (known === undefined) terminals.set(fd, (known = askTerminal(fd)));
  return known;
}

function askTerminal(fd: number): boolean {
  let st;
  try {
    st = fstatSync(fd);
  } catch {
    return false; // closed
  }
  if (!st.isCharacterDevice()) return false;
  try {
    if (st.rdev === statSync('/dev/null').rdev) return false;
  } catch {
    /* no /dev/null to compare with: node:tty decides */
  }
  // getBuiltinModule from Node 20.16; before it, the bundle's own require (CommonJS).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is CommonJS
  const tty = process.getBuiltinModule?.('node:tty') ?? (require('node:tty') as typeof import('node:tty'));
  return tty.isatty(fd);
}

const writers = new Map<1 | 2, (text: string) => void>();

/**
 * Writes to stdout (1) or stderr (2). To a terminal, through Node's stream (the prompts and the live
 * line use it too). Otherwise with a synchronous write to the descriptor, which is what Node's stream
 * does there on Linux, without creating the stream: for a pipe that loads Node's socket modules, a few
 * milliseconds of a run that prints a dozen lines. A descriptor that would block (a non-blocking pipe
 * shared with a parent, and full) hands over to the stream, which waits. A reader that went away
 * (`| head -3`) silences the output: it is no reason to crash, nor to stop half-way through writing a
 * workspace.
 */
export function output(fd: 1 | 2): (text: string) => void {
  const known = writers.get(fd);
  if (known) return known;
  let quiet = false;
  let stream: NodeJS.WriteStream | undefined;
  const terminal = isTerminal(fd);
  const toStream = (text: string | Uint8Array) => {
    if (!stream) {
      const s = (stream = fd === 1 ? process.stdout : process.stderr);
      s.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        quiet = true;
        s.write = () => true;
      });
    }
    stream.write(text);
  };
  const write = (text: string) => {
    if (quiet) return;
    if (stream || terminal) return toStream(text);
    let rest = Buffer.from(text);
    try {
      while (rest.length > 0) rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') quiet = true;
      else if (code === 'EAGAIN') toStream(rest);
      else throw error;
    }
  };
  writers.set(fd, write);
  return write;
}

/**
 * `text` cut to `width` visible columns (escape sequences do not count), with an ellipsis. A live line
 * longer than the terminal wraps, and `\r` then redraws only its last row, leaving a trail of lines.
 */
export function fit(text: string, width: number): string {
  const plain = stripVTControlCharacters(text);
  if (plain.length <= width) return text;
  if (plain !== text) return `${plain.slice(0, Math.max(0, width - 1))}…`; // drop colour rather than cut a sequence
  return `${text.slice(0, Math.max(0, width - 1))}…`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Where a run's output goes: the process's stdout and stderr, or (in tests) a capture. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  isTerminal(fd: 1 | 2): boolean;
}

export const standardOutput = (): Output => ({ stdout: output(1), stderr: output(2), isTerminal });

export function createUi(json: boolean, to: Output = standardOutput(), plainEveryMs = 10_000): Ui {
  const fd = json ? 2 : 1;
  const write = json ? to.stderr : to.stdout;
  const err = to.stderr;
  return {
    say: (text = '') => write(`${text}\n`),
    warn: (text) => err(`${c.yellow('!')} ${text}\n`),
    error: (text) => err(`${c.red('✖')} ${text}\n`),
    progress(label) {
      const started = Date.now();
      const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;
      let detail = '';
      if (to.isTerminal(fd)) {
        const columns = () => (fd === 1 ? process.stdout : process.stderr).columns || 80;
        let frame = 0;
        const render = () => {
          const line = `${c.cyan(FRAMES[frame++ % FRAMES.length])} ${label} ${c.dim(elapsed())}${detail ? ` ${c.dim(detail)}` : ''}`;
          write(`\r\x1b[2K${fit(line, columns() - 1)}`);
        };
        const timer = setInterval(render, 100);
        timer.unref();
        render();
        return {
          update: (d) => {
            detail = d;
          },
          done: (finalLine) => {
            clearInterval(timer);
            write(`\r\x1b[2K${finalLine ? `${finalLine}\n` : ''}`);
          },
        };
      }
      write(`${label}...\n`);
      // A plain line now and then, also while the child prints nothing (linking, the doctor's checks).
      const timer = setInterval(() => write(`  ${label}: ${elapsed()}${detail ? ` ${detail}` : ''}\n`), plainEveryMs);
      timer.unref();
      return {
        update: (d) => {
          detail = d;
        },
        done: (finalLine) => {
          clearInterval(timer);
          if (finalLine) write(`${finalLine}\n`);
        },
      };
    },
  };
}
