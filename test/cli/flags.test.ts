// Options whose effect needs a process to show: the --json report as a process ends, argv after `--`,
// what npm leaves in the environment, colour on a pipe, output to a pipe that goes away or is full,
// --help and --version. What each option writes is tested in-process (test/unit/generate.test.ts),
// validation and precedence in test/unit too.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BIN,
  ESC_RE,
  PACKAGE_VERSION,
  cliEnv,
  filesIn,
  makeTmp,
  parseJson,
  readToml,
  runCli,
  show,
  snapshot,
} from '../helpers/cli.js';
import { noPython } from '../helpers/pty.js';

describe.concurrent('--json', () => {
  it('a usage error is one JSON object on stdout too, without files, and exit 2', async () => {
    const cwd = makeTmp('json-err');
    const result = await runCli(['probe', '--json', '--bogus'], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(parseJson(result)).toEqual({
      schemaVersion: 2,
      ok: false,
      exitCode: 2,
      error: { kind: 'usage', message: expect.stringMatching(/^unknown option "--bogus"\nValid options: /) },
    });
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('after --, "--json" is a directory: it is written there, and the output is human text', async () => {
    const cwd = makeTmp('dashdash-json');
    const result = await runCli(['--yes', '--no-git', '--', '--json'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(fs.readdirSync(cwd)).toEqual(['--json']);
    expect(readToml(path.join(cwd, '--json')).name).toBe('json');
    expect(result.stdout).toMatch(/^Creating json in --json\n/);
    expect(() => JSON.parse(result.stdout)).toThrow();
  });
});

// What npm 11 passes on for `npm create aya-atomic@latest p --map hash --ordering seqcst` (npm reads
// --map as -m -a -p and --ordering as a setting of its own); test/registry/ runs it through npm itself.
const NPM_CREATE = {
  npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false',
  npm_command: 'init',
  npm_lifecycle_event: 'npx',
};

describe.concurrent('through npm without --', () => {
  it('options npm swallowed (npm_config_*): exit 2, naming each with the command that was meant; nothing written', async () => {
    const cwd = makeTmp('npm-swallowed');
    const env = {
      ...NPM_CREATE,
      npm_config_message: '',
      npm_config_all: 'true',
      npm_config_parseable: 'true',
      npm_config_ordering: 'true',
    };
    const result = await runCli(['p', 'hash', 'seqcst'], { cwd, env });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toBe(
      '✖ npm kept --map and --ordering for itself, so they never reached create-aya-atomic (npm passed on "hash", "seqcst" as plain arguments). Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --map hash --ordering seqcst\n',
    );
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('no directory inside a generated workspace (npm took --update): exit 2, the update command, nothing written', async () => {
    const cwd = makeTmp('in-workspace');
    const made = await runCli(['ws', '--yes', '--no-git'], { cwd });
    expect(made.code, show(made)).toBe(0);
    const ws = path.join(cwd, 'ws');
    const before = snapshot(ws);
    const result = await runCli(['--yes'], { cwd: path.join(ws, 'ws-ebpf'), env: NPM_CREATE });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toBe(
      `✖ ${ws} is a workspace made by create-aya-atomic (it has aya-atomic.toml) and no directory was given, so this run would write a new workspace inside it. Nothing was written.\n` +
        '(npm keeps an --update given before `--` for itself, as its --update-notifier: it never reached create-aya-atomic.)\n' +
        'To bring it up to date: npm create aya-atomic@latest -- --update\n' +
        'To create a new workspace, give its directory: npm create aya-atomic@latest <dir>\n',
    );
    expect(snapshot(ws)).toEqual(before);
  });

  it('--json under npm create: a note on stderr says how to get stdout that is only JSON', async () => {
    const cwd = makeTmp('npm-json');
    const result = await runCli(['p', '--yes', '--no-git', '--json', '--dry-run'], { cwd, env: NPM_CREATE });
    expect(result.code, show(result)).toBe(0);
    expect(result.stderr).toContain(
      '! npm create printed its own lines on stdout before this JSON. For stdout that is only the JSON: ' +
        'npx create-aya-atomic@latest [dir] [options] --json, or npm create --silent aya-atomic@latest [dir] -- [options] --json\n',
    );
    expect(parseJson(result).ok).toBe(true);
    const silent = await runCli(['p', '--yes', '--json', '--dry-run'], {
      cwd,
      env: { ...NPM_CREATE, npm_config_loglevel: 'silent' },
    });
    expect(silent.stderr).not.toContain('npm create printed');
  });
});

// long values are echoed cut short.
describe.concurrent('long values', () => {
  it('a 1,000,000-character name in a --config file is echoed cut short: the output stays small', async () => {
    const cwd = makeTmp('config-1mb');
    fs.writeFileSync(path.join(cwd, 'big.toml'), `map = "hash"\nname = "${'n'.repeat(1_000_000)}"\n`);
    const result = await runCli(['out', '--yes', '--no-git', '--dry-run', '--config', 'big.toml'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/replaying the choices of "n+"… \(1000000 characters\) from big\.toml; flags win/);
    expect(result.stdout.length + result.stderr.length).toBeLessThan(5_000);
  });
  it('a --config file over 1 MiB is refused unread, exit 2 (docs/update.md, "What it reads")', async () => {
    const cwd = makeTmp('config-10mb');
    fs.writeFileSync(path.join(cwd, 'big.toml'), `map = "hash"\nname = "${'n'.repeat(10_000_000)}"\n`);
    const result = await runCli(['out', '--yes', '--no-git', '--dry-run', '--config', 'big.toml'], { cwd });
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toBe('✖ cannot read --config "big.toml": it is larger than 1 MiB (10000023 bytes)\n');
  });
  // A refused long value (cut short, with its length) is tested in-process in test/unit/resolve.test.ts.
});

describe.concurrent('colour', () => {
  // The rules (flags, NO_COLOR, FORCE_COLOR) are tested in-process: test/unit/ui.test.ts, generate.test.ts.
  it('is off when not on a terminal', async () => {
    const result = await runCli(['probe', '--yes', '--dry-run'], { cwd: makeTmp('color') });
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(ESC_RE);
  });
});

// Off a terminal the output is written straight to the descriptor (src/ui.ts, output()).
describe.concurrent('output to a pipe', () => {
  const ARGS = ['probe', '--yes', '--no-verify', '--no-git'];

  it('a reader that goes away (`| head -1`) stops neither the run nor the writing: the whole workspace, exit 0', async () => {
    const reference = makeTmp('pipe-reference');
    expect((await runCli(ARGS, { cwd: reference })).code).toBe(0);
    const cwd = makeTmp('pipe-closed');
    const child = spawn(process.execPath, [BIN, ...ARGS], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the read end closes before the first line: every write gets EPIPE
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    expect(filesIn(path.join(cwd, 'probe'))).toEqual(filesIn(path.join(reference, 'probe')));
    expect(filesIn(path.join(cwd, 'probe'))).toContain('xtask/src/vm.rs');
  });

  // A pipe shared with a parent that made it non-blocking (npm's own stdout, say) and that is full:
  // a write to it fails with EAGAIN. The output must then wait for the reader, whole and in order,
  // while the run goes on: the workspace appears before anyone reads.
  it('a full, non-blocking pipe: the output waits for the reader, whole and in order (python3 makes the pipe)', async (ctx) => {
    ctx.skip(Boolean(noPython), noPython);
    const reference = makeTmp('nonblock-reference');
    const expected = await runCli(ARGS, { cwd: reference });
    expect(expected.stdout).toMatch(/^Creating probe in probe\n[^]*Next steps:\n/);
    const cwd = makeTmp('nonblock');
    const script = [
      'import fcntl, os, subprocess, sys, time',
      'r, w = os.pipe()',
      'fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)',
      'filled = 0',
      'try:',
      '    while True: filled += os.write(w, b"x" * 4096)',
      'except BlockingIOError: pass',
      'child = subprocess.Popen(sys.argv[1:], stdout=w)',
      'os.close(w)',
      'waited = 0',
      'while child.poll() is None and not os.path.exists("probe/aya-atomic.toml") and waited < 2000:',
      '    time.sleep(0.01); waited += 1',
      'if not os.path.exists("probe/aya-atomic.toml"): sys.exit(f"no workspace while the pipe was full (exit {child.poll()})")',
      'data = b""',
      'while chunk := os.read(r, 65536): data += chunk',
      'assert data[:filled] == b"x" * filled, "the filler came back changed"',
      'sys.stdout.buffer.write(data[filled:])',
      'sys.exit(child.wait())',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, process.execPath, BIN, ...ARGS], {
      cwd,
      env: cliEnv(),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected.stdout);
    expect(filesIn(path.join(cwd, 'probe'))).toEqual(filesIn(path.join(reference, 'probe')));
  });
});

describe.concurrent('--help and -v (the short and long forms are parsed alike: test/unit/args.test.ts)', () => {
  it('--help lists every option, no line over 100 columns, and writes nothing', async () => {
    const cwd = makeTmp('help');
    const result = await runCli(['--help'], { cwd });
    expect(result.code, show(result)).toBe(0);
    const flags = [
      '--name',
      '--map',
      '--ordering',
      '--program',
      '--attach',
      '--toolchain',
      '-y',
      '--yes',
      '--overwrite',
      '--git',
      '--no-git',
      '--verify',
      '--no-verify',
      '--offline',
      '--dry-run',
      '--json',
      '--config',
      '--update',
      '--color',
      '--no-color',
      '-h',
      '--help',
      '-v',
      '--version',
    ];
    for (const f of flags) expect(result.stdout).toMatch(new RegExp(`(^|[\\s,/])${f}([\\s,]|$)`, 'm'));
    for (const v of [
      'array',
      'per-cpu-array',
      'hash',
      'per-cpu-hash',
      'lru-hash',
      'lru-per-cpu-hash',
      'relaxed',
      'acquire',
      'release',
      'acqrel',
      'seqcst',
      'kprobe',
      'tracepoint',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^ +${v} `, 'm'));
    }
    expect(result.stdout).toContain('Usage: create-aya-atomic [dir] [options]');
    const long = result.stdout.split('\n').filter((l) => [...l].length > 100);
    expect(long).toEqual([]);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it("-v prints package.json's version", async () => {
    const cwd = makeTmp('version');
    const result = await runCli(['-v'], { cwd });
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toBe(`${PACKAGE_VERSION}\n`);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
