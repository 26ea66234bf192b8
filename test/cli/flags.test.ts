// Every option of SPEC's command-line table, through the built command.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAPS, ORDERINGS } from '../../src/facts.js';
import { SWITCHES, VALUE_OPTIONS } from '../../src/options.js';
import {
  ESC_RE, PACKAGE_VERSION, filesIn, makeTmp, parseJson, readToml, runCli, show, snapshot, type EnvPatch,
} from '../helpers/cli.js';

/** Generates into <fresh tmp>/probe and returns the run and the paths. */
async function gen(args: string[], env?: EnvPatch) {
  const cwd = makeTmp('gen');
  const result = await runCli(['probe', '--no-git', ...args], { cwd, env });
  return { cwd, target: path.join(cwd, 'probe'), result };
}

/** A usage error: exit 2, the message on stderr names `needle`, nothing written. */
async function expectUsageError(args: string[], needles: (string | RegExp)[]) {
  const cwd = makeTmp('usage');
  const result = await runCli(['probe', '--yes', '--no-git', ...args], { cwd });
  expect(result.code, show(result)).toBe(2);
  for (const n of needles) {
    if (typeof n === 'string') expect(result.stderr).toContain(n);
    else expect(result.stderr).toMatch(n);
  }
  expect(fs.readdirSync(cwd)).toEqual([]);
  return result;
}

describe('defaults', () => {
  it('writes the default workspace: files listed in --json are exactly the files on disk', async () => {
    const { target, result } = await gen(['--yes', '--json']);
    expect(result.code, show(result)).toBe(0);
    const report = parseJson(result);
    expect(report).toMatchObject({ schemaVersion: 1, ok: true, exitCode: 0, directory: target });
    expect(report.options).toEqual({
      name: 'probe', map: 'array', ordering: 'relaxed', program: 'kprobe', attach: 'auto', toolchain: 'nightly',
    });
    const listed = (report.files as { path: string; action: string }[]).map((f) => f.path).sort();
    expect(listed).toEqual(filesIn(target));
    expect((report.files as { action: string }[]).every((f) => f.action === 'create')).toBe(true);
    expect(listed).toEqual(expect.arrayContaining(['Cargo.toml', 'aya-atomic.toml', '.gitignore', 'probe-ebpf/src/counter.rs', 'probe/Cargo.toml', 'probe-common/Cargo.toml']));
    expect(readToml(target)).toEqual({
      'create-aya-atomic': PACKAGE_VERSION, name: 'probe', map: 'array', ordering: 'relaxed', program: 'kprobe',
      attach: 'auto', toolchain: 'nightly',
    });
    expect(fs.existsSync(path.join(target, '.git'))).toBe(false);
  });
});

describe('--name', () => {
  it('names the crates', async () => {
    const { target, result } = await gen(['--yes', '--name', 'other_name']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target).name).toBe('other_name');
    for (const d of ['other_name', 'other_name-ebpf', 'other_name-common']) {
      expect(fs.statSync(path.join(target, d)).isDirectory(), d).toBe(true);
    }
    expect(fs.existsSync(path.join(target, 'probe-ebpf'))).toBe(false);
    expect(fs.readFileSync(path.join(target, 'Cargo.toml'), 'utf8')).toContain('other_name-ebpf');
  });

  it('accepts --name=<value>', async () => {
    const { target, result } = await gen(['--yes', '--name=inline-name']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target).name).toBe('inline-name');
  });
});

describe('--map', () => {
  it.each(MAPS)('%s is recorded and reported', async (map) => {
    const { target, result } = await gen(['--yes', '--map', map]);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target).map).toBe(map);
    expect(result.stdout).toContain(`map ${map},`);
    const perCpu = map.includes('per-cpu');
    expect(result.stdout.includes('not applicable')).toBe(perCpu);
  });

  it('rejects an unknown map, listing the valid ones', async () => {
    await expectUsageError(['--map', 'ringbuf'], ['"ringbuf"', MAPS.join(', ')]);
  });
});

describe('--ordering', () => {
  it.each(ORDERINGS)('%s is recorded', async (ordering) => {
    const { target, result } = await gen(['--yes', '--ordering', ordering]);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target).ordering).toBe(ordering);
    expect(result.stdout).toContain(`ordering ${ordering}`);
  });

  it.each([
    ['RELAXED', 'relaxed'], ['Acquire', 'acquire'], ['Release', 'release'], ['AcqRel', 'acqrel'], ['acq_rel', 'acqrel'],
    ['ACQ_REL', 'acqrel'], ['seq_cst', 'seqcst'], ['SeqCst', 'seqcst'], ['SEQCST', 'seqcst'],
  ])('%s means %s', async (given, canonical) => {
    const cwd = makeTmp('ord');
    const result = await runCli(['probe', '--yes', '--dry-run', '--json', '--ordering', given], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).options.ordering).toBe(canonical);
  });

  it('rejects an unknown ordering, listing the valid ones', async () => {
    await expectUsageError(['--ordering', 'sequential'], ['"sequential"', ORDERINGS.join(', ')]);
  });
});

describe('--program and --attach', () => {
  it('kprobe on "auto" by default', async () => {
    const { target, result } = await gen(['--yes', '--program', 'kprobe']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target)).toMatchObject({ program: 'kprobe', attach: 'auto' });
  });

  it('tracepoint on syscalls/sys_enter_execve by default', async () => {
    const { target, result } = await gen(['--yes', '--program', 'tracepoint']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target)).toMatchObject({ program: 'tracepoint', attach: 'syscalls/sys_enter_execve' });
  });

  it('a kprobe on a kernel symbol', async () => {
    const { target, result } = await gen(['--yes', '--attach', 'do_sys_openat2']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target)).toMatchObject({ program: 'kprobe', attach: 'do_sys_openat2' });
  });

  it('an explicit "auto"', async () => {
    const { target, result } = await gen(['--yes', '--attach', 'auto', '--program', 'kprobe']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target).attach).toBe('auto');
  });

  it('a tracepoint category/name (flags in any order)', async () => {
    const { target, result } = await gen(['--yes', '--attach', 'sched/sched_switch', '--program', 'tracepoint']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target)).toMatchObject({ program: 'tracepoint', attach: 'sched/sched_switch' });
  });

  it('rejects a tracepoint form for a kprobe', async () => {
    await expectUsageError(['--attach', 'syscalls/sys_enter_execve'], ['"syscalls/sys_enter_execve"', 'for a kprobe use "auto" or a symbol name']);
  });

  it('rejects a symbol for a tracepoint', async () => {
    await expectUsageError(['--program', 'tracepoint', '--attach', 'do_sys_open'], ['"do_sys_open"', 'category/name']);
  });

  it('rejects "auto" for a tracepoint', async () => {
    await expectUsageError(['--program', 'tracepoint', '--attach', 'auto'], ['"auto"', 'category/name']);
  });

  it('rejects an unknown program type', async () => {
    await expectUsageError(['--program', 'uprobe'], ['"uprobe"', 'kprobe, tracepoint']);
  });
});

describe('--toolchain', () => {
  const fakeRust = (parent: string, name: string) => {
    const dir = path.join(parent, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const tool of ['cargo', 'rustc']) fs.writeFileSync(path.join(dir, tool), '#!/bin/sh\n', { mode: 0o755 });
    return dir;
  };

  it('a rustup toolchain name', async () => {
    const { target, result } = await gen(['--yes', '--toolchain', 'nightly-2026-05-19']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target).toolchain).toBe('nightly-2026-05-19');
    expect(result.stdout).toContain('eBPF toolchain nightly-2026-05-19');
  });

  it('a directory holding cargo and rustc, recorded as an absolute path', async () => {
    const cwd = makeTmp('tc');
    const rust = fakeRust(cwd, 'rust-bpf');
    const result = await runCli(['probe', '--yes', '--no-git', '--toolchain', './rust-bpf'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, 'probe')).toolchain).toBe(rust);
  });

  it.skipIf(!(fs.existsSync('/usr/bin/cargo') && fs.existsSync('/usr/bin/rustc')))('/usr/bin (which has cargo and rustc here)', async () => {
    const { target, result } = await gen(['--yes', '--toolchain', '/usr/bin']);
    expect(result.code, show(result)).toBe(0);
    expect(readToml(target).toolchain).toBe('/usr/bin');
  });

  it('rejects a missing directory', async () => {
    await expectUsageError(['--toolchain', '/nonexistent/rust-bpf'], ['"/nonexistent/rust-bpf"', 'does not exist', 'rustup toolchain name']);
  });

  it('rejects a directory without cargo and rustc', async () => {
    const cwd = makeTmp('tc-empty');
    fs.mkdirSync(path.join(cwd, 'empty-rust'));
    const result = await runCli(['probe', '--yes', '--no-git', '--toolchain', './empty-rust'], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(/has no cargo or rustc/);
    expect(fs.readdirSync(cwd)).toEqual(['empty-rust']);
  });

  it('rejects an existing directory whose path has unsafe characters, naming it', async () => {
    const cwd = makeTmp('tc-unsafe');
    const rust = fakeRust(cwd, 'my "rust" $(touch pwned)');
    const result = await runCli(['probe', '--yes', '--no-git', '--toolchain', rust], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toContain(JSON.stringify(rust));
    expect(result.stderr).toContain('characters other than');
    expect(fs.readdirSync(cwd)).toEqual([path.basename(rust)]);
  });

  it.each(['nightly;touch pwned', 'night ly', '$(touch pwned)', '`touch pwned`'])('rejects the toolchain %j', async (tc) => {
    const r = await expectUsageError(['--toolchain', tc], [JSON.stringify(tc)]);
    expect(r.stderr).toContain('rustup toolchain name');
  });
});

describe('-y / --yes', () => {
  it.each(['-y', '--yes'])('%s takes the defaults without reading stdin', async (flag) => {
    const cwd = makeTmp('yes');
    const result = await runCli([flag, '--no-git'], { cwd, keepStdinOpen: true });
    expect(result.code, show(result)).toBe(0);
    expect(readToml(path.join(cwd, 'aya-atomic-counter'))).toMatchObject({ name: 'aya-atomic-counter', map: 'array', ordering: 'relaxed' });
  });
});

describe('--verify / --no-verify / --offline', () => {
  it('--no-verify skips verify', async () => {
    const { result } = await gen(['--yes', '--json']);
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).verify).toEqual({ status: 'skipped' });
    expect(result.stderr).not.toMatch(/prerequisite|bpf-linker|rust-src/i);
  });

  it('--offline is accepted', async () => {
    const { target, result } = await gen(['--yes', '--offline', '--json']);
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).ok).toBe(true);
    expect(fs.existsSync(path.join(target, 'aya-atomic.toml'))).toBe(true);
  });
});

describe('--dry-run', () => {
  it('writes nothing and lists every file it would create', async () => {
    const cwd = makeTmp('dry');
    fs.writeFileSync(path.join(cwd, 'keep.txt'), 'keep');
    const before = snapshot(cwd);
    const result = await runCli(['probe', '--yes', '--dry-run'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(snapshot(cwd)).toEqual(before);
    expect(result.stdout).toContain('Dry run: nothing is written');
    // The same run for real writes exactly the files the dry run listed.
    const real = await runCli(['probe', '--yes', '--no-git'], { cwd });
    expect(real.code, show(real)).toBe(0);
    const listed = [...result.stdout.matchAll(/^\s+create\s+(\S+)$/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(filesIn(path.join(cwd, 'probe')));
  });

  it('gives exit 3 like the real run for a non-empty directory without --overwrite, writing nothing', async () => {
    const cwd = makeTmp('dry-nonempty');
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine');
    const before = snapshot(cwd);
    const dry = await runCli(['probe', '--yes', '--dry-run'], { cwd });
    expect(dry.code, show(dry)).toBe(3);
    expect(snapshot(cwd)).toEqual(before);
    const real = await runCli(['probe', '--yes', '--no-git'], { cwd });
    expect(real.code, show(real)).toBe(3);
    expect(snapshot(cwd)).toEqual(before);
  });

  it('with --overwrite lists what would be replaced and still writes nothing (no backup folder)', async () => {
    const cwd = makeTmp('dry-overwrite');
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine');
    fs.writeFileSync(path.join(cwd, 'probe', 'notes.txt'), 'mine');
    const before = snapshot(cwd);
    const result = await runCli(['probe', '--yes', '--dry-run', '--overwrite', '--json'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(snapshot(cwd)).toEqual(before);
    const report = parseJson(result);
    expect(report.dryRun).toBe(true);
    expect(report.files).toContainEqual({ path: 'Cargo.toml', action: 'replace' });
    expect(report.files).toContainEqual({ path: 'README.md', action: 'create' });
    expect(report.files.some((f: { path: string }) => f.path === 'notes.txt')).toBe(false);
    expect(result.stderr).toMatch(/replace\s+Cargo\.toml/);
  });
});

describe('--json', () => {
  it('prints one object on stdout and the human text on stderr', async () => {
    const { result } = await gen(['--yes', '--json', '--map', 'hash']);
    expect(result.code, show(result)).toBe(0);
    const report = parseJson(result);
    expect(report).toMatchObject({ schemaVersion: 1, ok: true, exitCode: 0, options: { map: 'hash' }, git: { status: 'skipped' } });
    expect(Array.isArray(report.files) && report.files.length).toBeGreaterThan(5);
    expect(result.stderr).toContain('Wrote');
  });

  it('never prompts, even without --yes', async () => {
    const cwd = makeTmp('json-noyes');
    const result = await runCli(['--json', '--no-git'], { cwd, keepStdinOpen: true });
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).options.name).toBe('aya-atomic-counter');
  });

  it.each([
    [['--bogus'], 2, 'usage', '"--bogus"'],
    [['--map', 'nope'], 2, 'usage', '"nope"'],
    [['--name', 'fn'], 2, 'usage', '"fn"'],
  ] as const)('reports a usage error %j as JSON too', async (args, code, kind, needle) => {
    const cwd = makeTmp('json-err');
    const result = await runCli(['probe', '--json', ...args], { cwd });
    expect(result.code, show(result)).toBe(code);
    const report = parseJson(result);
    expect(report).toMatchObject({ schemaVersion: 1, ok: false, exitCode: code, error: { kind } });
    expect(report.error.message).toContain(needle);
    expect(report.files).toBeUndefined();
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('reports a non-empty directory (exit 3) as JSON', async () => {
    const cwd = makeTmp('json-3');
    fs.writeFileSync(path.join(cwd, 'x'), 'x');
    const result = await runCli(['.', '--json', '--name', 'probe'], { cwd });
    expect(result.code, show(result)).toBe(3);
    expect(parseJson(result)).toMatchObject({ schemaVersion: 1, ok: false, exitCode: 3, error: { kind: 'not-empty' } });
  });
});

describe('colour', () => {
  const run = async (args: string[], env: EnvPatch) => {
    const cwd = makeTmp('color');
    const result = await runCli(['probe', '--yes', '--dry-run', ...args], { cwd, env });
    expect(result.code, show(result)).toBe(0);
    return result.stdout + result.stderr;
  };

  it('is off when not on a terminal', async () => {
    expect(await run([], {})).not.toMatch(ESC_RE);
  });
  it('FORCE_COLOR turns it on', async () => {
    expect(await run([], { FORCE_COLOR: '1' })).toMatch(/\x1b\[\d+m/);
  });
  it('--no-color wins over FORCE_COLOR', async () => {
    expect(await run(['--no-color'], { FORCE_COLOR: '1' })).not.toMatch(ESC_RE);
  });
  it('NO_COLOR wins over FORCE_COLOR', async () => {
    expect(await run([], { FORCE_COLOR: '1', NO_COLOR: '1' })).not.toMatch(ESC_RE);
  });
  it('FORCE_COLOR=0 keeps it off', async () => {
    expect(await run([], { FORCE_COLOR: '0' })).not.toMatch(ESC_RE);
  });
  it('--no-color also keeps usage errors plain', async () => {
    const cwd = makeTmp('color-err');
    const result = await runCli(['--bogus', '--no-color'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(ESC_RE);
  });
});

describe('-h / --help and -v / --version', () => {
  it.each(['-h', '--help'])('%s lists every option of the table and writes nothing', async (flag) => {
    const cwd = makeTmp('help');
    const result = await runCli([flag], { cwd });
    expect(result.code, show(result)).toBe(0);
    const flags = [
      '--name', '--map', '--ordering', '--program', '--attach', '--toolchain', '-y', '--yes', '--overwrite', '--git',
      '--no-git', '--verify', '--no-verify', '--offline', '--dry-run', '--json', '--config', '--no-color', '-h',
      '--help', '-v', '--version',
    ];
    for (const f of flags) expect(result.stdout).toMatch(new RegExp(`(^|[\\s,])${f.replace(/-/g, '\\-')}([\\s,]|$)`, 'm'));
    for (const o of VALUE_OPTIONS) expect(result.stdout).toContain(o.flag);
    for (const s of SWITCHES) for (const f of s.flags) expect(result.stdout).toContain(f);
    for (const v of [...MAPS, ...ORDERINGS, 'kprobe', 'tracepoint']) expect(result.stdout).toContain(v);
    expect(result.stdout).toContain('Usage: create-aya-atomic [dir] [options]');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it.each(['-v', '--version'])("%s prints package.json's version", async (flag) => {
    const cwd = makeTmp('version');
    const result = await runCli([flag], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout.trim()).toBe(PACKAGE_VERSION);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
