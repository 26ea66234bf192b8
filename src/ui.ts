// Terminal output. Human text goes to stdout, or to stderr under --json (stdout then carries one JSON object).
import { stripVTControlCharacters } from 'node:util';
import { bold, cyan, dim, green, options as colorOptions, red, yellow } from 'kolorist';

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

export const c = { bold, cyan, dim, green, red, yellow };

/** Whether to colour: a flag wins, then NO_COLOR, then FORCE_COLOR, then whether `stream` is a terminal. */
export function colorEnabled(flag: boolean | undefined, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if ('FORCE_COLOR' in env) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function configureColor(enabled: boolean): void {
  colorOptions.enabled = enabled;
  colorOptions.supportLevel = enabled ? 1 : 0;
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

export function createUi(json: boolean, plainEveryMs = 10_000): Ui {
  const out = json ? process.stderr : process.stdout;
  return {
    say: (text = '') => out.write(`${text}\n`),
    warn: (text) => process.stderr.write(`${yellow('!')} ${text}\n`),
    error: (text) => process.stderr.write(`${red('✖')} ${text}\n`),
    progress(label) {
      const started = Date.now();
      const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;
      let detail = '';
      if (out.isTTY) {
        let frame = 0;
        const render = () => {
          const line = `${cyan(FRAMES[frame++ % FRAMES.length])} ${label} ${dim(elapsed())}${detail ? ` ${dim(detail)}` : ''}`;
          out.write(`\r\x1b[2K${fit(line, (out.columns || 80) - 1)}`);
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
            out.write(`\r\x1b[2K${finalLine ? `${finalLine}\n` : ''}`);
          },
        };
      }
      out.write(`${label}...\n`);
      // A plain line now and then, also while the child prints nothing (linking, the doctor's checks).
      const timer = setInterval(() => out.write(`  ${label}: ${elapsed()}${detail ? ` ${detail}` : ''}\n`), plainEveryMs);
      timer.unref();
      return {
        update: (d) => {
          detail = d;
        },
        done: (finalLine) => {
          clearInterval(timer);
          if (finalLine) out.write(`${finalLine}\n`);
        },
      };
    },
  };
}
