// Every map × ordering combination generated, built for real and checked (issues 3, 6 and 7):
// the eBPF object and the loader build; clippy -D warnings and rustfmt pass; the disassembled add is
// the instruction src/facts.ts (and so the generated README) promises; the running kernel's verifier
// accepts the program; tracepoint programs count under load; a kprobe says clearly that this kernel
// cannot attach it. All combinations share one cargo target directory, so dependencies build once.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAPS, ORDERINGS, counterOutcome, mdCell, type MapKind, type Ordering, type ProgramKind } from '../../src/facts.js';
import { addForms, hasAnyAtomic, programSection } from './objdump.js';
import {
  DEBIAN_TOOLCHAIN, OBJDUMP, SHARED_TARGET, cli, isRoot, missingObjdump, missingToolchain, sh, show, tempDir, removeTempDirs,
} from './env.js';

afterAll(removeTempDirs);

const missing = missingToolchain();
if (missing) console.warn(`real builds skipped: ${missing}`);

interface Combo {
  map: MapKind;
  ordering: Ordering;
  program: ProgramKind;
}
// Tracepoints for relaxed and seqcst (they can be attached here and must count); kprobes for the rest
// (this kernel loads them, so the verifier judges them, but cannot attach them).
const combos: Combo[] = MAPS.flatMap((map) =>
  ORDERINGS.map((ordering) => ({
    map, ordering, program: (ordering === 'relaxed' || ordering === 'seqcst' ? 'tracepoint' : 'kprobe') as ProgramKind,
  })),
)
  // cpu generic first, then v3: the eBPF sysroot (core) is rebuilt only once per cpu.
  .sort((a, b) => Number(counterOutcome(a.map, a.ordering).cpu === 'v3') - Number(counterOutcome(b.map, b.ordering).cpu === 'v3'));

const ENV = { CARGO_TARGET_DIR: SHARED_TARGET, CARGO_TERM_COLOR: 'never' };
const BPF_TARGET = 'bpfel-unknown-none';
let kprobeSelftestDone = false;

describe.skipIf(Boolean(missing)).each(combos)('$map + $ordering ($program)', (combo) => {
  const outcome = counterOutcome(combo.map, combo.ordering);
  // A crate name per combination: in a shared target directory, cargo would otherwise take one
  // workspace's artifacts for another's.
  const NAME = `p-${combo.map}-${combo.ordering}`;
  const objectPath = path.join(SHARED_TARGET, BPF_TARGET, 'release', `${NAME}-ebpf`);
  const loaderPath = path.join(SHARED_TARGET, 'release', NAME);
  let dir = '';
  let built = false;

  it('generates and builds with cargo xtask build', () => {
    const cwd = tempDir(`ws-${combo.map}-${combo.ordering}`);
    const gen = cli([NAME, '--map', combo.map, '--ordering', combo.ordering, '--program', combo.program,
      '--toolchain', DEBIAN_TOOLCHAIN, '--yes', '--no-git', '--no-verify'], cwd);
    expect(gen.status, show(gen)).toBe(0);
    dir = path.join(cwd, NAME);
    const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain(mdCell(outcome.effect));
    const build = sh('cargo', ['xtask', 'build'], dir, ENV);
    expect(build.status, show(build)).toBe(0);
    expect(existsSync(objectPath)).toBe(true);
    expect(existsSync(loaderPath)).toBe(true);
    built = true;
  });

  it.skipIf(Boolean(missingObjdump()))(`the add compiles to ${outcome.instruction} (${outcome.cpu})`, () => {
    expect(built).toBe(true);
    const dis = sh(OBJDUMP, ['-d', '--no-show-raw-insn', objectPath], dir);
    expect(dis.status, show(dis)).toBe(0);
    const code = programSection(dis.stdout, combo.program === 'kprobe' ? 'kprobe' : 'tracepoint');
    const forms = addForms(code);
    expect([...forms], code).toEqual([outcome.instruction]);
    if (!outcome.atomic) expect(hasAnyAtomic(code), code).toBe(false);
  });

  it('passes cargo fmt --check and clippy -D warnings (loader, eBPF crate, xtask)', () => {
    expect(built).toBe(true);
    for (const args of [['fmt', '--all', '--check'], ['fmt', '--check', '--manifest-path', 'xtask/Cargo.toml']]) {
      const r = sh('cargo', args, dir, ENV);
      expect(r.status, `cargo ${args.join(' ')}\n${show(r)}`).toBe(0);
    }
    const clippy = sh('cargo', ['xtask', 'clippy'], dir, ENV);
    expect(clippy.status, show(clippy)).toBe(0);
    expect(clippy.stderr + clippy.stdout).not.toMatch(/^warning:/m);
  });

  it.skipIf(!isRoot)("is accepted by the running kernel's verifier (loader --check)", () => {
    expect(built).toBe(true);
    const r = sh(loaderPath, ['--check'], dir);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/accepted/i);
  });

  if (combo.program === 'tracepoint') {
    it.skipIf(!isRoot)('counts at least the 1000 execs it makes from two threads (--selftest 1000)', () => {
      expect(built).toBe(true);
      const r = sh(loaderPath, ['--selftest', '1000'], dir);
      expect(r.status, show(r)).toBe(0);
      const observed = /observed\D*(\d+)/i.exec(r.stdout + r.stderr);
      expect(observed, show(r)).not.toBeNull();
      expect(Number(observed![1])).toBeGreaterThanOrEqual(1000);
    });
  } else if (!kprobeSelftestDone) {
    kprobeSelftestDone = true;
    it.skipIf(!isRoot || existsSync('/sys/bus/event_source/devices/kprobe/type'))(
      'says clearly that this kernel cannot attach a kprobe (--selftest)',
      () => {
        expect(built).toBe(true);
        const r = sh(loaderPath, ['--selftest', '10'], dir);
        expect(r.status, show(r)).not.toBe(0);
        expect(r.stderr + r.stdout).toMatch(/kprobe support/i);
        expect(r.stderr + r.stdout).not.toMatch(/panicked/);
      },
    );
  }
});
