// The kernel matrix (issue 12): every map × {relaxed, seqcst} × {kprobe, tracepoint}, generated with Debian's
// toolchain and run by the generated workspace's own `cargo xtask vm` on three Debian kernels booted in QEMU
// (fetched by .ci/fetch-kernels.sh), and directly on this machine's kernel.
//
// The expectations are written here from the kernel facts (AYA-NOTES §2 and §7, the kernels' own sources), not
// read from src/facts.ts: a generator change that breaks a kernel claim (a BPF cpu, a minimum kernel, a
// count) fails this test.
//
// Every run writes its record (the shape records/verified-kernels.json has, read by the READMEs) to
// $TMPDIR/create-aya-atomic-verified-kernels.json; with AYA_ATOMIC_RECORD_KERNELS=1 (`npm run record:kernels`)
// a complete run whose expectations all held also writes records/verified-kernels.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, ensureTracefs, isRoot, missingToolchain, sh, show, skipUnlessCi } from './env.js';
import { CARGO_ENV, build, workspace, type MapKind } from './workspace-cache.js';

/** Runs of `true` per `--selftest`. */
const N = 1000;

type Verdict = 'counted' | 'rejected';
type Kernel = '5.10' | '6.1' | '6.12';
const KERNELS: Kernel[] = ['5.10', '6.1', '6.12'];

// What each kernel does with each combination, the same for kprobe and tracepoint. The BPF cpu follows from the
// ordering and the map (SPEC, "Ordering and map together"): an ordering other than relaxed on a shared map (array,
// hash, lru-hash) compiles to atomic_fetch_add at BPF cpu v3, an instruction 5.10's verifier does not know (added
// in 5.12); the per-CPU maps use a plain add at cpu generic whatever the ordering. Everything accepted counts
// exactly N in the VM, where nothing but the selftest runs execve.
const WHY_510 = 'BPF_STX uses reserved fields'; // 5.10's verifier on BPF_ATOMIC | BPF_FETCH
//  map                 ordering   cpu        5.10        6.1        6.12
const TABLE: [MapKind, 'relaxed' | 'seqcst', 'generic' | 'v3', Verdict, Verdict, Verdict][] = [
  ['array', 'relaxed', 'generic', 'counted', 'counted', 'counted'],
  ['array', 'seqcst', 'v3', 'rejected', 'counted', 'counted'],
  ['per-cpu-array', 'relaxed', 'generic', 'counted', 'counted', 'counted'],
  ['per-cpu-array', 'seqcst', 'generic', 'counted', 'counted', 'counted'],
  ['hash', 'relaxed', 'generic', 'counted', 'counted', 'counted'],
  ['hash', 'seqcst', 'v3', 'rejected', 'counted', 'counted'],
  ['per-cpu-hash', 'relaxed', 'generic', 'counted', 'counted', 'counted'],
  ['per-cpu-hash', 'seqcst', 'generic', 'counted', 'counted', 'counted'],
  ['lru-hash', 'relaxed', 'generic', 'counted', 'counted', 'counted'],
  ['lru-hash', 'seqcst', 'v3', 'rejected', 'counted', 'counted'],
  ['lru-per-cpu-hash', 'relaxed', 'generic', 'counted', 'counted', 'counted'],
  ['lru-per-cpu-hash', 'seqcst', 'generic', 'counted', 'counted', 'counted'],
];
const PROGRAMS = ['kprobe', 'tracepoint'] as const;
// Where each program attaches by default: the kprobe's `auto` is execve's native and 32-bit (compat) entries on
// x86-64, which every one of these kernels has (all run 32-bit programs); the tracepoint is the stable
// syscalls/sys_enter_execve.
const ATTACHED = {
  kprobe: 'kprobe on __x64_sys_execve, __ia32_compat_sys_execve',
  tracepoint: 'tracepoint syscalls/sys_enter_execve',
};

// The host's kernel: every program loads (all kernels >= 5.12 accept cpu v3); a kprobe attaches only where
// the kernel has kprobe support (this project's machines have none: the loader exits 5 and says so).
const HOST_KPROBES = existsSync('/sys/bus/event_source/devices/kprobe/type');

const KERNELS_DIR =
  process.env.AYA_ATOMIC_KERNELS_DIR ??
  (isRoot
    ? '/var/cache/create-aya-atomic/kernels'
    : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'create-aya-atomic/kernels'));

interface Fetched {
  id: Kernel;
  release: string;
  pkg: string;
  version: string;
  debian: string;
  image: string;
}
/** The kernels .ci/fetch-kernels.sh wrote (`<cache>/<id>/package`: id, release, package, version, Debian release). */
function fetchedKernels(): Fetched[] | string {
  const found: Fetched[] = [];
  for (const id of KERNELS) {
    const file = path.join(KERNELS_DIR, id, 'package');
    if (!existsSync(file)) return `kernel ${id} is not in ${KERNELS_DIR}: run bash .ci/fetch-kernels.sh`;
    const [, release, pkg, version, debian] = readFileSync(file, 'utf8').trim().split(/\s+/);
    const image = path.join(KERNELS_DIR, id, 'boot', `vmlinuz-${release}`);
    if (!existsSync(image)) return `${image} is missing: run bash .ci/fetch-kernels.sh`;
    found.push({ id, release, pkg, version, debian, image });
  }
  return found;
}

const onPath = (cmd: string) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, cmd)));
const kernels = fetchedKernels();
const skipReason = skipUnlessCi(
  missingToolchain() ??
    (isRoot ? undefined : 'not root: loading BPF programs on the host kernel needs root') ??
    (onPath('qemu-system-x86_64')
      ? undefined
      : 'qemu-system-x86_64 is missing (apt-get install qemu-system-x86, or bash .ci/fetch-kernels.sh)') ??
    (onPath('busybox')
      ? undefined
      : 'busybox is missing (apt-get install busybox-static, or bash .ci/fetch-kernels.sh)') ??
    (typeof kernels === 'string' ? kernels : undefined),
);
if (skipReason) console.warn(`kernel matrix skipped: ${skipReason}`);

interface Result {
  map: string;
  ordering: string;
  program: string;
  kernel: string;
  verdict: string;
  expected?: number;
  observed?: number;
  reason?: string;
  explained?: boolean;
}
const results: Result[] = [];
const passed = new Set<string>();
const timings: { name: string; total: number; boots: number[] }[] = [];
let accel = '';

/** One row of `cargo xtask vm`'s table: release, verdict, expected, observed (or -), detail. */
function rows(stdout: string) {
  return stdout.split('\n').flatMap((line) => {
    const m = /^(\S+)\s+(counted|rejected|failed|vm-crashed|timed-out)\s+(\d+)\s+(\d+|-)\s+(.*)$/.exec(line);
    return m
      ? [
          {
            release: m[1],
            verdict: m[2],
            expected: Number(m[3]),
            observed: m[4] === '-' ? undefined : Number(m[4]),
            detail: m[5],
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

/** Emulated kernels crash now and then for reasons of their own (AYA-NOTES §7): a kernel whose VM crashed or hung
 *  is booted again, up to this many times, and every such boot is reported. */
const VM_RETRIES = 2;
const vmFailures: string[] = [];

/** `cargo xtask vm` on `kernels`: its table (checked against its exit code), what it printed, the boots' times. */
function xtaskVm(dir: string, on: Fetched[]) {
  const vm = sh(
    'cargo',
    ['xtask', 'vm', ...on.flatMap((k) => ['--kernel', k.image]), '--selftest', String(N)],
    dir,
    CARGO_ENV,
  );
  accel = /^vm: (KVM.*|emulation.*)$/m.exec(vm.stderr)?.[1] ?? accel;
  const table = rows(vm.stdout);
  expect(table, show(vm)).toHaveLength(on.length);
  table.forEach((row, i) => expect(row.release, show(vm)).toBe(on[i].release));
  expect(vm.status, show(vm)).toBe(exitFor(table));
  const boots = [...vm.stderr.matchAll(/^vm: \S+: \S+ \((\d+) s\)$/gm)].map((m) => Number(m[1]));
  return { table, boots, output: show(vm) };
}

describe.skipIf(Boolean(skipReason))(
  `the kernel matrix: ${KERNELS.join(', ')} in QEMU, and this machine's kernel`,
  () => {
    const fetched = kernels as Fetched[];

    afterAll(() => {
      writeRecord(fetched);
      const boots = timings.flatMap((t) => t.boots);
      const total = timings.reduce((sum, t) => sum + t.total, 0);
      if (timings.length) {
        console.log(
          `kernel matrix: ${timings.length} workspaces in ${Math.round(total)} s: ${boots.length} boots took ` +
            `${Math.round(boots.reduce((a, b) => a + b, 0))} s (median ${median(boots)} s), the rest (generate, build, ` +
            `host checks) ${Math.round(total - boots.reduce((a, b) => a + b, 0))} s; ${accel}; ` +
            `${vmFailures.length ? `VMs that crashed or hung and were booted again: ${vmFailures.join('; ')}` : 'no VM crashed or hung'}`,
        );
      }
    });

    for (const [map, ordering, cpu, ...verdicts] of TABLE) {
      for (const program of PROGRAMS) {
        it(`${map} ${ordering} ${program}: ${KERNELS.map((k, i) => `${k} ${verdicts[i]}`).join(', ')}`, () => {
          const started = Date.now();
          // Generated and built once per run for every real test that needs this combination (workspace-cache.ts).
          const ws = workspace({ map, ordering, program });
          const { name, dir } = ws;
          build(ws, 'release');
          // The generator's BPF cpu for this combination is the one the table's verdicts depend on.
          expect(readFileSync(path.join(dir, '.cargo/config.toml'), 'utf8')).toMatch(
            new RegExp(`^EBPF_CPU = "${cpu}"`, 'm'),
          );
          // The minimum kernel the generated README claims: every kernel the table accepts is at least that, every
          // kernel it rejects is older.
          const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
          const claimed = /^\| minimum kernel \| (\d+)\.(\d+) \|$/m.exec(readme);
          expect(claimed, 'the generated README states no "| minimum kernel | X.Y |"').not.toBeNull();
          const minimum = [Number(claimed?.[1]), Number(claimed?.[2])];
          KERNELS.forEach((kernel, i) => {
            const [major, minor] = kernel.split('.').map(Number);
            const old = major < minimum[0] || (major === minimum[0] && minor < minimum[1]);
            expect(old ? 'rejected' : 'counted', `README: minimum kernel ${minimum.join('.')}; kernel ${kernel}`).toBe(
              verdicts[i],
            );
          });

          const vm = xtaskVm(dir, fetched);
          const { table, boots } = vm;
          let outputs = vm.output;
          for (let retry = 1; retry <= VM_RETRIES; retry++) {
            const again = fetched.filter(
              (_, i) => table[i].verdict === 'vm-crashed' || table[i].verdict === 'timed-out',
            );
            if (!again.length) break;
            for (const k of again) {
              const row = table[fetched.indexOf(k)];
              vmFailures.push(`${name} on ${k.id}: ${row.verdict} (${row.detail})`);
              console.warn(
                `kernel matrix: ${name} on ${k.id}: ${row.verdict} (${row.detail}); booting it again (${retry}/${VM_RETRIES})`,
              );
            }
            const rerun = xtaskVm(dir, again);
            again.forEach((k, j) => {
              table[fetched.indexOf(k)] = rerun.table[j];
            });
            boots.push(...rerun.boots);
            outputs += `\n--- booted again: ${again.map((k) => k.id).join(', ')}\n${rerun.output}`;
          }
          table.forEach((row, i) => {
            const kernel = fetched[i];
            const result: Result = { map, ordering, program, kernel: kernel.id, verdict: row.verdict };
            if (row.verdict === 'rejected') {
              result.reason = row.detail.replace(/ \((not )?explained.*\)$/, '');
              result.explained = /\(explained: /.test(row.detail);
            } else {
              Object.assign(result, { expected: row.expected, observed: row.observed });
            }
            results.push(result);
          });
          table.forEach((row, i) => {
            const context = `${fetched[i].id}: ${row.verdict} ${row.detail}\n${outputs}`;
            expect(row.verdict, context).toBe(verdicts[i]);
            if (verdicts[i] === 'rejected') {
              expect(row.detail, context).toBe(`${WHY_510} (explained: BPF cpu v3 needs kernel >= 5.12)`);
            } else {
              // Nothing but the selftest runs execve in the VM: the count is exact.
              expect(row.observed, context).toBe(N);
              expect(row.detail, context).toBe(ATTACHED[program]);
            }
          });
          // A rejection shows the loader's own note on the kernel it needs.
          if (verdicts.includes('rejected')) expect(outputs).toMatch(/^note: .*kernel >= 5\.12/m);

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
    }
  },
);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
}

/** The record the READMEs read; into src/ only when asked, and only for a complete run that held. */
function writeRecord(fetched: Fetched[]) {
  if (!results.length) return;
  const emulated = !accel.startsWith('KVM');
  const record = {
    date: new Date().toISOString().slice(0, 10),
    generatorVersion: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    selftest: N,
    kernels: [
      ...fetched.map((k) => ({
        id: k.id,
        release: k.release,
        package: `${k.pkg} (Debian ${k.debian})`,
        how: `QEMU, 2 vCPUs${emulated ? ', emulated (TCG)' : ', KVM'}`,
      })),
      { id: 'host', release: os.release(), how: `this machine's kernel${HOST_KPROBES ? '' : ' (no kprobe support)'}` },
    ],
    results,
  };
  const json = `${JSON.stringify(record, null, 2)}\n`;
  writeFileSync(path.join(os.tmpdir(), 'create-aya-atomic-verified-kernels.json'), json);
  const complete = passed.size === TABLE.length * PROGRAMS.length;
  if (process.env.AYA_ATOMIC_RECORD_KERNELS === '1') {
    if (complete) writeFileSync(path.join(ROOT, 'records', 'verified-kernels.json'), json);
    else
      console.warn(
        `kernel matrix: ${passed.size} of ${TABLE.length * PROGRAMS.length} combinations held: records/verified-kernels.json left as it was`,
      );
  }
}
