// Every map × ordering combination, checked with nothing beyond rustup's stable Rust (issue 3, fast part):
// rustfmt on every generated .rs file, `cargo metadata --no-deps --offline` on the manifests, the xtask
// built and its --help and doctor run, and content checks that fail on the known traps of BPF atomics
// (AYA-NOTES §2–§4): fetch_add, static mut, std in the eBPF crate, an atomic in a per-CPU variant,
// a used add result, no cpu v3 where the ordering needs it, a hash-map insert without BPF_NOEXIST.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPS, ORDERINGS, counterOutcome, mapFacts, orderingFacts, type MapKind, type Ordering } from '../../src/facts.js';
import { filesIn, makeTmp, runCli, show } from '../helpers/cli.js';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const noCargo = !has('cargo', ['--version']) ? 'cargo is not on PATH' : undefined;
const noRustfmt = !has('rustfmt', ['--version']) ? 'rustfmt is not on PATH' : undefined;

interface Combo { map: MapKind; ordering: Ordering; program: 'kprobe' | 'tracepoint'; name: string; dir: string }
const combos: Combo[] = MAPS.flatMap((map) =>
  ORDERINGS.map((ordering, i) => ({
    map, ordering, program: i % 2 === 0 ? 'kprobe' as const : 'tracepoint' as const, name: `g-${map}-${ordering}`, dir: '',
  })),
);

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Runs fn over items, at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await fn(item);
  }));
}

const read = (c: Combo, rel: string) => fs.readFileSync(path.join(c.dir, rel), 'utf8');

beforeAll(async () => {
  const cwd = makeTmp('generated');
  await pool(combos, 4, async (c) => {
    const r = await runCli([c.name, '--map', c.map, '--ordering', c.ordering, '--program', c.program, '--yes', '--no-git'], { cwd });
    if (r.code !== 0) throw new Error(show(r));
    c.dir = path.join(cwd, c.name);
  });
}, 120_000);

describe.each(combos)('$map + $ordering ($program)', (c) => {
  const outcome = counterOutcome(c.map, c.ordering);
  const ebpf = `${c.name}-ebpf`;

  it('avoids the traps of BPF atomics', () => {
    const ebpfSources = filesIn(path.join(c.dir, ebpf, 'src')).map((f) => read(c, path.join(ebpf, 'src', f)));
    const code = ebpfSources.map((s) => s.replace(/^\s*\/\/.*$/gm, '')).join('\n'); // code, not comments
    expect(code).not.toMatch(/fetch_add|compare_exchange|\.load\(|\.store\(|fence\(|AtomicU64/);
    expect(code).not.toMatch(/static\s+mut\b/);
    expect(code).not.toMatch(/\bstd::/);
    expect(code).not.toMatch(/KProbeContext|#\[kprobe\(name/);
    const counter = read(c, `${ebpf}/src/counter.rs`).replace(/^\s*\/\/.*$/gm, '');
    expect(counter).toMatch(/pub fn increment\(counter: \*mut u64\)/);
    expect(counter).not.toMatch(/\baya/);
    const main = read(c, `${ebpf}/src/main.rs`);
    expect(main).toMatch(/#!\[no_std\]/);
    expect(main).toMatch(/#!\[no_main\]/);
    if (outcome.atomic) {
      expect(counter).toContain(`atomic_xadd::<u64, u64, { AtomicOrdering::${orderingFacts[c.ordering].rust} }>(counter, 1)`);
      // The add's result is never used: not bound, returned or compared.
      expect(counter).not.toMatch(/(=|return|==)\s*(unsafe\s*\{\s*)?(core::intrinsics::)?atomic_xadd/);
      expect(main).toMatch(/#!\[feature\(core_intrinsics\)\]/);
    } else {
      expect(counter).not.toMatch(/atomic|Atomic/);
      expect(counter).toMatch(/\+= 1|wrapping_add\(1\)/);
      expect(main).not.toMatch(/core_intrinsics/);
    }
    const xtask = read(c, 'xtask/src/main.rs');
    expect(xtask).toContain(`const BPF_CPU: &str = "${outcome.cpu}";`);
    const map = read(c, `${ebpf}/src/map.rs`);
    expect(map).toContain(mapFacts[c.map].ebpfType);
    if (mapFacts[c.map].shape.includes('hash')) expect(map).toMatch(/BPF_NOEXIST/);
    expect(fs.existsSync(path.join(c.dir, 'rust-toolchain.toml'))).toBe(false);
    const cargo = read(c, 'Cargo.toml');
    expect(cargo).toMatch(/aya = .*"=0\.14\.0"/);
    expect(cargo).toMatch(/aya-ebpf = .*"=0\.2\.1"/);
    const readme = read(c, 'README.md');
    expect(readme).toMatch(new RegExp(`^\\| program \\| ${c.program}\\b`, 'm'));
    // What the README says about the add matches the add that was generated.
    if (outcome.atomic) expect(readme).toMatch(/calls the `atomic_xadd`\s+intrinsic and never uses its result/);
    else expect(readme).toMatch(/uses a plain add: no atomic, no BPF cpu v3, and the ordering you chose does not\s+apply/);
    expect(readme).toContain(`BPF cpu ${outcome.cpu}`);
  });

  it.skipIf(Boolean(noRustfmt))('is rustfmt-clean (edition 2024)', async () => {
    const rs = filesIn(c.dir).filter((f) => f.endsWith('.rs')).map((f) => path.join(c.dir, f));
    expect(rs.length).toBeGreaterThanOrEqual(10);
    const r = await run('rustfmt', ['--check', '--edition', '2024', ...rs], c.dir);
    expect(r.code, r.out).toBe(0);
  });

  it.skipIf(Boolean(noCargo))('has manifests cargo accepts offline, and an xtask that builds and runs', async () => {
    const meta = await run('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1'], c.dir);
    expect(meta.code, meta.out).toBe(0);
    const names = JSON.parse(meta.out.slice(meta.out.indexOf('{'))).packages.map((p: { name: string }) => p.name).sort();
    expect(names).toEqual([c.name, `${c.name}-common`, `${c.name}-ebpf`].sort());
    const help = await run('cargo', ['xtask', '--help'], c.dir);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toMatch(/doctor/);
    const doctor = await run('cargo', ['xtask', 'doctor', '--json'], c.dir);
    expect([0, 1], doctor.out).toContain(doctor.code);
    const report = JSON.parse(doctor.out.split('\n').find((l) => l.startsWith('{'))!);
    expect(report.checks.map((ch: { name: string }) => ch.name)).toEqual(expect.arrayContaining(['stable', 'toolchain', 'rust-src', 'bpf-linker']));
  });
});
