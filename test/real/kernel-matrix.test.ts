// The kernel matrix (docs/kernels.md): generated workspaces run by their own `cargo xtask vm` on Debian's x86-64 and
// arm64 kernels (5.10, 6.1, 6.12, fetched by .ci/fetch-kernels.sh) booted in QEMU, and directly on this machine's
// kernel. x86-64: every map × {relaxed, seqcst} × {kprobe, tracepoint}. arm64 (emulated, with a loader cross-built
// for it): the representative set marked in the table, in the same `cargo xtask vm` run as the x86-64 kernels (one
// table for both); and atomic_fetch_add once more with the arm64 JIT switched off, so the kernel's interpreter runs it.
//
// The expectations are literal tables written from the kernels' history (docs/kernels.md), not read from
// src/facts.ts: a generator change that breaks a kernel claim (a BPF cpu, a minimum kernel, a count, a symbol)
// fails this test.
//
// Every run writes its record (the shape records/verified-kernels.json has, read by the READMEs) to
// $TMPDIR/create-aya-atomic-verified-kernels.json; with AYA_ATOMIC_RECORD_KERNELS=1 (`npm run record:kernels`)
// a complete run whose expectations all held also writes records/verified-kernels.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SHARED_TARGET, ensureTracefs, isRoot, missingToolchain, sh, show, skipUnlessCi } from './env.js';
import { CARGO_ENV, build, workspace, type Combo, type MapKind, type Program } from './workspace-cache.js';
import type { VerifiedResult, VerifiedService } from '../../src/readme.js';

/** Runs of `true` per `--selftest`. */
const N = 1000;

type Verdict = 'counted' | 'rejected';
type Arch = 'amd64' | 'arm64';
type KernelId = `${Arch}-${'5.10' | '6.1' | '6.12'}`;
const AMD64: KernelId[] = ['amd64-5.10', 'amd64-6.1', 'amd64-6.12'];
const ARM64: KernelId[] = ['arm64-5.10', 'arm64-6.1', 'arm64-6.12'];
/** What `cargo xtask vm` calls each architecture (Rust's names). */
const VM_ARCH: Record<Arch, string> = { amd64: 'x86_64', arm64: 'aarch64' };

// What each kernel does with each combination. The BPF cpu follows from the ordering and the map (docs/bpf-atomics.md):
// an ordering other than relaxed on a shared map (array, hash, lru-hash) compiles to atomic_fetch_add at BPF cpu v3,
// an instruction 5.10's verifier does not know (added in 5.12), on either architecture; the per-CPU maps use a plain
// add at cpu generic whatever the ordering. Everything accepted counts exactly N in the VM, where nothing but the
// selftest runs execve, and is JIT-compiled (Debian's kernels enable the JIT by default on both architectures).
//
// arm64 runs a representative set, not all 24 (emulated, with its own cross build: docs/kernels.md says what it
// costs): every instruction the counter can become (the locked add, which arm64's JIT makes STADD; the fully ordered
// atomic_fetch_add, LDADDAL; the plain add of the per-CPU maps), every map shape (array, per-CPU array, hash with
// its insert, per-CPU hash), LRU, both program types, and `auto`'s arm64 symbol.
const C = 'counted';
const R = 'rejected';
const WHY_510 = 'BPF_STX uses reserved fields'; // 5.10's verifier on BPF_ATOMIC | BPF_FETCH
// prettier-ignore
const TABLE: [MapKind, 'relaxed' | 'seqcst', Program, 'generic' | 'v3', Verdict[], Verdict[] | null][] = [
  // map               ordering   program       cpu        amd64 5.10 6.1 6.12  arm64 5.10 6.1 6.12 (null: not run)
  ['array',            'relaxed', 'kprobe',     'generic', [C, C, C],           [C, C, C]],
  ['array',            'relaxed', 'tracepoint', 'generic', [C, C, C],           null],
  ['array',            'seqcst',  'kprobe',     'v3',      [R, C, C],           null],
  ['array',            'seqcst',  'tracepoint', 'v3',      [R, C, C],           [R, C, C]],
  ['per-cpu-array',    'relaxed', 'kprobe',     'generic', [C, C, C],           null],
  ['per-cpu-array',    'relaxed', 'tracepoint', 'generic', [C, C, C],           [C, C, C]],
  ['per-cpu-array',    'seqcst',  'kprobe',     'generic', [C, C, C],           null],
  ['per-cpu-array',    'seqcst',  'tracepoint', 'generic', [C, C, C],           null],
  ['hash',             'relaxed', 'kprobe',     'generic', [C, C, C],           null],
  ['hash',             'relaxed', 'tracepoint', 'generic', [C, C, C],           null],
  ['hash',             'seqcst',  'kprobe',     'v3',      [R, C, C],           null],
  ['hash',             'seqcst',  'tracepoint', 'v3',      [R, C, C],           null],
  ['per-cpu-hash',     'relaxed', 'kprobe',     'generic', [C, C, C],           null],
  ['per-cpu-hash',     'relaxed', 'tracepoint', 'generic', [C, C, C],           null],
  ['per-cpu-hash',     'seqcst',  'kprobe',     'generic', [C, C, C],           [C, C, C]],
  ['per-cpu-hash',     'seqcst',  'tracepoint', 'generic', [C, C, C],           null],
  ['lru-hash',         'relaxed', 'kprobe',     'generic', [C, C, C],           null],
  ['lru-hash',         'relaxed', 'tracepoint', 'generic', [C, C, C],           null],
  ['lru-hash',         'seqcst',  'kprobe',     'v3',      [R, C, C],           [R, C, C]],
  ['lru-hash',         'seqcst',  'tracepoint', 'v3',      [R, C, C],           null],
  ['lru-per-cpu-hash', 'relaxed', 'kprobe',     'generic', [C, C, C],           null],
  ['lru-per-cpu-hash', 'relaxed', 'tracepoint', 'generic', [C, C, C],           null],
  ['lru-per-cpu-hash', 'seqcst',  'kprobe',     'generic', [C, C, C],           null],
  ['lru-per-cpu-hash', 'seqcst',  'tracepoint', 'generic', [C, C, C],           null],
];
// Where each program attaches by default: the kprobe's `auto` is execve's native and 32-bit (compat) entries of the
// loader's architecture, which every one of these kernels has (all run 32-bit programs: CONFIG_IA32_EMULATION on
// x86-64, CONFIG_COMPAT on arm64); the tracepoint is the stable syscalls/sys_enter_execve.
const ATTACHED: Record<Arch, Record<Program, string>> = {
  amd64: {
    kprobe: 'kprobe on __x64_sys_execve, __ia32_compat_sys_execve',
    tracepoint: 'tracepoint syscalls/sys_enter_execve',
  },
  arm64: {
    kprobe: 'kprobe on __arm64_sys_execve, __arm64_compat_sys_execve',
    tracepoint: 'tracepoint syscalls/sys_enter_execve',
  },
};
// The loader as a service (docs/service.md), on one kprobe and one tracepoint workspace: `cargo xtask vm --service`.
// pin: where the kernel has BPF links for perf events (5.15 and later), a count pinned by one start goes on at the
// next with the runs of `true` made while no loader ran (continued); 5.10 has none: the count goes on, without them
// (count-kept). least: Debian's kernels boot with kernel.perf_event_paranoid 3, where their perf_event_open demands
// CAP_SYS_ADMIN; at 2, CAP_BPF and CAP_PERFMON do; a tracepoint adds CAP_DAC_READ_SEARCH (tracefs is root's alone).
// The arm64 VMs have no setpriv (util-linux for arm64), so least runs on x86-64 only.
const WITH_SERVICE: Combo[] = [
  { map: 'array', ordering: 'relaxed', program: 'kprobe' },
  { map: 'array', ordering: 'relaxed', program: 'tracepoint' },
];
const PIN: Record<KernelId, string> = {
  'amd64-5.10': 'count-kept',
  'amd64-6.1': 'continued',
  'amd64-6.12': 'continued',
  'arm64-5.10': 'count-kept',
  'arm64-6.1': 'continued',
  'arm64-6.12': 'continued',
};
const LEAST: Record<Arch, Record<Program, string>> = {
  amd64: {
    kprobe: 'ok: paranoid 3 +sys_admin; paranoid 2 +bpf,+perfmon',
    tracepoint: 'ok: paranoid 3 +sys_admin,+dac_read_search; paranoid 2 +bpf,+perfmon,+dac_read_search',
  },
  arm64: {
    kprobe: 'not-run: no setpriv for this architecture',
    tracepoint: 'not-run: no setpriv for this architecture',
  },
};

// With the JIT off (the kernel's command line sets net.core.bpf_jit_enable=0, as a kernel whose JIT cannot compile
// an instruction falls back to), arm64 6.1 and 6.12 run atomic_fetch_add in their interpreter and count exactly.
const INTERPRETED: Combo = { map: 'array', ordering: 'seqcst', program: 'tracepoint' };
const INTERPRETED_ON: KernelId[] = ['arm64-6.1', 'arm64-6.12'];
const JIT_OFF = 'sysctl.net.core.bpf_jit_enable=0';

// The host's kernel: every program loads (all kernels >= 5.12 accept cpu v3); a kprobe attaches only where
// the kernel has kprobe support (this project's machines have none: the loader exits 5 and says so).
const HOST_KPROBES = existsSync('/sys/bus/event_source/devices/kprobe/type');

const KERNELS_DIR =
  process.env.AYA_ATOMIC_KERNELS_DIR ??
  (isRoot
    ? '/var/cache/create-aya-atomic/kernels'
    : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'create-aya-atomic/kernels'));
/** Where .ci/fetch-kernels.sh links the arm64 busybox as `busybox-aarch64`, for `cargo xtask vm` to find on PATH. */
const VM_PATH = `${path.join(KERNELS_DIR, 'bin')}:${process.env.PATH ?? ''}`;

interface Fetched {
  id: KernelId;
  arch: Arch;
  release: string;
  pkg: string;
  version: string;
  debian: string;
  image: string;
}
/**
 * The kernels .ci/fetch-kernels.sh wrote (`<cache>/<id>/package`: id, release, package, version, Debian release, arch).
 */
function fetchedKernels(): Fetched[] | string {
  const found: Fetched[] = [];
  for (const id of [...AMD64, ...ARM64]) {
    const file = path.join(KERNELS_DIR, id, 'package');
    if (!existsSync(file)) return `kernel ${id} is not in ${KERNELS_DIR}: run bash .ci/fetch-kernels.sh`;
    const [, release, pkg, version, debian, arch] = readFileSync(file, 'utf8').trim().split(/\s+/);
    const image = path.join(KERNELS_DIR, id, 'boot', `vmlinuz-${release}`);
    if (!existsSync(image)) return `${image} is missing: run bash .ci/fetch-kernels.sh`;
    found.push({ id, arch: arch as Arch, release, pkg, version, debian, image });
  }
  if (!existsSync(path.join(KERNELS_DIR, 'bin', 'busybox-aarch64')))
    return `no busybox-aarch64 in ${KERNELS_DIR}/bin: run bash .ci/fetch-kernels.sh`;
  return found;
}

const onPath = (cmd: string) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, cmd)));
const needs: [string, string][] = [
  ['qemu-system-x86_64', 'apt-get install qemu-system-x86'],
  ['qemu-system-aarch64', 'apt-get install qemu-system-arm'],
  ['busybox', 'apt-get install busybox-static'],
  ['aarch64-linux-gnu-gcc', 'apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross'],
];
const kernels = fetchedKernels();
const skipReason = skipUnlessCi(
  missingToolchain() ??
    (isRoot ? undefined : 'not root: loading BPF programs on the host kernel needs root') ??
    needs
      .filter(([cmd]) => !onPath(cmd))
      .map(([cmd, fix]) => `${cmd} is missing (${fix}, or bash .ci/fetch-kernels.sh)`)[0] ??
    (typeof kernels === 'string' ? kernels : undefined),
);
if (skipReason) console.warn(`kernel matrix skipped: ${skipReason}`);

/** A result as the record holds it (src/readme.ts reads it); the verdict as the VM's table printed it. */
type Result = Omit<VerifiedResult, 'verdict'> & { verdict: string };
const results: Result[] = [];
/** `cargo xtask vm --service`'s verdicts, recorded beside the results (the READMEs say where it ran). */
const serviceResults: VerifiedService[] = [];
const passed = new Set<string>();
const timings: { name: string; total: number; boots: number[] }[] = [];
const accel: Record<string, string> = {};

/** One row of `cargo xtask vm`'s table: kernel, arch, verdict, expected, observed (or -), jit (or -), detail. */
function rows(stdout: string) {
  return stdout.split('\n').flatMap((line) => {
    const m =
      /^(\S+)\s+(x86_64|aarch64)\s+(counted|rejected|failed|vm-crashed|timed-out)\s+(\d+)\s+(\d+|-)\s+(yes|no|-)\s+(.*)$/.exec(
        line,
      );
    return m
      ? [
          {
            release: m[1],
            arch: m[2],
            verdict: m[3],
            expected: Number(m[4]),
            observed: m[5] === '-' ? undefined : Number(m[5]),
            jit: m[6] === '-' ? undefined : m[6] === 'yes',
            detail: m[7],
          },
        ]
      : [];
  });
}
type Row = ReturnType<typeof rows>[number];

/** The exit code `cargo xtask vm` owes for these rows: 12 a probe verdict, else 13 a VM's failure, else 0. */
function exitFor(table: Row[]): number {
  if (table.some((r) => r.verdict === 'rejected' || r.verdict === 'failed')) return 12;
  return table.some((r) => r.verdict === 'vm-crashed' || r.verdict === 'timed-out') ? 13 : 0;
}

/** Emulated kernels crash now and then for reasons of their own (docs/kernels.md): a kernel whose VM crashed or hung
 *  is booted again, up to this many times, and every such boot is reported. */
const VM_RETRIES = 2;
const vmFailures: string[] = [];

/** `cargo xtask vm` on `on`: its table (checked against its exit code), what it printed, the boots' times. */
function xtaskVm(dir: string, on: Fetched[], extra: string[] = []) {
  const vm = sh(
    'cargo',
    ['xtask', 'vm', ...on.flatMap((k) => ['--kernel', k.image]), '--selftest', String(N), ...extra],
    dir,
    { ...CARGO_ENV, PATH: VM_PATH },
  );
  for (const m of vm.stderr.matchAll(/^vm: (x86_64|aarch64): (KVM.*|emulation.*)$/gm)) accel[m[1]] = m[2];
  const table = rows(vm.stdout);
  expect(table, show(vm)).toHaveLength(on.length);
  table.forEach((row, i) => {
    expect(row.release, show(vm)).toBe(on[i].release);
    expect(row.arch, show(vm)).toBe(VM_ARCH[on[i].arch]);
  });
  expect(vm.status, show(vm)).toBe(exitFor(table));
  const boots = [...vm.stderr.matchAll(/^vm: \S+: \S+ \((\d+) s\)$/gm)].map((m) => Number(m[1]));
  return { table, service: serviceRows(vm.stdout), boots, output: show(vm) };
}

/** `--service`'s table: kernel, arch, pin (continued, count-kept or failed: …), least. */
function serviceRows(stdout: string) {
  const after = stdout.split(/^kernel\s+arch\s+pin\s+least$/m)[1] ?? '';
  return after.split('\n').flatMap((line) => {
    const m = /^(\S+)\s+(x86_64|aarch64)\s+(continued|count-kept|failed: .*?)\s+((?:ok|not-run|failed): .*)$/.exec(
      line,
    );
    return m ? [{ release: m[1], pin: m[3], least: m[4] }] : [];
  });
}

/** xtaskVm, booting again (up to VM_RETRIES times) each kernel whose VM crashed or hung. */
function xtaskVmRetrying(name: string, dir: string, on: Fetched[], extra: string[] = []) {
  const { table, service, boots, output } = xtaskVm(dir, on, extra);
  let outputs = output;
  for (let retry = 1; retry <= VM_RETRIES; retry++) {
    const again = on.filter((_, i) => table[i].verdict === 'vm-crashed' || table[i].verdict === 'timed-out');
    if (!again.length) break;
    for (const k of again) {
      const row = table[on.indexOf(k)];
      vmFailures.push(`${name} on ${k.id}: ${row.verdict} (${row.detail})`);
      console.warn(
        `kernel matrix: ${name} on ${k.id}: ${row.verdict} (${row.detail}); booting it again (${retry}/${VM_RETRIES})`,
      );
    }
    const rerun = xtaskVm(dir, again, extra);
    again.forEach((k, j) => {
      table[on.indexOf(k)] = rerun.table[j];
    });
    service.push(...rerun.service);
    boots.push(...rerun.boots);
    outputs += `\n--- booted again: ${again.map((k) => k.id).join(', ')}\n${rerun.output}`;
  }
  return { table, service, boots, outputs };
}

/** What an ELF file's header says: its machine (62 x86-64, 183 arm64) and whether it has no dynamic loader. */
function elfHeader(file: string) {
  const bytes = readFileSync(file);
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const [size, count] = [bytes.readUInt16LE(0x36), bytes.readUInt16LE(0x38)];
  const types = Array.from({ length: count }, (_, i) => bytes.readUInt32LE(phoff + i * size));
  return { machine: bytes.readUInt16LE(0x12), isStatic: !types.includes(3 /* PT_INTERP */) };
}

describe.skipIf(Boolean(skipReason))(
  'the kernel matrix: Debian 5.10, 6.1 and 6.12 for x86-64 and arm64 in QEMU, and this machine’s kernel',
  () => {
    const fetched = kernels as Fetched[];
    const of = (ids: KernelId[]) => ids.map((id) => fetched.find((k) => k.id === id) as Fetched);

    afterAll(() => {
      writeRecord(fetched);
      const boots = timings.flatMap((t) => t.boots);
      const booted = boots.reduce((a, b) => a + b, 0);
      const total = timings.reduce((sum, t) => sum + t.total, 0);
      if (timings.length) {
        console.log(
          `kernel matrix: ${timings.length} runs in ${Math.round(total)} s: ${boots.length} boots took ` +
            `${Math.round(booted)} s (median ${median(boots)} s), the rest (generate, build, cross build, host ` +
            `checks) ${Math.round(total - booted)} s; ${Object.entries(accel)
              .map(([arch, how]) => `${arch}: ${how}`)
              .join('; ')}; ` +
            `${vmFailures.length ? `VMs that crashed or hung and were booted again: ${vmFailures.join('; ')}` : 'no VM crashed or hung'}`,
        );
      }
    });

    // What the JIT rows rest on (docs/kernels.md): every one of these kernels has the JIT, on by default, and its
    // interpreter too (CONFIG_BPF_JIT_ALWAYS_ON unset), so a program the JIT cannot compile runs interpreted rather
    // than being refused with error 524; and kprobes, tracepoints on syscalls, and BTF.
    it('the kernels are built with the JIT on by default, the interpreter kept, kprobes, syscall tracepoints, arm64 LSE atomics', () => {
      const wanted = {
        CONFIG_BPF_SYSCALL: 'y',
        CONFIG_BPF_JIT: 'y',
        CONFIG_BPF_JIT_DEFAULT_ON: 'y',
        CONFIG_BPF_JIT_ALWAYS_ON: 'not set',
        CONFIG_KPROBES: 'y',
        CONFIG_FTRACE_SYSCALLS: 'y',
        CONFIG_DEBUG_INFO_BTF: 'y',
        CONFIG_COMPAT: 'y',
      };
      // arm64: the LSE atomics (ARMv8.1), which QEMU's -cpu max has: the JIT emits STADD and LDADDAL, not
      // exclusive-load/store loops (docs/kernels.md).
      const arm64: Record<string, string> = { CONFIG_ARM64_LSE_ATOMICS: 'y' };
      for (const k of fetched) {
        const config = readFileSync(path.join(path.dirname(k.image), `config-${k.release}`), 'utf8');
        const value = (name: string) =>
          new RegExp(`^${name}=(.*)$`, 'm').exec(config)?.[1] ??
          (new RegExp(`^# ${name} is not set$`, 'm').test(config) ? 'not set' : 'absent');
        const expected: Record<string, string> = { ...wanted, ...(k.arch === 'arm64' ? arm64 : {}) };
        expect(Object.fromEntries(Object.keys(expected).map((name) => [name, value(name)])), k.id).toEqual(expected);
      }
    });

    for (const [map, ordering, program, cpu, amd64, arm64] of TABLE) {
      const expected = new Map<KernelId, Verdict>(AMD64.map((id, i) => [id, amd64[i]]));
      if (arm64) ARM64.forEach((id, i) => expected.set(id, arm64[i]));
      const title = [...expected].map(([id, verdict]) => `${id} ${verdict}`).join(', ');
      it(`${map} ${ordering} ${program}: ${title}`, () => {
        const started = Date.now();
        // Generated and built once per run for every real test that needs this combination (workspace-cache.ts).
        const ws = workspace({ map, ordering, program });
        const { name, dir } = ws;
        build(ws, 'release');
        // The generator's BPF cpu for this combination is the one the table's verdicts depend on.
        expect(readFileSync(path.join(dir, '.cargo/config.toml'), 'utf8')).toMatch(
          new RegExp(`^EBPF_CPU = "${cpu}"`, 'm'),
        );
        // The minimum kernel the generated README claims, on both architectures: every kernel the table accepts is
        // at least that, every kernel it rejects is older.
        const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
        const claimed = /^\| minimum kernel \| (\d+)\.(\d+) \|$/m.exec(readme);
        expect(claimed, 'the generated README states no "| minimum kernel | X.Y |"').not.toBeNull();
        const minimum = [Number(claimed?.[1]), Number(claimed?.[2])];
        for (const [id, verdict] of expected) {
          const [major, minor] = id.split('-')[1].split('.').map(Number);
          const old = major < minimum[0] || (major === minimum[0] && minor < minimum[1]);
          expect(old ? R : C, `README: minimum kernel ${minimum.join('.')}; kernel ${id}`).toBe(verdict);
        }

        if (arm64) {
          // What a team ships for arm64: one static executable, built here with Debian's Rust and its library
          // source (rustup cannot add targets on these machines) and the GNU cross linker.
          const cross = sh('cargo', ['xtask', 'build', '--target', 'aarch64-unknown-linux-gnu'], dir, CARGO_ENV);
          expect(cross.status, show(cross)).toBe(0);
          const loader = cross.stdout.trim().split('\n').pop() ?? '';
          expect(loader).toBe(path.join(SHARED_TARGET, 'aarch64-unknown-linux-gnu', 'release', name));
          expect(elfHeader(loader), loader).toEqual({ machine: 183, isStatic: true });
        }

        // x86-64 and (for this set) arm64 in one run: one table.
        const on = of([...expected.keys()]);
        const withService = WITH_SERVICE.some((c) => c.map === map && c.ordering === ordering && c.program === program);
        const { table, service, boots, outputs } = xtaskVmRetrying(name, dir, on, withService ? ['--service'] : []);
        table.forEach((row, i) => {
          const kernel = on[i];
          const result: Result = { map, ordering, program, kernel: kernel.id, verdict: row.verdict };
          if (row.verdict === 'rejected') {
            result.reason = row.detail.replace(/ \((not )?explained.*\)$/, '');
            result.explained = /\(explained: /.test(row.detail);
          } else {
            Object.assign(result, { expected: row.expected, observed: row.observed, jit: row.jit });
          }
          results.push(result);
        });
        table.forEach((row, i) => {
          const kernel = on[i];
          const context = `${kernel.id}: ${row.verdict} ${row.detail}\n${outputs}`;
          expect(row.verdict, context).toBe(expected.get(kernel.id));
          if (row.verdict === 'rejected') {
            expect(row.detail, context).toBe(`${WHY_510} (explained: BPF cpu v3 needs kernel >= 5.12)`);
          } else {
            // Nothing but the selftest runs execve in the VM: the count is exact.
            expect(row.observed, context).toBe(N);
            expect(row.detail, context).toBe(ATTACHED[kernel.arch][program]);
            expect(row.jit, context).toBe(true);
          }
        });
        // A rejection shows the loader's own note on the kernel it needs.
        if ([...expected.values()].includes(R)) expect(outputs).toMatch(/^note: .*kernel >= 5\.12/m);
        // The loader as a service, on every kernel of the run: each kernel's row, the last one booted.
        if (withService) {
          for (const kernel of on) {
            const row = service.findLast((r) => r.release === kernel.release);
            const context = `${kernel.id}: --service\n${outputs}`;
            expect(row, context).toBeDefined();
            expect(row?.pin, context).toBe(PIN[kernel.id]);
            expect(row?.least, context).toBe(LEAST[kernel.arch][program]);
            serviceResults.push({ map, ordering, program, kernel: kernel.id, pin: row!.pin, least: row!.least });
          }
        }

        // This machine's kernel, directly: the verifier judges every program; kprobes attach where supported.
        ensureTracefs();
        const loader = ws.loader('release');
        const check = sh(loader, ['--check'], dir);
        expect(check.status, show(check)).toBe(0);
        // PATH=/bin: the loader runs `true` by name, and every directory of PATH it tries first is one more execve
        // (a failed one) that the probe counts too; with /bin alone each run is one execve, as in the VM.
        const selftest = sh(loader, ['--selftest', String(N)], dir, { PATH: '/bin' });
        const host: Result = { map, ordering, program, kernel: 'host', verdict: 'accepted' };
        if (program === 'kprobe' && !HOST_KPROBES) {
          expect(selftest.status, show(selftest)).toBe(5);
          expect(selftest.stderr).toMatch(/no kprobe support/);
        } else {
          expect(selftest.status, show(selftest)).toBe(0);
          const observed = Number(/^observed: (\d+)$/m.exec(selftest.stdout)?.[1]);
          // Other processes on this machine run execve too: N or more, not exactly N.
          expect(observed).toBeGreaterThanOrEqual(N);
          Object.assign(host, { verdict: 'counted', expected: N, observed });
        }
        results.push(host);
        passed.add(name);
        timings.push({ name, total: (Date.now() - started) / 1000, boots });
      });
    }

    const { map, ordering, program } = INTERPRETED;
    it(`${map} ${ordering} ${program} with the JIT off (${JIT_OFF}): ${INTERPRETED_ON.join(', ')} interpret atomic_fetch_add and count exactly`, () => {
      const started = Date.now();
      const ws = workspace(INTERPRETED);
      build(ws, 'release');
      const on = of(INTERPRETED_ON);
      const { table, boots, outputs } = xtaskVmRetrying(`${ws.name} (JIT off)`, ws.dir, on, ['--append', JIT_OFF]);
      table.forEach((row, i) => {
        results.push({
          map,
          ordering,
          program,
          kernel: on[i].id,
          verdict: row.verdict,
          expected: row.expected,
          observed: row.observed,
          jit: row.jit,
          append: JIT_OFF,
        });
        const context = `${on[i].id}: ${row.verdict} ${row.detail}\n${outputs}`;
        expect(row.verdict, context).toBe(C);
        expect(row.observed, context).toBe(N);
        expect(row.jit, context).toBe(false);
      });
      passed.add(`${ws.name} (JIT off)`);
      timings.push({ name: `${ws.name} (JIT off)`, total: (Date.now() - started) / 1000, boots });
    });
  },
);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
}

/** The record the READMEs read; into records/ only when asked, and only for a complete run that held. */
function writeRecord(fetched: Fetched[]) {
  if (!results.length) return;
  const record = {
    date: new Date().toISOString().slice(0, 10),
    generatorVersion: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    selftest: N,
    kernels: [
      ...fetched.map((k) => ({
        id: k.id,
        arch: k.arch,
        release: k.release,
        package: `${k.pkg} (Debian ${k.debian})`,
        how: `QEMU, 2 vCPUs, ${accel[VM_ARCH[k.arch]]?.startsWith('KVM') ? 'KVM' : 'emulated (TCG)'}`,
      })),
      { id: 'host', release: os.release(), how: `this machine's kernel${HOST_KPROBES ? '' : ' (no kprobe support)'}` },
    ],
    results,
    service: serviceResults,
  };
  const json = `${JSON.stringify(record, null, 2)}\n`;
  writeFileSync(path.join(os.tmpdir(), 'create-aya-atomic-verified-kernels.json'), json);
  const runs = TABLE.length + 1; // and the JIT-off run
  const complete = passed.size === runs;
  if (process.env.AYA_ATOMIC_RECORD_KERNELS === '1') {
    if (complete) writeFileSync(path.join(ROOT, 'records', 'verified-kernels.json'), json);
    else
      console.warn(`kernel matrix: ${passed.size} of ${runs} runs held: records/verified-kernels.json left as it was`);
  }
}
