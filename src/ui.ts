// Terminal output. Human text goes to stdout, or to stderr under --json (stdout then carries one JSON object).
import { bold, cyan, dim, green, options as colorOptions, red, yellow } from 'kolorist';

export interface Ui {
  /** Human-readable line. */
  say(text?: string): void;
  warn(text: string): void;
  error(text: string): void;
  /** A live status line on a terminal; plain lines at most every `plainEveryMs` otherwise. */
  progress(label: string): Progress;
  readonly isTTY: boolean;
}

export interface Progress {
  update(detail: string): void;
  done(finalLine: string): void;
}

export const c = { bold, cyan, dim, green, red, yellow };

export function configureColor(flag: boolean | undefined, stream: NodeJS.WriteStream): void {
  const env = process.env;
  let enabled: boolean;
  if (flag !== undefined) enabled = flag;
  else if ('NO_COLOR' in env && env.NO_COLOR !== '') enabled = false;
  else if ('FORCE_COLOR' in env) enabled = env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  else enabled = Boolean(stream.isTTY) && env.TERM !== 'dumb';
  colorOptions.enabled = enabled;
  colorOptions.supportLevel = enabled ? 1 : 0;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createUi(json: boolean, plainEveryMs = 10_000): Ui {
  const out = json ? process.stderr : process.stdout;
  const isTTY = Boolean(out.isTTY);
  return {
    isTTY,
    say: (text = '') => out.write(`${text}\n`),
    warn: (text) => process.stderr.write(`${yellow('!')} ${text}\n`),
    error: (text) => process.stderr.write(`${red('✖')} ${text}\n`),
    progress(label) {
      const started = Date.now();
      const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;
      let detail = '';
      if (isTTY) {
        let frame = 0;
        const render = () => {
          const line = `${cyan(FRAMES[frame++ % FRAMES.length])} ${label} ${dim(elapsed())}${detail ? ` ${dim(detail)}` : ''}`;
          const width = out.columns || 100;
          out.write(`\r\x1b[2K${line.length > width + 20 ? line.slice(0, width + 20) : line}`);
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
            out.write(`\r\x1b[2K${finalLine}\n`);
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
          out.write(`${finalLine}\n`);
        },
      };
    },
  };
}
