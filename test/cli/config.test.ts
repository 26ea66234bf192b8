// --config: replaying a recorded aya-atomic.toml, flags over it, and every way the file can be bad.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_VERSION, findNamed, makeTmp, parseJson, readToml, runCli, show, snapshot } from '../helpers/cli.js';

let cwd: string;
let recorded: string;

beforeAll(async () => {
  cwd = makeTmp('config');
  const result = await runCli(
    ['first', '--yes', '--no-git', '--name', 'replayed', '--map', 'lru-hash', '--ordering', 'acq_rel', '--program', 'tracepoint',
      '--attach', 'sched/sched_switch', '--toolchain', 'nightly-2026-01-02'],
    { cwd },
  );
  expect(result.code, show(result)).toBe(0);
  recorded = path.join(cwd, 'first', 'aya-atomic.toml');
});

describe('--config', () => {
  it('records every option and the version, never the directory', () => {
    expect(readToml(path.join(cwd, 'first'))).toEqual({
      'create-aya-atomic': PACKAGE_VERSION, name: 'replayed', map: 'lru-hash', ordering: 'acqrel', program: 'tracepoint',
      attach: 'sched/sched_switch', toolchain: 'nightly-2026-01-02',
    });
    expect(fs.readFileSync(recorded, 'utf8')).not.toContain('first');
  });

  it('replays into another directory: identical files', async () => {
    const result = await runCli(['second', '--no-git', '--config', 'first/aya-atomic.toml'], { cwd });
    expect(result.code, show(result)).toBe(0);
    const a = snapshot(path.join(cwd, 'first'));
    const b = snapshot(path.join(cwd, 'second'));
    expect(Object.keys(b).length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });

  it('flags take precedence over the file, the rest comes from it', async () => {
    const result = await runCli(['third', '--no-git', '--config', recorded, '--map', 'hash', '--ordering', 'SeqCst'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, 'third'))).toMatchObject({
      name: 'replayed', map: 'hash', ordering: 'seqcst', program: 'tracepoint', attach: 'sched/sched_switch', toolchain: 'nightly-2026-01-02',
    });
  });

  it('reports the replayed options in --json', async () => {
    const result = await runCli(['fourth', '--json', '--dry-run', '--config', recorded, '--name', 'flagged'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).options).toEqual({
      name: 'flagged', map: 'lru-hash', ordering: 'acqrel', program: 'tracepoint', attach: 'sched/sched_switch', toolchain: 'nightly-2026-01-02',
    });
  });

  it('--program changes the program: the recorded target gives way to that program\'s default', async () => {
    // The recorded attach (a tracepoint) belongs to the recorded program; a kprobe takes its own default.
    const dir = makeTmp('config-program');
    const result = await runCli(['x', '--yes', '--no-git', '--config', recorded, '--program', 'kprobe'], { cwd: dir });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(dir, 'x'))).toMatchObject({ program: 'kprobe', attach: 'auto', map: 'lru-hash', name: 'replayed' });
  });

  it('--program with --attach: both flags win', async () => {
    const dir = makeTmp('config-program-attach');
    const result = await runCli(['x', '--yes', '--no-git', '--config', recorded, '--program', 'kprobe', '--attach', 'do_sys_openat2'], { cwd: dir });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(dir, 'x'))).toMatchObject({ program: 'kprobe', attach: 'do_sys_openat2' });
  });

  it('a recorded target that does not fit the recorded program is named as the file\'s', async () => {
    const dir = makeTmp('config-conflict');
    fs.writeFileSync(path.join(dir, 'mixed.toml'), 'program = "kprobe"\nattach = "sched/sched_switch"\n');
    const result = await runCli(['x', '--yes', '--config', 'mixed.toml'], { cwd: dir });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toContain('mixed.toml: attach:');
    expect(result.stderr).toContain('"sched/sched_switch"');
    expect(fs.readdirSync(dir)).toEqual(['mixed.toml']);
  });
});

describe('a bad --config file is a usage error naming the problem; nothing is written', () => {
  const bad = async (contents: string, needles: (string | RegExp)[]) => {
    const dir = makeTmp('config-bad');
    fs.writeFileSync(path.join(dir, 'bad.toml'), contents);
    const result = await runCli(['out', '--yes', '--no-git', '--config', 'bad.toml'], { cwd: dir });
    expect(result.code, show(result)).toBe(2);
    for (const n of needles) {
      if (typeof n === 'string') expect(result.stderr).toContain(n);
      else expect(result.stderr).toMatch(n);
    }
    expect(fs.readdirSync(dir)).toEqual(['bad.toml']);
    expect(findNamed(dir, 'pwned')).toEqual([]);
  };

  it('an unknown key', async () => {
    await bad('map = "hash"\ndirectory = "somewhere"\n', ['bad.toml:2', 'unknown key "directory"']);
  });
  it('a malformed line', async () => {
    await bad('map = "hash"\nordering seqcst\n', ['bad.toml:2', 'not a "key = value" line', '"ordering seqcst"']);
  });
  it('a value that is not a string', async () => {
    await bad('map = hash\n', ['bad.toml:1', 'the value of map is not a quoted string']);
  });
  it('a duplicate key', async () => {
    await bad('map = "hash"\nname = "a"\nmap = "array"\n', ['bad.toml:3', 'map is set twice']);
  });
  it('an invalid map value, naming the file, the key and the valid values', async () => {
    await bad('map = "bogus"\n', ['bad.toml: map:', '"bogus"', 'array, per-cpu-array, hash']);
  });
  it('an invalid ordering value', async () => {
    await bad('ordering = "strong"\n', ['bad.toml: ordering:', '"strong"', 'relaxed, acquire']);
  });
  it('a hostile name', async () => {
    await bad('name = "$(touch pwned)"\n', ['bad.toml: name:', '"$(touch pwned)"', 'lower-case ASCII letters']);
  });
  it('a keyword name', async () => {
    await bad("name = 'fn'\n", ['bad.toml: name:', '"fn"', 'Rust keyword']);
  });
  it('a hostile attach target', async () => {
    await bad('attach = "x\\\"); std::process::exit(1); (\\""\n', ['bad.toml: attach:', 'not a kernel symbol']);
  });
  it('a missing file', async () => {
    const dir = makeTmp('config-missing');
    const result = await runCli(['out', '--yes', '--config', 'nope.toml'], { cwd: dir });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(/cannot read --config "nope\.toml": ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
  it('a directory given as the file', async () => {
    const dir = makeTmp('config-dir');
    const result = await runCli(['out', '--yes', '--config', '.'], { cwd: dir });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(/cannot read --config "\."/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
