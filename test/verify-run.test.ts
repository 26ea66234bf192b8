// Verify, steps 2 to 4 (docs/command-line.md, Verify): the build with its log and classified failures (exit 5), the
// kernel verifier's --check as root, --offline, and stopping: every child verify starts runs in a process
// group of its own and is stopped with it on Ctrl-C, SIGTERM or SIGHUP, at every step. cargo is a fake
// (test/helpers/fake-cargo.ts): nothing depends on the templates or a toolchain. What verify decides and says is tested
// on verify() in-process; exit codes, signals and process groups
// through the built command.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { configureColor } from '../src/ui.js';
import { classifyBuildFailure, errorLines, parseDoctor, verify } from '../src/verify.js';
import { isRoot, makeTmp, parseJson, processGone, runCli, show, startCli, waitUntil } from './helpers/cli.js';
import { fakeCargo, type FakeCargo, type Step, type StepBehaviour } from './helpers/fake-cargo.js';
import { captureUi } from './helpers/in-process.js';
import { lazyTestTmp } from './helpers/tree.js';
import { KEY, PtySession, noPty } from './helpers/pty.js';

const fixture = (name: string) => fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const LOG = (cwd: string) => path.join(cwd, 'probe', 'target', 'create-aya-atomic-verify.log');

const COMPILE_ERROR =
  '   Compiling probe-ebpf v0.1.0\n' +
  'error[E0425]: cannot find value `undefined_thing` in this scope\n' +
  ' --> probe-ebpf/src/main.rs:12:5\n' +
  '   |\n' +
  'error: could not compile `probe-ebpf` (bin "probe-ebpf") due to 1 previous error\n';

const baseTmp = lazyTestTmp('caa-verify-run-');
beforeAll(() => configureColor(false));
afterEach(() => {
  vi.unstubAllEnvs();
});
let n = 0;

/** verify() in-process in a fresh directory, cargo being the fake given (first on this process's PATH). */
async function verifyWith(
  steps: Partial<Record<Step, StepBehaviour>>,
  opts: { isRoot?: boolean; offline?: boolean; toolchain?: string } = {},
) {
  const dir = path.join(baseTmp.dir(), `w${n++}`);
  fs.mkdirSync(dir);
  const cargo = fakeCargo(path.join(baseTmp.dir(), `fake${n}`), steps);
  vi.stubEnv('PATH', `${cargo.bin}:${process.env.PATH}`);
  const { ui, text } = captureUi();
  const outcome = await verify({
    dir,
    offline: opts.offline ?? false,
    ui,
    signal: new AbortController().signal,
    isRoot: opts.isRoot ?? false,
    toolchain: opts.toolchain ?? 'nightly',
  });
  return { dir, log: path.join(dir, 'target', 'create-aya-atomic-verify.log'), cargo, outcome, out: text() };
}

// In-process: verify() with fake cargo first on this process's PATH, one test at a time.
describe('verify: the build', () => {
  it('a compile error: exit 5, the errors shown below the summary, the whole output in the log', async () => {
    const { log, outcome, out } = await verifyWith({ build: { stderr: COMPILE_ERROR, exit: 101 } });
    expect(outcome.exitCode).toBe(5);
    expect(outcome.build).toMatchObject({ status: 'failed', failure: 'compile', log });
    // "below": the sentence that announces the errors, then the errors, then where the whole log is.
    expect(out.replace(/after [0-9.]+s:/, 'after Ns:')).toContain(
      [
        '✗ Build failed after Ns: the workspace did not compile; the errors are below, and the whole output is in the log',
        '    error[E0425]: cannot find value `undefined_thing` in this scope',
        '     --> probe-ebpf/src/main.rs:12:5',
        '       |',
        '    error: could not compile `probe-ebpf` (bin "probe-ebpf") due to 1 previous error',
        `  full log: ${log}`,
        '',
      ].join('\n'),
    );
    expect(fs.readFileSync(log, 'utf8')).toBe(COMPILE_ERROR);
  });

  it.each([
    [
      'crates that cannot be downloaded',
      'error: failed to download from `https://static.crates.io/crates/aya/aya-0.13.1.crate`\n',
      'nightly',
      'network',
      'crates could not be downloaded: run again online, or use --no-verify now and `cargo build` later',
    ],
    [
      'an LLVM mismatch between the nightly and bpf-linker',
      'error: linking with `bpf-linker` failed: exit status: 1\n  = note: LLVM ERROR: Invalid record\n',
      'nightly',
      'llvm-mismatch',
      "the LLVM of nightly and bpf-linker's LLVM differ: update both (rustup update nightly, then cargo install --force bpf-linker)",
    ],
    [
      'an LLVM mismatch between a toolchain directory and bpf-linker',
      'error: linking with `bpf-linker` failed\n  = note: Invalid attribute group entry\n',
      '/usr/bin',
      'llvm-mismatch',
      "the LLVM of the Rust in /usr/bin and bpf-linker's LLVM differ: rebuild bpf-linker against that LLVM " +
        '(LLVM_PREFIX=/usr/lib/llvm-<N> cargo install --force bpf-linker, N being the major version `rustc -vV` prints)',
    ],
  ])('%s: exit 5 with the advice for it', async (_, stderr, toolchain, failure, advice) => {
    const { outcome, out } = await verifyWith({ build: { stderr, exit: 101 } }, { toolchain });
    expect(outcome.exitCode).toBe(5);
    expect(outcome.build.failure).toBe(failure);
    expect(out.replace(/after [0-9.]+s:/, 'after Ns:')).toContain(`✗ Build failed after Ns: ${advice}\n`);
  });

  it('--offline reaches cargo: the doctor, the build and the check all get it', async () => {
    const { cargo, outcome } = await verifyWith({}, { offline: true, isRoot: true });
    expect(outcome.exitCode).toBe(0);
    expect(cargo.calls()).toEqual([
      'CARGO_NET_OFFLINE=true --version',
      'CARGO_NET_OFFLINE=true xtask doctor --json',
      'CARGO_NET_OFFLINE=true build --release',
      'CARGO_NET_OFFLINE=true xtask run -- --check',
    ]);
  });

  it('without --offline, cargo never gets it', async () => {
    const { cargo } = await verifyWith({}, { isRoot: true });
    expect(cargo.calls()).toEqual(['--version', 'xtask doctor --json', 'build --release', 'xtask run -- --check']);
  });
});

describe('verify: the kernel verifier check', () => {
  it('as root: the loader --check runs after the build; accepted is exit 0', async () => {
    const { outcome, out } = await verifyWith({}, { isRoot: true });
    expect(outcome).toMatchObject({ exitCode: 0, build: { status: 'ok' }, check: { status: 'accepted' } });
    expect(out).toContain("✓ The running kernel's verifier accepted the program (loader --check)\n");
  });

  it('as root: a rejection (loader exit 3) is exit 5 and shows the verifier log', async () => {
    const { outcome, out } = await verifyWith(
      { run: { stderr: 'Error: the verifier rejected the program\n0: (b7) r0 = 0\nR1 invalid mem access\n', exit: 3 } },
      { isRoot: true },
    );
    expect(outcome).toMatchObject({ exitCode: 5, check: { status: 'rejected' } });
    expect(out).toContain(
      "✗ The running kernel's verifier rejected the program:\n    Error: the verifier rejected the program\n    0: (b7) r0 = 0\n    R1 invalid mem access\n",
    );
  });

  it('as root: a check that cannot run (another exit) is reported, not counted as a rejection', async () => {
    const { outcome, out } = await verifyWith(
      { run: { stderr: 'Error: cannot lock memory\n', exit: 1 } },
      { isRoot: true },
    );
    expect(outcome).toMatchObject({ exitCode: 0, check: { status: 'error', reason: 'loader --check exited with 1' } });
    expect(out).toContain('! The verifier check could not run (exit 1): Error: cannot lock memory\n');
  });

  it('not root: says how to run the check, and does not run it', async () => {
    const { cargo, outcome, out } = await verifyWith({}, { isRoot: false });
    expect(outcome).toMatchObject({ exitCode: 0, check: { status: 'not-run', reason: 'not root' } });
    expect(cargo.calls()).toEqual(['--version', 'xtask doctor --json', 'build --release']);
    expect(out).toContain(
      "  To let the kernel's verifier judge the program: cargo xtask run -- --check (runs the loader with sudo -E)\n",
    );
  });
});

// cargo's own output, classified (fixtures captured from real builds: test/fixtures/README.md).
describe('build failure classification', () => {
  it('recognises an LLVM mismatch between the eBPF toolchain and bpf-linker', () => {
    const log = fixture('llvm-mismatch.log');
    expect(classifyBuildFailure(log)).toBe('llvm-mismatch');
    expect(errorLines(log).join('\n')).toMatch(/Invalid record/);
  });
  it('recognises crates that cannot be downloaded', () => {
    expect(classifyBuildFailure(fixture('offline.log'))).toBe('network');
  });
  it('calls anything else a compile error and shows its error lines', () => {
    const log = fixture('compile-error.log');
    expect(classifyBuildFailure(log)).toBe('compile');
    expect(errorLines(log)[0]).toMatch(/^error\[E0425\]/);
  });
  it('reads the doctor JSON line and nothing else', () => {
    expect(
      parseDoctor(
        'noise\n{"ok":false,"checks":[{"name":"bpf-linker","ok":false,"detail":"not found","fix":"cargo install bpf-linker"}]}\n',
      ),
    ).toEqual([{ name: 'bpf-linker', ok: false, detail: 'not found', fix: 'cargo install bpf-linker' }]);
    expect(parseDoctor('{"ok":true,"checks":[{"name":"qemu","ok":false,"detail":"missing","optional":true}]}')).toEqual(
      [{ name: 'qemu', ok: false, detail: 'missing', optional: true }],
    );
    expect(parseDoctor('error: could not compile `xtask`')).toBeUndefined();
  });
});

describe('verify through the built command', () => {
  it('a failed build is exit 5, reported in --json with the error lines and the log; the workspace stays', async () => {
    const cwd = makeTmp('verify');
    const cargo = fakeCargo(makeTmp('fake-cargo'), { build: { stderr: COMPILE_ERROR, exit: 101 } });
    const result = await runCli(['probe', '--yes', '--no-git', '--json'], { cwd, verify: true, env: cargo.env });
    expect(result.code, show(result)).toBe(5);
    const report = parseJson(result);
    expect(report).toMatchObject({
      ok: false,
      exitCode: 5,
      verify: { exitCode: 5, build: { status: 'failed', failure: 'compile', log: LOG(cwd) } },
    });
    expect(report.verify.build.errorLines).toEqual([
      'error[E0425]: cannot find value `undefined_thing` in this scope',
      ' --> probe-ebpf/src/main.rs:12:5',
      '   |',
      'error: could not compile `probe-ebpf` (bin "probe-ebpf") due to 1 previous error',
    ]);
    expect(fs.existsSync(path.join(cwd, 'probe', 'Cargo.toml'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Stopping verify: exit 130, a line saying which step stopped and why, and no process left behind.

const fakes: FakeCargo[] = [];
afterAll(() => {
  // Whatever a test found, leave nothing running on the machine.
  for (const cargo of fakes) cargo.killLeftovers();
  baseTmp.remove();
});

/** Starts a verifying run whose `step` starts a grandchild and then waits; resolves once both run. */
async function startStuckAt(step: Step, extra: Partial<Record<Step, StepBehaviour>> = {}, args: string[] = []) {
  const cwd = makeTmp(`stop-${step}`);
  const cargo = fakeCargo(makeTmp('fake-cargo'), {
    ...extra,
    [step]: {
      stderr: step === 'doctor' ? '   Compiling xtask v0.1.0\n' : '   Compiling aya v0.13.1\n',
      grandchild: true,
      sleepSeconds: 300,
    },
  });
  fakes.push(cargo);
  const run = startCli(['probe', '--yes', '--no-git', ...args], {
    cwd,
    verify: true,
    env: cargo.env,
    hangGuardMs: 30_000,
  });
  await waitUntil(
    () => cargo.pid(step) !== undefined && cargo.grandchildPid(step) !== undefined,
    `fake cargo's ${step} and its grandchild`,
  );
  const pids = [cargo.pid(step)!, cargo.grandchildPid(step)!];
  return { cwd, cargo, run, pids };
}

async function expectAllGone(pids: number[], cargo: FakeCargo) {
  // A synchronisation point: the group was signalled before the run ended; wait for the exits to land.
  await waitUntil(
    () => pids.every(processGone),
    `processes ${pids.join(', ')} (cargo calls: ${cargo.calls().join(' | ')}) to end`,
    5_000,
  );
}

describe.concurrent('verify: stopped by a signal', () => {
  it('SIGTERM while the doctor runs: exit 130, only "stopped" is printed, and no process is left', async () => {
    const { run, pids, cargo } = await startStuckAt('doctor');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, show(result)).toBe(130);
    await expectAllGone(pids, cargo);
    const out = result.stdout + result.stderr;
    expect(result.stdout).toContain(
      'Checking prerequisites stopped (SIGTERM); the workspace stays in place (cargo build there when you are ready)\n',
    );
    // No half report after a cancel: no prerequisite lines, no fix commands, no next steps.
    expect(out).not.toMatch(/fix:|✗|did not run|Prerequisites missing|Next steps/);
    expect(out).not.toMatch(/^Prerequisites/m);
    expect(cargo.calls()).toEqual(['--version', 'xtask doctor --json']);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s during the build: exit 130, "Build stopped (<signal>)", no process left',
    async (signal) => {
      const { cwd, run, pids, cargo } = await startStuckAt('build');
      run.child.kill(signal);
      const result = await run.done;
      expect(result.code, show(result)).toBe(130);
      await expectAllGone(pids, cargo);
      expect(result.stdout).toContain(
        `Build stopped (${signal}); the workspace stays in place (cargo build there when you are ready)\n`,
      );
      expect(result.stdout).not.toMatch(/Build failed|Next steps/);
      // The workspace stays, and so does the log of what the build printed.
      expect(fs.existsSync(path.join(cwd, 'probe', 'Cargo.toml'))).toBe(true);
      expect(fs.readFileSync(LOG(cwd), 'utf8')).toContain('Compiling aya v0.13.1');
    },
  );

  it('Ctrl-C typed on the terminal during the build: exit 130, "Build stopped (SIGINT)", no process left', async (ctx) => {
    ctx.skip(Boolean(noPty), noPty);
    // The terminal sends SIGINT to its foreground process group: the CLI's. cargo runs in a group of its
    // own, so it is stopped only if the CLI stops it.
    const cwd = makeTmp('stop-tty');
    const cargo = fakeCargo(makeTmp('fake-cargo'), {
      build: { stderr: '   Compiling aya v0.13.1\n', grandchild: true, sleepSeconds: 300 },
    });
    fakes.push(cargo);
    const session = PtySession.start(['probe', '--yes', '--no-git'], { cwd, verify: true, env: cargo.env });
    await waitUntil(
      () => cargo.pid('build') !== undefined && cargo.grandchildPid('build') !== undefined,
      "fake cargo's build and its grandchild",
    );
    await session.waitFor('Building the workspace');
    session.send(KEY.ctrlC);
    const { code, screen } = await session.exit(30_000);
    expect(code, screen).toBe(130);
    await expectAllGone([cargo.pid('build')!, cargo.grandchildPid('build')!], cargo);
    expect(screen).toContain('Build stopped (SIGINT); the workspace stays in place');
  });

  it('--json: a stopped build is reported as cancelled', async () => {
    const { run, pids, cargo } = await startStuckAt('build', {}, ['--json']);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, show(result)).toBe(130);
    await expectAllGone(pids, cargo);
    expect(parseJson(result)).toMatchObject({
      ok: false,
      exitCode: 130,
      verify: { exitCode: 130, build: { status: 'cancelled' } },
    });
  });

  it('SIGTERM during the verifier check (as root): exit 130, no process left', async (ctx) => {
    ctx.skip(!isRoot, 'not root: verify does not run the check');
    const { run, pids, cargo } = await startStuckAt('run');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, show(result)).toBe(130);
    await expectAllGone(pids, cargo);
    expect(result.stdout).toContain(
      'The verifier check stopped (SIGTERM); the workspace stays in place (cargo build there when you are ready)\n',
    );
  });
});
