import { readFileSync } from 'node:fs';
import { main } from './main.js';
import { isTerminal } from './ui.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The current directory; undefined when it no longer exists (deleted or moved away under us). */
function currentDirectory(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

void main({
  argv: process.argv.slice(2),
  cwd: currentDirectory(),
  env: process.env,
  // Questions need both ends on a terminal. Asked of the descriptors: creating process.stdin or
  // process.stdout loads the terminal and socket modules, a few milliseconds of a run that never reads.
  stdinIsTTY: isTerminal(1) && isTerminal(0),
  stdoutIsTTY: isTerminal(1),
  version,
  isRoot: process.getuid?.() === 0,
}).then((code) => {
  process.exitCode = code;
});
