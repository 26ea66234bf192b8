// The minimum kernel the generated README states for each combination: the newest of what the map, the
// program type and the add need (map types: arrays and hashes 3.19, per-CPU 4.6, LRU 4.10; kprobe
// programs 4.1, tracepoints 4.7; atomic_fetch_add at BPF cpu v3 5.12). Written out here, not computed.
import { describe, expect, it } from 'vitest';
import type { MapKind, Ordering, ProgramKind } from '../../src/facts.js';
import { planWorkspace, templatesNeeded } from '../../src/plan.js';
import { loadTemplates } from '../../src/templates.js';

const EXPECTED: [MapKind, Ordering, ProgramKind, string][] = [
  ['array', 'relaxed', 'kprobe', '4.1'],
  ['array', 'relaxed', 'tracepoint', '4.7'],
  ['array', 'seqcst', 'kprobe', '5.12'],
  ['array', 'acquire', 'tracepoint', '5.12'],
  ['per-cpu-array', 'relaxed', 'kprobe', '4.6'],
  ['per-cpu-array', 'seqcst', 'tracepoint', '4.7'],
  ['hash', 'relaxed', 'kprobe', '4.1'],
  ['hash', 'release', 'kprobe', '5.12'],
  ['hash', 'relaxed', 'tracepoint', '4.7'],
  ['per-cpu-hash', 'seqcst', 'kprobe', '4.6'],
  ['per-cpu-hash', 'relaxed', 'tracepoint', '4.7'],
  ['lru-hash', 'relaxed', 'kprobe', '4.10'],
  ['lru-hash', 'relaxed', 'tracepoint', '4.10'],
  ['lru-hash', 'acqrel', 'tracepoint', '5.12'],
  ['lru-per-cpu-hash', 'relaxed', 'kprobe', '4.10'],
  ['lru-per-cpu-hash', 'seqcst', 'tracepoint', '4.10'],
];

describe('the generated README states the minimum kernel', () => {
  it.each(EXPECTED)('%s + %s (%s): %s', (map, ordering, program, kernel) => {
    const options = {
      name: 'probe',
      map,
      ordering,
      program,
      attach: program === 'kprobe' ? 'auto' : 'syscalls/sys_enter_execve',
      toolchain: 'nightly',
    };
    const files = planWorkspace(options, '0.0.0', loadTemplates(templatesNeeded(options)));
    const readme = files.find((f) => f.path === 'README.md')!.contents;
    expect(readme).toMatch(new RegExp(`^\\| minimum kernel \\| ${kernel.replace('.', '\\.')} \\|$`, 'm'));
  });
});

it('the generated README lists every minimum kernel, oldest first', () => {
  const options = {
    name: 'probe',
    map: 'array',
    ordering: 'relaxed',
    program: 'kprobe',
    attach: 'auto',
    toolchain: 'nightly',
  } as const;
  const readme = planWorkspace(options, '0.0.0', loadTemplates(templatesNeeded(options))).find(
    (f) => f.path === 'README.md',
  )!.contents;
  expect(readme.replace(/\s+/g, ' ')).toContain(
    '`array` and `hash` maps 3.19, `kprobe` programs 4.1, `per-cpu-array` and `per-cpu-hash` maps 4.6, ' +
      '`tracepoint` programs 4.7, `lru-hash` and `lru-per-cpu-hash` maps 4.10, `atomic_fetch_add` 5.12',
  );
});
