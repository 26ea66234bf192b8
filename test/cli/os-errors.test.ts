// Errors from the operating system: one plain sentence naming the
// path and the cause and saying what was rolled back, exit 1, no stack trace unless
// CREATE_AYA_ATOMIC_DEBUG asks for it; with --json, `files` lists nothing (nothing was written).
// A read-only and a full file system are small tmpfs mounts: they need root (CI runs as root).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, makeTmp, parseJson, runCli, show, snapshot } from '../helpers/cli.js';
import { commitAll, generate, state } from '../helpers/update.js';

const STACK_LINE = /^\s+at .+[:(]/m;

describe.concurrent('an OS error', () => {
  it('before writing: a directory name over 255 bytes is one sentence naming the path and the cause; nothing written', async () => {
    const cwd = makeTmp('enametoolong');
    const long = 'x'.repeat(300);
    const result = await runCli([long, '--yes', '--no-git', '--name', 'probe'], { cwd });
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toBe(
      `✖ Cannot use ${cwd}/${long}: the name is too long (ENAMETOOLONG). Nothing was written.\n`,
    );
    expect(result.stdout).toBe('');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('before writing, with --json: exit 1, the error as kind "os", no files listed', async () => {
    const cwd = makeTmp('enametoolong-json');
    const result = await runCli(['y'.repeat(256), '--yes', '--no-git', '--name', 'probe', '--json'], { cwd });
    expect(result.code, show(result)).toBe(1);
    const report = parseJson(result);
    expect(report).toEqual({
      schemaVersion: 2,
      ok: false,
      exitCode: 1,
      error: {
        kind: 'os',
        message: `Cannot use ${cwd}/${'y'.repeat(256)}: the name is too long (ENAMETOOLONG). Nothing was written.`,
      },
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('CREATE_AYA_ATOMIC_DEBUG=1 adds the stack trace', async () => {
    const cwd = makeTmp('enametoolong-debug');
    const result = await runCli(['x'.repeat(300), '--yes', '--no-git', '--name', 'probe'], {
      cwd,
      env: { CREATE_AYA_ATOMIC_DEBUG: '1' },
    });
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toContain('the name is too long (ENAMETOOLONG)');
    expect(result.stderr).toMatch(STACK_LINE);
  });

  it('while writing: a path over PATH_MAX below the target is rolled back and said so, in one sentence', async () => {
    // The target's own path fits (4051 bytes), the files below it do not (over 4095): the OS refuses
    // them once writing has begun, so the directory this run created must go again.
    const cwd = makeTmp('deep');
    let deep = cwd;
    while (deep.length < 4051 - 6 - 201) deep = path.join(deep, 'd'.repeat(200));
    deep = path.join(deep, 'e'.repeat(4051 - 6 - 1 - deep.length));
    fs.mkdirSync(deep, { recursive: true });
    const target = path.join(deep, 'probe');
    expect(target.length).toBe(4051);
    const before = snapshot(cwd);
    const result = await runCli(['probe', '--yes', '--no-git', '--json'], { cwd: deep });
    expect(result.code, show(result)).toBe(1);
    const report = parseJson(result);
    expect(report.error.kind).toBe('os');
    expect(report.error.message).toMatch(
      new RegExp(
        `^Cannot write ${target.replace(/[.]/g, '\\.')}/\\S+: the name is too long \\(ENAMETOOLONG\\)\\. Nothing was changed: what this run wrote was removed\\.$`,
      ),
    );
    // The path is where the file was to go, not the staging folder the rollback removed.
    expect(report.error.message).not.toContain('.create-aya-atomic-staging-');
    expect(report.files).toBeUndefined();
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(snapshot(cwd)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// A read-only and a full file system.

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.splice(0)) {
    spawnSync('umount', [m]);
    fs.rmSync(m, { recursive: true, force: true });
  }
});

/** Fills the file system at `dir`: a run can make directories there, but not write a byte. */
function fill(dir: string): void {
  try {
    fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(1 << 20));
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
}

/** A fresh tmpfs mounted with `options`, or why it cannot be (then the test skips with that reason). */
function tmpfs(options: string): { dir: string } | { why: string } {
  if (!isRoot) return { why: 'mounting a tmpfs needs root (CI runs as root)' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caa-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { why: `mount -t tmpfs -o ${options} failed here: ${(r.stderr || r.error?.message || '').trim()}` };
  }
  mounts.push(dir);
  return { dir };
}

describe.concurrent('an OS error on a real file system', () => {
  it('--update with a full TMPDIR: one sentence naming TMPDIR, not the target; the workspace unchanged', async (ctx) => {
    const mount = tmpfs('size=64k');
    if ('why' in mount) return ctx.skip(mount.why);
    fill(mount.dir);
    const ws = generate('full-tmpdir');
    // An edit in a file the new map changes too: the update merges it, in its temporary folder.
    fs.appendFileSync(path.join(ws, 'team-ebpf/src/map.rs'), "// the team's note\n");
    commitAll(ws);
    const before = state(ws);
    const result = await runCli(['--update', '--map', 'hash'], { cwd: ws, env: { TMPDIR: mount.dir } });
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toBe(
      `✖ Cannot write a temporary file in ${mount.dir} (TMPDIR): no space left on the device (ENOSPC). ` +
        'Set TMPDIR to a writable folder. Nothing was changed.\n',
    );
    expect(state(ws)).toEqual(before);
  });

  it('a read-only file system: exit 1, one sentence naming the path and the cause, nothing changed', async (ctx) => {
    const mount = tmpfs('ro,size=64k');
    if ('why' in mount) return ctx.skip(mount.why);
    const target = path.join(mount.dir, 'probe');
    const result = await runCli([target, '--yes', '--no-git', '--json'], { cwd: makeTmp('erofs') });
    expect(result.code, show(result)).toBe(1);
    const report = parseJson(result);
    expect(report.error).toEqual({
      kind: 'os',
      message: `Cannot write ${target}: the file system is read-only (EROFS). Nothing was changed: what this run wrote was removed.`,
    });
    expect(report.files).toBeUndefined();
    expect(result.stderr).toContain(`✖ Cannot write ${target}: the file system is read-only (EROFS).`);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(fs.readdirSync(mount.dir)).toEqual([]);
  });

  it('a full file system: exit 1, one sentence, and what was written so far is removed again', async (ctx) => {
    const mount = tmpfs('size=64k');
    if ('why' in mount) return ctx.skip(mount.why);
    fill(mount.dir);
    fs.mkdirSync(path.join(mount.dir, 'probe')); // an existing empty directory: it must stay, empty
    const before = snapshot(mount.dir);
    const target = path.join(mount.dir, 'probe');
    const result = await runCli(['probe', '--yes', '--no-git', '--json'], { cwd: mount.dir });
    expect(result.code, show(result)).toBe(1);
    const report = parseJson(result);
    expect(report.error.kind).toBe('os');
    expect(report.error.message).toMatch(
      new RegExp(
        `^Cannot write ${target}/\\S+: no space left on the device \\(ENOSPC\\)\\. Nothing was changed: what this run wrote was removed\\.$`,
      ),
    );
    // A failed write() carries no path: the message still names the file, where it was to go.
    expect(report.error.message).not.toContain('.create-aya-atomic-staging-');
    expect(report.files).toBeUndefined();
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(snapshot(mount.dir)).toEqual(before);
  });
});
