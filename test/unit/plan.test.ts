// The pure core: every map × ordering × program combination plans the same paths, fully substituted,
// and records options that parse back to themselves.
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE, parseConfig } from '../../src/config-file.js';
import { MAPS, ORDERINGS, PROGRAMS, programFacts } from '../../src/facts.js';
import type { Options } from '../../src/options.js';
import { planWorkspace, substitute } from '../../src/plan.js';
import { loadTemplates } from '../../src/templates.js';

const templates = loadTemplates();
const VERSION = '9.8.7-test';

// SPEC's lists, written out: a map, ordering or program the tables lost (or gained unreviewed) fails here.
const SPEC_MAPS = ['array', 'per-cpu-array', 'hash', 'per-cpu-hash', 'lru-hash', 'lru-per-cpu-hash'] as const;
const SPEC_ORDERINGS = ['relaxed', 'acquire', 'release', 'acqrel', 'seqcst'] as const;
const SPEC_PROGRAMS = [
  ['kprobe', 'auto'],
  ['tracepoint', 'syscalls/sys_enter_execve'],
] as const;

const combos: Options[] = SPEC_MAPS.flatMap((map) =>
  SPEC_ORDERINGS.flatMap((ordering) =>
    SPEC_PROGRAMS.map(([program, attach]) => ({
      name: 'my-probe',
      map,
      ordering,
      program,
      attach,
      toolchain: 'nightly',
    })),
  ),
);

describe('planWorkspace', () => {
  it("the options' tables hold exactly SPEC's maps, orderings and programs, with their default targets", () => {
    expect(MAPS).toEqual(SPEC_MAPS);
    expect(ORDERINGS).toEqual(SPEC_ORDERINGS);
    expect(PROGRAMS).toEqual(SPEC_PROGRAMS.map(([p]) => p));
    for (const [program, attach] of SPEC_PROGRAMS) expect(programFacts[program].defaultAttach).toBe(attach);
  });

  const reference = planWorkspace(combos[0], VERSION, templates).map((f) => f.path);

  it('plans the files SPEC lists (and no rust-toolchain.toml)', () => {
    for (const p of [
      'Cargo.toml',
      '.cargo/config.toml',
      'README.md',
      CONFIG_FILE,
      '.gitignore',
      'rustfmt.toml',
      'my-probe-common/Cargo.toml',
      'my-probe-ebpf/Cargo.toml',
      'my-probe-ebpf/src/counter.rs',
      'my-probe/Cargo.toml',
      'xtask/Cargo.toml',
    ]) {
      expect(reference).toContain(p);
    }
    expect(reference.some((p) => p.endsWith('rust-toolchain.toml'))).toBe(false);
    expect(reference.some((p) => p.includes('_gitignore') || p.includes('{{'))).toBe(false);
    expect(new Set(reference).size).toBe(reference.length);
  });

  it.each(combos.map((o) => [`${o.map} ${o.ordering} ${o.program}`, o] as const))(
    '%s: same paths, no placeholder left, config round-trips',
    (_, options) => {
      const files = planWorkspace(options, VERSION, templates);
      expect(files.map((f) => f.path)).toEqual(reference);
      for (const f of files) {
        expect(f.contents, f.path).not.toMatch(/\{\{/);
        expect(f.contents, f.path).not.toMatch(/\}\}/);
        expect(f.path).not.toMatch(/^\/|(^|\/)\.\.(\/|$)/);
      }
      const config = files.find((f) => f.path === CONFIG_FILE)!;
      const parsed = parseConfig(config.contents, CONFIG_FILE, VERSION);
      expect(parsed.version).toBe(VERSION);
      expect(parsed.values).toEqual(options);
    },
  );

  it('puts the chosen values into the files', () => {
    const files = planWorkspace(
      { ...combos[0], name: 'other_name', map: 'lru-hash', ordering: 'seqcst' },
      VERSION,
      templates,
    );
    expect(files.map((f) => f.path)).toContain('other_name-ebpf/src/counter.rs');
    const counter = files.find((f) => f.path === 'other_name-ebpf/src/counter.rs')!.contents;
    expect(counter).toContain('SeqCst');
  });

  it.each(['../escape.rs', 'a/../../b.rs', '/etc/passwd', 'a//b.rs', './a.rs', 'a\\..\\b.rs'])(
    'refuses a template whose output path %s would leave the target',
    (bad) => {
      const extra = { path: `workspace/${bad}`, contents: 'x' };
      expect(() => planWorkspace(combos[0], VERSION, [...templates, extra])).toThrow(/would leave the target/);
    },
  );

  it('substitute() rejects an unknown variable instead of leaving it', () => {
    expect(() => substitute('a {{nope}} b', { crate: 'x' }, 'where.rs')).toThrow(/where\.rs.*\{\{nope\}\}/);
    expect(substitute('{{ crate }}-{{crate}}', { crate: 'x' }, 'w')).toBe('x-x');
  });
});
