import { readFileSync } from 'node:fs';
import { main } from './main.js';

// A reader that goes away (`create-aya-atomic ... | head -3`) is no reason to crash, nor to stop half-way
// through writing a workspace: the run goes on with that stream silenced.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stream.write = () => true;
  });
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

void main({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: process.env,
  // Questions need both ends on a terminal. stdin is looked at only then: creating process.stdin loads
  // the terminal and socket modules, a few milliseconds of a run that never reads it.
  stdinIsTTY: Boolean(process.stdout.isTTY) && Boolean(process.stdin.isTTY),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  version,
  isRoot: process.getuid?.() === 0,
}).then((code) => {
  process.exitCode = code;
});
