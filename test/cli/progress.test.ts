// Verify's progress on a terminal is one live line (spinner and elapsed time, redrawn in place), and
// off a terminal plain lines without control characters (SPEC, Command line: Progress).
// Uses the prerequisite step (cargo xtask doctor), which runs here with rustup's stable cargo alone.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeTmp, runCli, show } from '../helpers/cli.js';
import { PtySession, hasPython } from '../helpers/pty.js';

const noCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0;

describe.skipIf(noCargo)('progress while verifying', () => {
  it.skipIf(!hasPython)('is a live line redrawn in place on a terminal', async () => {
    const cwd = makeTmp('progress-tty');
    const session = PtySession.start(['probe', '--yes', '--no-git'], { cwd, verify: true });
    const done = await session.exited;
    expect([0, 4, 5], done.raw).toContain(done.code);
    // The spinner line: carriage return + erase line, the label, elapsed seconds.
    expect(done.raw).toMatch(/\r\x1b\[2K.*Checking prerequisites \(cargo xtask doctor\)/);
    expect(done.screen).toMatch(/Prerequisites/);
  }, 120_000);

  it('is plain lines without control characters off a terminal', async () => {
    const cwd = makeTmp('progress-plain');
    const r = await runCli(['probe', '--yes', '--no-git'], { cwd, verify: true, hangGuardMs: 120_000 });
    expect([0, 4, 5], show(r)).toContain(r.code);
    expect(r.stdout).toContain('Checking prerequisites (cargo xtask doctor)...\n');
    // eslint-disable-next-line no-control-regex
    expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  }, 120_000);
});
