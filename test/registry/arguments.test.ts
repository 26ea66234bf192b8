// What each package manager does to the arguments, for real: the options npm 11 keeps when they come before
// `--` end the run with the command that was meant, writing nothing; a run without a directory inside a
// generated workspace (npm took its --update) writes nothing; the `--` pnpm and bun pass on is a separator.
// The variables npm sets for each are in test/unit/package-manager.test.ts; here npm itself sets them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTmp, show, snapshot } from '../helpers/cli.js';
import { PtySession, noPty } from '../helpers/pty.js';
import { freshHome, runAs, userEnv } from './pm.js';

// Each run is a user of its own: runs that share npm's cache at the same time can see a package another run is
// still unpacking into it.

describe.concurrent('options before `--` under npm create: exit 2, the command meant, nothing written', () => {
  it.each([
    ['--map hash', 'npm kept --map', 'npm create aya-atomic@latest -- --map hash'],
    [
      'my-probe --map hash --ordering seqcst --yes',
      'npm kept --map, --ordering and --yes',
      'npm create aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
    ],
    ['my-probe --ordering=SeqCst', 'npm kept --ordering', 'npm create aya-atomic@latest my-probe -- --ordering SeqCst'],
    [
      'my-probe --toolchain /usr/bin --program tracepoint',
      'npm kept --program and --toolchain',
      'npm create aya-atomic@latest my-probe -- --program tracepoint --toolchain /usr/bin',
    ],
    ['my-probe --name probe', 'npm kept --name', 'npm create aya-atomic@latest my-probe -- --name probe'],
    ['my-probe --json', 'npm kept --json', 'npm create aya-atomic@latest my-probe -- --json'],
    // npm itself then runs dry or offline: with an empty cache it stops before it runs anything (below, the
    // package is in the user's cache from an earlier run).
    ['my-probe --dry-run', 'npm kept --dry-run', 'npm create aya-atomic@latest my-probe -- --dry-run'],
    ['my-probe --offline', 'npm kept --offline', 'npm create aya-atomic@latest my-probe -- --offline'],
    [
      'my-probe --no-git --no-verify',
      'npm kept --no-git and --no-verify',
      'npm create aya-atomic@latest my-probe -- --no-git --no-verify',
    ],
    ['my-probe --overwrite', 'npm kept --overwrite', 'npm create aya-atomic@latest my-probe -- --overwrite'],
  ])('npm create aya-atomic@latest %s', async (args, kept, meant) => {
    const cwd = makeTmp('swallowed');
    const home = freshHome('swallowed');
    if (/--dry-run|--offline/.test(args)) {
      const earlier = await runAs('npm create aya-atomic@latest -- --version', { cwd, home });
      expect(earlier.code, show(earlier)).toBe(0);
    }
    const r = await runAs(`npm create aya-atomic@latest ${args}`, { cwd, home });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`✖ ${kept} for itself, so`);
    expect(r.stderr).toContain(`\nPut the options after \`--\`: ${meant}\n`);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('npm exec create-aya-atomic@latest --map hash: the npx form', async () => {
    const cwd = makeTmp('swallowed-exec');
    const r = await runAs('npm exec create-aya-atomic@latest --map hash', { cwd, home: freshHome('exec') });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('\nPut the options after `--`: npx create-aya-atomic@latest --map hash\n');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('-y on a terminal: refused before any question', async (ctx) => {
    ctx.skip(Boolean(noPty), noPty);
    const cwd = makeTmp('swallowed-yes');
    const session = PtySession.command(['npm', 'create', 'aya-atomic@latest', 'my-probe', '-y'], {
      cwd,
      env: userEnv(freshHome('yes')),
    });
    const { code, screen } = await session.exit(120_000);
    expect(code, screen).toBe(2);
    expect(screen).toContain('npm kept --yes for itself');
    expect(screen).toContain('Put the options after `--`: npm create aya-atomic@latest my-probe -- --yes');
    expect(screen).not.toContain('Project directory');
    expect(screen).not.toContain('Map that holds the counter');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});

describe('in a generated workspace, without a directory', () => {
  let ws: string;
  let home: string;
  beforeAll(async () => {
    home = freshHome('workspace');
    const cwd = makeTmp('workspace');
    const r = await runAs('npx create-aya-atomic@latest starter --yes --no-verify', { cwd, home });
    expect(r.code, show(r)).toBe(0);
    ws = path.join(cwd, 'starter');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: ws, env: userEnv(home), encoding: 'utf8' })).toBe('');
  });

  it('npm create aya-atomic@latest --update (npm reads --update-notifier): exit 2, the update command, nothing written', async () => {
    const before = snapshot(path.dirname(ws));
    const r = await runAs('npm create aya-atomic@latest --update', { cwd: path.join(ws, 'starter-ebpf'), home });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`✖ ${ws} is a workspace made by create-aya-atomic (it has aya-atomic.toml)`);
    expect(r.stderr).toContain('\nTo bring it up to date: npm create aya-atomic@latest -- --update\n');
    expect(snapshot(path.dirname(ws))).toEqual(before);
  });

  it.each(['pnpm create aya-atomic@latest -- --update', 'bun create aya-atomic@latest -- --update'])(
    '%s: an update (nothing to change here), not a workspace named --update',
    async (command) => {
      const before = snapshot(path.dirname(ws));
      const r = await runAs(command, { cwd: ws, home });
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toContain('nothing to change: the workspace already matches this version');
      expect(snapshot(path.dirname(ws))).toEqual(before);
    },
  );
});
