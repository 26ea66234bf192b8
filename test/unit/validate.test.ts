// Tables for the rules every user string must pass before it reaches generated Rust or TOML, in-process
// (docs/safety.md). What the template itself forbids (its paths, its ignore rules, its dependency graph)
// comes in as NameRules: here a literal fake; derived from a template directory in host.test.ts.
import { describe, expect, it } from 'vitest';
import { optionSpec, type Context } from '../../src/options.js';
import {
  checkAttach,
  checkCrateName,
  checkToolchain,
  controlCharacter,
  crateNameFromDirectory,
  ignoringPattern,
  shown,
  type DirectoryFacts,
  type NameRules,
} from '../../src/validate.js';

const FORM =
  'lower-case ASCII letters, digits, "-" and "_", starting with a letter, at most 64 characters (e.g. my-probe)';

const RULES: NameRules = {
  dependencies: [
    'aya',
    'aya-log',
    'aya-ebpf',
    'proc-macro2',
    'env_logger',
    'tokio',
    'syn',
    'widget-common',
    'gadget-ebpf',
  ],
  templatePaths: ['Cargo.toml', 'LICENSE-MIT', 'LICENSE-APACHE', 'README.md', 'xtask', 'rustfmt.toml'],
  ignoredPaths: (folder) =>
    folder === 'target'
      ? 'cargo writes its build output'
      : folder === 'scratch'
        ? 'the generated .gitignore hides it (/scratch/)'
        : undefined,
};

const rejected = (name: string): string => {
  const r = checkCrateName(name, RULES);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(name)}`);
  return r.reason;
};

describe('checkCrateName', () => {
  it.each([
    'my-probe',
    'probe',
    'a',
    'a1',
    'my_probe',
    'x'.repeat(64),
    'selfish',
    'fnord',
    'ayax',
    'tokio2',
    'gen2',
    'std-probe',
    'targets',
    'gadget-x',
  ])('accepts %j', (name) => {
    expect(checkCrateName(name, RULES)).toEqual({ ok: true, value: name });
  });

  it.each([
    ['', `the crate name is empty; use ${FORM}`],
    [
      'x'.repeat(65),
      `crate name "${'x'.repeat(48)}"… (65 characters) is 65 characters long, over the limit of 64; use ${FORM}`,
    ],
    ['1probe', `crate name "1probe" is not valid; use ${FORM}`],
    ['My-Probe', `crate name "My-Probe" has upper-case letters; use ${FORM}`],
    ['fn', `crate name "fn" is a Rust keyword; choose another name: ${FORM}`],
    ['std', `crate name "std" is reserved by Rust, cargo or Windows; choose another name: ${FORM}`],
  ])('rejects %j, naming the value, the rule and the valid form', (name, reason) => {
    expect(rejected(name)).toBe(reason);
  });

  it.each([
    '-probe',
    '_probe',
    'my probe',
    '../x',
    'a/b',
    '/abs',
    'a\\b',
    'a"b',
    "a'b",
    'a\nb',
    '$(touch pwned)',
    '`touch pwned`',
    'a;touch pwned',
    'x$IFS',
    'a.b',
    'ünïcode',
    'é',
    '-',
  ])('rejects the malformed %j as not valid', (name) => {
    expect(rejected(name)).toBe(`crate name ${JSON.stringify(name)} is not valid; use ${FORM}`);
  });

  it.each([
    'fn',
    'self',
    'async',
    'await',
    'gen',
    'union',
    'try',
    'macro_rules',
    'macro-rules',
    'dyn',
    'crate',
    'super',
    'raw',
    'safe',
    'yield',
  ])('rejects the Rust keyword %j', (name) => {
    expect(rejected(name)).toContain('is a Rust keyword');
  });

  it.each([
    'std',
    'core',
    'alloc',
    'test',
    'build',
    'deps',
    'examples',
    'incremental',
    'proc-macro',
    'proc_macro',
    'con',
    'prn',
    'aux',
    'nul',
    'com1',
    'com9',
    'lpt1',
    'lpt9',
    'compiler_builtins',
    'compiler-builtins',
    'panic_abort',
    'unwind',
  ])('rejects the reserved %j', (name) => {
    expect(rejected(name)).toContain('is reserved by Rust, cargo or Windows');
  });

  // a crate folder where cargo, the xtask or the ignore rules own the path.
  it.each([
    [
      'target',
      'crate name "target" puts the crate folder "target" where cargo writes its build output: its sources would be lost (cargo clean, git)',
    ],
    [
      'scratch',
      'crate name "scratch" puts the crate folder "scratch" where the generated .gitignore hides it (/scratch/): its sources would be lost (cargo clean, git)',
    ],
    ['xtask', 'crate name "xtask" puts the crate folder "xtask" where the template writes "xtask"'],
    [
      'license-mit',
      'crate name "license-mit" puts the crate folder "license-mit" where the template writes "LICENSE-MIT"',
    ],
  ])('rejects %j, whose folder is owned by something else', (name, reason) => {
    expect(rejected(name)).toContain(reason);
  });

  // any crate of the dependency graph, for <name>, <name>-ebpf and <name>-common.
  it.each([
    ['aya', 'makes the crate "aya", which is also the name of "aya" in the workspace\'s dependencies'],
    ['aya_log', 'makes the crate "aya_log", which is also the name of "aya-log"'],
    ['env-logger', 'makes the crate "env-logger", which is also the name of "env_logger"'],
    ['proc-macro2', 'makes the crate "proc-macro2"'],
    ['syn', 'makes the crate "syn"'],
    ['widget', 'makes the crate "widget-common", which is also the name of "widget-common"'],
    ['gadget', 'makes the crate "gadget-ebpf", which is also the name of "gadget-ebpf"'],
  ])('rejects %j, which clashes with the dependency graph', (name, reason) => {
    expect(rejected(name)).toContain(reason);
  });
});

describe('crateNameFromDirectory', () => {
  it.each([
    ['My Probe', 'my-probe', []],
    ['Probe.v2', 'probe-v2', []],
    ['  spaced  out ', 'spaced-out', []],
    ['123', '', []],
    ['123abc', 'abc', []],
    ['fn', 'fn', []],
    ['x'.repeat(80), 'x'.repeat(64), []],
    ['prøbé', 'prb', ['ø', 'é']],
    ['$(touch pwned)', 'touch-pwned', ['$', '(', ')']],
    ['--json', 'json', []],
  ])('%j → %j, dropping %j', (dir, name, dropped) => {
    expect(crateNameFromDirectory(dir)).toEqual({ name, dropped });
  });
});

describe('shown', () => {
  it('quotes a value and escapes what a terminal would act on', () => {
    expect(shown('probe')).toBe('"probe"');
    expect(shown('a\nb\u001b[31m')).toBe('"a\\nb\\u001b[31m"');
  });
  it('cuts a long value short, saying how long it was', () => {
    expect(shown('n'.repeat(10_000_000))).toBe(`"${'n'.repeat(48)}"… (10000000 characters)`);
    expect(shown('n'.repeat(58))).toBe(`"${'n'.repeat(58)}"`);
  });
});

describe('controlCharacter', () => {
  it.each([
    ['plain/path with spaces', undefined],
    ['ünïcode', undefined],
    ['a\nb', 'a newline'],
    ['a\rb', 'a carriage return'],
    ['a\tb', 'a tab'],
    ['a\u001bb', 'an escape'],
    ['a\u0015b', 'the control character U+0015'],
    ['a\u0000b', 'the control character U+0000'],
    ['a\u007fb', 'the control character U+007F'],
    ['a\u009bb', 'the control character U+009B'],
  ])('%j: %s', (s, name) => {
    expect(controlCharacter(s)).toBe(name);
  });
});

describe('checkAttach', () => {
  it.each([
    ['auto', 'kprobe'],
    ['__x64_sys_execve', 'kprobe'],
    ['do_sys_openat2', 'kprobe'],
    ['tcp_v4_connect.cold', 'kprobe'],
    ['_x', 'kprobe'],
    ['a'.repeat(128), 'kprobe'],
    ['syscalls/sys_enter_execve', 'tracepoint'],
    ['sched/sched_switch', 'tracepoint'],
    [`a/${'b'.repeat(254)}`, 'tracepoint'],
  ] as const)('accepts %j for a %s', (target, program) => {
    expect(checkAttach(target, program)).toEqual({ ok: true, value: target });
  });

  const KPROBE =
    '"auto" or a kernel symbol name (letters, digits, "_" and ".", starting with a letter or "_", at most 128 characters, e.g. __x64_sys_execve)';
  const TRACEPOINT =
    '"category/name", each part letters, digits and "_", at most 256 characters (e.g. syscalls/sys_enter_execve)';

  it.each(['', '1abc', '$(touch pwned)', '`touch pwned`', 'sym"bol', 'sym\nbol', 'sym bol', 'sym;touch pwned', '9sym'])(
    'rejects the kprobe target %j',
    (target) => {
      expect(checkAttach(target, 'kprobe')).toEqual({
        ok: false,
        reason: `attach target ${JSON.stringify(target)} is not a kernel symbol; for a kprobe use ${KPROBE}`,
      });
    },
  );

  it('a kprobe target with a "/" points at the tracepoint program', () => {
    expect(checkAttach('syscalls/sys_enter_execve', 'kprobe')).toEqual({
      ok: false,
      reason: `attach target "syscalls/sys_enter_execve" is not a kernel symbol; for a kprobe use ${KPROBE}; for a tracepoint, use --program tracepoint`,
    });
  });

  it.each([
    'auto',
    'do_sys_open',
    'a/b/c',
    '/b',
    'a/',
    '../x',
    'syscalls/sys_enter_execve\n',
    'sys-calls/x',
    'sys calls/x',
    '$(touch pwned)/x',
    'syscalls/x"',
  ])('rejects the tracepoint target %j', (target) => {
    expect(checkAttach(target, 'tracepoint')).toEqual({
      ok: false,
      reason: `attach target ${JSON.stringify(target)} is not a tracepoint; use ${TRACEPOINT}`,
    });
  });

  // a value over a limit names the limit.
  it('names the limit a long target breaks', () => {
    const kprobe = checkAttach('a'.repeat(129), 'kprobe');
    expect(kprobe).toEqual({
      ok: false,
      reason: `attach target "${'a'.repeat(48)}"… (129 characters) is 129 characters long, over the limit of 128 for a kernel symbol; use ${KPROBE}`,
    });
    const tracepoint = checkAttach(`syscalls/${'x'.repeat(291)}`, 'tracepoint');
    expect(tracepoint.ok === false && tracepoint.reason).toContain(
      'is 300 characters long, over the limit of 256 for a tracepoint',
    );
  });
});

describe('checkToolchain', () => {
  const dir = (facts: Partial<DirectoryFacts>): DirectoryFacts => ({
    exists: true,
    isDirectory: true,
    hasCargo: true,
    hasRustc: true,
    ...facts,
  });

  it.each(['nightly', 'stable', 'nightly-2026-05-19', '1.87.0', 'nightly-x86_64-unknown-linux-gnu'])(
    'accepts the rustup name %j',
    (t) => {
      expect(checkToolchain(t, `/cwd/${t}`)).toEqual({ ok: true, value: t });
    },
  );

  it.each(['nightly;rm -rf /', '$(touch pwned)', 'night ly', '-nightly', '', 'a"b', 'x'.repeat(101)])(
    'rejects the name %j',
    (t) => {
      expect(checkToolchain(t, `/cwd/${t}`).ok).toBe(false);
    },
  );

  it('accepts a directory with cargo and rustc, as the absolute path', () => {
    expect(checkToolchain('./rust', '/home/u/rust', dir({}))).toEqual({ ok: true, value: '/home/u/rust' });
  });

  it.each([
    ['a missing directory', dir({ exists: false, isDirectory: false }), 'toolchain directory "./rust" does not exist'],
    ['a file', dir({ isDirectory: false }), 'toolchain directory "./rust" is not a directory'],
    ['no rustc', dir({ hasRustc: false }), 'toolchain directory "./rust" has no rustc'],
    ['neither', dir({ hasRustc: false, hasCargo: false }), 'toolchain directory "./rust" has no cargo or rustc'],
  ])('rejects %s', (_, facts, reason) => {
    const r = checkToolchain('./rust', '/home/u/rust', facts);
    expect(r.ok === false && r.reason).toContain(reason);
  });

  it('rejects a directory whose path has characters other than letters, digits and "/._+-"', () => {
    const r = checkToolchain('./my rust', '/home/u/my "rust"', dir({}));
    expect(r.ok === false && r.reason).toBe(
      'toolchain directory "/home/u/my \\"rust\\"" has characters other than letters, digits and "/._+-"; link it from a plain path ' +
        '(e.g. ln -s "/home/u/my \\"rust\\"" /opt/rust-bpf) and pass that',
    );
  });
});

describe('ignoringPattern (the generated .gitignore)', () => {
  const patterns = [
    '# build output',
    '/target/',
    '/xtask/target/',
    '**/*.rs.bk',
    '.idea/',
    '*.swp',
    '!keep',
    'out*/',
    '**/logs',
  ];
  it.each([
    ['target', '/target/'],
    ['.idea', '.idea/'],
    ['x.swp', '*.swp'],
    ['output', 'out*/'],
    ['logs', '**/logs'],
    ['xtask', undefined],
    ['keep', undefined],
    ['probe', undefined],
    ['targets', undefined],
  ])('%j is hidden by %j', (entry, pattern) => {
    expect(ignoringPattern(patterns, entry)).toBe(pattern);
  });
});

describe('the choices of the options model', () => {
  const ctx = {} as Context; // choices consult nothing else
  it.each([
    ['RELAXED', 'relaxed'],
    ['Acquire', 'acquire'],
    ['Release', 'release'],
    ['AcqRel', 'acqrel'],
    ['acq_rel', 'acqrel'],
    ['ACQ_REL', 'acqrel'],
    ['acq-rel', 'acqrel'],
    ['seq_cst', 'seqcst'],
    ['SeqCst', 'seqcst'],
    ['SEQCST', 'seqcst'],
    ['seq-cst', 'seqcst'],
    [' seqcst ', 'seqcst'],
  ])('the ordering %j means %j', (given, canonical) => {
    expect(optionSpec('ordering').validate(given, ctx)).toEqual({ ok: true, value: canonical });
  });

  it.each([
    [
      'map',
      'ringbuf',
      'map "ringbuf" is not one of: array, per-cpu-array, hash, per-cpu-hash, lru-hash, lru-per-cpu-hash',
    ],
    [
      'map',
      'hash;touch pwned',
      'map "hash;touch pwned" is not one of: array, per-cpu-array, hash, per-cpu-hash, lru-hash, lru-per-cpu-hash',
    ],
    ['ordering', 'sequential', 'ordering "sequential" is not one of: relaxed, acquire, release, acqrel, seqcst'],
    ['ordering', 'seq cst', 'ordering "seq cst" is not one of: relaxed, acquire, release, acqrel, seqcst'],
    ['program', 'uprobe', 'program "uprobe" is not one of: kprobe, tracepoint'],
  ] as const)('the %s %j is refused, listing the valid values', (key, value, reason) => {
    expect(optionSpec(key).validate(value, ctx)).toEqual({ ok: false, reason });
  });
});
