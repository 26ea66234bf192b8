// The exit codes reachable without verify (4, 5 and verify's 130 are in test/verify-*.test.ts; OS errors,
// exit 1, in os-errors.test.ts), through the built command; and runs without a terminal. The messages of
// usage errors are tested in-process (test/unit/resolve.test.ts, generate.test.ts); here: the code as the
// process ends, that nothing is written, and that no value ever reaches a shell.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, findNamed, makeTmp, readToml, runCli, show, snapshot, tmpRootDir } from '../helpers/cli.js';
import { populatedTarget } from '../helpers/tree.js';

afterAll(() => {
  // Whatever a test did, no shell ever ran a command substitution (in the temp tree or the repository).
  expect(findNamed(tmpRootDir(), 'pwned')).toEqual([]);
  expect(fs.existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
});

/** For exit 3: see populatedTarget. */
const populated = () => populatedTarget(makeTmp('nonempty'));

describe.concurrent('exit codes', () => {
  it('0: generated', async () => {
    const cwd = makeTmp('exit0');
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^✓ Wrote \d+ files to probe$/m);
  });

  it.each([
    ['an unknown flag', ['--frobnicate'], 'unknown option "--frobnicate"'],
    // control characters in a path argument.
    [
      'a newline in the directory',
      ['a\nb'],
      'the directory "a\\nb" contains a newline; choose a path without control characters',
    ],
    ['a hostile name', ['--name', '$(touch pwned)'], '--name: crate name "$(touch pwned)" is not valid'],
  ])('2: %s, nothing written, no shell', async (_, args, message) => {
    const cwd = makeTmp('exit2');
    const result = await runCli([...args, '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toContain(`✖ ${message}`);
    expect(result.stdout).toBe('');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  // a target that can never be a directory is a usage error with the accurate reason
  // (every kind in-process, test/unit/generate.test.ts; host.test.ts for the reasons).
  const mkfifo = (p: string) => {
    const r = spawnSync('mkfifo', [p]);
    if (r.status !== 0) throw new Error(`mkfifo ${p} failed`);
  };
  it.each([
    ['a fifo', (cwd: string) => mkfifo(path.join(cwd, 'probe')), 'probe', () => '"probe" is a named pipe (fifo)'],
    [
      'a path two levels below a file',
      (cwd: string) => fs.writeFileSync(path.join(cwd, 'a-file'), 'x\n'),
      'a-file/sub/probe',
      (cwd: string) => `"a-file/sub/probe" lies below ${cwd}/a-file, which is a file`,
    ],
  ])('2: the target is %s: the reason, nothing written or changed', async (_, make, target, reason) => {
    const cwd = makeTmp('never-a-dir');
    make(cwd);
    const before = snapshot(cwd);
    const result = await runCli([target, '--yes', '--no-git', '--overwrite', '--name', 'probe'], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toBe(`✖ ${reason(cwd)}; choose another directory\n`);
    expect(snapshot(cwd)).toEqual(before);
  });

  it('3: a non-empty directory without --overwrite (the current directory, "."), untouched', async () => {
    const cwd = makeTmp('exit3-dot');
    fs.writeFileSync(path.join(cwd, 'main.c'), 'int main(){}\n');
    const result = await runCli(['.', '--yes', '--no-git', '--name', 'probe'], { cwd });
    expect(result.code, show(result)).toBe(3);
    expect(result.stderr).toContain('. is not empty ("main.c").');
    expect(fs.readdirSync(cwd)).toEqual(['main.c']);
  });

  it('3: a non-empty directory without --overwrite: every byte untouched (links too), the message says how to proceed', async () => {
    const { root } = populated();
    const before = snapshot(root);
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd: root });
    expect(result.code, show(result)).toBe(3);
    expect(snapshot(root)).toEqual(before);
    expect(result.stderr).toBe(
      '✖ probe is not empty ("Cargo.toml", "README.md", "docs", "notes.txt", "probe-common", … (7 entries)).\n' +
        "Use --overwrite to write into it: the files at the template's paths are backed up, then replaced; other files stay untouched.\n",
    );
  });

  it('3: a directory holding anything but version-control or editor metadata (a dotfile) is not empty', async () => {
    const root = makeTmp('dotfile');
    fs.mkdirSync(path.join(root, 'probe'));
    fs.writeFileSync(path.join(root, 'probe', '.env'), 'SECRET=1\n');
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd: root });
    expect(result.code, show(result)).toBe(3);
    expect(fs.readdirSync(path.join(root, 'probe'))).toEqual(['.env']);
  });

  // 130: at a prompt in interactive.test.ts, while writing in test/unit/write.test.ts (in-process), during
  // verify in test/verify-run.test.ts.
});

describe.concurrent('without a terminal', () => {
  it('no flags at all and stdin an open pipe: never waits, writes aya-atomic-counter with the defaults', async () => {
    const cwd = makeTmp('notty');
    const result = await runCli([], { cwd, keepStdinOpen: true });
    expect(result.timedOut, 'the run waited for input').toBe(false);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, 'aya-atomic-counter'))).toMatchObject({
      name: 'aya-atomic-counter',
      map: 'array',
      ordering: 'relaxed',
      program: 'kprobe',
      attach: 'auto',
      toolchain: 'nightly',
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

  it('directory "123": exit 2 there, saying why no name follows from it and how to give one', async () => {
    const cwd = makeTmp('notty-2');
    const result = await runCli(['123', '--no-git'], { cwd, keepStdinOpen: true });
    expect(result.timedOut).toBe(false);
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toBe(
      '✖ cannot derive a crate name from the directory: the directory name "123" has no ASCII letter to start a crate name with\n' +
        'Pass one with --name <crate> (lower-case ASCII letters, digits, "-" and "_", starting with a letter, at most 64 characters (e.g. my-probe)).\n',
    );
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});

describe('an older Node', () => {
  it('gets one line naming the version needed, not a stack trace', async () => {
    // Node 18 cannot be installed here; make this Node report 18.19.0 before the bin's check runs.
    const cwd = makeTmp('old-node');
    const fake = path.join(cwd, 'node18.cjs');
    fs.writeFileSync(fake, "Object.defineProperty(process.versions, 'node', { value: '18.19.0' });\n");
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--require', fake, BIN, 'probe', '--yes'],
        { cwd, env: cliEnv() },
        (_, __, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('create-aya-atomic needs Node.js 20 or newer; this is Node.js 18.19.0.\n');
    expect(fs.readdirSync(cwd)).toEqual(['node18.cjs']);
  });
});
