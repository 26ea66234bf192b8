// Verify's progress (docs/command-line.md, Output): on a terminal one live line (spinner, label, elapsed
// time, current crate) redrawn in place and fitted to the terminal's width; off a
// terminal plain lines without control characters. cargo is a fake that prints `Compiling` lines
// for a while, so the outcome (and the exit code) is fixed.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeTmp, runCli, show } from '../helpers/cli.js';
import { fakeCargo } from '../helpers/fake-cargo.js';
import { PtySession, noPty } from '../helpers/pty.js';

/**
 * The frames of the live line: what was drawn after each "carriage return, erase line" up to the next
 * carriage return. A step's final line (ended by a newline; it may wrap like any output) is not one.
 */
function liveFrames(raw: string): string[] {
  return raw
    .split('\r\x1b[2K')
    .slice(1)
    .map((chunk) => /^[^\r\n]*(?=\r(?!\n)|$)/.exec(chunk)?.[0] ?? '') // the terminal shows a newline as \r\n
    .filter((frame) => frame !== '');
}

const width = (s: string) => [...stripVTControlCharacters(s)].length;

describe.concurrent('progress while verifying', () => {
  it('on a 40-column terminal: one live line, redrawn in place, every frame within 40 columns', async (ctx) => {
    ctx.skip(Boolean(noPty), noPty);
    const cwd = makeTmp('progress-tty');
    const cargo = fakeCargo(makeTmp('fake-cargo'), { build: { compiling: { count: 10, everyMs: 100 } } });
    const session = PtySession.start(['probe', '--yes', '--no-git'], { cwd, verify: true, env: cargo.env, cols: 40 });
    const done = await session.exit(60_000);
    expect(done.code, done.screen).toBe(0);
    const frames = liveFrames(done.raw);
    const building = frames.filter((f) => stripVTControlCharacters(f).includes('Building'));
    // Enough redraws to mean something: the build printed for about a second, redrawn every 100 ms.
    expect(building.length, done.raw).toBeGreaterThanOrEqual(5);
    for (const frame of frames)
      expect(width(frame), JSON.stringify(stripVTControlCharacters(frame))).toBeLessThanOrEqual(40);
    // The current crate shows up in the line (cut to the width, so only the start of the label is certain).
    expect(building.some((f) => /Buildin/.test(stripVTControlCharacters(f)))).toBe(true);
    // Each step ends with its final line in place of the live one.
    expect(done.screen).toMatch(/Prerequisites\n/);
    expect(done.screen).toMatch(/✓ Built the eBPF program and the loader in [0-9.]+s/);
  }, 90_000);

  it('on a wide terminal the live line names the crate being compiled', async (ctx) => {
    ctx.skip(Boolean(noPty), noPty);
    const cwd = makeTmp('progress-wide');
    const cargo = fakeCargo(makeTmp('fake-cargo'), { build: { compiling: { count: 6, everyMs: 100 } } });
    const session = PtySession.start(['probe', '--yes', '--no-git'], { cwd, verify: true, env: cargo.env, cols: 120 });
    const done = await session.exit(60_000);
    expect(done.code, done.screen).toBe(0);
    const frames = liveFrames(done.raw).map(stripVTControlCharacters);
    expect(
      frames.some((f) =>
        /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Building the workspace \(cargo build --release\) \d+s compiling crate-\d$/.test(f),
      ),
      frames.join('\n'),
    ).toBe(true);
  }, 90_000);

  it('off a terminal: plain lines, no control characters, the label then the outcome', async () => {
    const cwd = makeTmp('progress-plain');
    const cargo = fakeCargo(makeTmp('fake-cargo'), { build: { compiling: { count: 3, everyMs: 50 } } });
    const r = await runCli(['probe', '--yes', '--no-git'], { cwd, verify: true, env: cargo.env });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('Checking prerequisites (cargo xtask doctor)...\nPrerequisites\n');
    expect(r.stdout).toMatch(
      /Building the workspace \(cargo build --release\)\.\.\.\n✓ Built the eBPF program and the loader in [0-9.]+s \(log: /,
    );
    expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });
});
