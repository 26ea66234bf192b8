// Terminal output rules, in-process: when to colour (--no-color, NO_COLOR, FORCE_COLOR, a terminal) and
// fitting a live line to the terminal's width (the pseudo-terminal tests show it drawn:
// test/cli/progress.test.ts and interactive.test.ts).
import { describe, expect, it } from 'vitest';
import { colorEnabled, fit } from '../../src/ui.js';

describe('colorEnabled', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it.each([
    ['a terminal', undefined, tty, {}, true],
    ['a pipe', undefined, pipe, {}, false],
    ['a terminal with TERM=dumb', undefined, tty, { TERM: 'dumb' }, false],
    ['--color on a pipe', true, pipe, {}, true],
    ['--no-color on a terminal', false, tty, {}, false],
    ['--no-color over FORCE_COLOR=1', false, tty, { FORCE_COLOR: '1' }, false],
    ['--color over NO_COLOR=1', true, pipe, { NO_COLOR: '1' }, true],
    ['NO_COLOR=1 on a terminal', undefined, tty, { NO_COLOR: '1' }, false],
    ['NO_COLOR=1 over FORCE_COLOR=1', undefined, tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
    // no-color.org: any non-empty value turns colour off, "0" and "false" included.
    ['NO_COLOR=0 on a terminal', undefined, tty, { NO_COLOR: '0' }, false],
    ['NO_COLOR=false on a terminal', undefined, tty, { NO_COLOR: 'false' }, false],
    ['NO_COLOR=yes over FORCE_COLOR=1', undefined, tty, { NO_COLOR: 'yes', FORCE_COLOR: '1' }, false],
    ['an empty NO_COLOR (ignored, as no-color.org says)', undefined, tty, { NO_COLOR: '' }, true],
    ['FORCE_COLOR=1 on a pipe', undefined, pipe, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=0 on a terminal', undefined, tty, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=false on a terminal', undefined, tty, { FORCE_COLOR: 'false' }, false],
  ] as const)('%s', (_, flag, stream, env, expected) => {
    expect(colorEnabled(flag, stream, env)).toBe(expected);
  });
});

describe('fit', () => {
  it('leaves a line that fits as it is', () => {
    expect(fit('Building the workspace', 22)).toBe('Building the workspace');
    expect(fit('\u001b[36m⠋\u001b[39m abc', 5)).toBe('\u001b[36m⠋\u001b[39m abc');
  });
  it('cuts a longer one to the width, ending in an ellipsis', () => {
    expect(fit('Building the workspace (cargo build --release)', 20)).toBe('Building the worksp…');
  });
  it('counts only visible characters, and drops the colour of a line it cuts rather than cut a sequence', () => {
    expect(fit('\u001b[36m⠋\u001b[39m Building the workspace \u001b[2m3s\u001b[22m', 12)).toBe('⠋ Building …');
  });
});
