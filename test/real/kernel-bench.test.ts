// `cargo xtask bench` in a generated workspace (issue 8): the loader's --bench measures the counter's cost
// per event with the kernel's BPF statistics and counts lost updates. One tracepoint workspace is measured
// briefly (the figures themselves come from `npm run bench:kernel`); a kprobe workspace must say clearly that
// this kernel cannot attach it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_TOOLCHAIN, SHARED_TARGET, cli, isRoot, missingToolchain, sh, show, tempDir } from './env.js';

const STATS = '/proc/sys/kernel/bpf_stats_enabled';
const skipReason = missingToolchain()
  ?? (isRoot ? undefined : 'not root: loading BPF programs and turning on BPF statistics need root')
  ?? (existsSync(STATS) ? undefined : `no BPF run-time statistics in this kernel (${STATS} is missing)`);
if (skipReason) console.warn(`kernel bench tests skipped: ${skipReason}`);

const ENV = { CARGO_TARGET_DIR: SHARED_TARGET, CARGO_TERM_COLOR: 'never' };
const CALLS = 20_000;
const RUNS = 3;

function workspace(name: string, program: 'tracepoint' | 'kprobe'): string {
  const cwd = tempDir(`bench-${program}`);
  const gen = cli([name, '--map', 'array', '--ordering', 'relaxed', '--program', program, '--toolchain', DEBIAN_TOOLCHAIN,
    '--yes', '--no-git', '--no-verify'], cwd);
  expect(gen.status, show(gen)).toBe(0);
  const dir = path.join(cwd, name);
  const build = sh('cargo', ['xtask', 'build'], dir, ENV);
  expect(build.status, show(build)).toBe(0);
  return dir;
}

const spread = expect.objectContaining({ median: expect.any(Number), min: expect.any(Number), max: expect.any(Number) });

describe.skipIf(Boolean(skipReason))('cargo xtask bench', () => {
  it('measures a tracepoint workspace and prints one JSON line with every figure', () => {
    const dir = workspace('kbench-tracepoint', 'tracepoint');
    const r = sh('cargo', ['xtask', 'bench', '--calls', String(CALLS), '--runs', String(RUNS), '--json'], dir, ENV);
    expect(r.status, show(r)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines, show(r)).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out).toMatchObject({ attached: 'tracepoint syscalls/sys_enter_getppid', map: 'Array', calls: CALLS, runs: RUNS });
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
      const dir = workspace('kbench-kprobe', 'kprobe');
      const r = sh('cargo', ['xtask', 'bench', '--calls', '10', '--runs', '1', '--json'], dir, ENV);
      expect(r.status, show(r)).toBe(5);
      expect(r.stderr).toMatch(/cannot attach to \S*getppid: this kernel has no kprobe support/);
      expect(r.stderr + r.stdout).not.toMatch(/panicked/);
      expect(r.stdout).toBe('');
    },
  );
});
