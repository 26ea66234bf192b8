// Every map × ordering combination (kprobe and tracepoint alternating), checked with nothing beyond rustup's
// stable Rust: rustfmt on every generated .rs file, the manifests through `cargo metadata --no-deps --offline`,
// the traps of BPF atomics (docs/bpf-atomics.md) in the generated code, the xtask identical in every workspace,
// built once and run (`help`, `doctor --json`), the workspace's own tests and clippy with AYA_BUILD_SKIP=1
// (docs/generated-workspace.md), and the shipped Cargo.lock re-sorted for crate names that sort before, between
// and after the dependencies.
//
// The expectations are written here as literal tables, not taken from src/facts.ts: a generator that drifts
// from docs/bpf-atomics.md's table of what each map and ordering become fails this test.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sortCargoLock } from '../../src/plan.js';
import { skipUnlessCi } from '../helpers/ci.js';
import { filesIn, makeTmp, runCli, show } from '../helpers/cli.js';

const MAPS = ['array', 'per-cpu-array', 'hash', 'per-cpu-hash', 'lru-hash', 'lru-per-cpu-hash'] as const;
const ORDERINGS = ['relaxed', 'acquire', 'release', 'acqrel', 'seqcst'] as const;
type MapKind = (typeof MAPS)[number];
type Ordering = (typeof ORDERINGS)[number];

// docs/bpf-atomics.md, "The add": shared maps get an atomic add (cpu v3 for any ordering but relaxed),
// per-CPU maps a plain add at cpu generic whatever the ordering.
const PER_CPU: Record<MapKind, boolean> = {
  array: false,
  'per-cpu-array': true,
  hash: false,
  'per-cpu-hash': true,
  'lru-hash': false,
  'lru-per-cpu-hash': true,
};
const HASH: Record<MapKind, boolean> = {
  array: false,
  'per-cpu-array': false,
  hash: true,
  'per-cpu-hash': true,
  'lru-hash': true,
  'lru-per-cpu-hash': true,
};
const EBPF_TYPE: Record<MapKind, string> = {
  array: 'Array',
  'per-cpu-array': 'PerCpuArray',
  hash: 'HashMap',
  'per-cpu-hash': 'PerCpuHashMap',
  'lru-hash': 'LruHashMap',
  'lru-per-cpu-hash': 'LruPerCpuHashMap',
};
// An LRU map's insert takes a free entry before it looks for the key, evicting one when it finds none: with
// per-CPU LRU lists the racing CPU takes one of its own (scripts/lru-room, docs/bpf-atomics.md).
const LRU: Record<MapKind, boolean> = {
  array: false,
  'per-cpu-array': false,
  hash: false,
  'per-cpu-hash': false,
  'lru-hash': true,
  'lru-per-cpu-hash': true,
};
const RUST_ORDERING: Record<Ordering, string> = {
  relaxed: 'Relaxed',
  acquire: 'Acquire',
  release: 'Release',
  acqrel: 'AcqRel',
  seqcst: 'SeqCst',
};
const cpuFor = (map: MapKind, ordering: Ordering) => (!PER_CPU[map] && ordering !== 'relaxed' ? 'v3' : 'generic');

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number | null; out: string; stdout: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d) => ((out += d), (stdout += d)));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, stdout }));
  });
const has = async (cmd: string) => (await run(cmd, ['--version'], os.tmpdir()).catch(() => ({ code: 1 }))).code === 0;
const [hasCargo, hasRustfmt] = await Promise.all([has('cargo'), has('rustfmt')]);
// In CI these must run: a missing cargo or rustfmt there is a missing install step.
skipUnlessCi(hasCargo ? undefined : 'cargo is not on PATH');
skipUnlessCi(hasRustfmt ? undefined : 'rustfmt is not on PATH');

/** Runs fn over items, at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await fn(item);
    }),
  );
}

interface Checked {
  code: number | null;
  out: string;
  stdout: string;
}
interface Combo {
  map: MapKind;
  ordering: Ordering;
  program: 'kprobe' | 'tracepoint';
  name: string;
  dir: string;
  rustfmt?: Checked;
  metadata?: Checked;
}
const combos: Combo[] = MAPS.flatMap((map, m) =>
  ORDERINGS.map((ordering, i) => ({
    map,
    ordering,
    program: (m + i) % 2 === 0 ? ('kprobe' as const) : ('tracepoint' as const),
    name: `g-${map}-${ordering}`,
    dir: '',
  })),
);
const read = (c: Combo, rel: string) => fs.readFileSync(path.join(c.dir, rel), 'utf8');
/** Code without comments (line comments and doc comments). */
const code = (text: string) => text.replace(/\/\/.*$/gm, '');

let cwd = '';
beforeAll(async () => {
  cwd = makeTmp('generated');
  await pool(combos, 4, async (c) => {
    const r = await runCli(
      [c.name, '--map', c.map, '--ordering', c.ordering, '--program', c.program, '--yes', '--no-git'],
      { cwd },
    );
    if (r.code !== 0) throw new Error(show(r));
    c.dir = path.join(cwd, c.name);
  });
  // The checks that start a process run here, a few at once; the tests below read their outcome.
  await pool(combos, 4, async (c) => {
    const rs = filesIn(c.dir)
      .filter((f) => f.endsWith('.rs'))
      .map((f) => path.join(c.dir, f));
    if (hasRustfmt)
      c.rustfmt = {
        ...(await run('rustfmt', ['--check', '--edition', '2024', ...rs], c.dir)),
        stdout: String(rs.length),
      };
    if (hasCargo)
      c.metadata = await run('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1'], c.dir);
  });
}, 120_000);

describe.each(combos)('$map + $ordering ($program)', (c) => {
  const ebpf = `${c.name}-ebpf`;
  const atomic = !PER_CPU[c.map];

  it('avoids the traps of BPF atomics in the eBPF crate', () => {
    const counterFile = read(c, `${ebpf}/src/counter.rs`);
    // The host stand-in (for rust-analyzer's `cargo check` on the host) is the only code allowed to name
    // host atomics; it must be the last item, behind `cfg(not(target_arch = "bpf"))`.
    const [bpfCounter, host = ''] = counterFile.split('#[cfg(not(target_arch = "bpf"))]');
    const sources = filesIn(path.join(c.dir, ebpf, 'src')).filter((f) => f !== 'counter.rs');
    const bpf = code([bpfCounter, ...sources.map((f) => read(c, path.join(ebpf, 'src', f)))].join('\n'));
    expect(bpf).not.toMatch(/fetch_add|compare_exchange|\.load\(|\.store\(|fence\(|AtomicU64|core::sync::atomic/);
    expect(bpf).not.toMatch(/static\s+mut\b/);
    // std never named: the host build gets it from `no_std` applying to BPF only.
    expect(bpf).not.toMatch(/\bstd\b/);
    expect(bpf).not.toMatch(/KProbeContext|#\[kprobe\(name/);
    expect(code(counterFile)).not.toMatch(/\baya/);
    // The add: an unsafe fn with a Safety section, and a SAFETY comment at every call.
    expect(counterFile).toMatch(/# Safety\n\/\/\/ `counter` must point to/);
    expect(counterFile).toMatch(/pub unsafe fn increment\(counter: \*mut u64\)/);
    const map = read(c, `${ebpf}/src/map.rs`);
    const calls = map.match(/counter::increment\(/g) ?? [];
    expect(calls.length).toBeGreaterThan(0);
    expect(
      map.match(/\/\/ SAFETY: [^\n]*\n(\s*\/\/[^\n]*\n)*\s*unsafe \{ counter::increment\(counter\) \};/g)?.length,
    ).toBe(calls.length);
    const main = read(c, `${ebpf}/src/main.rs`);
    // no_std and no_main for BPF; on the host (`cargo build --workspace`) a std binary whose main panics.
    expect(main).toMatch(/^#!\[cfg_attr\(target_arch = "bpf", no_std, no_main\)\]$/m);
    expect(main).toMatch(/^#\[cfg\(not\(target_arch = "bpf"\)\)\]\nfn main\(\) \{\n {4}panic!/m);
    expect(main).toMatch(/^#\[cfg\(target_arch = "bpf"\)\]\n#\[panic_handler\]/m);
    if (atomic) {
      expect(bpfCounter).toContain(
        `atomic_xadd::<u64, u64, { AtomicOrdering::${RUST_ORDERING[c.ordering]} }>(counter, 1)`,
      );
      // The add's result is never used: not bound, returned or compared.
      expect(bpfCounter).not.toMatch(/(=|return|==|\()\s*(unsafe\s*\{\s*)?(core::intrinsics::)?atomic_xadd/);
      expect(bpfCounter).toMatch(/unsafe \{ atomic_xadd::<[^;]*\(counter, 1\) \};/);
      expect(host).toContain(`fetch_add(1, Ordering::${RUST_ORDERING[c.ordering]});`);
      expect(main).toMatch(/#!\[cfg_attr\(target_arch = "bpf", feature\(core_intrinsics\)\)\]/);
    } else {
      expect(code(counterFile)).not.toMatch(/atomic|Atomic/);
      expect(counterFile).toMatch(/wrapping_add\(1\)/);
      expect(main).not.toMatch(/core_intrinsics/);
      expect(host).toBe('');
    }
    expect(map).toContain(EBPF_TYPE[c.map]);
    if (HASH[c.map]) expect(map).toMatch(/insert\(KEY, 1, BPF_NOEXIST\.into\(\)\)/);
    else expect(map).not.toMatch(/insert\(/);
    // One entry for the one key, whatever the map; an LRU map with per-CPU lists.
    expect(read(c, `${c.name}-common/src/lib.rs`)).toMatch(/^pub const MAX_ENTRIES: u32 = 1;$/m);
    const flags = LRU[c.map] ? 'BPF_F_NO_COMMON_LRU' : '0';
    expect(map.replace(/\s+/g, ' ')).toContain(`::with_max_entries(MAX_ENTRIES, ${flags});`);
    // The bench's empty program exists only in a build with the `bench` feature.
    const program = read(c, `${ebpf}/src/program.rs`);
    expect(program).toMatch(new RegExp(`#\\[cfg\\(feature = "bench"\\)\\]\n#\\[${c.program}\\]\npub fn baseline`));
    expect(program.match(/#\[(kprobe|tracepoint)\]/g)).toHaveLength(2);
  });

  it('sets the BPF cpu its ordering needs, in the one place, and no rust-toolchain.toml', () => {
    const config = read(c, '.cargo/config.toml');
    expect(config).toMatch(new RegExp(`^EBPF_CPU = "${cpuFor(c.map, c.ordering)}"$`, 'm'));
    expect(config).toMatch(/^EBPF_TOOLCHAIN = "nightly"$/m);
    expect(config).toMatch(/^xtask = "run --quiet --package xtask --"$/m);
    expect(fs.existsSync(path.join(c.dir, 'rust-toolchain.toml'))).toBe(false);
    const rust = filesIn(c.dir)
      .filter((f) => f.endsWith('.rs'))
      .map((f) => read(c, f))
      .join('\n');
    expect(rust).not.toMatch(/const (BPF_CPU|TOOLCHAIN)\b/);
    const cargo = read(c, 'Cargo.toml');
    expect(cargo).toMatch(/^aya = "=0\.14\.0"$/m);
    expect(cargo).toMatch(/^aya-ebpf = "=0\.2\.1"$/m);
    expect(cargo).toContain(`members = ["${c.name}", "${c.name}-common", "${c.name}-ebpf", "xtask"]`);
    expect(cargo).toContain(`default-members = ["${c.name}", "${c.name}-common"]`);
    const readme = read(c, 'README.md');
    expect(readme).toMatch(new RegExp(`^\\| program \\| ${c.program}\\b`, 'm'));
    expect(readme).toContain(`| BPF cpu | \`${cpuFor(c.map, c.ordering)}\` |`);
    expect(readme).toMatch(
      atomic ? /calls the `atomic_xadd`\s+intrinsic and never uses its result/ : /uses a plain add: no atomic/,
    );
    expect(readme).toMatch(/^## Verified on$/m);
    expect(readme).toMatch(/^\| 13 \| \| `vm`: a VM crashed/m);
    expect(read(c, 'Cargo.lock')).toContain(`name = "${c.name}-ebpf"`);
  });

  it.skipIf(!hasRustfmt)('is rustfmt-clean (edition 2024, the workspace rustfmt.toml)', () => {
    expect(Number(c.rustfmt!.stdout)).toBeGreaterThanOrEqual(12);
    expect(c.rustfmt!.code, c.rustfmt!.out).toBe(0);
  });

  // The Rust an Aya maintainer would write (docs/generated-workspace.md): no device that keeps braces away from a
  // template engine or squeezes lines under a budget.
  it('has no template artefacts and no line-squeezing devices in its Rust', () => {
    for (const file of filesIn(c.dir).filter((f) => f.endsWith('.rs'))) {
      const rust = code(read(c, file));
      expect(rust, file).not.toMatch(/rustfmt::skip/);
      expect(rust, file).not.toMatch(/\bconst (OPEN|CLOSE)\s*:\s*char\b/);
      expect(rust, file).not.toMatch(/\bmatch \(\) \{/);
      // Two bindings from a tuple written for the purpose: `let (a, b) = (x, y);` is two lets.
      expect(rust, file).not.toMatch(/^\s*let \(\s*\w+\s*,\s*\w+\s*\)\s*=\s*\([^;]*\);$/m);
      // A tuple alias is read by position (`row.0`); a record is a struct with named fields.
      expect(rust, file).not.toMatch(/^\s*(pub(\(\w+\))? )?type \w+(<[^>]*>)? = \(/m);
    }
  });

  it.skipIf(!hasCargo)('has manifests cargo accepts offline', () => {
    const meta = c.metadata!;
    expect(meta.code, meta.out).toBe(0);
    const names = JSON.parse(meta.stdout)
      .packages.map((p: { name: string }) => p.name)
      .sort();
    expect(names).toEqual([c.name, `${c.name}-common`, `${c.name}-ebpf`, 'xtask'].sort());
  });
});

describe('the xtask', () => {
  it('is the same in every workspace: no project-specific line', () => {
    const reference = combos[0];
    const files = filesIn(path.join(reference.dir, 'xtask'));
    expect(files).toEqual(
      expect.arrayContaining(['Cargo.toml', 'src/lib.rs', 'src/ebpf.rs', 'src/main.rs', 'src/doctor.rs']),
    );
    for (const c of combos.slice(1)) {
      expect(filesIn(path.join(c.dir, 'xtask'))).toEqual(files);
      for (const f of files) expect(read(c, `xtask/${f}`), `${c.name}: xtask/${f}`).toBe(read(reference, `xtask/${f}`));
    }
  });

  // Built once (in a target directory of its own, kept between runs) and run in one workspace.
  it.skipIf(!hasCargo)(
    'builds, prints its help and reports the prerequisites as JSON',
    async () => {
      const c = combos[0];
      const env = {
        CARGO_TARGET_DIR: path.join(os.tmpdir(), 'create-aya-atomic-fast-target'),
        CARGO_TERM_COLOR: 'never',
      };
      const help = await run('cargo', ['xtask', 'help'], path.join(c.dir, c.name, 'src'), env);
      expect(help.code, help.out).toBe(0);
      for (const command of ['doctor', 'verify', 'run', 'bench', 'vm'])
        expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      const usage = await run('cargo', ['xtask', 'no-such-command'], c.dir, env);
      expect(usage.code, usage.out).toBe(2);
      const doctor = await run('cargo', ['xtask', 'doctor', '--json'], c.dir, env);
      expect([0, 10], doctor.out).toContain(doctor.code);
      const report = JSON.parse(doctor.stdout);
      const names = report.checks.map((check: { name: string }) => check.name);
      expect(names).toEqual(
        expect.arrayContaining(['stable', 'toolchain', 'rust-src', 'bpf-linker', 'qemu', 'busybox']),
      );
      // The LLVM check runs when bpf-linker is there to link with.
      const linker = report.checks.find((check: { name: string }) => check.name === 'bpf-linker');
      expect(names.includes('llvm'), doctor.stdout).toBe(linker.ok);
      for (const check of report.checks) {
        expect(check).toEqual(
          expect.objectContaining({ ok: expect.any(Boolean), detail: expect.any(String), fix: expect.any(String) }),
        );
        // Optional: what `cargo xtask vm` and `build --target` need (QEMU, busybox, a cross std and linker).
        const optional = /^(qemu|busybox)(-|$)|^(std|linker)-/.test(check.name);
        expect(check.optional, check.name).toBe(optional ? true : undefined);
        if (!check.ok) expect(check.fix, check.name).not.toBe('');
      }
      const required = report.checks.filter((check: { optional?: boolean }) => !check.optional);
      expect(report.ok).toBe(required.every((check: { ok: boolean }) => check.ok));
      expect(doctor.code).toBe(report.ok ? 0 : 10);
    },
    120_000,
  );
});

// The workspace's own tests and lints, where the eBPF toolchain need not be: AYA_BUILD_SKIP=1 builds the loader
// without its eBPF object (the tests that read the object say they are ignored; test/real/plain-cargo.test.ts runs
// them with the object). clippy runs with the workspace's lints (clippy::pedantic) and every feature, on each map
// kind once, both program types among them.
describe('cargo test and clippy in the generated workspace (AYA_BUILD_SKIP=1)', () => {
  const byMap = MAPS.map((map) => combos.find((c) => c.map === map && c.ordering === 'seqcst')!);
  const env = {
    CARGO_TARGET_DIR: path.join(os.tmpdir(), 'create-aya-atomic-fast-target'),
    CARGO_TERM_COLOR: 'never',
    AYA_BUILD_SKIP: '1',
  };

  it.skipIf(!hasCargo).each(byMap)(
    '$map ($program): cargo clippy --workspace --all-targets --all-features -D warnings',
    async (c) => {
      const args = ['clippy', '--locked', '--workspace', '--all-targets', '--all-features', '--', '-D', 'warnings'];
      const r = await run('cargo', args, c.dir, env);
      expect(r.code, r.out.slice(-6000)).toBe(0);
      expect(r.out).toMatch(/AYA_BUILD_SKIP: the loader has no eBPF program/);
    },
    600_000,
  );

  it.skipIf(!hasCargo).each(byMap.filter((c) => c.map === 'array' || c.map === 'per-cpu-array'))(
    '$map ($program): cargo test --workspace --all-features runs the unit tests, and says the object tests are ignored',
    async (c) => {
      // Every feature: the bench's options meet the others' on one command line.
      const r = await run('cargo', ['test', '--locked', '--workspace', '--all-features'], c.dir, env);
      expect(r.code, r.out.slice(-6000)).toBe(0);
      const passed = (name: string) => new RegExp(`^test ${name} \\.\\.\\. ok$`, 'm');
      for (const name of [
        'selftest::tests::demands_exactly_the_runs_when_asked',
        'selftest::tests::fails_a_short_count',
        'selftest::tests::a_counter_that_went_down_was_reset',
        'selftest::tests::only_a_counted_verdict_passes_and_a_failed_one_is_exit_6',
        'exit::tests::says_each_cause_once',
        'exit::tests::the_loader_ends_with_the_code_of_its_error',
        'exit::tests::a_rejection_is_3_with_the_verifier_log',
        'ebpf::tests::finds_the_llvm_that_ldd_resolved',
        'command_line_is_consistent',
      ])
        expect(r.stdout).toMatch(passed(name));
      if (c.program === 'kprobe')
        expect(r.stdout).toMatch(passed('program::tests::counts_the_native_and_the_compat_entries'));
      const ignored =
        /^test has_the_program_the_loader_attaches \.\.\. ignored, built with AYA_BUILD_SKIP: no eBPF object$/m;
      expect(r.stdout).toMatch(ignored);
    },
    600_000,
  );
});

// A kernel symbol may have 128 characters, a tracepoint 256: the loader's DEFAULT_ATTACH line is then laid out as
// rustfmt lays it out (broken after `=`, or whole when even that does not fit), so `cargo fmt --check` passes.
describe.skipIf(!hasRustfmt)('long attach targets', () => {
  const targets = [
    ['kprobe', `__x64_sys_${'a'.repeat(60)}`],
    ['kprobe', `s${'y'.repeat(127)}`],
    ['tracepoint', `${'c'.repeat(100)}/${'e'.repeat(100)}`],
  ] as const;
  it.each(targets)('%s: a long target (case %#) is rustfmt-clean', async (program, attach) => {
    const dir = makeTmp('long-attach');
    const r = await runCli(['w', '--program', program, '--attach', attach, '--yes', '--no-git', '--no-verify'], {
      cwd: dir,
    });
    expect(r.code, show(r)).toBe(0);
    const file = path.join(dir, 'w', 'w', 'src', 'program.rs');
    const fmt = await run('rustfmt', ['--check', '--edition', '2024', file], dir);
    expect(fmt.code, fmt.out).toBe(0);
    expect(fs.readFileSync(file, 'utf8').replace(/=\n\s+"/, '= "')).toContain(
      `pub const DEFAULT_ATTACH: &str = "${attach}";`,
    );
  });
});

describe('the shipped Cargo.lock', () => {
  it('is re-sorted for the crate name: packages and dependency lists by name, same versions in order', () => {
    const lock = [
      'version = 4',
      '',
      '[[package]]',
      'name = "b"',
      'version = "1.0.0"',
      'dependencies = [',
      ' "zeta",',
      ' "alpha 2.0.0",',
      ' "alpha 10.0.0",',
      ']',
      '',
      '[[package]]',
      'name = "syn"',
      'version = "1.0.109"',
      '',
      '[[package]]',
      'name = "syn"',
      'version = "2.0.119"',
      '',
      '[[package]]',
      'name = "a"',
      'version = "0.1.0"',
      '',
    ].join('\n');
    expect(sortCargoLock(lock)).toBe(
      [
        'version = 4',
        '',
        '[[package]]',
        'name = "a"',
        'version = "0.1.0"',
        '',
        '[[package]]',
        'name = "b"',
        'version = "1.0.0"',
        'dependencies = [',
        ' "alpha 2.0.0",',
        ' "alpha 10.0.0",',
        ' "zeta",',
        ']',
        '',
        '[[package]]',
        'name = "syn"',
        'version = "1.0.109"',
        '',
        '[[package]]',
        'name = "syn"',
        'version = "2.0.119"',
        '',
      ].join('\n'),
    );
  });

  // Names before (`a`), between (`m`, `tokio-x`) and after (`zz`) the dependencies' names: cargo refuses with
  // --locked any lock whose text it would write differently. Resolving needs crates.io (or its cache).
  it.skipIf(!hasCargo)(
    'is accepted by cargo --locked whatever the crate name',
    async () => {
      const dir = makeTmp('lock-names');
      await pool(['a', 'm', 'tokio-x', 'zz'], 4, async (name) => {
        const r = await runCli([name, '--yes', '--no-git'], { cwd: dir });
        expect(r.code, show(r)).toBe(0);
        const ws = path.join(dir, name);
        const before = fs.readFileSync(path.join(ws, 'Cargo.lock'), 'utf8');
        const meta = await run('cargo', ['metadata', '--locked', '--format-version', '1'], ws);
        expect(meta.code, `${name}: ${meta.out.slice(-3000)}`).toBe(0);
        expect(fs.readFileSync(path.join(ws, 'Cargo.lock'), 'utf8')).toBe(before);
      });
    },
    120_000,
  );
});
