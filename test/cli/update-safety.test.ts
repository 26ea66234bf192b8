// --update against a hostile or broken workspace (docs/update.md): the recorded version is data, never a
// package spec; it climbs only to the workspace it recognises; it reads regular files of bounded size, as
// TOML; two runs never overlap; and every message is one escaped sentence naming the file and line, the
// directory, TMPDIR, or the release's own first error line. Real files, real git, the built command, and
// this version's real tarball as the base. Where a release must misbehave (render another version, crash),
// the test packs a small stand-in package of its own: no real release does that on purpose.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ESC_RE, PACKAGE_VERSION, makeTmp, parseJson, show, waitUntil } from '../helpers/cli.js';
import {
  NEXT,
  commitAll,
  generate,
  git,
  makeVersions,
  nextFresh,
  runBin,
  state,
  updateToNext,
  type Versions,
} from '../helpers/update.js';

const STACK_LINE = /^\s+at .+[:(]/m;

let v: Versions;
beforeAll(() => {
  v = makeVersions();
}, 120_000);

const configOf = (ws: string) => path.join(ws, 'aya-atomic.toml');
const setRecorded = (ws: string, from: RegExp, to: string) =>
  fs.writeFileSync(configOf(ws), fs.readFileSync(configOf(ws), 'utf8').replace(from, to));
/** 1-based line of the first line matching `re` in the workspace's aya-atomic.toml. */
const lineOf = (ws: string, re: RegExp) =>
  fs
    .readFileSync(configOf(ws), 'utf8')
    .split('\n')
    .findIndex((l) => re.test(l)) + 1;

/**
 * A package `create-aya-atomic@version` whose bin is `script`, packed as create-aya-atomic-<version>.tgz into `dir`.
 */
function standInRelease(dir: string, version: string, script: string): void {
  const src = makeTmp(`stand-in-${version}`);
  fs.mkdirSync(path.join(src, 'package', 'bin'), { recursive: true });
  fs.writeFileSync(
    path.join(src, 'package', 'package.json'),
    JSON.stringify({ name: 'create-aya-atomic', version, bin: { 'create-aya-atomic': 'bin/cli.js' } }),
  );
  fs.writeFileSync(path.join(src, 'package', 'bin', 'cli.js'), script);
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-czf', path.join(dir, `create-aya-atomic-${version}.tgz`), '-C', src, 'package']);
}

describe.concurrent('the recorded version is data', () => {
  it.each([
    ['file:../evil'],
    ['../evil'],
    ['git+file:///nonexistent/evil'],
    ['npm:evil@1.0.0'],
    ['latest'],
    ['^0.1.0'],
  ])('%j is refused (exit 2, the file and line), and nothing it names runs, dry run or not', async (spec) => {
    const ws = generate('spec');
    // A package that leaves a mark when anything runs it.
    const evil = path.join(path.dirname(ws), 'evil');
    const mark = path.join(path.dirname(ws), 'RAN');
    fs.mkdirSync(path.join(evil, 'bin'), { recursive: true });
    fs.writeFileSync(
      path.join(evil, 'package.json'),
      JSON.stringify({ name: 'create-aya-atomic', version: '6.6.6', bin: { 'create-aya-atomic': 'bin/x.js' } }),
    );
    fs.writeFileSync(path.join(evil, 'bin/x.js'), `require('fs').writeFileSync(${JSON.stringify(mark)}, 'ran');\n`);
    setRecorded(ws, /^create-aya-atomic = .*$/m, `create-aya-atomic = ${JSON.stringify(spec)}`);
    commitAll(ws);
    const line = lineOf(ws, /^create-aya-atomic = /);
    const before = state(ws);
    for (const extra of [['--dry-run'], []]) {
      const r = await updateToNext(v, ws, extra);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toBe(
        `✖ aya-atomic.toml:${line}: create-aya-atomic is ${JSON.stringify(spec)}, not a released version (x.y.z, or x.y.z-pre.release)\n`,
      );
      expect(fs.existsSync(mark)).toBe(false);
      expect(state(ws)).toEqual(before);
    }
  });

  it('CREATE_AYA_ATOMIC_PACKAGES relative to the current directory is found there', async () => {
    const ws = generate('relative-packages');
    const parent = path.dirname(ws);
    fs.cpSync(v.packages, path.join(parent, 'pkgs'), { recursive: true });
    const r = await runBin(v.nextBin, ['--update', path.basename(ws), '--json'], {
      cwd: parent,
      env: { CREATE_AYA_ATOMIC_PACKAGES: 'pkgs', npm_config_registry: 'http://127.0.0.1:9/' },
    });
    expect(r.code, show(r)).toBe(0);
    expect(parseJson(r).update.from).toBe(PACKAGE_VERSION);
  });

  it('a tarball that holds another version is refused; nothing changes', async () => {
    const ws = generate('other-version');
    setRecorded(ws, /^create-aya-atomic = .*$/m, 'create-aya-atomic = "0.0.7"');
    commitAll(ws);
    const packages = makeTmp('renamed');
    fs.copyFileSync(
      path.join(v.packages, `create-aya-atomic-${PACKAGE_VERSION}.tgz`),
      path.join(packages, 'create-aya-atomic-0.0.7.tgz'),
    );
    const before = state(ws);
    const r = await updateToNext(v, ws, [], { CREATE_AYA_ATOMIC_PACKAGES: packages });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain(
      `is "create-aya-atomic"@"${PACKAGE_VERSION}", not create-aya-atomic@0.0.7`.replace(/"/g, ''),
    );
    expect(r.stderr).toContain('Nothing was changed.');
    expect(state(ws)).toEqual(before);
  });

  it('a release whose rendering records another version is not used as the base; nothing changes', async () => {
    const ws = generate('records-other');
    setRecorded(ws, /^create-aya-atomic = .*$/m, 'create-aya-atomic = "0.0.8"');
    commitAll(ws);
    const packages = makeTmp('records-other-pkgs');
    standInRelease(
      packages,
      '0.0.8',
      "const fs = require('fs'); const out = process.argv[2]; fs.mkdirSync(out, { recursive: true });\n" +
        "fs.writeFileSync(out + '/aya-atomic.toml', 'create-aya-atomic = \"7.7.7\"\\n');\n",
    );
    const before = state(ws);
    const r = await updateToNext(v, ws, [], { CREATE_AYA_ATOMIC_PACKAGES: packages });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('what it rendered records version 7.7.7, not 0.0.8');
    expect(state(ws)).toEqual(before);
  });

  it('a release that crashes: its first error line, never its stack', async () => {
    const ws = generate('crash');
    setRecorded(ws, /^create-aya-atomic = .*$/m, 'create-aya-atomic = "0.0.9"');
    commitAll(ws);
    const packages = makeTmp('crash-pkgs');
    standInRelease(packages, '0.0.9', "function render() { throw new Error('templates/x is missing'); }\nrender();\n");
    const r = await updateToNext(v, ws, [], { CREATE_AYA_ATOMIC_PACKAGES: packages });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('it exited 1: Error: templates/x is missing\n');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('escapes control characters in what reaches the terminal (a directory name, a file name git reports)', async () => {
    const ws0 = generate('escapes');
    const ws = path.join(path.dirname(ws0), 'team\u001b[31mred\u0007');
    fs.renameSync(ws0, ws);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('team\\x1b[31mred\\x07/.aya-atomic-backup-');
    expect(r.stdout + r.stderr).not.toMatch(ESC_RE);
    expect(r.stdout + r.stderr).not.toContain('\u0007');
    const odd = 'notes\u001b[2J.md';
    fs.writeFileSync(path.join(ws, odd), 'a\n');
    commitAll(ws);
    fs.writeFileSync(path.join(ws, odd), 'b\n');
    const dirty = await updateToNext(v, ws);
    expect(dirty.code, show(dirty)).toBe(3);
    expect(dirty.stderr).toContain('has uncommitted changes (notes\\x1b[2J.md)');
    expect(dirty.stdout + dirty.stderr).not.toMatch(ESC_RE);
  });
});

describe.concurrent('where it looks', () => {
  it('never climbs to a stray aya-atomic.toml in a folder above that is not the workspace', async () => {
    const ws = generate('stray');
    const home = makeTmp('home');
    fs.copyFileSync(configOf(ws), path.join(home, 'aya-atomic.toml'));
    fs.writeFileSync(path.join(home, 'README.md'), 'my notes\n');
    fs.mkdirSync(path.join(home, 'project'));
    const before = state(home);
    const r = await updateToNext(v, ws, [], {}, path.join(home, 'project'));
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toBe(
      `✖ ${home} is not the workspace ${home}/aya-atomic.toml describes: its Cargo.toml has no workspace member "team".\n` +
        'Run --update inside the generated workspace, or name it: --update <dir>. Nothing was changed.\n',
    );
    expect(state(home)).toEqual(before);
  });

  it('never climbs above the git work tree it starts in', async () => {
    const ws = generate('ceiling');
    const repo = path.join(ws, 'tools');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q');
    const r = await updateToNext(v, ws, [], {}, repo);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(
      '. is not in a workspace made by create-aya-atomic: no aya-atomic.toml there or above it up to the root of its git work tree',
    );
  });

  it('found above the current directory: says which directory it updates', async () => {
    const ws = generate('found-above');
    const r = await updateToNext(v, ws, [], {}, path.join(ws, 'xtask', 'src'));
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`updating the workspace at ${ws}, found above the current directory`);
    expect(fs.readFileSync(configOf(ws), 'utf8')).toContain(`create-aya-atomic = "${NEXT}"`);
  });
});

describe.concurrent('what it reads', () => {
  it('aya-atomic.toml as a FIFO: exit 2 at once, never a hang', async () => {
    const ws = generate('fifo');
    fs.rmSync(configOf(ws));
    expect(spawnSync('mkfifo', [configOf(ws)]).status).toBe(0);
    const r = await updateToNext(v, ws);
    expect(r.timedOut).toBe(false);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toBe('✖ cannot read aya-atomic.toml: it is a named pipe (fifo), not a regular file\n');
  });

  it('--config as a FIFO or a link to /dev/zero: exit 2 at once', async () => {
    const cwd = makeTmp('config-special');
    expect(spawnSync('mkfifo', [path.join(cwd, 'fifo.toml')]).status).toBe(0);
    fs.symlinkSync('/dev/zero', path.join(cwd, 'zero.toml'));
    for (const [file, what] of [
      ['fifo.toml', 'a named pipe (fifo)'],
      ['zero.toml', 'a device'],
    ]) {
      const r = await runBin(v.nextBin, ['p', '--yes', '--no-git', '--config', file], { cwd, hangGuardMs: 20_000 });
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toBe(`✖ cannot read --config "${file}": it is ${what}, not a regular file\n`);
    }
  });

  it('aya-atomic.toml as a symbolic link (to /dev/zero, or to a copy) is refused: the update must advance the file itself', async () => {
    const ws = generate('config-link');
    fs.renameSync(configOf(ws), path.join(ws, 'recorded.toml'));
    fs.symlinkSync('recorded.toml', configOf(ws));
    commitAll(ws);
    const before = state(ws);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(
      /^✖ aya-atomic\.toml is a symbolic link\. The update records the new version in aya-atomic\.toml/,
    );
    expect(state(ws)).toEqual(before);
    fs.rmSync(configOf(ws));
    fs.symlinkSync('/dev/zero', configOf(ws));
    const zero = await updateToNext(v, ws);
    expect(zero.code, show(zero)).toBe(2);
  });

  it('reads aya-atomic.toml as TOML: quoted keys and literal strings a person wrote', async () => {
    const ws = generate('toml');
    const rewritten = fs
      .readFileSync(configOf(ws), 'utf8')
      .replace(/^map = "(.*)"$/m, "'map' = '''$1'''")
      .replace(/^ordering = "(.*)"$/m, '"ordering" = """$1""" # the team chose it');
    fs.writeFileSync(configOf(ws), rewritten);
    commitAll(ws);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(0);
  });

  it('a key from a newer version: says which version wrote it and how to run that one', async () => {
    const ws = generate('newer-key');
    setRecorded(ws, /^create-aya-atomic = .*$/m, 'create-aya-atomic = "99.0.0"\nsidecar = "on"');
    commitAll(ws);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(
      `aya-atomic.toml:${lineOf(ws, /^sidecar/)}: "sidecar" is not an option of create-aya-atomic ${NEXT}: this file was written by create-aya-atomic 99.0.0, which is newer. Run the newer version: npx create-aya-atomic@latest --update`,
    );
  });

  it('a broken recorded value: the file and line are named, not a flag; a flag on the command line replaces it', async () => {
    const ws = generate('broken-value');
    setRecorded(ws, /^map = .*$/m, 'map = "hashh"');
    commitAll(ws);
    const line = lineOf(ws, /^map = /);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^✖ aya-atomic\\.toml:${line}: map: map "hashh" is not one of`));
    expect(r.stderr).toContain('Pass --map <value> to replace it');
    expect(r.stderr).not.toContain('--map: ');
    const fixed = await updateToNext(v, ws, ['--map', 'array']);
    expect(fixed.code, show(fixed)).toBe(0);
    expect(fixed.stdout).toContain(`aya-atomic.toml:${line}: map: map "hashh" is not one of`);
    expect(fs.readFileSync(configOf(ws), 'utf8')).toMatch(/^map = "array"$/m);
  });
});

describe.concurrent('two runs at once', () => {
  it('a lock held by a live process refuses the second run (exit 3), dry run too; a dead one is taken over', async () => {
    const ws = generate('locked');
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(
        path.join(ws, '.aya-atomic-update.lock'),
        JSON.stringify({ pid: holder.pid, host: os.hostname(), since: '2026-12-01T10:00:00Z', token: 'other' }),
      );
      const before = state(ws);
      for (const extra of [[], ['--dry-run']]) {
        const r = await updateToNext(v, ws, extra);
        expect(r.code, show(r)).toBe(3);
        expect(r.stderr).toContain(
          `✖ Another --update is running in . (process ${holder.pid}, since 2026-12-01T10:00:00Z): two at once would mix their changes.`,
        );
        expect(state(ws)).toEqual(before);
      }
    } finally {
      holder.kill('SIGKILL');
    }
    await waitUntil(() => holder.exitCode !== null || holder.signalCode !== null, 'the holder to end');
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(0);
    expect(fs.existsSync(path.join(ws, '.aya-atomic-update.lock'))).toBe(false);
    expect(fs.readFileSync(configOf(ws), 'utf8')).toContain(`create-aya-atomic = "${NEXT}"`);
  });

  it('two updates started together: one updates, the other refuses; no conflict markers nest', async () => {
    const ws = generate('race', 'team', ['--no-git']);
    const ref = nextFresh(v);
    const [a, b] = await Promise.all([updateToNext(v, ws), updateToNext(v, ws)]);
    const codes = [a.code, b.code].sort();
    // The second to start either finds the lock (3) or, when the first has already finished, nothing to change (0).
    expect(
      [
        [0, 3],
        [0, 0],
      ],
      `${show(a)}\n${show(b)}`,
    ).toContainEqual(codes);
    expect(fs.readFileSync(path.join(ws, 'LICENSE-MIT'), 'utf8')).toBe(
      fs.readFileSync(path.join(ref, 'LICENSE-MIT'), 'utf8'),
    );
  });
});

describe.concurrent('messages', () => {
  it('a deleted current directory: --help still works; anything else is one sentence, exit 1, no stack', () => {
    const dir = makeTmp('deleted-cwd');
    const run = (...args: string[]) =>
      spawnSync(
        '/bin/sh',
        ['-c', 'cd "$1" && rmdir "$1" && shift && exec "$@"', 'sh', dir, process.execPath, v.nextBin, ...args],
        {
          encoding: 'utf8',
        },
      );
    const help = run('--help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: create-aya-atomic [dir] [options]');
    fs.mkdirSync(dir);
    const r = run('--update');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      '✖ The current directory no longer exists (it was deleted or moved): cd into an existing directory and run again. Nothing was written.\n',
    );
  });

  it('a temporary folder it cannot create names TMPDIR; nothing changes', async () => {
    const ws = generate('tmpdir');
    const before = state(ws);
    const r = await updateToNext(v, ws, [], { TMPDIR: '/nonexistent/tmp' });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toBe(
      '✖ Cannot create a temporary folder in /nonexistent/tmp (TMPDIR): no such file or directory (ENOENT). ' +
        'Set TMPDIR to a writable folder. Nothing was changed.\n',
    );
    expect(state(ws)).toEqual(before);
  });
});
