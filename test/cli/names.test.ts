// Bad names and values, hostile ones included: each is a usage error (exit 2) that names the bad value
// and the valid form, and nothing is written (nor any shell run: no file "pwned" appears).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findNamed, makeTmp, readToml, runCli, show, tmpRootDir } from '../helpers/cli.js';

const NAME_FORM = /lower-case ASCII letters, digits, "-" and "_", starting with a letter, at most 64 characters/;

afterAll(() => {
  // Whatever a test did, no shell ever ran a command substitution (in the temp tree or the repository).
  expect(findNamed(tmpRootDir(), 'pwned')).toEqual([]);
  expect(fs.existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
});

async function rejected(args: string[], needles: (string | RegExp)[]) {
  const cwd = makeTmp('bad');
  const result = await runCli(['out', '--yes', '--no-git', ...args], { cwd });
  expect(result.code, show(result)).toBe(2);
  expect(result.stdout).toBe('');
  for (const n of needles) {
    if (typeof n === 'string') expect(result.stderr).toContain(n);
    else expect(result.stderr).toMatch(n);
  }
  expect(fs.readdirSync(cwd)).toEqual([]);
  expect(findNamed(cwd, 'pwned')).toEqual([]);
  return result;
}

describe('--name', () => {
  it.each([
    '../x', 'a/b', '/abs', 'a\\b', 'a"b', "a'b", 'a\nb', 'a b', '$(touch pwned)', '`touch pwned`', 'a;touch pwned', 'x$IFS',
    '1probe', '-', '_x', 'é', '',
  ])('rejects the malformed %j, naming it and the valid form', async (name) => {
    await rejected(['--name', name], name === '' ? ['crate name is empty', NAME_FORM] : [JSON.stringify(name), NAME_FORM]);
  });

  it('rejects a traversal name without creating anything next to the target either', async () => {
    const cwd = makeTmp('trav');
    fs.mkdirSync(path.join(cwd, 'inner'));
    const result = await runCli(['.', '--yes', '--no-git', '--name', '../x'], { cwd: path.join(cwd, 'inner') });
    expect(result.code, show(result)).toBe(2);
    expect(fs.readdirSync(cwd)).toEqual(['inner']);
    expect(fs.readdirSync(path.join(cwd, 'inner'))).toEqual([]);
  });

  it.each(['fn', 'self', 'async', 'gen', 'union', 'await', 'crate'])('rejects the Rust keyword %j', async (name) => {
    await rejected(['--name', name], [JSON.stringify(name), 'Rust keyword']);
  });

  it.each(['std', 'core', 'alloc', 'test', 'build', 'con', 'com1', 'lpt9', 'nul', 'xtask', 'proc-macro', 'proc_macro', 'deps'])(
    'rejects the reserved %j',
    async (name) => {
      await rejected(['--name', name], [JSON.stringify(name), 'reserved']);
    },
  );

  it.each(['Probe', 'MY-PROBE'])('rejects upper case %j', async (name) => {
    await rejected(['--name', name], [JSON.stringify(name), 'upper-case', NAME_FORM]);
  });

  it('rejects a leading digit', async () => {
    await rejected(['--name', '9lives'], ['"9lives"', NAME_FORM]);
  });

  it('rejects 65 characters and accepts 64', async () => {
    await rejected(['--name', 'a'.repeat(65)], ['65 characters', NAME_FORM]);
    const cwd = makeTmp('64');
    const ok = await runCli(['out', '--yes', '--no-git', '--name', 'a'.repeat(64)], { cwd });
    expect(ok.code, show(ok)).toBe(0);
    expect(readToml(path.join(cwd, 'out')).name).toBe('a'.repeat(64));
  });

  it.each([
    ['aya', 'aya'],
    ['aya-log', 'aya-log'],
    ['aya_log', 'aya-log'],
    ['aya-ebpf', 'aya-ebpf'],
    ['tokio', 'tokio'],
    ['anyhow', 'anyhow'],
    ['log', 'log'],
    ['libc', 'libc'],
    ['env-logger', 'env_logger'],
  ])('rejects %j, which clashes with the dependency %j', async (name, dep) => {
    await rejected(['--name', name], [JSON.stringify(name), `clashes with the dependency "${dep}"`]);
  });
});

describe('a name derived from the directory', () => {
  it('"My Probe" becomes my-probe', async () => {
    const cwd = makeTmp('derive');
    const result = await runCli(['My Probe', '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, 'My Probe')).name).toBe('my-probe');
    expect(fs.existsSync(path.join(cwd, 'My Probe', 'my-probe-ebpf', 'Cargo.toml'))).toBe(true);
  });

  it('"." takes the current directory\'s name', async () => {
    const cwd = path.join(makeTmp('dot'), 'Dot.Probe');
    fs.mkdirSync(cwd);
    const result = await runCli(['.', '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(cwd).name).toBe('dot-probe');
  });

  it.each([
    ['123', /cannot derive a crate name from the directory "123":.*lower-case ASCII letters, digits/],
    ['fn', /cannot derive a crate name from the directory "fn": crate name "fn" is a Rust keyword.*lower-case ASCII letters/],
    ['tokio', /cannot derive a crate name from the directory "tokio".*clashes with the dependency "tokio"/],
  ])('%j stays invalid: exit 2, asking for --name, nothing written', async (dir, message) => {
    const cwd = makeTmp('derive-bad');
    const result = await runCli([dir, '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('--name <crate>');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('a hostile directory is only a path: the name is cleaned, the "cd" hint quoted, no shell runs', async () => {
    const cwd = makeTmp('derive-hostile');
    const result = await runCli(['$(touch pwned)', '--yes', '--no-git'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, '$(touch pwned)')).name).toBe('touch-pwned');
    expect(result.stdout).toContain("cd '$(touch pwned)'");
    expect(findNamed(cwd, 'pwned')).toEqual([]);
  });

  it('an explicit valid --name rescues an invalid directory name', async () => {
    const cwd = makeTmp('derive-rescue');
    const result = await runCli(['123', '--yes', '--no-git', '--name', 'good'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, '123')).name).toBe('good');
  });
});

describe('--attach', () => {
  it.each(['$(touch pwned)', '`touch pwned`', 'sym;touch pwned', 'sym"bol', "sym'bol", 'sym\nbol', 'sym bol', '../x', '9sym', 'a'.repeat(129)])(
    'rejects the kprobe target %j',
    async (target) => {
      await rejected(['--attach', target], [JSON.stringify(target), 'for a kprobe use "auto" or a symbol name']);
    },
  );

  it.each(['$(touch pwned)/x', 'syscalls/`touch pwned`', 'a/b/c', '../x', 'a/', '/b', 'sys calls/x', 'syscalls/x"'])(
    'rejects the tracepoint target %j',
    async (target) => {
      await rejected(['--program', 'tracepoint', '--attach', target], [JSON.stringify(target), 'category/name']);
    },
  );
});

describe('other values', () => {
  it.each(['hash;touch pwned', 'hash\nx', '$(touch pwned)'])('rejects the map %j', async (map) => {
    await rejected(['--map', map], [JSON.stringify(map), 'array, per-cpu-array']);
  });

  it.each(['seq cst', '`touch pwned`'])('rejects the ordering %j', async (ordering) => {
    await rejected(['--ordering', ordering], [JSON.stringify(ordering), 'relaxed, acquire, release, acqrel, seqcst']);
  });

  it('rejects a NUL in the directory', async () => {
    const cwd = makeTmp('nul');
    // A NUL cannot travel in argv; the parser's check is covered in the unit tests. Here: an empty directory argument.
    const result = await runCli(['', '--yes'], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(/directory is empty/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
