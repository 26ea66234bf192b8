// Tables for the rules every user string must pass before it reaches generated Rust or TOML.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAttach, checkCrateName, checkToolchain, crateNameFromDirectory, WORKSPACE_DEPENDENCIES } from '../../src/validate.js';

describe('checkCrateName', () => {
  it.each(['my-probe', 'probe', 'a', 'a1', 'my_probe', 'x'.repeat(64), 'selfish', 'fnord', 'ayax', 'tokio2', 'gen2', 'std-probe'])(
    'accepts %j',
    (name) => {
      expect(checkCrateName(name)).toEqual({ ok: true, value: name });
    },
  );

  const rejected: [string, RegExp][] = [
    ['', /empty/],
    ['x'.repeat(65), /65 characters/],
    ['1probe', /not valid/],
    ['-probe', /not valid/],
    ['_probe', /not valid/],
    ['My-Probe', /upper-case/],
    ['my probe', /not valid/],
    ['../x', /not valid/],
    ['a/b', /not valid/],
    ['a\\b', /not valid/],
    ['a"b', /not valid/],
    ["a'b", /not valid/],
    ['a\nb', /not valid/],
    ['$(touch pwned)', /not valid/],
    ['`touch pwned`', /not valid/],
    ['a.b', /not valid/],
    ['ünïcode', /not valid/],
    ...['fn', 'self', 'async', 'gen', 'union', 'try', 'macro_rules', 'await', 'dyn', 'crate', 'super', 'raw', 'safe'].map(
      (k) => [k, /Rust keyword/] as [string, RegExp],
    ),
    ...['std', 'core', 'alloc', 'test', 'build', 'deps', 'examples', 'incremental', 'proc-macro', 'proc_macro', 'con',
      'prn', 'aux', 'nul', 'com1', 'com9', 'lpt1', 'lpt9', 'xtask'].map((k) => [k, /reserved/] as [string, RegExp]),
    ['aya', /makes the crate "aya", which clashes with the dependency "aya"/],
    ['aya-log', /clashes with the dependency "aya-log"/],
    ['aya_log', /clashes with the dependency "aya-log"/],
    ['tokio', /clashes with the dependency "tokio"/],
    ['anyhow', /clashes/],
    ['libc', /clashes/],
    ['log', /clashes/],
    ['env-logger', /clashes with the dependency "env_logger"/],
  ];
  it.each(rejected)('rejects %j', (name, reason) => {
    const r = checkCrateName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('names the bad value and the valid form', () => {
    const r = checkCrateName('Bad Name');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain('"Bad Name"');
      expect(r.reason).toMatch(/lower-case ASCII letters, digits/);
    }
  });

  it('rejects every name whose crates equal a workspace dependency', () => {
    for (const dep of WORKSPACE_DEPENDENCIES) {
      for (const name of [dep, dep.replace(/-ebpf$/, ''), dep.replace(/-common$/, '')]) {
        if (!/^[a-z][a-z0-9_-]*$/.test(name)) continue;
        expect(checkCrateName(name).ok, name).toBe(false);
      }
    }
  });
});

describe('crateNameFromDirectory', () => {
  it.each([
    ['My Probe', 'my-probe'],
    ['/some/where/Probe.v2', 'probe-v2'],
    ['  spaced  out ', 'spaced-out'],
    ['123', ''],
    ['123abc', 'abc'],
    ['fn', 'fn'],
    ['x'.repeat(80), 'x'.repeat(64)],
  ])('%j → %j', (dir, name) => {
    expect(crateNameFromDirectory(dir)).toBe(name);
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
  ] as const)('accepts %j for a %s', (target, program) => {
    expect(checkAttach(target, program)).toEqual({ ok: true, value: target });
  });

  it.each([
    ['', 'kprobe'],
    ['a'.repeat(129), 'kprobe'],
    ['1abc', 'kprobe'],
    ['syscalls/sys_enter_execve', 'kprobe'],
    ['$(touch pwned)', 'kprobe'],
    ['`touch pwned`', 'kprobe'],
    ['sym"bol', 'kprobe'],
    ['sym\nbol', 'kprobe'],
    ['sym bol', 'kprobe'],
    ['../x', 'kprobe'],
    ['auto', 'tracepoint'],
    ['do_sys_open', 'tracepoint'],
    ['a/b/c', 'tracepoint'],
    ['/b', 'tracepoint'],
    ['a/', 'tracepoint'],
    ['../x', 'tracepoint'],
    ['syscalls/sys_enter_execve\n', 'tracepoint'],
    ['sys-calls/x', 'tracepoint'],
    ['$(touch pwned)/x', 'tracepoint'],
  ] as const)('rejects %j for a %s, naming the value and the form', (target, program) => {
    const r = checkAttach(target, program);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(JSON.stringify(target));
      expect(r.reason).toMatch(program === 'kprobe' ? /for a kprobe use "auto" or a symbol name/ : /category\/name/);
    }
  });
});

describe('checkToolchain', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'caa-validate-')));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const withTools = (name: string, tools = ['cargo', 'rustc']) => {
    const d = path.join(root, name);
    fs.mkdirSync(d, { recursive: true });
    for (const t of tools) fs.writeFileSync(path.join(d, t), '');
    return d;
  };

  it.each(['nightly', 'stable', 'nightly-2026-05-19', '1.87.0', 'nightly-x86_64-unknown-linux-gnu'])('accepts the rustup name %j', (t) => {
    expect(checkToolchain(t, root)).toEqual({ ok: true, value: t });
  });

  it.each(['nightly;rm -rf /', '$(touch pwned)', 'night ly', '-nightly', '', 'a"b', 'x'.repeat(101)])('rejects the name %j', (t) => {
    expect(checkToolchain(t, root).ok).toBe(false);
  });

  it('accepts a directory with cargo and rustc, as an absolute path', () => {
    const d = withTools('rust-ok');
    expect(checkToolchain(d, '/')).toEqual({ ok: true, value: d });
    expect(checkToolchain('./rust-ok', root)).toEqual({ ok: true, value: d });
  });

  it('rejects a missing directory, one without the tools, and one with unsafe characters', () => {
    const missing = checkToolchain(path.join(root, 'nope'), root);
    expect(missing.ok === false && missing.reason).toMatch(/does not exist/);
    const noRustc = checkToolchain(withTools('only-cargo', ['cargo']), root);
    expect(noRustc.ok === false && noRustc.reason).toMatch(/has no rustc/);
    const unsafe = checkToolchain(withTools('rust "$(x)" dir'), root);
    expect(unsafe.ok === false && unsafe.reason).toMatch(/characters other than/);
  });
});
