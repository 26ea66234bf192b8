// What the counter costs per event in the running kernel, for every map type with Relaxed and with SeqCst,
// plus a plain non-atomic add on an Array: built only here, as the reference for why atomics matter.
// Each variant is a generated tracepoint workspace measured by its own `cargo xtask bench --json` (the
// loader's --bench: count_calls and an empty program on syscalls/sys_enter_getppid, BPF run-time
// statistics, getppid from one pinned thread, then one per CPU).
//
//   npm run bench:kernel                          (builds the CLI first)
//   node scripts/bench-kernel.mjs [--calls N] [--runs R] [--rounds K]   (defaults 1000000, 9, 3)
//
// The variants are measured in K interleaved rounds of R/K runs each (every variant once per round, the
// order reversed every other round), so a slow spell of the machine (on a VM, the shared counter's cache
// line moving between host cores far apart costs 5-10 times more for tens of seconds) hits all variants
// alike instead of one. Each row's figures are the median, minimum and maximum over all its runs.
//
// Needs root, Debian's rust-web toolchain in /usr/bin with rust-src, bpf-linker and llvm-objdump-22
// (`bash .ci/install-ebpf-toolchain.sh`), and a kernel with BPF statistics (>= 5.1). Takes a few minutes.
// Writes the table into README.md (between the kernel-bench markers) and records/kernel-bench.json, which the
// generated README shows as reference figures.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importSource } from './import-source.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOOLCHAIN = '/usr/bin';
const OBJDUMP = 'llvm-objdump-22';
const BPF_TARGET = 'bpfel-unknown-none';
const START = '<!-- kernel-bench:start -->';
const END = '<!-- kernel-bench:end -->';
// The maps, and which are per-CPU, from the facts table the generator itself uses.
const { MAPS, mapFacts } = await importSource('facts.ts');
const PER_CPU = new Set(MAPS.filter((map) => mapFacts[map].perCpu));

const option = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (!/^[1-9]\d*$/.test(value ?? '')) fail(`${flag} needs a positive count`);
  return Number(value);
};
const CALLS = option('--calls', 1_000_000);
const ROUNDS = option('--rounds', 3);
const RUNS_PER_ROUND = Math.ceil(option('--runs', 9) / ROUNDS);

if (process.getuid?.() !== 0)
  fail('needs root: loading BPF programs and turning on BPF statistics (sudo -E npm run bench:kernel)');
if (!existsSync('/proc/sys/kernel/bpf_stats_enabled'))
  fail('this kernel has no BPF run-time statistics (/proc/sys/kernel/bpf_stats_enabled)');
if (!existsSync('/sys/kernel/tracing/events'))
  fail('tracefs is not mounted: mount -t tracefs tracefs /sys/kernel/tracing');
for (const [cmd, args, why] of [
  [path.join(TOOLCHAIN, 'cargo'), ['--version'], 'Debian rust-web toolchain'],
  ['bpf-linker', ['--version'], 'bpf-linker'],
  [OBJDUMP, ['--version'], 'llvm-22'],
]) {
  if (spawnSync(cmd, args, { stdio: 'ignore' }).status !== 0)
    fail(`${cmd} is missing (${why}): run bash .ci/install-ebpf-toolchain.sh`);
}

const targetDir = process.env.AYA_ATOMIC_BENCH_TARGET_DIR ?? path.join(os.tmpdir(), 'create-aya-atomic-bench-target');
mkdirSync(targetDir, { recursive: true });
const env = { ...process.env, CARGO_TARGET_DIR: targetDir, CARGO_TERM_COLOR: 'never', NO_COLOR: '1' };
const work = mkdtempSync(path.join(os.tmpdir(), 'aya-atomic-kernel-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

run('npm run build', process.execPath, [path.join(root, 'scripts/build.mjs')], root);

// cpu generic first (relaxed, per-CPU maps, the plain reference), then v3 (seqcst on shared maps): the
// eBPF sysroot is rebuilt once per cpu. Table order is fixed separately below.
const variants = [
  ...MAPS.map((map) => ({ map, ordering: 'relaxed', plain: false })),
  { map: 'array', ordering: 'relaxed', plain: true },
  ...MAPS.map((map) => ({ map, ordering: 'seqcst', plain: false })),
]
  .map((v) => ({ ...v, name: `kb-${v.map}-${v.plain ? 'plain' : v.ordering}` }))
  .sort(
    (a, b) =>
      Number(!PER_CPU.has(a.map) && a.ordering === 'seqcst') - Number(!PER_CPU.has(b.map) && b.ordering === 'seqcst'),
  );

for (const v of variants) {
  log(`building ${v.name}`);
  run(
    `generate ${v.name}`,
    process.execPath,
    [
      path.join(root, 'bin/create-aya-atomic.cjs'),
      v.name,
      '--map',
      v.map,
      '--ordering',
      v.ordering,
      '--program',
      'tracepoint',
      '--toolchain',
      TOOLCHAIN,
      '--yes',
      '--no-git',
      '--no-verify',
    ],
    work,
  );
  v.dir = path.join(work, v.name);
  if (v.plain) writePlainCounter(v);
  // Plain cargo: the loader's build script builds the eBPF object (into <target dir>/ebpf) and embeds it.
  run(`cargo build --release (${v.name})`, 'cargo', ['build', '--release', '--locked'], v.dir);
  v.instruction = counterInstruction(path.join(targetDir, 'ebpf', BPF_TARGET, 'release', `${v.name}-ebpf`));
}
// Measured once all are built, so no compilation runs during a measurement; in interleaved rounds (see the top).
const benchArgs = ['--json', '--calls', String(CALLS), '--runs', String(RUNS_PER_ROUND)];
for (let round = 0; round < ROUNDS; round++) {
  for (const v of round % 2 ? [...variants].reverse() : variants) {
    log(`round ${round + 1}/${ROUNDS}: measuring ${v.name}`);
    const out = run(`cargo xtask bench (${v.name})`, 'cargo', ['xtask', 'bench', ...benchArgs], v.dir);
    const line = out.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop();
    if (!line) fail(`cargo xtask bench --json printed no JSON line for ${v.name}:\n${out.stdout}\n${out.stderr}`);
    (v.results ??= []).push(JSON.parse(line));
  }
}

const rows = MAPS.flatMap((map) => [
  ...['relaxed', 'seqcst'].map((ordering) =>
    variants.find((v) => v.map === map && v.ordering === ordering && !v.plain),
  ),
  ...variants.filter((v) => v.map === map && v.plain),
]).map(toRow);
const first = variants[0].results[0];
const all = (v, phase, key) => v.results.flatMap((r) => r[phase].samples.map((s) => s[key]));
const figures = {
  date: new Date().toISOString().slice(0, 10),
  kernel: os.release(),
  cpus: first.contended.threads,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  calls: CALLS,
  runs: RUNS_PER_ROUND * ROUNDS,
  rounds: ROUNDS,
  baselineNs: {
    alone: round(median(variants.flatMap((v) => all(v, 'alone', 'baseline_ns')))),
    contended: round(median(variants.flatMap((v) => all(v, 'contended', 'baseline_ns')))),
  },
  rows,
};
figures.table = markdownTable(figures);

const readmePath = path.join(root, 'README.md');
writeFileSync(readmePath, withBenchSection(readFileSync(readmePath, 'utf8'), figures));
writeFileSync(path.join(root, 'records/kernel-bench.json'), `${JSON.stringify(figures, null, 2)}\n`);
// Bundle the new figures into dist/, so the generated README shows them.
run('npm run build', process.execPath, [path.join(root, 'scripts/build.mjs')], root);
console.log(`\n${metadataLine(figures)}\n\n${figures.table}`);
console.log('\nwritten: README.md (between the kernel-bench markers), records/kernel-bench.json (bundled into dist/)');

/** The plain, non-atomic add on the Array: the per-CPU maps' counter.rs and main.rs, rendered for this crate. */
function writePlainCounter(v) {
  const vars = { crate: v.name, ordering: 'Relaxed', ebpf_map_type: 'Array' };
  const render = (partial) =>
    readFileSync(path.join(root, 'templates/partials', partial), 'utf8').replace(/@([a-z_]+)@/g, (_, name) => {
      if (!(name in vars)) fail(`templates/partials/${partial} uses @${name}@, unknown to bench-kernel.mjs`);
      return vars[name];
    });
  const src = path.join(v.dir, `${v.name}-ebpf`, 'src');
  writeFileSync(path.join(src, 'counter.rs'), render('counter/plain.rs'));
  writeFileSync(path.join(src, 'main.rs'), render('ebpf-main/plain.rs'));
}

/** The add in count_calls's disassembly: its form and the instruction's text. */
function counterInstruction(object) {
  const dis = run(`${OBJDUMP} -d`, OBJDUMP, ['-d', '--no-show-raw-insn', object], work).stdout;
  const start = dis.indexOf('<count_calls>:');
  if (start < 0) fail(`no count_calls in ${object}`);
  const rest = dis.slice(start + 1);
  const end = rest.search(/\n[0-9a-f]+ <[^>]+>:|\nDisassembly of section/);
  const code = end < 0 ? rest : rest.slice(0, end);
  const forms = [
    ['locked-add', /lock \*\(u64 \*\)\(r\d+ \+ 0x0\) \+= r\d+/],
    ['atomic-fetch-add', /r\d+ = atomic_fetch_add\(\(u64 \*\)\(r\d+ \+ 0x0\), r\d+\)/],
    ['plain-add', /r\d+ \+= 0x1\b/],
  ];
  for (const [form, re] of forms) {
    const hit = re.exec(code);
    if (hit) return { form, text: hit[0] };
  }
  fail(`cannot find the counter's add in count_calls of ${object}:\n${code}`);
}

function toRow(v) {
  const cost = (phase) => spreadOf(v.results.flatMap((r) => r[phase].samples.map((s) => s.counter_ns - s.baseline_ns)));
  const sum = (key) => v.results.reduce((total, r) => total + r[key], 0);
  return {
    map: v.map,
    ordering: v.plain ? 'none' : v.ordering,
    counter: v.plain ? 'plain' : PER_CPU.has(v.map) ? 'per-cpu' : 'atomic',
    instruction: v.instruction.text,
    form: v.instruction.form,
    aloneNs: cost('alone'),
    contendedNs: cost('contended'),
    callsMade: sum('calls_made'),
    programRuns: sum('program_runs'),
    counterDelta: sum('counter_delta'),
    lost: sum('lost'),
  };
}

function markdownTable(f) {
  const ns = (s) => `${signed(s.median)} (${signed(s.min)} – ${signed(s.max)})`;
  const ordering = (row) =>
    row.counter === 'plain'
      ? 'none: plain `+=`, reference only'
      : row.counter === 'per-cpu'
        ? `${row.ordering} (not applicable)`
        : row.ordering;
  const instruction = (row) => `\`${row.instruction}\`${row.form === 'plain-add' ? ' (load, add, store)' : ''}`;
  const count = (row) => {
    if (row.lost > 0)
      return `**lost ${row.lost} of ${row.programRuns} (${((100 * row.lost) / row.programRuns).toFixed(2)} %)**`;
    const extra = row.counterDelta - row.callsMade;
    if (extra < 0) return `**${-extra} fewer than the calls**`;
    return extra > 0 ? `all counted (+${extra}: other processes' getppid)` : 'all counted';
  };
  return [
    '| map | ordering | instruction | alone: ns/event, median (min – max) | contended: ns/event, median (min – max) | count vs calls |',
    '|---|---|---|---|---|---|',
    ...f.rows.map(
      (row) =>
        `| ${row.map} | ${ordering(row)} | ${instruction(row)} | ${ns(row.aloneNs)} | ${ns(row.contendedNs)} | ${count(row)} |`,
    ),
    '',
    `ns/event: the counting program's time per event minus an empty program's on the same events (the empty one took ` +
      `${f.baselineNs.alone} ns alone, ${f.baselineNs.contended} ns contended: mostly the kernel timing the run). ` +
      `Alone: one thread on CPU 0; contended: one thread per CPU (${f.cpus}); ${f.runs} runs of ${f.calls} getppid calls per ` +
      `thread, in ${f.rounds} rounds interleaved with the other rows.`,
  ].join('\n');
}

function metadataLine(f) {
  return `Measured on ${f.date}, kernel ${f.kernel}, ${f.cpus} CPUs (${f.cpuModel}), with \`npm run bench:kernel\`.`;
}

function withBenchSection(readme, f) {
  const block = `${START}\n${metadataLine(f)}\n\n${f.table}\n${END}`;
  if (readme.includes(START) && readme.includes(END)) {
    return readme.slice(0, readme.indexOf(START)) + block + readme.slice(readme.indexOf(END) + END.length);
  }
  const section = `## Cost per event in the kernel

What the counter costs per event, measured in the running kernel by each generated workspace's \`cargo xtask bench\`:
the counting program and an empty one are both attached to \`syscalls/sys_enter_getppid\`, the kernel's BPF run-time
statistics are on for the measurement only, and getppid is called from one thread pinned to CPU 0 (alone), then from
one pinned thread per CPU (contended). The last column compares the counter's growth with the program's runs: fewer
means lost updates. \`sudo -E npm run bench:kernel\` measures again and rewrites this table and \`records/kernel-bench.json\`
(which the generated README shows as reference figures); it needs root and the eBPF toolchain, and takes a few minutes.

${block}

`;
  const at = readme.indexOf('\n## Tests');
  if (at < 0) return `${readme.trimEnd()}\n\n${section}`;
  return `${readme.slice(0, at + 1)}${section}${readme.slice(at + 1)}`;
}

function spreadOf(values) {
  return { median: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)) };
}

function round(x) {
  return Math.round(x * 10) / 10;
}

function signed(x) {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
}

function run(label, cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    fail(
      `${label} failed (exit ${r.status ?? r.error?.message}):\n${(r.stdout ?? '').slice(-4000)}\n${(r.stderr ?? '').slice(-4000)}`,
    );
  }
  return r;
}

function log(message) {
  process.stderr.write(`bench-kernel: ${message}\n`);
}

function fail(message) {
  console.error(`bench-kernel: ${message}`);
  process.exit(1);
}
