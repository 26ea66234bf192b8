// `cargo xtask bench` in a generated workspace: the loader's --bench measures the counter's cost per event
// with the kernel's BPF statistics and counts lost updates. One tracepoint workspace is measured briefly (the
// figures themselves come from `npm run bench:kernel`); a kprobe workspace must say clearly that this kernel
// cannot attach it. The workspaces come from the shared cache (workspace-cache.ts).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ensureTracefs, isRoot, missingToolchain, sh, show } from './env.js';
import { CARGO_ENV, workspace } from './workspace-cache.js';

const skipReason =
  missingToolchain() ?? (isRoot ? undefined : 'not root: loading BPF programs and turning on BPF statistics need root');
if (skipReason) console.warn(`kernel bench tests skipped: ${skipReason}`);

const CALLS = 20_000;
const RUNS = 3;
const spread = expect.objectContaining({
  median: expect.any(Number),
  min: expect.any(Number),
  max: expect.any(Number),
});

describe.skipIf(Boolean(skipReason))('cargo xtask bench', () => {
  it('measures a tracepoint workspace and prints one JSON line with every figure', () => {
    ensureTracefs();
    const ws = workspace({ map: 'array', ordering: 'relaxed', program: 'tracepoint' });
    const r = sh(
      'cargo',
      ['xtask', 'bench', '--calls', String(CALLS), '--runs', String(RUNS), '--json'],
      ws.dir,
      CARGO_ENV,
    );
    expect(r.status, show(r)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines, show(r)).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out).toMatchObject({
      attached: 'tracepoint syscalls/sys_enter_getppid',
      map: 'Array',
      calls: CALLS,
      runs: RUNS,
    });
    for (const phase of [out.alone, out.contended]) {
      expect(phase).toMatchObject({ cost_ns: spread, counter_ns: spread, baseline_ns: spread });
      expect(phase.samples).toHaveLength(RUNS);
      expect(phase.cpus).toHaveLength(phase.threads);
      const numbers = [
        ...['cost_ns', 'counter_ns', 'baseline_ns'].flatMap((k) => [phase[k].median, phase[k].min, phase[k].max]),
        ...phase.samples.flatMap((s: { counter_ns: number; baseline_ns: number }) => [s.counter_ns, s.baseline_ns]),
      ];
      for (const n of numbers) expect(Number.isFinite(n), JSON.stringify(phase)).toBe(true);
      expect(phase.cost_ns.min).toBeLessThanOrEqual(phase.cost_ns.median);
      expect(phase.cost_ns.median).toBeLessThanOrEqual(phase.cost_ns.max);
      // Every program run is timed: an empty program costs something.
      expect(phase.baseline_ns.median).toBeGreaterThan(0);
    }
    expect(out.alone.threads).toBe(1);
    // One thread alone, then one per CPU, each making CALLS calls per run.
    expect(out.calls_made).toBe(CALLS * RUNS * (1 + out.contended.threads));
    // Other processes may call getppid too (more, never fewer); an atomic add loses nothing.
    expect(out.counter_delta).toBeGreaterThanOrEqual(out.calls_made);
    expect(out.program_runs).toBeGreaterThanOrEqual(out.calls_made);
    expect(out.lost).toBe(0);
  });

  it.skipIf(existsSync('/sys/bus/event_source/devices/kprobe/type'))(
    'says clearly that this kernel cannot attach a kprobe (exit 5, no panic)',
    () => {
      const ws = workspace({ map: 'array', ordering: 'relaxed', program: 'kprobe' });
      const r = sh('cargo', ['xtask', 'bench', '--calls', '10', '--runs', '1', '--json'], ws.dir, CARGO_ENV);
      expect(r.status, show(r)).toBe(5);
      expect(r.stderr).toMatch(/^error: cannot attach: this kernel has no kprobe support/m);
      expect(r.stderr + r.stdout).not.toMatch(/panicked/);
      expect(r.stdout).toBe('');
    },
  );

  it('rejects bench options without --bench, and a zero count (usage, exit 2)', () => {
    const ws = workspace({ map: 'array', ordering: 'relaxed', program: 'tracepoint' });
    for (const args of [
      ['run', '--', '--calls', '5'],
      ['bench', '--runs', '0'],
      ['run', '--', '--check', '--bench'],
    ]) {
      const r = sh('cargo', ['xtask', ...args], ws.dir, CARGO_ENV);
      expect(r.status, `cargo xtask ${args.join(' ')}\n${show(r)}`).toBe(2);
    }
  });
});
