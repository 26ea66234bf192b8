// Verify (docs/command-line.md, Verify): prerequisites from the generated workspace's own `cargo xtask doctor --json`,
// then a plain `cargo build --release` with progress and a full log, then, as root, the loader's
// `--check` (through `cargo xtask run`). Every child runs in its own process group and is stopped with it on Ctrl-C,
// SIGTERM or SIGHUP, so no rustc or bpf-linker outlives the run.
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { EXIT } from './errors.js';
import { run } from './run.js';
import { c, type Ui } from './ui.js';

export interface Prerequisite {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** Needed only by some commands (QEMU and busybox for `cargo xtask vm`): missing, it does not fail verify. */
  optional?: boolean;
}

export type BuildFailure = 'network' | 'llvm-mismatch' | 'compile';

export interface VerifyOutcome {
  exitCode: typeof EXIT.ok | typeof EXIT.prerequisitesMissing | typeof EXIT.buildFailed | typeof EXIT.cancelled;
  prerequisites: Prerequisite[];
  build: {
    status: 'ok' | 'failed' | 'not-run' | 'cancelled';
    failure?: BuildFailure;
    log?: string;
    seconds?: number;
    errorLines?: string[];
  };
  check: { status: 'accepted' | 'rejected' | 'not-run' | 'error'; reason?: string; output?: string };
}

export interface VerifyContext {
  dir: string;
  offline: boolean;
  ui: Ui;
  /** Aborted with the signal's name (SIGINT, SIGTERM, SIGHUP) as its reason. */
  signal: AbortSignal;
  /** Whether this process may load BPF programs (root); otherwise the summary says how to run --check. */
  isRoot: boolean;
  /** The eBPF toolchain the workspace was generated for. */
  toolchain: string;
}

/** Where distribution-packaged Rust usually lives; Debian's rust-web packages put cargo and rustc here. */
const PACKAGED_RUST_DIRS = ['/usr/bin'];

export function parseDoctor(stdout: string): Prerequisite[] | undefined {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line) as { checks?: Prerequisite[] };
    if (!Array.isArray(parsed.checks)) return undefined;
    return parsed.checks.map((p) => ({
      name: String(p.name),
      ok: Boolean(p.ok),
      detail: String(p.detail ?? ''),
      ...(p.fix ? { fix: String(p.fix) } : {}),
      ...(p.optional ? { optional: true } : {}),
    }));
  } catch {
    return undefined;
  }
}

const NETWORK_PATTERNS = [
  /failed to (download|get|query|fetch|load source for dependency|update registry)/i,
  /attempting to make an HTTP request, but --offline was specified/i,
  /no matching package named .* found/i,
  /Couldn't resolve host|network failure|spurious network error|Unable to update registry/i,
  /failed to select a version for the requirement/i,
];
const LLVM_MISMATCH = [/Invalid record/, /Invalid attribute group entry/, /Producer: '?LLVM[^ ]*'? Reader: '?LLVM/];

export function classifyBuildFailure(log: string): BuildFailure {
  if (LLVM_MISMATCH.some((re) => re.test(log))) return 'llvm-mismatch';
  if (NETWORK_PATTERNS.some((re) => re.test(log))) return 'network';
  return 'compile';
}

/** The lines worth showing from a failed build: cargo's `error` lines and what follows them. */
export function errorLines(log: string, max = 12): string[] {
  const lines = log.split('\n');
  const picked: string[] = [];
  lines.forEach((line, i) => {
    if (/^(error|\s*= note: .*error|.*LLVM ERROR|.*Invalid record)/.test(line)) {
      picked.push(...lines.slice(i, i + 4).filter((l) => l.trim() !== ''));
    }
  });
  const unique = [...new Set(picked)];
  return (unique.length ? unique : lines.filter((l) => l.trim()).slice(-max)).slice(0, max);
}

function failureAdvice(failure: BuildFailure, toolchain: string): string {
  switch (failure) {
    case 'network':
      return 'crates could not be downloaded: run again online, or use --no-verify now and `cargo build` later';
    case 'llvm-mismatch':
      return toolchain.includes('/')
        ? `the LLVM of the Rust in ${toolchain} and bpf-linker's LLVM differ: rebuild bpf-linker against that LLVM ` +
            '(LLVM_PREFIX=/usr/lib/llvm-<N> cargo install --force bpf-linker, N being the major version `rustc -vV` prints)'
        : `the LLVM of ${toolchain} and bpf-linker's LLVM differ: update both ` +
            `(rustup update ${toolchain}, then cargo install --force bpf-linker)`;
    case 'compile':
      return 'the workspace did not compile; the errors are below, and the whole output is in the log';
  }
}

/** cargo's output as the log and the progress line read it: no colour, no progress bar. */
const CARGO_ENV = { CARGO_TERM_COLOR: 'never', CARGO_TERM_PROGRESS_WHEN: 'never' };

const signalName = (signal: AbortSignal) => (typeof signal.reason === 'string' ? signal.reason : 'Ctrl-C');

export async function verify(ctx: VerifyContext): Promise<VerifyOutcome> {
  const { ui } = ctx;
  // --offline reaches every cargo verify runs, the xtask's own included, through cargo's variable.
  const env = ctx.offline ? { ...CARGO_ENV, CARGO_NET_OFFLINE: 'true' } : CARGO_ENV;
  const outcome: VerifyOutcome = {
    exitCode: EXIT.ok,
    prerequisites: [],
    build: { status: 'not-run' },
    check: { status: 'not-run' },
  };
  const cancelledNow = (step: string, progress?: { done(line: string): void }) => {
    const line = `${c.yellow(`${step} stopped`)} (${signalName(ctx.signal)}); the workspace stays in place (cargo build there when you are ready)`;
    if (progress) progress.done(line);
    else ui.say(line);
    return { ...outcome, exitCode: EXIT.cancelled };
  };

  // 1. Prerequisites: cargo here (without it the xtask cannot run), everything else from the doctor.
  const checking = ui.progress('Checking prerequisites (cargo xtask doctor)');
  const cargo = await run('cargo', ['--version'], { cwd: ctx.dir, signal: ctx.signal, env });
  if (ctx.signal.aborted) return cancelledNow('Checking prerequisites', checking);
  if (cargo.code === 0) {
    outcome.prerequisites.push({ name: 'cargo', ok: true, detail: cargo.output.trim() });
    const doctor = await run('cargo', ['xtask', 'doctor', '--json'], { cwd: ctx.dir, signal: ctx.signal, env });
    if (ctx.signal.aborted) return cancelledNow('Checking prerequisites', checking);
    const checks = parseDoctor(doctor.stdout);
    if (checks) outcome.prerequisites.push(...checks);
    else if (classifyBuildFailure(doctor.output) === 'network') {
      // The workspace's crates cannot be fetched, so the xtask cannot even be built: a network failure,
      // reported as the build's would be (exit 5).
      const lines = errorLines(doctor.output);
      checking.done(`${c.red('✗ Cannot resolve the workspace')}: ${failureAdvice('network', ctx.toolchain)}`);
      for (const l of lines) ui.say(`    ${l}`);
      return {
        ...outcome,
        exitCode: EXIT.buildFailed,
        build: { status: 'failed', failure: 'network', errorLines: lines },
      };
    } else {
      const last = (doctor.output.trim().split('\n').pop() ?? '').slice(0, 300);
      outcome.prerequisites.push({
        name: 'xtask',
        ok: false,
        detail: `cargo xtask doctor did not run: ${last}`,
        fix: 'rustup update stable',
      });
    }
  } else {
    outcome.prerequisites.push({
      name: 'cargo',
      ok: false,
      detail: 'cargo is not on PATH',
      fix: "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh  (see https://rustup.rs)",
    });
  }
  checking.done(c.bold('Prerequisites'));
  const width = Math.max(...outcome.prerequisites.map((p) => p.name.length));
  for (const p of outcome.prerequisites) {
    const mark = p.ok ? c.green('✓') : p.optional ? c.yellow('-') : c.red('✗');
    ui.say(
      `  ${mark} ${p.name.padEnd(width)} ${p.detail}${!p.ok && p.optional ? c.dim(' (optional: for cargo xtask vm and build --target)') : ''}`,
    );
    if (!p.ok && p.fix) ui.say(`    ${c.dim('fix:')} ${p.fix}`);
  }
  if (outcome.prerequisites.some((p) => !p.ok && !p.optional)) {
    ui.say(
      `${c.yellow('Prerequisites missing:')} the workspace is written; run the fix commands above, then \`cargo build\`.`,
    );
    const toolchainMissing = outcome.prerequisites.some(
      (p) => !p.ok && (p.name === 'toolchain' || p.name === 'rust-src'),
    );
    if (toolchainMissing && !ctx.toolchain.includes('/')) {
      const packaged = PACKAGED_RUST_DIRS.find(
        (d) =>
          existsSync(path.join(d, 'cargo')) &&
          existsSync(path.join(d, 'rustc')) &&
          existsSync('/usr/lib/rustlib/src/rust/library/Cargo.lock'),
      );
      if (packaged) {
        ui.say(
          `  Or use the Rust in ${packaged}, which has its library source: set EBPF_TOOLCHAIN to "${packaged}" in ` +
            `.cargo/config.toml (or generate with --toolchain ${packaged}); its LLVM must match bpf-linker's.`,
        );
      }
    }
    return { ...outcome, exitCode: EXIT.prerequisitesMissing };
  }

  // 2. Build (plain cargo: the loader's build script builds the eBPF crate), with the full log in a file.
  const logPath = path.join(ctx.dir, 'target', 'create-aya-atomic-verify.log');
  mkdirSync(path.dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath);
  const progress = ui.progress('Building the workspace (cargo build --release)');
  const started = Date.now();
  const build = await run('cargo', ['build', '--release'], {
    cwd: ctx.dir,
    signal: ctx.signal,
    env,
    onData: (s) => {
      log.write(s);
      const step = [...s.matchAll(/^\s*(Compiling|Checking|Building|Finished|Running|Downloaded)\s+(\S+)/gm)].pop();
      if (step) progress.update(`${step[1].toLowerCase()} ${step[2]}`);
    },
  });
  await new Promise<void>((resolve) => log.end(resolve));
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (ctx.signal.aborted) {
    outcome.build = { status: 'cancelled', log: logPath, seconds };
    return cancelledNow('Build', progress);
  }
  if (build.code !== 0) {
    const failure = classifyBuildFailure(build.output);
    const lines = errorLines(build.output);
    progress.done(`${c.red('✗ Build failed')} after ${seconds}s: ${failureAdvice(failure, ctx.toolchain)}`);
    for (const l of lines) ui.say(`    ${l}`);
    ui.say(`  full log: ${logPath}`);
    return {
      ...outcome,
      exitCode: EXIT.buildFailed,
      build: { status: 'failed', failure, log: logPath, seconds, errorLines: lines },
    };
  }
  progress.done(`${c.green('✓')} Built the eBPF program and the loader in ${seconds}s ${c.dim(`(log: ${logPath})`)}`);
  outcome.build = { status: 'ok', log: logPath, seconds };

  // 3. The kernel's verifier, when we may load programs.
  if (!ctx.isRoot) {
    outcome.check = { status: 'not-run', reason: 'not root' };
    ui.say(
      `  To let the kernel's verifier judge the program: ${c.cyan('cargo xtask run -- --check')} (runs the loader with sudo -E)`,
    );
    return outcome;
  }
  const check = await run('cargo', ['xtask', 'run', '--', '--check'], { cwd: ctx.dir, signal: ctx.signal, env });
  if (ctx.signal.aborted) {
    outcome.check = { status: 'not-run', reason: 'cancelled' };
    return cancelledNow('The verifier check');
  }
  const output = check.output.trim();
  if (check.code === 0) {
    outcome.check = { status: 'accepted', output };
    ui.say(`${c.green('✓')} The running kernel's verifier accepted the program (loader --check)`);
  } else if (check.code === 3) {
    outcome.check = { status: 'rejected', output };
    outcome.exitCode = EXIT.buildFailed;
    ui.say(`${c.red('✗')} The running kernel's verifier rejected the program:`);
    ui.say(
      output
        .split('\n')
        .slice(-40)
        .map((l) => `    ${l}`)
        .join('\n'),
    );
  } else {
    outcome.check = { status: 'error', output, reason: `loader --check exited with ${check.code}` };
    ui.say(`${c.yellow('!')} The verifier check could not run (exit ${check.code}): ${output.split('\n').pop()}`);
  }
  return outcome;
}
