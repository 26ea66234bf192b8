// Verify (SPEC, Verify): prerequisites from the generated project's own `cargo xtask doctor`, then
// `cargo xtask build` with progress and a full log, then, as root, the loader's `--check`.
import { createWriteStream } from 'node:fs';
import fs from 'fs-extra';
import path from 'node:path';
import { run, spawnChild } from './run.js';
import { c, type Ui } from './ui.js';

export interface Prerequisite {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export type BuildFailure = 'network' | 'llvm-mismatch' | 'compile';

export interface VerifyOutcome {
  exitCode: 0 | 4 | 5 | 130;
  prerequisites: Prerequisite[];
  build: { status: 'ok' | 'failed' | 'not-run'; failure?: BuildFailure; log?: string; seconds?: number; errorLines?: string[] };
  check: { status: 'accepted' | 'rejected' | 'not-run' | 'error'; reason?: string; output?: string };
}

export interface VerifyContext {
  dir: string;
  name: string;
  offline: boolean;
  ui: Ui;
  signal: AbortSignal;
  /** Whether this process may load BPF programs (root); otherwise the summary says how to run --check. */
  isRoot: boolean;
  /** The eBPF toolchain the workspace was generated for (SPEC --toolchain). */
  toolchain: string;
}

/** Where distribution-packaged Rust usually lives; Debian's rust-web packages put cargo and rustc here. */
const PACKAGED_RUST_DIRS = ['/usr/bin'];

/**
 * A directory toolchain on this machine that has its library source (e.g. Debian's rustc-web with
 * rust-web-src), for when the rustup toolchain lacks something. Only a hint: the user decides.
 */
async function packagedToolchainWithSource(): Promise<string | undefined> {
  for (const dir of PACKAGED_RUST_DIRS) {
    if (!fs.existsSync(path.join(dir, 'cargo')) || !fs.existsSync(path.join(dir, 'rustc'))) continue;
    const sysroot = await run(path.join(dir, 'rustc'), ['--print', 'sysroot']);
    if (sysroot.exitCode !== 0) continue;
    if (fs.existsSync(path.join(sysroot.stdout.trim(), 'lib/rustlib/src/rust/library/Cargo.lock'))) return dir;
  }
  return undefined;
}

const RUSTUP_INSTALL = "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh";

// The cargo check lives here, not in xtask: without cargo the xtask cannot run at all.
// Every other prerequisite is checked by the generated `cargo xtask doctor`, the one source of truth.
async function checkCargo(): Promise<Prerequisite> {
  const r = await run('cargo', ['--version']);
  if (r.exitCode === 0) return { name: 'cargo', ok: true, detail: r.stdout.trim() };
  return { name: 'cargo', ok: false, detail: 'cargo is not on PATH', fix: `${RUSTUP_INSTALL}  (see https://rustup.rs)` };
}

export function parseDoctor(stdout: string): Prerequisite[] | undefined {
  const line = stdout.split('\n').reverse().find((l) => l.trim().startsWith('{'));
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line) as { checks?: Prerequisite[] };
    if (!Array.isArray(parsed.checks)) return undefined;
    return parsed.checks.map((p) => ({ name: String(p.name), ok: Boolean(p.ok), detail: String(p.detail ?? ''), fix: p.fix ? String(p.fix) : undefined }));
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
      return 'crates could not be downloaded: run again online, or use --no-verify now and `cargo xtask build` later';
    case 'llvm-mismatch':
      return toolchain.includes('/')
        ? `the LLVM of the Rust in ${toolchain} and bpf-linker's LLVM differ: rebuild bpf-linker against that LLVM ` +
            '(LLVM_PREFIX=/usr/lib/llvm-<N> cargo install --force bpf-linker, N being the major version `rustc -vV` prints)'
        : `the LLVM of ${toolchain} and bpf-linker's LLVM differ: update both ` +
            `(rustup update ${toolchain}, then cargo install --force bpf-linker)`;
    case 'compile':
      return 'the workspace did not compile; the errors are above and in the log';
  }
}

export async function verify(ctx: VerifyContext): Promise<VerifyOutcome> {
  const { ui } = ctx;
  const outcome: VerifyOutcome = { exitCode: 0, prerequisites: [], build: { status: 'not-run' }, check: { status: 'not-run' } };
  const offline = ctx.offline ? ['--offline'] : [];

  // 1. Prerequisites.
  const checking = ui.progress('Checking prerequisites (cargo xtask doctor)');
  const cargo = await checkCargo();
  outcome.prerequisites.push(cargo);
  if (cargo.ok) {
    const doctor = await run('cargo', ['xtask', 'doctor', '--json', ...offline], { cwd: ctx.dir, cancelSignal: ctx.signal });
    const checks = parseDoctor(doctor.stdout);
    if (checks) outcome.prerequisites.push(...checks);
    else {
      outcome.prerequisites.push({
        name: 'xtask', ok: false,
        detail: `cargo xtask doctor did not run: ${(doctor.stderr.trim().split('\n').pop() ?? '').slice(0, 300)}`,
        fix: 'rustup update stable',
      });
    }
  }
  checking.done(c.bold('Prerequisites'));
  for (const p of outcome.prerequisites) {
    ui.say(`  ${p.ok ? c.green('✓') : c.red('✗')} ${p.name.padEnd(11)} ${p.detail}`);
    if (!p.ok && p.fix) ui.say(`    ${c.dim('fix:')} ${p.fix}`);
  }
  if (ctx.signal.aborted) return { ...outcome, exitCode: 130 };
  if (outcome.prerequisites.some((p) => !p.ok)) {
    ui.say(`${c.yellow('Prerequisites missing:')} the workspace is written; run the fix commands above, then \`cargo xtask build\`.`);
    const toolchainMissing = outcome.prerequisites.some((p) => !p.ok && (p.name === 'toolchain' || p.name === 'rust-src'));
    if (toolchainMissing && !ctx.toolchain.includes('/')) {
      const packaged = await packagedToolchainWithSource();
      if (packaged) {
        ui.say(
          `  Or use the Rust in ${packaged}, which has its library source: set TOOLCHAIN to "${packaged}" in ` +
            `xtask/src/main.rs (or generate with --toolchain ${packaged}); its LLVM must match bpf-linker's.`,
        );
      }
    }
    return { ...outcome, exitCode: 4 };
  }

  // 2. Build, with the full log in a file.
  const logPath = path.join(ctx.dir, 'target', 'create-aya-atomic-verify.log');
  await fs.mkdir(path.dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath);
  const progress = ui.progress('Building the workspace (cargo xtask build)');
  const started = Date.now();
  const { child } = await spawnChild('cargo', ['xtask', 'build', ...offline], {
    cwd: ctx.dir,
    all: true,
    buffer: false,
    detached: true, // own process group, so Ctrl-C can stop cargo and every rustc/bpf-linker below it
    env: { CARGO_TERM_COLOR: 'never', CARGO_TERM_PROGRESS_WHEN: 'never' },
  });
  const stop = () => {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  };
  ctx.signal.addEventListener('abort', stop, { once: true });
  if (ctx.signal.aborted) stop(); // Ctrl-C came while cargo was starting
  let text = '';
  child.all?.on('data', (chunk: Buffer) => {
    const s = chunk.toString();
    text += s;
    log.write(s);
    const compiling = [...s.matchAll(/^\s*(Compiling|Checking|Building|Finished|Running)\s+(\S+)/gm)].pop();
    if (compiling) progress.update(`${compiling[1].toLowerCase()} ${compiling[2]}`);
  });
  const result = await child;
  ctx.signal.removeEventListener('abort', stop);
  await new Promise<void>((resolve) => log.end(resolve));
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (ctx.signal.aborted) {
    progress.done(`${c.yellow('Build stopped')} (Ctrl-C); the workspace stays in place`);
    return { ...outcome, exitCode: 130, build: { status: 'failed', log: logPath, seconds } };
  }
  if (result.exitCode !== 0) {
    const failure = classifyBuildFailure(text);
    const lines = errorLines(text);
    progress.done(`${c.red('✗ Build failed')} after ${seconds}s: ${failureAdvice(failure, ctx.toolchain)}`);
    for (const l of lines) ui.say(`    ${l}`);
    ui.say(`  full log: ${logPath}`);
    return { ...outcome, exitCode: 5, build: { status: 'failed', failure, log: logPath, seconds, errorLines: lines } };
  }
  progress.done(`${c.green('✓')} Built the eBPF object and the loader in ${seconds}s ${c.dim(`(log: ${logPath})`)}`);
  outcome.build = { status: 'ok', log: logPath, seconds };

  // 3. The kernel's verifier, when we may load programs.
  if (!ctx.isRoot) {
    outcome.check = { status: 'not-run', reason: 'not root' };
    ui.say(`  To let the kernel's verifier judge the program: ${c.cyan('cargo xtask run -- --check')} (runs sudo -E)`);
    return outcome;
  }
  const check = await run('cargo', ['xtask', 'run', ...offline, '--', '--check'], {
    cwd: ctx.dir, all: true, cancelSignal: ctx.signal, env: { CARGO_TERM_COLOR: 'never' },
  });
  if (ctx.signal.aborted) return { ...outcome, exitCode: 130, check: { status: 'not-run', reason: 'cancelled' } };
  const output = `${check.stdout}\n${check.stderr}`.trim();
  if (check.exitCode === 0) {
    outcome.check = { status: 'accepted', output };
    ui.say(`${c.green('✓')} The running kernel's verifier accepted the program (loader --check)`);
  } else if (check.exitCode === 3) {
    outcome.check = { status: 'rejected', output };
    outcome.exitCode = 5;
    ui.say(`${c.red('✗')} The running kernel's verifier rejected the program:`);
    ui.say(output.split('\n').slice(-40).map((l) => `    ${l}`).join('\n'));
  } else {
    outcome.check = { status: 'error', output, reason: `loader --check exited with ${check.exitCode}` };
    ui.say(`${c.yellow('!')} The verifier check could not run (exit ${check.exitCode}): ${output.split('\n').pop()}`);
  }
  return outcome;
}
