// What each ordering, map and program type means on the BPF target (docs/bpf-atomics.md): the one source
// of the prompts' hints, the generated README's tables, the minimum kernels and which template partials a
// choice takes. The tests hold it to what the built objects really are with tables of their own (the
// disassembly in test/real/workspaces.test.ts, the kernels in test/real/kernel-matrix.test.ts), never
// with these same facts.
import { mdCell } from './markdown.js';

export const ORDERINGS = ['relaxed', 'acquire', 'release', 'acqrel', 'seqcst'] as const;
export type Ordering = (typeof ORDERINGS)[number];

export const MAPS = ['array', 'per-cpu-array', 'hash', 'per-cpu-hash', 'lru-hash', 'lru-per-cpu-hash'] as const;
export type MapKind = (typeof MAPS)[number];

export const PROGRAMS = ['kprobe', 'tracepoint'] as const;
export type ProgramKind = (typeof PROGRAMS)[number];

export interface OrderingFact {
  /** Variant of `core::intrinsics::AtomicOrdering`. */
  rust: string;
  hint: string;
}

export const orderingFacts: Record<Ordering, OrderingFact> = {
  relaxed: {
    rust: 'Relaxed',
    hint: 'a locked add, no ordering; any BPF cpu and kernel; enough for a counter',
  },
  acquire: {
    rust: 'Acquire',
    hint: 'no acquire-only add: fully ordered atomic_fetch_add, cpu v3, kernel 5.12+',
  },
  release: {
    rust: 'Release',
    hint: 'no release-only add: fully ordered atomic_fetch_add, cpu v3, kernel 5.12+',
  },
  acqrel: {
    rust: 'AcqRel',
    hint: 'fully ordered atomic_fetch_add, BPF cpu v3, kernel >= 5.12',
  },
  seqcst: {
    rust: 'SeqCst',
    hint: 'fully ordered atomic_fetch_add, BPF cpu v3, kernel >= 5.12',
  },
};

/**
 * The template partials a choice selects, one per axis (templates/partials/<axis>/<choice>.rs); which file
 * each axis becomes is templates/partials/manifest.json. A map kind chooses the counter (an atomic add, or
 * a plain one for per-CPU maps), the eBPF crate's root (only the atomic one needs `core_intrinsics`), the
 * map and its lookup-and-add, and how the loader reads it (aya's `HashMap` and `PerCpuHashMap` open LRU maps
 * too); a program type chooses the eBPF program and how the loader attaches it.
 */
export interface MapPartials {
  counter: 'atomic' | 'plain';
  'ebpf-main': 'atomic' | 'plain';
  'ebpf-map': string;
  'loader-map': string;
}
export interface ProgramPartials {
  'ebpf-program': string;
  'loader-program': string;
}

export interface MapFact {
  partials: MapPartials;
  perCpu: boolean;
  /** aya_ebpf::maps type. */
  ebpfType: string;
  /** Minimum kernel for the map type, as [major, minor]. */
  kernel: [number, number];
  hint: string;
}

export const mapFacts: Record<MapKind, MapFact> = {
  array: {
    partials: { counter: 'atomic', 'ebpf-main': 'atomic', 'ebpf-map': 'array', 'loader-map': 'array' },
    perCpu: false,
    ebpfType: 'Array',
    kernel: [3, 19],
    hint: 'one slot shared by all CPUs, an atomic add; kernel >= 3.19',
  },
  'per-cpu-array': {
    partials: { counter: 'plain', 'ebpf-main': 'plain', 'ebpf-map': 'per-cpu-array', 'loader-map': 'per-cpu-array' },
    perCpu: true,
    ebpfType: 'PerCpuArray',
    kernel: [4, 6],
    hint: 'one slot per CPU, a plain add, summed by the loader; kernel >= 4.6',
  },
  hash: {
    partials: { counter: 'atomic', 'ebpf-main': 'atomic', 'ebpf-map': 'hash', 'loader-map': 'hash' },
    perCpu: false,
    ebpfType: 'HashMap',
    kernel: [3, 19],
    hint: 'one key inserted on first hit (BPF_NOEXIST), atomic add; kernel >= 3.19',
  },
  'per-cpu-hash': {
    partials: { counter: 'plain', 'ebpf-main': 'plain', 'ebpf-map': 'per-cpu-hash', 'loader-map': 'per-cpu-hash' },
    perCpu: true,
    ebpfType: 'PerCpuHashMap',
    kernel: [4, 6],
    hint: 'per-CPU values under one key, a plain add, summed; kernel >= 4.6',
  },
  'lru-hash': {
    partials: { counter: 'atomic', 'ebpf-main': 'atomic', 'ebpf-map': 'lru-hash', 'loader-map': 'hash' },
    perCpu: false,
    ebpfType: 'LruHashMap',
    kernel: [4, 10],
    hint: 'hash map evicting least recently used keys, atomic add; kernel >= 4.10',
  },
  'lru-per-cpu-hash': {
    partials: { counter: 'plain', 'ebpf-main': 'plain', 'ebpf-map': 'lru-per-cpu-hash', 'loader-map': 'per-cpu-hash' },
    perCpu: true,
    ebpfType: 'LruPerCpuHashMap',
    kernel: [4, 10],
    hint: 'LRU hash map, per-CPU values, a plain add, summed; kernel >= 4.10',
  },
};

export interface ProgramFact {
  partials: ProgramPartials;
  defaultAttach: string;
  kernel: [number, number];
  hint: string;
}

export const programFacts: Record<ProgramKind, ProgramFact> = {
  kprobe: {
    partials: { 'ebpf-program': 'kprobe', 'loader-program': 'kprobe' },
    defaultAttach: 'auto',
    kernel: [4, 1],
    hint: 'any kernel function; unstable ABI; needs kprobe support (CONFIG_KPROBES)',
  },
  tracepoint: {
    partials: { 'ebpf-program': 'tracepoint', 'loader-program': 'tracepoint' },
    defaultAttach: 'syscalls/sys_enter_execve',
    kernel: [4, 7],
    hint: 'a stable kernel event; works on kernels without kprobe support',
  },
};

/**
 * Whether the loader's --selftest can prove the count: it runs /bin/true, so the program must count
 * execve (the defaults: kprobe `auto`, tracepoint syscalls/sys_enter_execve, or an execve symbol).
 */
export function countsExecve(program: ProgramKind, attach: string): boolean {
  if (program === 'tracepoint') return attach === 'syscalls/sys_enter_execve';
  return attach === 'auto' || /(^|_)sys_execve$/.test(attach);
}

/** The BPF instruction the counter's add becomes; what the disassembly test looks for. */
export type AddInstruction = 'locked-add' | 'atomic-fetch-add' | 'plain-add';

export interface CounterOutcome {
  /** Whether counter.rs uses an atomic at all (per-CPU maps do not). */
  atomic: boolean;
  /** Whether the chosen ordering changes the generated code (needs BPF cpu v3). */
  orderingApplies: boolean;
  cpu: 'generic' | 'v3';
  instruction: AddInstruction;
  /** Minimum kernel for the counter's instruction alone. */
  kernel: [number, number];
  /** One line: what the add compiles to and what it needs. */
  effect: string;
}

const ATOMIC_FETCH_KERNEL: [number, number] = [5, 12];

/**
 * The minimum kernels in words, oldest first, from the tables above: "`array` and `hash` maps 3.19, `kprobe`
 * programs 4.1, …, `atomic_fetch_add` 5.12" (the generated README's list).
 */
export function minimumKernelsProse(): string {
  const groups: { kernel: [number, number]; what: string }[] = [];
  const add = (kernel: [number, number], names: string[], noun: string) => {
    const listed = names.map((n) => `\`${n}\``);
    const joined = listed.length > 1 ? `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}` : listed[0];
    groups.push({ kernel, what: `${joined}${noun}` });
  };
  const byKernel = <K extends string>(kinds: readonly K[], kernelOf: (k: K) => [number, number], noun: string) => {
    const seen = new Map<string, K[]>();
    for (const kind of kinds) seen.set(kernelOf(kind).join('.'), [...(seen.get(kernelOf(kind).join('.')) ?? []), kind]);
    for (const names of seen.values()) add(kernelOf(names[0]), names, noun);
  };
  byKernel(MAPS, (m) => mapFacts[m].kernel, ' maps');
  byKernel(PROGRAMS, (p) => programFacts[p].kernel, ' programs');
  add(ATOMIC_FETCH_KERNEL, ['atomic_fetch_add'], '');
  const older = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
  return groups
    .sort((a, b) => older(a.kernel, b.kernel))
    .map((g) => `${g.what} ${g.kernel.join('.')}`)
    .join(', ');
}

export function counterOutcome(map: MapKind, ordering: Ordering): CounterOutcome {
  if (mapFacts[map].perCpu) {
    return {
      atomic: false,
      orderingApplies: false,
      cpu: 'generic',
      instruction: 'plain-add',
      kernel: [0, 0],
      effect:
        `a plain load, add and store (no atomic: a program cannot run twice at once on one CPU); ` +
        `the ordering "${ordering}" does not apply to per-CPU maps; BPF cpu generic`,
    };
  }
  if (ordering === 'relaxed') {
    return {
      atomic: true,
      orderingApplies: true,
      cpu: 'generic',
      instruction: 'locked-add',
      kernel: [0, 0],
      effect:
        'a locked add without fetch, `lock *(u64 *)(rX + 0) += rY` (BPF_ATOMIC BPF_ADD); BPF cpu generic; any eBPF kernel',
    };
  }
  return {
    atomic: true,
    orderingApplies: true,
    cpu: 'v3',
    instruction: 'atomic-fetch-add',
    kernel: ATOMIC_FETCH_KERNEL,
    effect:
      `a fully ordered \`atomic_fetch_add\` (BPF_ADD | BPF_FETCH), the same for every ordering but Relaxed ` +
      `(BPF has no acquire-only or release-only add); BPF cpu v3; kernel >= 5.12`,
  };
}

function maxKernel(...versions: [number, number][]): [number, number] {
  return versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a));
}

export function minimumKernel(map: MapKind, ordering: Ordering, program: ProgramKind): string {
  const [major, minor] = maxKernel(
    mapFacts[map].kernel,
    programFacts[program].kernel,
    counterOutcome(map, ordering).kernel,
  );
  return `${major}.${minor}`;
}

const INSTRUCTION_TEXT: Record<AddInstruction, string> = {
  'locked-add': '`lock *(u64 *)(rX + 0) += rY`',
  'atomic-fetch-add': '`rY = atomic_fetch_add((u64 *)(rX + 0), rY)`',
  'plain-add': 'plain `rY = *(u64 *)(rX + 0)`, `rY += 1`, store',
};

/** Markdown table: for every map, what the add compiles to with Relaxed and with any other ordering. */
export function compilesToTable(chosenMap: MapKind, chosenOrdering: Ordering): string {
  const others = ORDERINGS.filter((o) => o !== 'relaxed');
  const rows = [`| map | relaxed | ${others.join(', ')} |`, '|---|---|---|'];
  const cell = (map: MapKind, ordering: Ordering) => {
    const o = counterOutcome(map, ordering);
    const [major, minor] = maxKernel(mapFacts[map].kernel, o.kernel);
    const kernel = `kernel >= ${major}.${minor}`;
    const text =
      `${INSTRUCTION_TEXT[o.instruction]}; cpu ${o.cpu}; ${kernel}` +
      (o.orderingApplies ? '' : '; ordering not applicable');
    const chosen =
      map === chosenMap && (ordering === chosenOrdering || (ordering !== 'relaxed' && chosenOrdering !== 'relaxed'));
    return mdCell(chosen ? `**${text}** (your choice)` : text);
  };
  for (const map of MAPS) rows.push(`| ${map} | ${cell(map, 'relaxed')} | ${cell(map, 'seqcst')} |`);
  return rows.join('\n');
}
