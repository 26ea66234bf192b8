// resolve() in-process: precedence (flags, --config, defaults), what is asked and in which order, and
// every input that must be a usage error before anything is asked or written. A fake Host stands for
// the file system and a scripted Prompter for the terminal; expectations are literal.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import {
  resolve,
  type GeneratePlan,
  type Host,
  type Plan,
  type Prompter,
  type ResolveInput,
  type TargetState,
  type UpdatePlan,
} from '../../src/resolve.js';
import type { NameRules } from '../../src/validate.js';

const CWD = '/home/u/work';

const RULES: NameRules = {
  dependencies: ['aya', 'aya-ebpf', 'tokio', 'clap', 'syn', 'proc-macro2', 'anyhow', 'libc'],
  templatePaths: ['xtask', 'LICENSE-MIT', 'LICENSE-APACHE', 'Cargo.toml'],
  ignoredPaths: (folder) => (folder === 'target' ? 'cargo writes its build output' : undefined),
};

interface FakeFs {
  files?: Record<string, string>;
  /** Paths that are symbolic links, and directories (a `.git`, say). */
  links?: string[];
  dirs?: string[];
  targets?: Record<string, TargetState>;
  toolchains?: string[];
  kprobes?: boolean;
}

function fakeHost(fs: FakeFs = {}): Host {
  return {
    readText: (abs) => {
      const text = fs.files?.[abs];
      if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return text;
    },
    inspectTarget: (abs) => fs.targets?.[abs] ?? { kind: 'missing' },
    directory: (abs) => {
      const known = fs.toolchains?.includes(abs) ?? false;
      return { exists: known, isDirectory: known, hasCargo: known, hasRustc: known };
    },
    nameRules: () => RULES,
    kprobes: () => fs.kprobes,
    entry: (abs) =>
      fs.links?.includes(abs)
        ? 'symlink'
        : fs.files?.[abs] !== undefined
          ? 'file'
          : fs.dirs?.includes(abs)
            ? 'directory'
            : 'missing',
  };
}

/** A terminal that answers from a script and records every question, in order. */
class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  readonly hints: Record<string, string[]> = {};
  constructor(private readonly answers: (string | boolean)[]) {}
  private next(message: string) {
    this.asked.push(message);
    if (!this.answers.length) throw new Error(`unexpected question: ${message}`);
    return this.answers.shift()!;
  }
  async text(q: Parameters<Prompter['text']>[0]) {
    const answer = String(this.next(q.message));
    const verdict = q.validate(answer);
    if (verdict !== true) throw new Error(`the prompt refused ${JSON.stringify(answer)}: ${verdict}`);
    return answer;
  }
  async select<T extends string | boolean>(q: Parameters<Prompter['select']>[0]): Promise<T> {
    this.hints[q.message] = q.choices.map((c) => c.description ?? '');
    const answer = this.next(q.message);
    const choice = q.choices.find((c) => c.value === answer);
    if (!choice) throw new Error(`no choice ${String(answer)} in ${q.message}`);
    return choice.value as T;
  }
}

const noPrompts: Prompter = {
  text: async (q) => {
    throw new Error(`asked: ${q.message}`);
  },
  select: async (q) => {
    throw new Error(`asked: ${q.message}`);
  },
};

function input(argv: string[], extra: Partial<ResolveInput> = {}): ResolveInput {
  return { argv, env: {}, cwd: CWD, stdinIsTTY: false, stdoutIsTTY: false, version: '9.9.9', ...extra };
}
const tty = { stdinIsTTY: true, stdoutIsTTY: true };

async function generate(
  argv: string[],
  fs: FakeFs = {},
  extra: Partial<ResolveInput> = {},
  prompter: Prompter = noPrompts,
): Promise<GeneratePlan> {
  const plan = await resolve(input(argv, extra), fakeHost(fs), prompter);
  expect(plan.kind).toBe('generate');
  return plan as GeneratePlan;
}

async function failure(
  argv: string[],
  fs: FakeFs = {},
  extra: Partial<ResolveInput> = {},
  prompter: Prompter = noPrompts,
): Promise<CliError> {
  let plan: Plan | undefined;
  try {
    plan = await resolve(input(argv, extra), fakeHost(fs), prompter);
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error(`resolved instead of failing: ${JSON.stringify(plan)}`);
}

const CONFIG = `${CWD}/alpha/aya-atomic.toml`;
const recorded = (lines: Record<string, string>) =>
  Object.entries({ 'create-aya-atomic': '0.1.0', ...lines })
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join('\n');

describe('defaults and precedence', () => {
  it('takes the defaults without prompts', async () => {
    const plan = await generate([]);
    expect(plan.dir).toBe(`${CWD}/aya-atomic-counter`);
    expect(plan.options).toEqual({
      name: 'aya-atomic-counter',
      map: 'array',
      ordering: 'relaxed',
      program: 'kprobe',
      attach: 'auto',
      toolchain: 'nightly',
    });
    expect(plan.sources).toEqual({
      name: 'directory',
      map: 'default',
      ordering: 'default',
      program: 'default',
      attach: 'default',
      toolchain: 'default',
    });
  });

  it('a tracepoint defaults to syscalls/sys_enter_execve', async () => {
    const plan = await generate(['p', '--program', 'tracepoint']);
    expect(plan.options.attach).toBe('syscalls/sys_enter_execve');
  });

  it.each([
    [['--ordering', 'SeqCst'], 'seqcst'],
    [['--ordering', 'acq_rel'], 'acqrel'],
    [['--ordering', 'seq-cst'], 'seqcst'],
    [['--ordering=RELAXED'], 'relaxed'],
  ])('reads %j as the ordering %s', async (flags, expected) => {
    expect((await generate(['p', ...flags])).options.ordering).toBe(expected);
  });

  it('flags win over the recorded config, which wins over defaults', async () => {
    const files = {
      [CONFIG]: recorded({
        name: 'alpha',
        map: 'hash',
        ordering: 'seqcst',
        program: 'kprobe',
        attach: 'do_sys_open',
        toolchain: 'nightly-2026-05-19',
      }),
    };
    const plan = await generate(['beta', '--config', 'alpha/aya-atomic.toml', '--ordering', 'relaxed'], { files });
    expect(plan.options).toEqual({
      name: 'beta',
      map: 'hash',
      ordering: 'relaxed',
      program: 'kprobe',
      attach: 'do_sys_open',
      toolchain: 'nightly-2026-05-19',
    });
    expect(plan.sources).toMatchObject({ name: 'directory', map: 'config', ordering: 'flag', attach: 'config' });
  });

  it('a replay takes the choices, not the name, and says whose choices they were', async () => {
    const files = {
      [CONFIG]: recorded({
        name: 'alpha',
        map: 'lru-hash',
        ordering: 'relaxed',
        program: 'kprobe',
        attach: 'auto',
        toolchain: 'nightly',
      }),
    };
    const plan = await generate(['beta', '--config', 'alpha/aya-atomic.toml'], { files });
    expect(plan.options.name).toBe('beta');
    expect(plan.notes.join('\n')).toContain(
      'replaying the choices of "alpha" from alpha/aya-atomic.toml (create-aya-atomic 0.1.0)',
    );
    const named = await generate(['beta', '--config', 'alpha/aya-atomic.toml', '--name', 'gamma'], { files });
    expect(named.options.name).toBe('gamma');
  });

  it('a --program that changes the recorded program takes its default target', async () => {
    const files = {
      [CONFIG]: recorded({
        name: 'a',
        map: 'array',
        ordering: 'relaxed',
        program: 'kprobe',
        attach: 'do_sys_open',
        toolchain: 'nightly',
      }),
    };
    const plan = await generate(['b', '--config', 'alpha/aya-atomic.toml', '--program', 'tracepoint'], { files });
    expect(plan.options).toMatchObject({ program: 'tracepoint', attach: 'syscalls/sys_enter_execve' });
  });

  it('an --attach of the other shape over a recorded program brings its own program', async () => {
    const files = {
      [CONFIG]: recorded({
        name: 'a',
        map: 'array',
        ordering: 'relaxed',
        program: 'kprobe',
        attach: 'auto',
        toolchain: 'nightly',
      }),
    };
    const plan = await generate(['b', '--config', 'alpha/aya-atomic.toml', '--attach', 'sched/sched_switch'], {
      files,
    });
    expect(plan.options).toMatchObject({ program: 'tracepoint', attach: 'sched/sched_switch' });
  });

  it('a toolchain directory is recorded as an absolute path', async () => {
    const plan = await generate(['p', '--toolchain', '../rust/bin'], { toolchains: ['/home/u/rust/bin'] });
    expect(plan.options.toolchain).toBe('/home/u/rust/bin');
  });
});

describe('the program follows the shape of --attach', () => {
  it.each([
    ['sched/sched_switch', 'tracepoint'],
    ['syscalls/sys_enter_openat', 'tracepoint'],
    ['do_sys_openat2', 'kprobe'],
    ['auto', 'kprobe'],
  ])('--attach %s means %s', async (attach, program) => {
    const plan = await generate(['p', '--attach', attach]);
    expect(plan.options).toMatchObject({ attach, program });
    expect(plan.sources.program).toBe('attach');
  });

  it('is not asked on a terminal when --attach says it', async () => {
    const prompter = new ScriptedPrompter(['p', 'array', 'relaxed']);
    const plan = await generate(['--attach', 'sched/sched_switch'], {}, tty, prompter);
    expect(plan.options.program).toBe('tracepoint');
    expect(prompter.asked).toEqual([
      'Project directory:',
      'Map that holds the counter:',
      'Memory ordering of the atomic add:',
    ]);
  });

  it('contradicting flags are a usage error before any question', async () => {
    const e = await failure(
      ['--program', 'kprobe', '--attach', 'sched/sched_switch'],
      {},
      tty,
      new ScriptedPrompter([]),
    );
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('--attach: attach target "sched/sched_switch" is not a kernel symbol');
    expect(e.message).toContain('use --program tracepoint');
  });
});

describe('questions on a terminal', () => {
  it('asks the directory, then the map, the ordering and the program', async () => {
    const prompter = new ScriptedPrompter(['my-probe', 'hash', 'seqcst', 'tracepoint']);
    const plan = await generate([], {}, tty, prompter);
    expect(prompter.asked).toEqual([
      'Project directory:',
      'Map that holds the counter:',
      'Memory ordering of the atomic add:',
      'Program type:',
    ]);
    expect(plan.options).toMatchObject({
      name: 'my-probe',
      map: 'hash',
      ordering: 'seqcst',
      program: 'tracepoint',
      attach: 'syscalls/sys_enter_execve',
    });
  });

  it('asks "not empty?" right after the directory, before any other question', async () => {
    const targets = { [`${CWD}/full`]: { kind: 'non-empty', entries: ['notes.txt'] } as TargetState };
    const prompter = new ScriptedPrompter(['full', true, 'array', 'relaxed', 'kprobe']);
    const plan = await generate([], { targets }, tty, prompter);
    expect(prompter.asked[0]).toBe('Project directory:');
    expect(prompter.asked[1]).toBe('full is not empty ("notes.txt"). Write into it?');
    expect(plan.overwrite).toBe(true);
  });

  it('refusing to write into a non-empty directory is exit 3 before the other questions', async () => {
    const targets = { [`${CWD}/full`]: { kind: 'non-empty', entries: ['a', 'b'] } as TargetState };
    const prompter = new ScriptedPrompter(['full', false]);
    const e = await failure([], { targets }, tty, prompter);
    expect(e.exitCode).toBe(3);
    expect(prompter.asked).toHaveLength(2);
  });

  it('for a per-CPU map, the ordering question and every choice say the ordering does not apply', async () => {
    const prompter = new ScriptedPrompter(['p', 'per-cpu-hash', 'seqcst', 'kprobe']);
    await generate([], {}, tty, prompter);
    const question = prompter.asked[2];
    expect(question).toContain('per-cpu-hash map uses a plain add, so the ordering does not apply');
    for (const hint of prompter.hints[question]) {
      expect(hint).toContain('recorded only');
      expect(hint).not.toMatch(/atomic_fetch_add|cpu v3|5\.12/);
    }
  });

  it('for a shared map, each ordering says what it compiles to', async () => {
    const prompter = new ScriptedPrompter(['p', 'array', 'seqcst', 'kprobe']);
    await generate([], {}, tty, prompter);
    const hints = prompter.hints['Memory ordering of the atomic add:'];
    expect(hints[0]).toMatch(/locked add/);
    expect(hints[4]).toBe('fully ordered atomic_fetch_add, BPF cpu v3, kernel >= 5.12');
  });

  it('on a kernel without kprobe support, the program question says so and leans to a tracepoint', async () => {
    let asked: { message: string; initial?: number; values: string[] } | undefined;
    const prompter: Prompter = {
      text: async () => 'p',
      select: async (q) => {
        if (q.message.startsWith('Program type'))
          asked = { message: q.message, initial: q.initial, values: q.choices.map((c) => String(c.value)) };
        return q.choices[q.initial ?? 0].value;
      },
    };
    const plan = await generate([], { kprobes: false }, tty, prompter);
    expect(asked).toEqual({
      message: "Program type (this machine's kernel has no kprobe support):",
      initial: 1,
      values: ['kprobe', 'tracepoint'],
    });
    expect(plan.options.program).toBe('tracepoint');
  });

  it('a kprobe chosen anyway on such a kernel gets a note; with kprobe support, none', async () => {
    const note =
      "this machine's kernel has no kprobe support: the kprobe loads (--check) but cannot attach here; --program tracepoint counts here";
    expect((await generate(['p'], { kprobes: false })).notes).toContain(note);
    expect((await generate(['p'], { kprobes: true })).notes).not.toContain(note);
    expect((await generate(['p', '--program', 'tracepoint'], { kprobes: false })).notes).not.toContain(note);
  });

  it('asks for a name when the directory does not give a valid one, saying why', async () => {
    const prompter = new ScriptedPrompter(['123', 'probe', 'array', 'relaxed', 'kprobe']);
    const plan = await generate([], {}, tty, prompter);
    expect(prompter.asked[1]).toBe(
      'Rust package name (the directory name "123" has no ASCII letter to start a crate name with):',
    );
    expect(plan.options.name).toBe('probe');
  });

  it('the directory prompt refuses control characters and targets that can never be a directory', async () => {
    const targets = { [`${CWD}/file`]: { kind: 'impossible', reason: 'is a file' } as TargetState };
    const host = fakeHost({ targets });
    let validate: ((v: string) => string | true) | undefined;
    const prompter: Prompter = {
      text: async (q) => {
        validate = q.validate;
        return 'ok';
      },
      select: async (q) => q.choices[0].value,
    };
    await resolve(input([], tty), host, prompter);
    expect(validate!('a\u0015b')).toBe(
      'the directory "a\\u0015b" contains the control character U+0015; choose a path without control characters',
    );
    expect(validate!('x\ny')).toContain('contains a newline');
    expect(validate!('file')).toBe('"file" is a file; choose another directory');
    expect(validate!('fine')).toBe(true);
  });

  it('--yes, --json, CI=true and a pipe never ask', async () => {
    for (const extra of [
      { argv: ['--yes'], ...tty },
      { argv: ['--json'], ...tty },
      { argv: [], ...tty, env: { CI: 'true' } },
      { argv: [] },
    ]) {
      const plan = await resolve({ ...input([]), ...extra }, fakeHost(), noPrompts);
      expect(plan.kind).toBe('generate');
    }
  });
});

describe('names', () => {
  it('derives the name from the directory, lower-cased and cleaned, and says so', async () => {
    const plan = await generate(['My Probe']);
    expect(plan.options.name).toBe('my-probe');
    expect(plan.notes).toContain('crate name "my-probe", from the directory "My Probe"; --name sets another');
  });

  it('says which characters it dropped', async () => {
    const plan = await generate(['prøbé']);
    expect(plan.options.name).toBe('prb');
    expect(plan.notes).toContain(
      'crate name "prb", from the directory "prøbé" (dropped "ø", "é": not allowed in crate names); --name sets another',
    );
  });

  it('a directory without a usable name is a usage error that says why, without prompts', async () => {
    const e = await failure(['123']);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      'cannot derive a crate name from the directory: the directory name "123" has no ASCII letter to start a crate name with\n' +
        'Pass one with --name <crate> (lower-case ASCII letters, digits, "-" and "_", starting with a letter, at most 64 characters (e.g. my-probe)).',
    );
  });

  it.each([
    ['target', 'where cargo writes its build output'],
    ['xtask', 'where the template writes "xtask"'],
    ['license-mit', 'where the template writes "LICENSE-MIT"'],
    ['tokio', 'makes the crate "tokio", which is also the name of "tokio"'],
    ['proc-macro2', 'makes the crate "proc-macro2"'],
    ['proc_macro2', 'makes the crate "proc_macro2", which is also the name of "proc-macro2"'],
    ['aya', 'makes the crate "aya"'],
    ['syn', 'makes the crate "syn"'],
  ])('refuses --name %s (%s)', async (name, why) => {
    const e = await failure(['p', '--name', name]);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(why);
  });

  it('a name whose -ebpf crate is a dependency is refused too', async () => {
    const e = await failure(['p', '--name', 'aya'], {});
    expect(e.message).toContain('makes the crate "aya"');
    const ebpf = await failure(['aya']);
    expect(ebpf.message).toContain('cannot derive a crate name from the directory: crate name "aya"');
  });
});

describe('usage errors', () => {
  it.each([
    [['--map', 'hash', '--map', 'array'], '--map "array" repeats --map "hash"; give each option once'],
    [['--git', '--no-git'], '--no-git repeats --git; give each option once'],
    [['-y', '--yes'], '--yes repeats -y; give each option once'],
    [['a', 'b'], 'expected at most one directory, got 2: "a" "b"'],
    [['--bogus'], 'unknown option "--bogus"'],
    [['--mpa', 'hash'], 'did you mean --map?'],
    [['--check=no'], 'unknown option "--check=no"'],
    [['--yes=1'], 'option --yes takes no value'],
    [['--map'], 'option --map needs a value: --map <map>'],
    [['a\nb'], 'the directory "a\\nb" contains a newline'],
    [[''], 'the directory is empty'],
  ])('%j', async (argv, message) => {
    const e = await failure(argv);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(message);
  });

  it('after --, everything is a directory, even --json', async () => {
    const plan = await generate(['--', '--json']);
    expect(plan.dir).toBe(`${CWD}/--json`);
    expect(plan.switches.json).toBe(false);
  });

  it('a target that can never be a directory is a usage error with its reason', async () => {
    const targets = { [`${CWD}/x`]: { kind: 'impossible', reason: 'is a symbolic link loop' } as TargetState };
    const e = await failure(['x'], { targets });
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('"x" is a symbolic link loop; choose another directory');
  });

  it('a non-empty target without --overwrite is exit 3; with it, the plan may replace', async () => {
    const targets = { [`${CWD}/x`]: { kind: 'non-empty', entries: ['a', 'b', 'c', 'd', 'e', 'f'] } as TargetState };
    const e = await failure(['x'], { targets });
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain('x is not empty ("a", "b", "c", "d", "e", … (6 entries))');
    expect((await generate(['x', '--overwrite'], { targets })).overwrite).toBe(true);
  });

  it('echoes a long value cut short, and names the limit that was broken', async () => {
    const e = await failure(['p', '--attach', `syscalls/${'x'.repeat(300)}`]);
    expect(e.message).toContain('is 309 characters long, over the limit of 256 for a tracepoint');
    expect(e.message.length).toBeLessThan(400);
    const files = { [CONFIG]: recorded({ map: 'y'.repeat(1_000_000) }) };
    const big = await failure(['p', '--config', 'alpha/aya-atomic.toml'], { files });
    expect(big.message).toContain('(1000000 characters)');
    expect(big.message.length).toBeLessThan(400);
  });

  it('says where a bad recorded value came from', async () => {
    const files = { [CONFIG]: recorded({ map: 'nope' }) };
    const e = await failure(['p', '--config', 'alpha/aya-atomic.toml'], { files });
    expect(e.message).toBe(
      'alpha/aya-atomic.toml: map: map "nope" is not one of: array, per-cpu-array, hash, per-cpu-hash, lru-hash, lru-per-cpu-hash',
    );
  });

  it('a missing --config file is a usage error', async () => {
    const e = await failure(['p', '--config', 'nowhere.toml']);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('cannot read --config "nowhere.toml": no such file');
  });
});

describe('--update', () => {
  const WS = `${CWD}/ws`;
  const toml = recorded({
    name: 'ws',
    map: 'array',
    ordering: 'relaxed',
    program: 'kprobe',
    attach: 'auto',
    toolchain: 'nightly',
  });
  const manifest = '[workspace]\nmembers = ["ws", "ws-common", "ws-ebpf", "xtask"]\n';
  const files = { [`${WS}/aya-atomic.toml`]: toml, [`${WS}/Cargo.toml`]: manifest };
  const update = async (argv: string[], fs: FakeFs = { files }, extra: Partial<ResolveInput> = {}) => {
    const plan = await resolve(input(argv, extra), fakeHost(fs), noPrompts);
    expect(plan.kind).toBe('update');
    return plan as UpdatePlan;
  };
  const fails = async (argv: string[], fs: FakeFs = { files }, extra: Partial<ResolveInput> = {}) => {
    const e = await failure(argv, fs, extra);
    expect(e.exitCode).toBe(2);
    return e.message;
  };

  it('reads the recorded options and version', async () => {
    const plan = await update(['--update', 'ws']);
    expect(plan.recorded).toEqual({
      version: '0.1.0',
      options: {
        name: 'ws',
        map: 'array',
        ordering: 'relaxed',
        program: 'kprobe',
        attach: 'auto',
        toolchain: 'nightly',
      },
    });
    expect(plan.options).toEqual(plan.recorded.options);
    expect(plan.notes).toEqual([]);
  });

  it('takes changed options from flags; a new program takes its default target', async () => {
    expect((await update(['--update', 'ws', '--map', 'per-cpu-hash'])).options.map).toBe('per-cpu-hash');
    expect((await update(['--update', 'ws', '--program', 'tracepoint'])).options).toMatchObject({
      program: 'tracepoint',
      attach: 'syscalls/sys_enter_execve',
    });
    expect((await update(['--update', 'ws', '--attach', 'sched/sched_switch'])).options).toMatchObject({
      program: 'tracepoint',
      attach: 'sched/sched_switch',
    });
  });

  it('defaults to the current directory, or the workspace around it, and says so', async () => {
    expect((await update(['--update'], { files }, { cwd: WS })).dir).toBe(WS);
    const below = await update(['--update'], { files }, { cwd: `${WS}/ws-ebpf/src` });
    expect(below.dir).toBe(WS);
    expect(below.notes).toEqual([`updating the workspace at ${WS}, found above the current directory`]);
  });

  it('never climbs to a stray aya-atomic.toml that is not the workspace it describes', async () => {
    const home = '/home/u';
    const stray = { [`${home}/aya-atomic.toml`]: toml };
    expect(await fails(['--update'], { files: stray }, { cwd: `${home}/notes` })).toBe(
      '/home/u is not the workspace /home/u/aya-atomic.toml describes: its Cargo.toml has no workspace member "ws".\n' +
        'Run --update inside the generated workspace, or name it: --update <dir>. Nothing was changed.',
    );
  });

  it('never climbs above the root of the git work tree it starts in', async () => {
    const above = { ...files, [`${WS}/repo/x`]: '' };
    expect(await fails(['--update'], { files: above, dirs: [`${WS}/repo/.git`] }, { cwd: `${WS}/repo/src` })).toBe(
      '. is not in a workspace made by create-aya-atomic: no aya-atomic.toml there or above it up to the root of ' +
        'its git work tree, /home/u/work/ws/repo.\nRun --update in (or point it at) the directory that holds it.',
    );
  });

  it('a workspace a newer version generated: exit 2 before anything runs, advising the update in the form that ran us', async () => {
    const newer = { ...files, [`${WS}/aya-atomic.toml`]: toml.replace('"0.1.0"', '"10.0.0"') };
    expect(await fails(['--update', 'ws'], { files: newer })).toBe(
      'ws was generated by create-aya-atomic 10.0.0, newer than this 9.9.9: update with npx create-aya-atomic@latest --update',
    );
    // A value only that version knows is not taken for a broken one.
    const ringbuf = {
      ...newer,
      [`${WS}/aya-atomic.toml`]: newer[`${WS}/aya-atomic.toml`].replace('"array"', '"ringbuf"'),
    };
    expect(await fails(['--update', 'ws'], { files: ringbuf })).toMatch(
      /^ws was generated by create-aya-atomic 10\.0\.0, newer/,
    );
    const pnpm = { npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v20.20.2 linux x64' };
    expect(await fails(['--update', 'ws'], { files: newer }, { env: pnpm })).toBe(
      'ws was generated by create-aya-atomic 10.0.0, newer than this 9.9.9: update with pnpm create aya-atomic@latest --update',
    );
  });

  it('refuses a symbolic link as aya-atomic.toml: the update could never advance it', async () => {
    expect(await fails(['--update', 'ws'], { files, links: [`${WS}/aya-atomic.toml`] })).toMatch(
      /^ws\/aya-atomic\.toml is a symbolic link\. The update records the new version in aya-atomic\.toml/,
    );
  });

  it('blames a broken recorded value on the file and its line, never on a flag; a flag replaces it', async () => {
    const broken = { ...files, [`${WS}/aya-atomic.toml`]: toml.replace('map = "array"', 'map = "hashh"') };
    expect(await fails(['--update', 'ws'], { files: broken })).toBe(
      'ws/aya-atomic.toml:3: map: map "hashh" is not one of: array, per-cpu-array, hash, per-cpu-hash, lru-hash, lru-per-cpu-hash\n' +
        'Pass --map <value> to replace it in this update (the new aya-atomic.toml records it).',
    );
    const plan = await update(['--update', 'ws', '--map', 'hash'], { files: broken });
    expect(plan.recorded.options.map).toBe('hash');
    expect(plan.options.map).toBe('hash');
    expect(plan.notes).toEqual([
      'ws/aya-atomic.toml:3: map: map "hashh" is not one of: array, per-cpu-array, hash, per-cpu-hash, lru-hash, lru-per-cpu-hash; --map "hash" replaces it',
    ]);
  });

  it("a recorded name this version refuses (a dependency's): the way forward is renaming in the update", async () => {
    const syn = {
      [`${WS}/aya-atomic.toml`]: toml.replace('name = "ws"', 'name = "syn"'),
      [`${WS}/Cargo.toml`]: manifest.replace('"ws"', '"syn"'),
    };
    expect(await fails(['--update', 'ws'], { files: syn })).toBe(
      'ws/aya-atomic.toml:2: name: crate name "syn" makes the crate "syn", which is also the name of "syn" in the ' +
        'workspace\'s dependencies; choose another name: lower-case ASCII letters, digits, "-" and "_", starting with ' +
        'a letter, at most 64 characters (e.g. my-probe)\n' +
        'This version cannot generate that name. Rename the crates in the same update (your edits move with them): ' +
        'npx create-aya-atomic@latest --update --name <new-name>',
    );
    const plan = await update(['--update', 'ws', '--name', 'syn-probe'], { files: syn });
    expect(plan.rename).toEqual({ from: 'syn', to: 'syn-probe' });
    expect(plan.recorded.options.name).toBe('syn');
    expect(plan.options.name).toBe('syn-probe');
    expect(await fails(['--update', 'ws', '--name', 'tokio'], { files: syn })).toMatch(/^--name: crate name "tokio"/);
    // A name that is not even well-formed was edited by hand: no rename from it.
    const garbage = { ...syn, [`${WS}/aya-atomic.toml`]: toml.replace('name = "ws"', 'name = "Not A Name"') };
    expect(await fails(['--update', 'ws', '--name', 'x'], { files: garbage })).toContain(
      'Set it back to the name the workspace was generated with',
    );
  });

  it('resolves CREATE_AYA_ATOMIC_PACKAGES relative to the current directory', async () => {
    expect(
      (await update(['--update', 'ws'], { files }, { env: { CREATE_AYA_ATOMIC_PACKAGES: 'pkgs' } })).packages,
    ).toBe(`${CWD}/pkgs`);
  });

  it.each([
    [['--update', 'elsewhere'], 'elsewhere is not a workspace made by create-aya-atomic: it has no aya-atomic.toml'],
    [['--update', 'ws', '--name', 'other'], '--update keeps the crate name "ws"'],
    [
      ['--update', 'ws', '--config', 'x.toml'],
      "--update reads the workspace's own aya-atomic.toml; --config does not apply",
    ],
    [['--update', 'ws', '--map', 'nope'], '--map: map "nope" is not one of'],
  ])('%j is a usage error', async (argv, message) => {
    expect(await fails(argv)).toContain(message);
  });

  it('a recorded version that is not a released version is a usage error naming the line', async () => {
    const spec = { ...files, [`${WS}/aya-atomic.toml`]: toml.replace('"0.1.0"', '"file:../x"') };
    expect(await fails(['--update', 'ws'], { files: spec })).toMatch(
      /^ws\/aya-atomic\.toml:1: create-aya-atomic is "file:\.\.\/x", not a released version/,
    );
  });
});
