// Whole runs in-process (main(), off a terminal, without git or verify): what each option writes and what
// the run says, --dry-run, names derived from directories, replays with --config, and --overwrite's
// backups. Expectations are literal. What needs a process (exit codes as a process ends, signals,
// terminals, the package) is in test/cli and test/verify-*.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION, runMain, showMain } from '../helpers/in-process.js';
import { filesIn, lazyTestTmp, populatedTarget, readToml, snapshot } from '../helpers/tree.js';

const baseTmp = lazyTestTmp('caa-generate-');
afterAll(() => baseTmp.remove());
let n = 0;
const tmp = () => {
  const d = path.join(baseTmp.dir(), `t${n++}`);
  fs.mkdirSync(d);
  return d;
};

/** Generates into <fresh tmp>/probe. */
async function gen(args: string[]) {
  const cwd = tmp();
  const result = await runMain(['probe', '--yes', '--no-git', ...args], { cwd });
  expect(result.code, showMain(result)).toBe(0);
  return { cwd, target: path.join(cwd, 'probe'), result };
}

describe('what the options write', () => {
  it('the defaults: the files listed in --json are exactly the files on disk, the options recorded', async () => {
    const { target, result } = await gen(['--json']);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      schemaVersion: 2,
      ok: true,
      exitCode: 0,
      directory: target,
      git: { status: 'skipped' },
      verify: { status: 'skipped' },
    });
    expect(report.options).toEqual({
      name: 'probe',
      map: 'array',
      ordering: 'relaxed',
      program: 'kprobe',
      attach: 'auto',
      toolchain: 'nightly',
    });
    const listed = (report.files as { path: string; action: string }[]).map((f) => f.path).sort();
    expect(listed).toEqual(filesIn(target));
    expect(new Set((report.files as { action: string }[]).map((f) => f.action))).toEqual(new Set(['create']));
    expect(listed).toEqual(
      expect.arrayContaining([
        'Cargo.toml',
        'aya-atomic.toml',
        '.gitignore',
        '.cargo/config.toml',
        'probe-ebpf/src/counter.rs',
        'probe/Cargo.toml',
        'probe-common/Cargo.toml',
      ]),
    );
    expect(readToml(target)).toEqual({
      'create-aya-atomic': VERSION,
      name: 'probe',
      map: 'array',
      ordering: 'relaxed',
      program: 'kprobe',
      attach: 'auto',
      toolchain: 'nightly',
    });
    expect(fs.existsSync(path.join(target, '.git'))).toBe(false);
    // Human text on stderr under --json; without verify, nothing about prerequisites.
    expect(result.stderr).toMatch(/^✓ Wrote \d+ files to probe$/m);
    expect(result.stderr).not.toMatch(/prerequisite|bpf-linker|rust-src/i);
  });

  it('the run says what it creates and where, and what to type next', async () => {
    const { result } = await gen([]);
    expect(result.stdout).toMatch(
      /^Creating probe in probe\n {2}map array, ordering relaxed, kprobe on auto, eBPF toolchain nightly\n {2}the add compiles to /,
    );
    expect(result.stdout).toContain('Next steps:\n  cd probe\n');
    expect(result.stdout).toContain('  cargo xtask run -- --selftest 1000    # prove it counts: 1000 runs of true\n');
  });

  it('--name names the three crates', async () => {
    const { target } = await gen(['--name', 'other_name']);
    expect(readToml(target).name).toBe('other_name');
    for (const d of ['other_name', 'other_name-ebpf', 'other_name-common'])
      expect(fs.statSync(path.join(target, d)).isDirectory(), d).toBe(true);
    expect(fs.existsSync(path.join(target, 'probe-ebpf'))).toBe(false);
    expect(fs.readFileSync(path.join(target, 'Cargo.toml'), 'utf8')).toContain('other_name-ebpf');
  });

  it('a per-CPU map records the ordering and says it does not apply', async () => {
    const { target, result } = await gen(['--map', 'per-cpu-hash', '--ordering', 'SeqCst']);
    expect(readToml(target)).toMatchObject({ map: 'per-cpu-hash', ordering: 'seqcst' });
    expect(result.stdout).toContain(
      '  map per-cpu-hash, ordering seqcst (not applicable: per-CPU maps use a plain add), kprobe on auto, eBPF toolchain nightly\n',
    );
  });

  it('a shared map with seqcst: the ordering applies', async () => {
    const { target, result } = await gen(['--map', 'hash', '--ordering', 'seq_cst']);
    expect(readToml(target)).toMatchObject({ map: 'hash', ordering: 'seqcst' });
    expect(result.stdout).toContain('  map hash, ordering seqcst, kprobe on auto, eBPF toolchain nightly\n');
  });

  it('--program tracepoint takes syscalls/sys_enter_execve; --attach category/name brings the tracepoint itself', async () => {
    expect(readToml((await gen(['--program', 'tracepoint'])).target)).toMatchObject({
      program: 'tracepoint',
      attach: 'syscalls/sys_enter_execve',
    });
    const { target, result } = await gen(['--attach', 'sched/sched_switch']);
    expect(readToml(target)).toMatchObject({ program: 'tracepoint', attach: 'sched/sched_switch' });
    // Only the default targets count execve: no selftest hint for another one.
    expect(result.stdout).not.toContain('--selftest');
  });

  it('a toolchain directory is recorded as an absolute path', async () => {
    const cwd = tmp();
    const rust = path.join(cwd, 'rust-bpf');
    fs.mkdirSync(rust);
    for (const tool of ['cargo', 'rustc']) fs.writeFileSync(path.join(rust, tool), '#!/bin/sh\n', { mode: 0o755 });
    const result = await runMain(['probe', '--yes', '--no-git', '--toolchain', './rust-bpf'], { cwd });
    expect(result.code, showMain(result)).toBe(0);
    expect(readToml(path.join(cwd, 'probe')).toolchain).toBe(rust);
  });
});

describe('names from the directory', () => {
  const derive = async (dir: string, cwd = tmp()) => {
    const result = await runMain([dir, '--yes', '--no-git'], { cwd });
    expect(result.code, showMain(result)).toBe(0);
    return { cwd, result };
  };

  it('"My Probe" makes the crates my-probe*, and says so', async () => {
    const { cwd, result } = await derive('My Probe');
    expect(readToml(path.join(cwd, 'My Probe')).name).toBe('my-probe');
    expect(fs.existsSync(path.join(cwd, 'My Probe', 'my-probe-ebpf', 'Cargo.toml'))).toBe(true);
    expect(result.stdout).toContain('  crate name "my-probe", from the directory "My Probe"; --name sets another\n');
    expect(result.stdout).toContain("  cd 'My Probe'\n");
  });

  // a derived name says what it dropped.
  it('"prøbé" becomes prb, saying what it dropped', async () => {
    const { cwd, result } = await derive('prøbé');
    expect(result.stdout).toContain('Creating prb in prøbé\n');
    expect(result.stdout).toContain(
      '  crate name "prb", from the directory "prøbé" (dropped "ø", "é": not allowed in crate names); --name sets another\n',
    );
    expect(readToml(path.join(cwd, 'prøbé')).name).toBe('prb');
  });

  it('"." takes the current directory\'s name', async () => {
    const cwd = path.join(tmp(), 'Dot.Probe');
    fs.mkdirSync(cwd);
    const { result } = await derive('.', cwd);
    expect(readToml(cwd).name).toBe('dot-probe');
    expect(result.stdout).not.toContain('  cd ');
  });

  it('a hostile directory is only a path: the name is cleaned and the "cd" hint quoted for a shell', async () => {
    const { cwd, result } = await derive("$(touch pwned) 'x'");
    expect(readToml(path.join(cwd, "$(touch pwned) 'x'")).name).toBe('touch-pwned-x');
    expect(result.stdout).toContain(`  cd '$(touch pwned) '\\''x'\\'''\n`);
    expect(fs.readdirSync(cwd)).toEqual(["$(touch pwned) 'x'"]);
  });

  it('the longest name (64 characters) generates', async () => {
    const { target } = await gen(['--name', 'a'.repeat(64)]);
    expect(fs.existsSync(path.join(target, `${'a'.repeat(64)}-common`, 'Cargo.toml'))).toBe(true);
  });
});

describe('--dry-run', () => {
  it('writes nothing and lists every file the real run writes', async () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, 'keep.txt'), 'keep');
    const before = snapshot(cwd);
    const dry = await runMain(['probe', '--yes', '--dry-run'], { cwd });
    expect(dry.code, showMain(dry)).toBe(0);
    expect(snapshot(cwd)).toEqual(before);
    expect(dry.stdout).toMatch(/^Dry run: nothing is written\. Would create probe in probe\n/);
    const real = await runMain(['probe', '--yes', '--no-git'], { cwd });
    expect(real.code, showMain(real)).toBe(0);
    const listed = [...dry.stdout.matchAll(/^ {2}create {2}(\S+)$/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(filesIn(path.join(cwd, 'probe')));
  });

  it('exit 3 like the real run for a non-empty directory without --overwrite, writing nothing', async () => {
    const cwd = tmp();
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine');
    const before = snapshot(cwd);
    expect((await runMain(['probe', '--yes', '--dry-run'], { cwd })).code).toBe(3);
    expect((await runMain(['probe', '--yes', '--no-git'], { cwd })).code).toBe(3);
    expect(snapshot(cwd)).toEqual(before);
  });

  it('with --overwrite lists what would be replaced, and still writes nothing (no backup folder)', async () => {
    const cwd = tmp();
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine');
    fs.writeFileSync(path.join(cwd, 'probe', 'notes.txt'), 'mine');
    const before = snapshot(cwd);
    const result = await runMain(['probe', '--yes', '--dry-run', '--overwrite', '--json'], { cwd });
    expect(result.code, showMain(result)).toBe(0);
    expect(snapshot(cwd)).toEqual(before);
    const report = JSON.parse(result.stdout);
    expect(report.dryRun).toBe(true);
    expect(report.files).toContainEqual({ path: 'Cargo.toml', action: 'replace' });
    expect(report.files).toContainEqual({ path: 'README.md', action: 'create' });
    expect(report.files.some((f: { path: string }) => f.path === 'notes.txt')).toBe(false);
    expect(result.stderr).toContain('  Would back up and replace 1 existing path(s): Cargo.toml\n');
    expect(result.stderr).toMatch(/^ {2}replace Cargo\.toml$/m);
  });
});

describe('--config', () => {
  const CHOICES = [
    '--map',
    'lru-hash',
    '--ordering',
    'acq_rel',
    '--program',
    'tracepoint',
    '--attach',
    'sched/sched_switch',
    '--toolchain',
    'nightly-2026-01-02',
  ];

  it('a replay into another directory takes the choices, and the name of the new directory', async () => {
    const cwd = tmp();
    expect((await runMain(['alpha', '--yes', '--no-git', '--name', 'replayed', ...CHOICES], { cwd })).code).toBe(0);
    expect(readToml(path.join(cwd, 'alpha'))).toEqual({
      'create-aya-atomic': VERSION,
      name: 'replayed',
      map: 'lru-hash',
      ordering: 'acqrel',
      program: 'tracepoint',
      attach: 'sched/sched_switch',
      toolchain: 'nightly-2026-01-02',
    });
    const result = await runMain(['beta', '--no-git', '--config', 'alpha/aya-atomic.toml'], { cwd });
    expect(result.code, showMain(result)).toBe(0);
    expect(result.stdout).toMatch(/^Creating beta in beta\n/);
    expect(result.stdout).toContain(
      `  replaying the choices of "replayed" from alpha/aya-atomic.toml (create-aya-atomic ${VERSION}); flags win\n`,
    );
    expect(fs.existsSync(path.join(cwd, 'beta', 'replayed-ebpf'))).toBe(false);
    // Byte for byte what the same choices given as flags write into a directory of that name.
    const direct = tmp();
    expect((await runMain(['beta', '--yes', '--no-git', ...CHOICES], { cwd: direct })).code).toBe(0);
    expect(snapshot(path.join(cwd, 'beta'))).toEqual(snapshot(path.join(direct, 'beta')));
  });

  it('a recorded name is never used, so a hostile one does nothing: the name follows the directory', async () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, 'hostile.toml'), 'name = "$(touch pwned)"\nmap = "hash"\n');
    const result = await runMain(['out', '--yes', '--no-git', '--config', 'hostile.toml'], { cwd });
    expect(result.code, showMain(result)).toBe(0);
    expect(readToml(path.join(cwd, 'out'))).toMatchObject({ name: 'out', map: 'hash' });
    expect(result.stdout).toContain('  replaying the choices of "$(touch pwned)" from hostile.toml; flags win\n');
  });
});

describe('--overwrite', () => {
  const populated = () => populatedTarget(tmp()); // see populatedTarget for what it holds
  const CONFLICTS = ['Cargo.toml', 'README.md', 'probe-common/Cargo.toml', 'probe-ebpf', 'xtask'];
  const under = (p: string, prefix: string) => p === prefix || p.startsWith(`${prefix}/`);

  it("replaces only the template's paths, keeps each original in the named backup, moves links as links", async () => {
    const { root, outside, target } = populated();
    const before = snapshot(target);
    const outsideBefore = snapshot(outside);
    const result = await runMain(['probe', '--yes', '--no-git', '--overwrite'], { cwd: root });
    expect(result.code, showMain(result)).toBe(0);
    // "Backing up and replacing".
    expect(result.stdout).toContain(`  Backing up and replacing 5 existing path(s): ${CONFLICTS.join(', ')}\n`);
    const backups = fs.readdirSync(target).filter((e) => e.startsWith('.aya-atomic-backup-'));
    expect(backups).toHaveLength(1);
    expect(result.stdout).toContain(`  The 5 replaced original(s) are in ${path.join(target, backups[0])}\n`);

    // Every pre-existing entry is still there: in place, or (at a template path) in the backup.
    const after = snapshot(target);
    for (const [p, entry] of Object.entries(before)) {
      const conflict = CONFLICTS.find((c) => under(p, c));
      if (conflict) expect(after[`${backups[0]}/${p}`], `${p} in the backup`).toEqual(entry);
      else if (entry.type === 'dir') expect(after[p]?.type, p).toBe('dir');
      else expect(after[p], `${p} in place`).toEqual(entry);
    }
    expect(Object.keys(after).some((p) => p.startsWith('.create-aya-atomic-staging-'))).toBe(false);
    // Links were moved, never written through.
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(after['README.md'].type).toBe('file');
    expect(after[`${backups[0]}/README.md`]).toEqual({ type: 'symlink', target: '../outside/readme.txt' });
    expect(after['probe-ebpf'].type).toBe('dir');
    expect(after[`${backups[0]}/probe-ebpf`]).toEqual({ type: 'symlink', target: path.join(outside, 'ebpf-dir') });
    expect(after.xtask.type).toBe('dir');
  });

  it('--json lists the replaced files and names the backup folder', async () => {
    const { root, target } = populated();
    const result = await runMain(['probe', '--yes', '--no-git', '--overwrite', '--json'], { cwd: root });
    expect(result.code, showMain(result)).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(path.dirname(report.backupDir)).toBe(target);
    expect(path.basename(report.backupDir)).toMatch(/^\.aya-atomic-backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    const replaced = (report.files as { path: string; action: string }[])
      .filter((f) => f.action === 'replace')
      .map((f) => f.path);
    for (const p of replaced)
      expect(
        CONFLICTS.some((c) => under(p, c)),
        p,
      ).toBe(true);
    for (const c of ['Cargo.toml', 'README.md', 'probe-common/Cargo.toml']) expect(replaced).toContain(c);
    expect(replaced.some((p) => p.startsWith('probe-ebpf/'))).toBe(true);
    expect(replaced.some((p) => p.startsWith('xtask/'))).toBe(true);
  });

  it('with no conflicting path: no backup folder, other files untouched', async () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'probe'));
    fs.writeFileSync(path.join(root, 'probe', 'notes.txt'), 'notes\n');
    const result = await runMain(['probe', '--yes', '--no-git', '--overwrite', '--json'], { cwd: root });
    expect(result.code, showMain(result)).toBe(0);
    expect(JSON.parse(result.stdout).backupDir).toBeUndefined();
    expect(fs.readdirSync(path.join(root, 'probe')).filter((e) => e.startsWith('.aya'))).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'probe', 'notes.txt'), 'utf8')).toBe('notes\n');
  });

  it('a directory holding only .git, .vscode and .DS_Store is empty: no --overwrite needed, those stay untouched', async () => {
    const root = tmp();
    const target = path.join(root, 'probe');
    fs.mkdirSync(path.join(target, '.git'), { recursive: true });
    fs.writeFileSync(path.join(target, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.mkdirSync(path.join(target, '.vscode'));
    fs.writeFileSync(path.join(target, '.vscode', 'settings.json'), '{}\n');
    fs.writeFileSync(path.join(target, '.DS_Store'), 'x');
    const before = snapshot(target);
    const result = await runMain(['probe', '--yes', '--no-git'], { cwd: root });
    expect(result.code, showMain(result)).toBe(0);
    const after = snapshot(target);
    for (const [p, e] of Object.entries(before)) expect(after[p], p).toEqual(e);
    expect(after['aya-atomic.toml']?.type).toBe('file');
    expect(Object.keys(after).some((p) => p.startsWith('.aya-atomic-backup-'))).toBe(false);
  });
});

describe('usage errors (exit 2): the value named, nothing written', () => {
  it.each([
    [['--name', '$(touch pwned)'], '--name: crate name "$(touch pwned)" is not valid; use lower-case ASCII letters'],
    [
      ['--attach', '`touch pwned`'],
      '--attach: attach target "`touch pwned`" is not a kernel symbol; for a kprobe use "auto" or a kernel symbol name',
    ],
    [
      ['--toolchain', 'nightly;touch pwned'],
      '--toolchain: toolchain "nightly;touch pwned" is not valid; use a rustup toolchain name',
    ],
    [['--map', 'hash', '--map', 'array'], '--map "array" repeats --map "hash"; give each option once'],
    // a crate folder where cargo writes its build output would be lost to `cargo clean`.
    [
      ['--name', 'target'],
      '--name: crate name "target" puts the crate folder "target" where cargo writes its build output: its sources would be lost (cargo clean, git)',
    ],
  ])('%j', async (args, message) => {
    const cwd = tmp();
    const result = await runMain(['out', '--yes', '--no-git', ...args], { cwd });
    expect(result.code, showMain(result)).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^✖ ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('a traversal name creates nothing next to the target either', async () => {
    const cwd = tmp();
    fs.mkdirSync(path.join(cwd, 'inner'));
    const result = await runMain(['.', '--yes', '--no-git', '--name', '../x'], { cwd: path.join(cwd, 'inner') });
    expect(result.code, showMain(result)).toBe(2);
    expect(fs.readdirSync(cwd)).toEqual(['inner']);
    expect(fs.readdirSync(path.join(cwd, 'inner'))).toEqual([]);
  });

  it.each([
    ['an unknown key', 'map = "hash"\ndirectory = "somewhere"\n', 'bad.toml:2: unknown key "directory"'],
    [
      'a hostile attach target',
      'attach = "x\\"); std::process::exit(1); (\\""\n',
      'bad.toml: attach: attach target "x\\"); std::process::exit(1); (\\"" is not a kernel symbol',
    ],
    [
      'a target that does not fit the recorded program',
      'program = "kprobe"\nattach = "sched/sched_switch"\n',
      'bad.toml: attach: attach target "sched/sched_switch" is not a kernel symbol',
    ],
  ])('a --config file with %s names the file', async (_, contents, message) => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, 'bad.toml'), contents);
    const result = await runMain(['out', '--yes', '--no-git', '--config', 'bad.toml'], { cwd });
    expect(result.code, showMain(result)).toBe(2);
    expect(result.stderr.startsWith(`✖ ${message}`), result.stderr).toBe(true);
    expect(fs.readdirSync(cwd)).toEqual(['bad.toml']);
  });

  it.each([
    [
      ['--map', 'nope'],
      2,
      'usage',
      '--map: map "nope" is not one of: array, per-cpu-array, hash, per-cpu-hash, lru-hash, lru-per-cpu-hash',
    ],
    [
      ['--name', 'fn'],
      2,
      'usage',
      '--name: crate name "fn" is a Rust keyword; choose another name: lower-case ASCII letters, digits, "-" and "_", starting with a letter, at most 64 characters (e.g. my-probe)',
    ],
  ] as const)(
    'with --json, %j is the JSON report of the error, without files',
    async (args, exitCode, kind, message) => {
      const cwd = tmp();
      const result = await runMain(['probe', '--json', ...args], { cwd });
      expect(result.code).toBe(exitCode);
      expect(JSON.parse(result.stdout)).toEqual({ schemaVersion: 2, ok: false, exitCode, error: { kind, message } });
      expect(fs.readdirSync(cwd)).toEqual([]);
    },
  );

  it('with --json, a non-empty directory is exit 3, reported as such', async () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, 'x'), 'x');
    const result = await runMain(['.', '--json', '--name', 'probe'], { cwd });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({
      schemaVersion: 2,
      ok: false,
      exitCode: 3,
      error: { kind: 'not-empty' },
    });
  });
});

// a target that can never be a directory is a usage error with the accurate reason.
describe('a target that can never be a directory (exit 2): the reason, nothing written or changed', () => {
  it.each([
    [
      'a file',
      (cwd: string) => fs.writeFileSync(path.join(cwd, 'probe'), 'a file\n'),
      'probe',
      () => '"probe" is a file',
    ],
    [
      'a link to a file',
      (cwd: string) => (
        fs.writeFileSync(path.join(cwd, 'real'), 'x\n'),
        fs.symlinkSync('real', path.join(cwd, 'probe'))
      ),
      'probe',
      () => '"probe" is a symbolic link to something that is not a directory',
    ],
    ['a device', () => {}, '/dev/null', () => '"/dev/null" is a device'],
    [
      'a dangling symbolic link',
      (cwd: string) => fs.symlinkSync('nowhere', path.join(cwd, 'probe')),
      'probe',
      () => '"probe" is a symbolic link to nothing (a dangling link)',
    ],
    [
      'a symbolic link loop',
      (cwd: string) => (
        fs.symlinkSync('loop-b', path.join(cwd, 'probe')),
        fs.symlinkSync('probe', path.join(cwd, 'loop-b'))
      ),
      'probe',
      () => '"probe" is a symbolic link loop',
    ],
    [
      'a path below a file',
      (cwd: string) => fs.writeFileSync(path.join(cwd, 'a-file'), 'x\n'),
      'a-file/probe',
      (cwd: string) => `"a-file/probe" lies below ${cwd}/a-file, which is a file`,
    ],
    [
      'a path two levels below a file',
      (cwd: string) => fs.writeFileSync(path.join(cwd, 'a-file'), 'x\n'),
      'a-file/sub/probe',
      (cwd: string) => `"a-file/sub/probe" lies below ${cwd}/a-file, which is a file`,
    ],
  ])('%s', async (_, make, target, reason) => {
    const cwd = tmp();
    make(cwd);
    const before = snapshot(cwd);
    const result = await runMain([target, '--yes', '--no-git', '--overwrite', '--name', 'probe'], { cwd });
    expect(result.code, showMain(result)).toBe(2);
    expect(result.stderr).toBe(`✖ ${reason(cwd)}; choose another directory\n`);
    expect(snapshot(cwd)).toEqual(before);
  });
});

describe('colour off a terminal: flags, then NO_COLOR, then FORCE_COLOR', () => {
  const output = async (args: string[], env: Record<string, string>) => {
    const result = await runMain(['probe', '--yes', '--dry-run', ...args], { cwd: tmp(), env });
    return result.stdout + result.stderr;
  };
  it.each([
    ['FORCE_COLOR=1', [], { FORCE_COLOR: '1' }, true],
    ['--color', ['--color'], {}, true],
    ['--no-color over FORCE_COLOR=1', ['--no-color'], { FORCE_COLOR: '1' }, false],
    ['NO_COLOR=1 over FORCE_COLOR=1', [], { FORCE_COLOR: '1', NO_COLOR: '1' }, false],
    ['FORCE_COLOR=0', [], { FORCE_COLOR: '0' }, false],
    ['--no-color over FORCE_COLOR=1, for a usage error', ['--bogus', '--no-color'], { FORCE_COLOR: '1' }, false],
  ])('%s', async (_, args, env, coloured) => {
    const text = await output(args, env);
    expect(text.length).toBeGreaterThan(20);
    expect(/\x1b\[\d+m/.test(text)).toBe(coloured);
  });
});
