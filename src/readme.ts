// The generated workspace's README. Built from the same facts as the prompts (facts.ts), the kernels the
// matrix verified (verified-kernels.json, written by test/real/kernel-matrix.test.ts) and the reference bench
// figures (kernel-bench.json, written by scripts/bench-kernel.mjs).
import {
  compilesToTable,
  counterOutcome,
  countsExecve,
  mapFacts,
  minimumKernel,
  minimumKernelsProse,
  orderingFacts,
  programFacts,
  type MapKind,
} from './facts.js';
import { mdCell } from './markdown.js';
import kernelBench from '../records/kernel-bench.json' with { type: 'json' };
import type { Options } from './options.js';
import { serviceLayoutRows, serviceRecordMarkdown, serviceSection } from './readme-service.js';
import verifiedJson from '../records/verified-kernels.json' with { type: 'json' };

interface VerifiedKernel {
  id: string;
  /** Debian's name of the architecture (`amd64`, `arm64`); none for the host. */
  arch?: string;
  release: string;
  package?: string;
  how: string;
}
export interface VerifiedResult {
  map: string;
  ordering: string;
  program: string;
  kernel: string;
  verdict: 'counted' | 'rejected' | 'accepted' | 'failed';
  expected?: number;
  observed?: number;
  /** Whether the kernel compiled the program to machine code (else its interpreter ran it). */
  jit?: boolean;
  /** Extra kernel command line of the run: the JIT switched off. */
  append?: string;
  reason?: string;
  explained?: boolean;
}
/** `cargo xtask vm --service` on one kernel: `pin` continued | count-kept; `least` ok: … | not-run: why. */
export interface VerifiedService {
  map: string;
  ordering: string;
  program: string;
  kernel: string;
  pin: string;
  least: string;
}
interface Verified {
  date: string;
  generatorVersion: string;
  selftest: number;
  kernels: VerifiedKernel[];
  results: VerifiedResult[];
  service?: VerifiedService[];
}
const verified = verifiedJson as Verified;

/**
 * What arm64 kernels do with `atomic_fetch_add` (BPF cpu v3 on a shared map): what the matrix ran, from the record,
 * then what comes from the kernel's history (docs/kernels.md).
 */
function arm64FetchAdd(): string {
  const runs = verified.results.filter(
    (r) => kernelOf(r)?.arch === 'arm64' && r.ordering !== 'relaxed' && !mapFacts[r.map as MapKind].perCpu,
  );
  const releases = (keep: (r: VerifiedResult) => boolean) =>
    [...new Set(runs.filter(keep).map((r) => kernelOf(r)?.release))].join(', ');
  const seen = [
    [releases((r) => r.verdict === 'rejected'), 'its verifier rejected it'],
    [releases((r) => r.verdict === 'counted' && r.jit === true), 'JIT-compiled it and counted exactly'],
    [
      releases((r) => r.verdict === 'counted' && r.jit === false),
      'with the JIT off, ran it in the interpreter and counted exactly',
    ],
  ]
    .filter(([kernels]) => kernels)
    .map(([kernels, what]) => `${kernels}: ${what}`);
  const history =
    "From the kernel's history, not run here: arm64 kernels 5.12 to 5.17 cannot JIT it and run it in their " +
    'interpreter instead, or refuse it (error 524) when built with `CONFIG_BPF_JIT_ALWAYS_ON`.';
  return seen.length ? `On arm64, run here: ${seen.join('; ')}. ${history}` : history;
}

const ATOMIC_PARAGRAPH = `BPF has no \`fetch_add\` in Rust's \`core\` (the BPF targets have no compare-and-swap), so \`src/counter.rs\` in the
eBPF crate calls the \`atomic_xadd\` intrinsic and never uses its result (at BPF cpu generic a used result is a compile
error; at cpu v3 with Relaxed it is miscompiled). The ordering only changes the code at BPF cpu v3, where every ordering
but Relaxed becomes the same fully ordered \`atomic_fetch_add\`: BPF has no acquire-only or release-only add.
Per-CPU maps need no atomic at all: a program cannot run twice at once on one CPU.`;

const LRU_PARAGRAPH = `An LRU map's insert takes a free entry before it looks for the key, and evicts one when it finds none, even when the
key is there: with one shared list, two CPUs racing to create the counter could evict it. So the map keeps a list per
CPU (\`BPF_F_NO_COMMON_LRU\`), and the kernel gives it one entry per possible CPU for the one key.`;

const PER_CPU_PARAGRAPH = `A per-CPU map gives each CPU its own copy of the counter, and a program cannot run twice at once on one CPU, so
\`src/counter.rs\` in the eBPF crate uses a plain add: no atomic, no BPF cpu v3, and the ordering you chose does not
apply (it is recorded in \`aya-atomic.toml\` all the same). The loader sums the copies. With a shared (non-per-CPU) map
the add must be atomic: BPF has no \`fetch_add\` in Rust's \`core\`, so the generated code calls the \`atomic_xadd\`
intrinsic, whose ordering only takes effect at BPF cpu v3 (a fully ordered \`atomic_fetch_add\`).`;

const kernelOf = (r: VerifiedResult) => verified.kernels.find((kernel) => kernel.id === r.kernel);
/** Kernel ids (`amd64-6.1`) as a reader says them: `6.1, 6.12 (x86-64 and arm64) and 5.10 (x86-64)`. */
function kernelList(ids: string[]): string {
  const byArch = new Map<string, string[]>();
  for (const id of ids) {
    const [arch, version] = id.split('-');
    const name = arch === 'amd64' ? 'x86-64' : arch;
    byArch.set(name, [...(byArch.get(name) ?? []), version]);
  }
  const byVersions = new Map<string, string[]>();
  for (const [arch, versions] of byArch) {
    const key = versions.join(', ');
    byVersions.set(key, [...(byVersions.get(key) ?? []), arch]);
  }
  return [...byVersions].map(([versions, arches]) => `${versions} (${arches.join(' and ')})`).join(' and ');
}

/** What `cargo xtask vm --service` showed in the recorded kernel matrix (docs/service.md), kernel by kernel. */
export function vmServiceVerified(): string {
  const runs = verified.service ?? [];
  if (!runs.length) return '`cargo xtask vm --service` is not in the kernel record yet.';
  // A clause for the kernels whose verdict `keep` accepts, or none when there are none.
  const on = (keep: (r: VerifiedService) => boolean, clause: (kernels: string) => string) => {
    const kernels = [...new Set(runs.filter(keep).map((r) => r.kernel))];
    return kernels.length ? [clause(kernelList(kernels))] : [];
  };
  const programs = [...new Set(runs.map((r) => `a ${r.program}`))].join(' and ');
  const notRun = [...new Set(runs.filter((r) => r.least.startsWith('not-run')).map((r) => r.least))];
  const parts = [
    ...on(
      (r) => r.pin === 'continued',
      (k) => `the pinned count went on across a restart, with the runs made while no loader ran, on Debian's ${k}`,
    ),
    ...on(
      (r) => r.pin === 'count-kept',
      (k) => `without them on ${k}, which has no BPF links for perf events (5.15 added them)`,
    ),
    ...on(
      (r) => r.least.startsWith('ok'),
      (k) =>
        `the selftest as a user of its own holding only the least set for the kernel's \`perf_event_paranoid\` ` +
        `passed on ${k}`,
    ),
    ...notRun.flatMap((least) =>
      on(
        (r) => r.least === least,
        (k) => `not run on ${k}: ${least.replace(/^not-run: /, '')}`,
      ),
    ),
  ];
  return (
    `\`cargo xtask vm --service\` in QEMU (${programs} workspace, create-aya-atomic ${verified.generatorVersion}, ` +
    `${verified.date}): ${parts.join('; ')}.`
  );
}

/** The project README's section on what verified the service (npm run docs). */
export const serviceVerifiedMarkdown = () => serviceRecordMarkdown(vmServiceVerified());

/** The arm64 kernels of the record: the matrix runs a representative set of combinations there (docs/kernels.md). */
const arm64Kernels = verified.kernels.filter((k) => k.arch === 'arm64');

/** The kernels this combination was verified on (kernel-matrix results), or why there are none. */
function verifiedOn(o: Options): string {
  // The matrix runs relaxed and seqcst only: acquire, release and acqrel compile to what seqcst does.
  const ordering = o.ordering === 'relaxed' ? 'relaxed' : 'seqcst';
  const rows = verified.results.filter((r) => r.map === o.map && r.ordering === ordering && r.program === o.program);
  if (!rows.length) {
    return 'Not yet verified in a VM. `cargo xtask vm --kernel <image>` runs `--check` and `--selftest` on the kernels you deploy to.';
  }
  const notes = [];
  if (ordering !== o.ordering) {
    notes.push(
      `${o.ordering} compiles to exactly what seqcst does (\`atomic_fetch_add\` at BPF cpu v3, or a plain add on a ` +
        'per-CPU map), so these are the results for seqcst.',
    );
  }
  const jit = (r: VerifiedResult) =>
    r.jit === undefined ? '' : r.jit ? ', JIT-compiled' : ", run by the kernel's interpreter";
  const verdict = (r: VerifiedResult) => {
    switch (r.verdict) {
      case 'counted':
        return r.observed === r.expected
          ? `counted ${r.observed} of ${r.expected}${jit(r)}`
          : `counted ${r.observed} for ${r.expected} runs (other processes' execve count too)`;
      case 'rejected':
        return (
          `rejected: ${r.reason ?? 'see the verifier log'}` +
          (r.explained ? ' (expected: BPF cpu v3 needs kernel >= 5.12)' : ' (not explained by the BPF cpu)')
        );
      case 'accepted':
        return 'accepted by the verifier; could not attach there';
      default:
        return 'failed';
    }
  };
  const table = ['| kernel | how | result |', '|---|---|---|'];
  for (const r of rows) {
    const k = kernelOf(r);
    const kernel = k ? `${k.release}${k.package ? ` (${k.package})` : ''}` : r.kernel;
    // The host is the machine the matrix ran on, not the reader's.
    const how =
      r.kernel === 'host'
        ? "create-aya-atomic's test machine, directly (no kprobe support there)"
        : `${k?.how ?? ''}${r.append ? `, JIT off (\`${r.append}\`)` : ''}`;
    table.push(`| ${mdCell(kernel)} | ${mdCell(how)} | ${mdCell(verdict(r))} |`);
  }
  if (arm64Kernels.length && !rows.some((r) => kernelOf(r)?.arch === 'arm64')) {
    notes.push(
      `arm64 (${arm64Kernels.map((k) => k.release).join(', ')}) ran a representative set of combinations, not this one ` +
        "(create-aya-atomic's docs/kernels.md says which and why): `cargo xtask vm` runs it on an arm64 kernel too.",
    );
  }
  notes.push(
    `\`--check\` and \`--selftest ${verified.selftest}\` with create-aya-atomic ${verified.generatorVersion}, ${verified.date}` +
      `${o.attach === programFacts[o.program].defaultAttach ? '' : `, attached to the default \`${programFacts[o.program].defaultAttach}\``}.`,
  );
  return `${table.join('\n')}\n\n${notes.join(' ')}

On the kernels you deploy to, \`cargo xtask vm\` boots each image in QEMU with the loader in an initramfs and runs
\`--check\`, \`--selftest\` (which must count exactly its runs: nothing else runs execve there) and the watch mode
there, and says whether the kernel JIT-compiled the program. x86-64 and arm64 images alike, recognised by their header
(\`--arch\` overrides); a kernel of another architecture than your machine's gets a static loader cross-built for it
and is emulated, else KVM when it works. It needs QEMU and a static busybox for each architecture
(\`cargo xtask doctor\` lists them):

\`\`\`sh
cargo xtask vm --kernel /boot/vmlinuz-$(uname -r)          # this machine's own kernel (if /boot is readable)
apt-get download linux-image-6.1.0-47-cloud-amd64 && dpkg-deb -x linux-image-6.1.0-47-cloud-amd64_*.deb k
cargo xtask vm --kernel k/boot/vmlinuz-* --selftest 1000    # a distribution's kernel package
cargo xtask vm --kernel k/boot/vmlinuz-* --kernel arm64/boot/vmlinuz-6.1.0-47-cloud-arm64   # both: one table
\`\`\``;
}

/** What the program counts, and what it leaves out. */
function countedText(o: Options): string {
  if (o.program === 'tracepoint') {
    return (
      `The tracepoint \`${o.attach}\` fires for each event the kernel traces there. The kernel's system call tracepoints ` +
      "(`syscalls/sys_enter_*`) see 64-bit callers only: a 32-bit program's execve does not fire " +
      "`sys_enter_execve`. The kprobe's `auto` counts those too (`npm create aya-atomic@latest -- --update --program " +
      'kprobe`).'
    );
  }
  if (o.attach !== 'auto') return `The kprobe counts each call of \`${o.attach}\`.`;
  return (
    '`auto` counts execve from 64-bit and, where the kernel runs them, 32-bit programs: their entries differ, and the ' +
    'loader attaches to each that /proc/kallsyms lists (the native one, then `__ia32_compat_sys_execve` or ' +
    '`__arm64_compat_sys_execve`). `execveat` (what `fexecve` calls) is a system call of its own and is not counted: ' +
    "to count it too, add its entries to the symbols `attach` resolves in the loader's `src/program.rs` " +
    '(`syscall_entries("execveat")`).'
  );
}

export function generatedReadme(o: Options, version: string): string {
  const outcome = counterOutcome(o.map, o.ordering);
  const isDir = o.toolchain.includes('/');
  const kernel = minimumKernel(o.map, o.ordering, o.program);
  const selftest = countsExecve(o.program, o.attach);
  const attachText =
    o.program === 'kprobe'
      ? o.attach === 'auto'
        ? "kprobe on execve's system call entries, found at run time in /proc/kallsyms: the native one and, where the kernel runs 32-bit programs, the compat one (`__x64_sys_execve` and `__ia32_compat_sys_execve` on x86-64, `__arm64_sys_execve` and `__arm64_compat_sys_execve` on arm64)"
        : `kprobe on \`${o.attach}\``
      : `tracepoint \`${o.attach}\``;
  const orderingLine = outcome.orderingApplies
    ? `\`${o.ordering}\` (\`AtomicOrdering::${orderingFacts[o.ordering].rust}\`)`
    : `\`${o.ordering}\`: recorded, but **not applicable**: a per-CPU map needs no atomic`;
  const toolchainSetup = isDir
    ? `- The Rust in \`${o.toolchain}\`, with its library source, for the eBPF crate (used with \`RUSTC_BOOTSTRAP=1\`);
  on Debian 12: \`apt-get install rustc-web cargo-web rust-web-src\`.`
    : `- The rustup toolchain \`${o.toolchain}\` with its library source, for the eBPF crate:
  \`rustup toolchain install ${o.toolchain} --component rust-src\`.`;
  const attachOther =
    o.program === 'kprobe'
      ? 'Attach elsewhere with `cargo xtask run -- --attach <kernel symbol>`. Kernels built without kprobe support cannot attach a kprobe (exit 5, with a message); `npm create aya-atomic@latest -- --update --program tracepoint` switches this workspace to a tracepoint, keeping your edits.'
      : 'Attach to another tracepoint with `cargo xtask run -- --attach <category/name>` (see `/sys/kernel/tracing/events`).';
  return `# ${o.name}

An [Aya](https://aya-rs.dev) eBPF workspace generated by create-aya-atomic ${version}: a ${o.program} program counts
kernel events in a BPF map, and a loader prints the total and the rate every second.

\`\`\`sh
cargo xtask doctor                  # what the build needs; the command that installs anything missing
${
  selftest
    ? 'cargo xtask run -- --selftest 1000  # build, attach, run `true` 1000 times: it must count them (sudo -E)'
    : "cargo xtask run -- --check        # build; the kernel's verifier judges the program (sudo -E)"
}
cargo xtask run                     # attach and print the count every second until Ctrl-C
\`\`\`

Plain cargo works too: \`cargo build\`, \`cargo test\`, \`cargo clippy --all-targets\` (the loader's build script builds the
eBPF crate), and \`cargo run --release --config 'target."cfg(all())".runner="sudo -E"' -- --check\` (what
\`cargo xtask run -- --check\` does for you; as root, \`cargo run --release -- --check\`).
\`cargo xtask verify\` runs what CI should: doctor, the build, clippy \`-D warnings\` (host and BPF target), and \`--check\`
as root. ${attachOther}

## Layout

| file | edit it to change |
|---|---|
| \`${o.name}-ebpf/src/program.rs\` | the ${o.program} program \`count_calls\` (and the bench's empty \`baseline\`, built for the bench only) |
| \`${o.name}-ebpf/src/map.rs\` | the map that holds the counter, and its lookup-and-add |
| \`${o.name}-ebpf/src/counter.rs\` | the add itself; an ordering other than relaxed takes effect only with \`EBPF_CPU = "v3"\` |
| \`${o.name}-common/src/lib.rs\` | the names and types both sides share |
| \`${o.name}/src/main.rs\` | the loader: command line, \`--check\`, attach, watch mode |
| \`${o.name}/src/program.rs\` | where and how the loader attaches (\`DEFAULT_ATTACH\`) |
| \`${o.name}/src/map.rs\` | how the loader reads the counter |
| \`${o.name}/src/selftest.rs\` | \`--selftest\`, and its verdict with its tests |
| \`${o.name}/src/exit.rs\` | the exit codes, and how errors are printed |
| \`${o.name}/src/bench.rs\` | \`--bench\`, built only with the loader's \`bench\` feature (\`cargo xtask bench\` turns it on) |
| \`${o.name}/tests/object.rs\` | \`cargo test\`: the names and sizes both sides share, checked against the embedded object |
${serviceLayoutRows(o)}
| \`${o.name}/build.rs\` | how the eBPF crate is built and embedded (through \`xtask/src/ebpf.rs\`) |
| \`.cargo/config.toml\` | the eBPF toolchain (\`EBPF_TOOLCHAIN\`) and the BPF cpu (\`EBPF_CPU\`); the \`xtask\` alias |
| \`xtask/src/\` | \`cargo xtask\`: doctor, verify, run, bench, vm, install; \`ebpf.rs\`, how the eBPF crate is built (std only) |
| \`aya-atomic.toml\` | the options this workspace was generated with |

## What the ordering and the map compile to

${outcome.atomic ? ATOMIC_PARAGRAPH : PER_CPU_PARAGRAPH}${o.map.startsWith('lru') ? `\n\n${LRU_PARAGRAPH}` : ''}
Your choice is in bold; the kernel in each cell is what the map and the add need together.

${compilesToTable(o.map, o.ordering)}

Minimum kernels, from the kernel's history (the oldest kernel this was run on is 5.10, see "Verified on"):
${minimumKernelsProse()}, on x86-64 and arm64 alike. ${arm64FetchAdd()} A ${o.program}: ${programFacts[o.program].hint}.
To see the instructions: \`llvm-objdump -d target/ebpf/bpfel-unknown-none/release/${o.name}-ebpf\`.

## Options chosen

| option | value |
|---|---|
| program | ${attachText} |
| map | \`${o.map}\`: ${mdCell(mapFacts[o.map].hint)} |
| ordering | ${orderingLine} |
| the add compiles to | ${mdCell(outcome.effect)} |
| eBPF toolchain | \`${o.toolchain}\` |
| BPF cpu | \`${outcome.cpu}\` |
| minimum kernel | ${kernel} |

## What it counts, and what \`--selftest\` proves

${countedText(o)}

\`--selftest N\` runs \`true\` N times, from one thread per CPU, so that the add is made from every CPU at once, and
compares the counter's growth with N. The program counts every execve on the machine, so on a host other processes'
count too: it demands at least N, and a program that counts some events twice, or loses a few updates while other
processes add more, can pass there. In a VM where nothing else runs (\`cargo xtask vm\`), \`--exact\` demands exactly N,
which catches both. Whether a non-atomic add loses an update within N runs is chance all the same: \`cargo xtask bench\`
compares millions of contended events with the count.

## Prerequisites

- Linux to run it (building works anywhere Rust does); root, or the capabilities in [Least privilege](#least-privilege).
- Rust stable >= 1.87 for the loader and the xtask: <https://rustup.rs>.
${toolchainSetup}
- \`bpf-linker\` for the LLVM major version of that Rust: ${
    isDir
      ? 'on Debian, built against `llvm-<N>-dev` (`cargo xtask doctor` prints the exact command).'
      : '`cargo install bpf-linker` (or `cargo binstall bpf-linker`).'
  }
  The build hands it the libLLVM that toolchain's \`rustc\` loads, whichever cargo runs the build; \`cargo xtask doctor\`
  checks that pair with a test link.
- Optional, for \`cargo xtask vm\`: QEMU and a static busybox for each architecture you boot (x86-64:
  \`apt-get install qemu-system-x86 busybox-static\`; arm64: \`qemu-system-arm\` and an arm64 busybox), and for a
  kernel of another architecture than your machine's, what the cross build below needs.

\`cargo xtask doctor\` checks all of these and prints the command that fixes whatever is missing.

## The toolchain and the BPF cpu

Both are set in one place, \`.cargo/config.toml\` (\`[env]\`): \`EBPF_TOOLCHAIN\` (a rustup toolchain name such as \`nightly\`
or a dated nightly, or a directory holding \`cargo\` and \`rustc\`) and \`EBPF_CPU\` (\`generic\`, or \`v3\` so that an ordering
other than relaxed takes effect). An environment variable of the same name wins. The loader's build script
(\`${o.name}/build.rs\`) and the xtask read them; there is no \`rust-toolchain.toml\`, so cargo at the root uses your stable
Rust. The eBPF crate builds into \`target/ebpf\`, shared by all profiles. A \`CARGO_TARGET_DIR\` shared with another
workspace needs crate names of its own: cargo tells path crates apart by name, and would reuse the other's objects.

To check or lint where the eBPF toolchain is missing (an editor, a CI lint job), set \`AYA_BUILD_SKIP=1\`: the build
script then skips the eBPF build, and the loader says at run time that it was built without its program.

## Other architectures

\`cargo xtask build --target aarch64-unknown-linux-gnu\` (or \`x86_64-unknown-linux-gnu\`) builds the loader as a static
executable for that architecture, with the eBPF program built for it inside (\`bpf_target_arch\` follows the loader's
target): one artifact per architecture to ship, which runs on any Linux of that architecture. It needs Rust's
standard library for the target (\`rustup target add aarch64-unknown-linux-gnu\`; without it, the xtask builds it from
the eBPF toolchain's library source with \`-Z build-std\`) and a C cross linker with a static C library
(\`apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross\`, or \`CARGO_TARGET_<TARGET>_LINKER\`).
\`cargo xtask doctor\` checks both. \`cargo xtask vm\` does the same build for an arm64 kernel.

## Verified on

${verifiedOn(o)}

${serviceSection(o, vmServiceVerified())}

## Exit codes

\`cargo xtask run\`, \`bench\` and \`verify\` pass the loader's own code on.

| code | loader (\`${o.name}\`) | \`cargo xtask\` |
|---|---|---|
| 0 | ok (also when stopped by Ctrl-C, SIGTERM or SIGHUP) | ok |
| 1 | unexpected error | unexpected error |
| 2 | usage error | usage error |
| 3 | rejected by the kernel's verifier (the log is printed) | |
| 4 | permission denied: the message names each capability missing (see [Least privilege](#least-privilege)) | |
| 5 | cannot attach: symbol or tracepoint missing, no kprobe support, tracefs not mounted | |
| 6 | \`--selftest\` failed: the counter grew too little (with \`--exact\`: or too much), or went backwards (reset) | |
| 10 | | a prerequisite is missing (\`cargo xtask doctor\` says which) |
| 11 | | a build or clippy failed |
| 12 | | \`vm\`: a kernel rejected the program or did not count exactly N |
| 13 | | \`vm\`: a VM crashed, hung or did not boot in time |

## Cost per event in the kernel

\`cargo xtask bench\` (as root) measures what the counter costs per event in the running kernel, with one CPU and with
every CPU updating it, and whether any update was lost (\`--json\` for one JSON line). Reference figures, measured on
${kernelBench.date}, kernel ${kernelBench.kernel}, ${kernelBench.cpus} CPUs; yours will differ:

${kernelBench.table}

## Update and regenerate

\`aya-atomic.toml\` records the options. \`npm create aya-atomic@latest -- --update\` in this directory brings the workspace to
a newer create-aya-atomic, keeping your edits; to replay the options into a new directory, changing any with a flag:

\`\`\`sh
npm create aya-atomic@latest ../other-dir -- --config aya-atomic.toml --yes
\`\`\`

\`Cargo.lock\` pins the crates create-aya-atomic was tested with; \`cargo update\` moves to newer compatible ones.

## Licence

Userspace code: MIT or Apache-2.0 (\`LICENSE-MIT\`, \`LICENSE-APACHE\`). eBPF code: MIT or GPL-2.0-only (\`LICENSE-MIT\`,
\`LICENSE-GPL2\`). The program declares the GPL-compatible licence "Dual MIT/GPL" to the kernel: it calls no helper that
needs one (only map lookups and updates), but a GPL-only helper you add later (\`bpf_probe_read_kernel\`,
\`bpf_trace_printk\`, …) then works.
`;
}

/** The whole kernel matrix, for the project's README: one row per combination, one column per kernel. */
export function verifiedMatrixMarkdown(): string {
  if (!verified.results.length)
    return 'Not yet recorded: `sudo -E npm run record:kernels` runs the matrix and records it.';
  const kernels = verified.kernels;
  const cell = (r: VerifiedResult | undefined) => {
    if (!r) return '–';
    switch (r.verdict) {
      case 'counted':
        return (
          (r.observed === r.expected ? `${r.observed}/${r.expected}` : `≥ ${r.expected} (${r.observed})`) +
          (r.jit === false ? ', interpreted' : '')
        );
      case 'rejected':
        return r.explained ? 'rejected: needs 5.12' : `rejected: ${r.reason ?? '?'}`;
      case 'accepted':
        return 'accepted, no kprobes';
      default:
        return '**failed**';
    }
  };
  const rows = [
    `| map | ordering | program | ${kernels.map((k) => mdCell(k.id === 'host' ? `host ${k.release}` : k.release)).join(' | ')} |`,
    `|---|---|---|${kernels.map(() => '---').join('|')}|`,
  ];
  // One row per combination and kernel command line: the JIT-off runs after the others.
  const key = (r: VerifiedResult) => `${r.map}|${r.ordering}|${r.program}|${r.append ?? ''}`;
  const jitOffLast = (run: string) => Number(!run.endsWith('|'));
  const runs = [...new Set(verified.results.map(key))].sort((a, b) => jitOffLast(a) - jitOffLast(b));
  for (const run of runs) {
    const [map, ordering, program, append] = run.split('|');
    const of = (k: VerifiedKernel) => verified.results.find((r) => key(r) === run && r.kernel === k.id);
    const label = append ? `${program}, JIT off` : program;
    rows.push(`| ${map} | ${ordering} | ${label} | ${kernels.map((k) => mdCell(cell(of(k)))).join(' | ')} |`);
  }
  const how = kernels
    .filter((k) => k.package)
    .map((k) => k.package)
    .join(', ');
  // Each sentence only where the record has its data (a record from before the JIT column has none of it).
  const jitOn = verified.results.filter((r) => r.verdict === 'counted' && r.jit !== undefined && !r.append);
  const jitted = jitOn.filter((r) => r.jit).length;
  const counted = jitOn.length;
  const jitOff = verified.results.find((r) => r.append)?.append;
  const notes = [
    `\`--check\` and \`--selftest ${verified.selftest}\` in each generated workspace with create-aya-atomic ` +
      `${verified.generatorVersion}, ${verified.date}: Debian's cloud kernels (${how}) under \`cargo xtask vm\` ` +
      `(QEMU, 2 vCPUs${arm64Kernels.length ? '; the arm64 loader cross-built' : ''}), and this machine's kernel ` +
      "directly (no kprobe support there; its tracepoints also see other processes' execve).",
    arm64Kernels.length ? 'arm64 runs a representative set (docs/kernels.md says why); "–": not run there.' : '',
    counted
      ? `The kernels JIT-compiled the program in ${jitted} of the ${counted} VM runs that counted with the JIT on.`
      : '',
    jitOff ? `"JIT off": booted with \`${jitOff}\`, so the kernel's interpreter runs the program ("interpreted").` : '',
    '"needs 5.12": the kernel\'s verifier rejected `atomic_fetch_add` (BPF cpu v3), as the ordering\'s minimum kernel says.',
  ];
  return `${rows.join('\n')}\n\n${notes.filter(Boolean).join(' ')}`;
}
