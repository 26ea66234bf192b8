// The file-system side of resolve(), in-process against real temporary directories: what the target is
// (and why it can never be a directory), which crate names the template forbids (derived from its own
// Cargo.lock, entries and .gitignore), and resolve() with the real host.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyTestTmp } from '../helpers/tree.js';
import { CliError } from '../../src/errors.js';
import { fileHost, inspectTarget, templateNameRules } from '../../src/host.js';
import { resolve, type GeneratePlan, type Prompter } from '../../src/resolve.js';
import { checkCrateName, type NameRules } from '../../src/validate.js';

const rootTmp = lazyTestTmp('caa-host-');
afterAll(() => rootTmp.remove());
let n = 0;
const fresh = () => {
  const d = path.join(rootTmp.dir(), `t${n++}`);
  fs.mkdirSync(d);
  return d;
};

describe('inspectTarget', () => {
  it('a missing path, and one below a missing path, can be made', () => {
    const d = fresh();
    expect(inspectTarget(path.join(d, 'probe'))).toEqual({ kind: 'missing' });
    expect(inspectTarget(path.join(d, 'a', 'b', 'probe'))).toEqual({ kind: 'missing' });
  });

  it('a directory holding only version-control and editor metadata is empty', () => {
    const d = fresh();
    for (const e of ['.git', '.hg', '.svn', '.idea', '.vscode']) fs.mkdirSync(path.join(d, e));
    for (const e of ['.DS_Store', 'Thumbs.db']) fs.writeFileSync(path.join(d, e), '');
    expect(inspectTarget(d)).toEqual({ kind: 'empty' });
  });

  it('anything else makes it non-empty, listed in order', () => {
    const d = fresh();
    for (const e of ['b.txt', '.env', 'A']) fs.writeFileSync(path.join(d, e), '');
    fs.mkdirSync(path.join(d, '.git'));
    expect(inspectTarget(d)).toEqual({ kind: 'non-empty', entries: ['.env', 'A', 'b.txt'] });
  });

  it('a link to a directory is that directory', () => {
    const d = fresh();
    fs.mkdirSync(path.join(d, 'real'));
    fs.symlinkSync('real', path.join(d, 'probe'));
    expect(inspectTarget(path.join(d, 'probe'))).toEqual({ kind: 'empty' });
  });

  it.each([
    ['a file', (d: string) => fs.writeFileSync(path.join(d, 'probe'), 'x'), 'is a file'],
    ['a fifo', (d: string) => spawnSync('mkfifo', [path.join(d, 'probe')]), 'is a named pipe (fifo)'],
    [
      'a link to a file',
      (d: string) => (fs.writeFileSync(path.join(d, 'f'), 'x'), fs.symlinkSync('f', path.join(d, 'probe'))),
      'is a symbolic link to something that is not a directory',
    ],
    [
      'a dangling link',
      (d: string) => fs.symlinkSync('nowhere', path.join(d, 'probe')),
      'is a symbolic link to nothing (a dangling link)',
    ],
    [
      'a link loop',
      (d: string) => (fs.symlinkSync('other', path.join(d, 'probe')), fs.symlinkSync('probe', path.join(d, 'other'))),
      'is a symbolic link loop',
    ],
  ])('%s can never be a directory', (_, make, reason) => {
    const d = fresh();
    make(d);
    expect(inspectTarget(path.join(d, 'probe'))).toEqual({ kind: 'impossible', reason });
  });

  it('a device can never be a directory', () => {
    expect(inspectTarget('/dev/null')).toEqual({ kind: 'impossible', reason: 'is a device' });
  });

  it('a path below a file, or below a dangling link, can never be a directory', () => {
    const d = fresh();
    fs.writeFileSync(path.join(d, 'f'), 'x');
    fs.symlinkSync('nowhere', path.join(d, 'dangling'));
    expect(inspectTarget(path.join(d, 'f', 'sub', 'probe'))).toEqual({
      kind: 'impossible',
      reason: `lies below ${d}/f, which is a file`,
    });
    expect(inspectTarget(path.join(d, 'dangling', 'probe'))).toEqual({
      kind: 'impossible',
      reason: `lies below ${d}/dangling, which is a symbolic link to nothing (a dangling link)`,
    });
  });
});

describe('the names a template forbids, derived from the template itself', () => {
  /** A template directory as the package ships one (paths with @crate@, _gitignore for .gitignore). */
  function template(lock: string, gitignore: string): string {
    const t = fresh();
    const ws = path.join(t, 'workspace');
    for (const d of ['xtask/src', '@crate@/src', '@crate@-ebpf/src', '.cargo'])
      fs.mkdirSync(path.join(ws, d), { recursive: true });
    for (const f of [
      'Cargo.toml',
      'LICENSE-MIT',
      'rustfmt.toml',
      'xtask/src/main.rs',
      '@crate@/src/main.rs',
      '@crate@-ebpf/src/main.rs',
      '.cargo/config.toml',
    ]) {
      fs.writeFileSync(path.join(ws, f), '');
    }
    fs.writeFileSync(path.join(ws, 'Cargo.lock'), lock);
    fs.writeFileSync(path.join(ws, '_gitignore'), gitignore);
    return t;
  }
  const LOCK = [
    'version = 4',
    '',
    '[[package]]',
    'name = "@crate@"',
    'version = "0.1.0"',
    '',
    '[[package]]',
    'name = "@crate@-ebpf"',
    'version = "0.1.0"',
    '',
    '[[package]]',
    'name = "aya"',
    'version = "0.13.1"',
    '',
    '[[package]]',
    'name = "thiserror-impl"',
    'version = "1.0.69"',
    'source = "registry+https://github.com/rust-lang/crates.io-index"',
    '',
    '[[package]]',
    'name = "gizmo-common"',
    'version = "0.2.0"',
    '',
  ].join('\n');
  let rules: NameRules;
  beforeAll(() => {
    rules = templateNameRules(template(LOCK, '# output\n/target/\n/scratch/\n*.swp\n'));
  });

  it("reads every package of the lock file (the whole graph) but the template's own crates", () => {
    expect(rules.dependencies).toEqual(['aya', 'thiserror-impl', 'gizmo-common']);
  });

  it('reads the root entries the template writes, dotfiles under their real names', () => {
    expect([...rules.templatePaths].sort()).toEqual([
      '.cargo',
      '.gitignore',
      'Cargo.lock',
      'Cargo.toml',
      'LICENSE-MIT',
      'rustfmt.toml',
      'xtask',
    ]);
  });

  it.each([
    // a proc-macro helper deep in the graph would make every build ambiguous
    ['thiserror-impl', 'makes the crate "thiserror-impl", which is also the name of "thiserror-impl"'],
    ['thiserror_impl', 'makes the crate "thiserror_impl", which is also the name of "thiserror-impl"'],
    ['gizmo', 'makes the crate "gizmo-common", which is also the name of "gizmo-common"'],
    ['aya', 'makes the crate "aya"'],
    // folders cargo or the generated .gitignore own
    ['target', 'where cargo writes its build output: its sources would be lost'],
    ['scratch', 'where the generated .gitignore hides it (/scratch/): its sources would be lost'],
    ['xtask', 'where the template writes "xtask"'],
    ['cargo-lock', undefined],
  ])('the name %j is refused: %s', (name, reason) => {
    const r = checkCrateName(name, rules);
    if (reason === undefined) expect(r).toEqual({ ok: true, value: name });
    else expect(r.ok === false && r.reason).toContain(reason);
  });

  // The package's own template, as it ships.
  it('the shipped template refuses the folders cargo, the xtask and its .gitignore own', () => {
    const shipped = templateNameRules();
    expect(checkCrateName('target', shipped).ok).toBe(false);
    expect(checkCrateName('xtask', shipped).ok).toBe(false);
    expect(checkCrateName('my-probe', shipped)).toEqual({ ok: true, value: 'my-probe' });
  });
  it("the shipped template's Cargo.lock makes its dependency graph forbidden names", () => {
    const shipped = templateNameRules();
    for (const name of [
      'aya',
      'aya-ebpf',
      'aya-obj',
      'anyhow',
      'clap',
      'clap-derive',
      'proc-macro2',
      'syn',
      'libc',
      'thiserror-impl',
      'tokio',
      'which',
    ]) {
      expect(checkCrateName(name, shipped).ok, name).toBe(false);
    }
  });
});

describe('resolve() with the real file system', () => {
  const none: Prompter = {
    text: async (q) => {
      throw new Error(`asked ${q.message}`);
    },
    select: async (q) => {
      throw new Error(`asked ${q.message}`);
    },
  };
  const run = (argv: string[], cwd: string) =>
    resolve({ argv, env: {}, cwd, stdinIsTTY: false, stdoutIsTTY: false, version: '9.9.9' }, fileHost(), none);
  const usage = async (argv: string[], cwd: string): Promise<string> => {
    try {
      await run(argv, cwd);
    } catch (e) {
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).exitCode).toBe(2);
      return (e as CliError).message;
    }
    throw new Error('resolved');
  };

  it('a toolchain directory is taken as the absolute path', async () => {
    const d = fresh();
    fs.mkdirSync(path.join(d, 'rust'));
    for (const t of ['cargo', 'rustc']) fs.writeFileSync(path.join(d, 'rust', t), '');
    const plan = (await run(['p', '--toolchain', './rust'], d)) as GeneratePlan;
    expect(plan.options.toolchain).toBe(`${d}/rust`);
  });

  it('a toolchain directory without rustc, and a missing one, are usage errors', async () => {
    const d = fresh();
    fs.mkdirSync(path.join(d, 'rust'));
    fs.writeFileSync(path.join(d, 'rust', 'cargo'), '');
    expect(await usage(['p', '--toolchain', './rust'], d)).toMatch(
      /^--toolchain: toolchain directory "\.\/rust" has no rustc; /,
    );
    expect(await usage(['p', '--toolchain', '/nonexistent/rust'], d)).toMatch(
      /^--toolchain: toolchain directory "\/nonexistent\/rust" does not exist; /,
    );
  });

  it('a --config that is a directory, or missing, is a usage error saying which', async () => {
    const d = fresh();
    expect(await usage(['p', '--config', '.'], d)).toBe('cannot read --config ".": it is a directory');
    expect(await usage(['p', '--config', 'nope.toml'], d)).toBe('cannot read --config "nope.toml": no such file');
  });
});
