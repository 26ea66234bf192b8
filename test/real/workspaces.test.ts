// The counter's add, disassembled, for every map × ordering combination: each workspace is
// generated with Debian's toolchain and checked with plain `cargo check --locked`, whose build script builds the
// eBPF object; llvm-objdump then shows the instruction the add became. The expected instruction is written
// here (docs/bpf-atomics.md), not read from the generator.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addForms, hasAnyAtomic, programSection, type AddInstruction } from './objdump.js';
import { OBJDUMP, missingObjdump, missingToolchain, sh, show } from './env.js';
import { build, workspace, type MapKind, type Ordering, type Program } from './workspace-cache.js';

const missing = missingToolchain() ?? missingObjdump();
if (missing) console.warn(`disassembly tests skipped: ${missing}`);

// map, then for relaxed and for the other orderings: the add's instruction and the BPF cpu.
const EXPECTED: [MapKind, AddInstruction, AddInstruction, string][] = [
  //  map                 relaxed        acquire / release / acqrel / seqcst   cpu of the latter
  ['array', 'locked-add', 'atomic-fetch-add', 'v3'],
  ['per-cpu-array', 'plain-add', 'plain-add', 'generic'],
  ['hash', 'locked-add', 'atomic-fetch-add', 'v3'],
  ['per-cpu-hash', 'plain-add', 'plain-add', 'generic'],
  ['lru-hash', 'locked-add', 'atomic-fetch-add', 'v3'],
  ['lru-per-cpu-hash', 'plain-add', 'plain-add', 'generic'],
];
const ORDERINGS: Ordering[] = ['relaxed', 'acquire', 'release', 'acqrel', 'seqcst'];

const cases = EXPECTED.flatMap(([map, relaxed, other, cpu], m) =>
  ORDERINGS.map((ordering, i) => ({
    map,
    ordering,
    // Both program types across the table (the kernel matrix builds both for relaxed and seqcst).
    program: ((m + i) % 2 ? 'tracepoint' : 'kprobe') as Program,
    instruction: ordering === 'relaxed' ? relaxed : other,
    cpu: ordering === 'relaxed' ? 'generic' : cpu,
  })),
)
  // cpu generic first, then v3: fewer switches between the two builds of `core`.
  .sort((a, b) => Number(a.cpu === 'v3') - Number(b.cpu === 'v3'));

describe.skipIf(Boolean(missing)).each(cases)('$map + $ordering ($program)', (c) => {
  it(`the add compiles to ${c.instruction} at BPF cpu ${c.cpu}`, () => {
    const ws = workspace(c);
    const config = readFileSync(path.join(ws.dir, '.cargo/config.toml'), 'utf8');
    expect(config).toMatch(new RegExp(`^EBPF_CPU = "${c.cpu}"$`, 'm'));
    build(ws, 'check');
    const dis = sh(OBJDUMP, ['-d', '--no-show-raw-insn', ws.object], ws.dir);
    expect(dis.status, show(dis)).toBe(0);
    const code = programSection(dis.stdout, c.program);
    expect([...addForms(code)], code).toEqual([c.instruction]);
    if (c.instruction === 'plain-add') expect(hasAnyAtomic(code), code).toBe(false);
  });
});
