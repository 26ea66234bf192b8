// The exit codes reachable without the eBPF toolchain (4 and 5 belong to verify), and runs without a terminal.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, makeTmp, parseJson, readToml, runCli, show, snapshot } from '../helpers/cli.js';

describe('exit codes', () => {
  it('0: generated', async () => {
    const cwd = makeTmp('exit0');
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Wrote');
  });

  it('1: an unexpected error (the OS rejects the path: a 300-character name) is reported, nothing written', async () => {
    const cwd = makeTmp('exit1');
    const result = await runCli(['x'.repeat(300), '--yes', '--no-git', '--json'], { cwd });
    expect(result.code, show(result)).toBe(1);
    const report = parseJson(result);
    expect(report).toMatchObject({ ok: false, exitCode: 1, error: { kind: 'unexpected' } });
    expect(result.stderr).toMatch(/Unexpected error: .*ENAMETOOLONG/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it.each([
    [['--frobnicate'], /unknown option "--frobnicate"/],
    [['--overwrit'], /unknown option "--overwrit"; did you mean --overwrite\?/],
    [['--yes=1'], /takes no value/],
    [['--map'], /--map needs a value/],
    [['one', 'two'], /at most one directory, got 2/],
  ])('2: usage error %j', async (args, message) => {
    const cwd = makeTmp('exit2');
    const result = await runCli([...args], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('3: the target is an existing file, left untouched', async () => {
    const cwd = makeTmp('exit3-file');
    fs.writeFileSync(path.join(cwd, 'probe'), 'a file\n');
    const before = snapshot(cwd);
    const result = await runCli(['probe', '--yes', '--no-git', '--overwrite'], { cwd });
    expect(result.code, show(result)).toBe(3);
    expect(result.stderr).toContain(`${path.join(cwd, 'probe')} exists and is not a directory; choose another path`);
    expect(snapshot(cwd)).toEqual(before);
  });

  it('3: the target is a link to a file', async () => {
    const cwd = makeTmp('exit3-link');
    fs.writeFileSync(path.join(cwd, 'real'), 'a file\n');
    fs.symlinkSync('real', path.join(cwd, 'probe'));
    const before = snapshot(cwd);
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(3);
    expect(result.stderr).toContain('exists and is not a directory');
    expect(snapshot(cwd)).toEqual(before);
  });

  it('3: the target lies below a file', async () => {
    const cwd = makeTmp('exit3-below');
    fs.writeFileSync(path.join(cwd, 'a-file'), 'a file\n');
    const before = snapshot(cwd);
    const result = await runCli(['a-file/probe', '--yes', '--no-git', '--name', 'probe'], { cwd });
    expect(result.code, show(result)).toBe(3);
    expect(result.stderr).toContain(`${path.join(cwd, 'a-file', 'probe')} lies below a file, not a directory`);
    expect(snapshot(cwd)).toEqual(before);
  });

  it('3: a non-empty directory without --overwrite (the current directory, ".")', async () => {
    const cwd = makeTmp('exit3-dot');
    fs.writeFileSync(path.join(cwd, 'main.c'), 'int main(){}\n');
    const result = await runCli(['.', '--yes', '--no-git', '--name', 'probe'], { cwd });
    expect(result.code, show(result)).toBe(3);
    expect(result.stderr).toMatch(/is not empty \(main\.c\)/);
    expect(fs.readdirSync(cwd)).toEqual(['main.c']);
  });

  // 130: Ctrl-C while writing is in overwrite.test.ts, Ctrl-C and Esc at a prompt in interactive.test.ts.
});

describe('without a terminal', () => {
  it('no flags at all and stdin an open pipe: never waits, writes aya-atomic-counter with the defaults', async () => {
    const cwd = makeTmp('notty');
    const result = await runCli([], { cwd, keepStdinOpen: true });
    expect(result.timedOut, 'the run waited for input').toBe(false);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, 'aya-atomic-counter'))).toMatchObject({
      name: 'aya-atomic-counter', map: 'array', ordering: 'relaxed', program: 'kprobe', attach: 'auto', toolchain: 'nightly',
    });
    expect(result.stdout).not.toMatch(/\?|Project directory/);
    // Plain lines: no escape sequences, carriage returns or other control characters.
    expect(result.stdout + result.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });

  it('a non-empty directory is exit 3 there, not a question', async () => {
    const cwd = makeTmp('notty-3');
    fs.mkdirSync(path.join(cwd, 'aya-atomic-counter'));
    fs.writeFileSync(path.join(cwd, 'aya-atomic-counter', 'x'), '');
    const result = await runCli(['--no-git'], { cwd, keepStdinOpen: true });
    expect(result.timedOut).toBe(false);
    expect(result.code, show(result)).toBe(3);
  });

  it('an underivable name is exit 2 there, not a question', async () => {
    const cwd = makeTmp('notty-2');
    const result = await runCli(['123', '--no-git'], { cwd, keepStdinOpen: true });
    expect(result.timedOut).toBe(false);
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toContain('--name <crate>');
  });
});

describe('an older Node', () => {
  it('gets one line naming the version needed, not a stack trace', () => {
    // Node 18 cannot be installed here; make this Node report 18.19.0 before the bin's check runs.
    const cwd = makeTmp('old-node');
    const fake = path.join(cwd, 'node18.cjs');
    fs.writeFileSync(fake, "Object.defineProperty(process.versions, 'node', { value: '18.19.0' });\n");
    const r = spawnSync(process.execPath, ['--require', fake, BIN, 'probe', '--yes'], { cwd, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('create-aya-atomic needs Node.js 20 or newer; this is Node.js 18.19.0.');
    expect(fs.readdirSync(cwd)).toEqual(['node18.cjs']);
  });
});
