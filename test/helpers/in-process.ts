// Runs main() in this process, as the built command would run it off a terminal, with what it prints
// captured: for tests of what a run writes and says, without the cost of a process each. Spawned tests
// (helpers/cli.ts) stay for what needs a process: exit codes, signals, terminals, the package.
import fs from 'node:fs';
import { main } from '../../src/main.js';
import type { Ui } from '../../src/ui.js';

export const VERSION: string = JSON.parse(
  fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `create-aya-atomic ...argv` in `cwd`, never verifying (add --verify yourself), with a clean environment. */
export async function runMain(
  argv: readonly string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<MainResult> {
  let stdout = '';
  let stderr = '';
  const mentionsVerify = argv.includes('--verify') || argv.includes('--no-verify');
  const code = await main({
    argv: mentionsVerify ? argv : ['--no-verify', ...argv],
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, ...opts.env },
    stdinIsTTY: false,
    stdoutIsTTY: false,
    version: VERSION,
    isRoot: false,
    output: {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      isTerminal: () => false,
    },
  });
  return { code, stdout, stderr };
}

export const showMain = (r: MainResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A Ui that records every line (a progress shows as its label, then its final line), for verify() in-process. */
export function captureUi(): { ui: Ui; text: () => string } {
  const lines: string[] = [];
  const ui: Ui = {
    say: (text = '') => lines.push(text),
    warn: (text) => lines.push(`! ${text}`),
    error: (text) => lines.push(`✖ ${text}`),
    progress: (label) => {
      lines.push(`${label}...`);
      return {
        update: () => {},
        done: (finalLine) => {
          if (finalLine) lines.push(finalLine);
        },
      };
    },
  };
  return { ui, text: () => `${lines.join('\n')}\n` };
}
