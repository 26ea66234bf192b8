// A fake `cargo` for the tests of verify: a small sh script, first on PATH, that records every call's
// arguments and behaves as the test says for each step verify runs (`cargo --version`, `cargo xtask
// doctor --json`, `cargo build --release`, `cargo xtask run -- --check`). It makes the tests
// of verify independent of the generated workspace's templates and of the eBPF toolchain, and fast.
import fs from 'node:fs';
import path from 'node:path';
import type { EnvPatch } from './cli.js';

export type Step = 'version' | 'doctor' | 'build' | 'run';

export interface StepBehaviour {
  /** Printed on stdout first (verbatim). */
  stdout?: string;
  /** Printed on stderr next (verbatim). */
  stderr?: string;
  /** Then this many `   Compiling crate-<i> v0.1.0` lines on stderr, one every `everyMs`. */
  compiling?: { count: number; everyMs: number };
  /**
   * Then start `sleep 300` in the background (stdio closed, as a compiler it spawned would be) and
   * record its pid: a grandchild of the run, in fake cargo's process group.
   */
  grandchild?: boolean;
  /** Then sleep this many seconds in the foreground (300: until stopped). */
  sleepSeconds?: number;
  /** Then exit with this code (default 0). */
  exit?: number;
}

/** A doctor JSON line in the shape `cargo xtask doctor --json` prints. */
export function doctorJson(
  checks: { name: string; ok: boolean; detail: string; fix?: string; optional?: boolean }[],
): string {
  return `${JSON.stringify({ ok: checks.every((c) => c.ok || c.optional), checks })}\n`;
}

/** Every prerequisite present. */
export const DOCTOR_ALL_OK = doctorJson([
  { name: 'stable', ok: true, detail: 'rustc 1.95.0 (fake)' },
  { name: 'toolchain', ok: true, detail: 'nightly-2026-05-19 (fake)' },
  { name: 'rust-src', ok: true, detail: 'installed' },
  { name: 'bpf-linker', ok: true, detail: 'bpf-linker 0.9.15 (fake)' },
]);

export interface FakeCargo {
  /** The directory holding `cargo`: put it first on PATH. */
  bin: string;
  /** PATH with the fake cargo first (the rest of this process's PATH after it, for sh, sleep, git). */
  env: EnvPatch;
  /** Each call's arguments, joined with spaces, in order; `CARGO_NET_OFFLINE=true ` first when that is set. */
  calls(): string[];
  /** The pid of fake cargo itself for a step, once that step started. */
  pid(step: Step): number | undefined;
  /** The pid of the step's background grandchild, once started. */
  grandchildPid(step: Step): number | undefined;
  /** Kills whatever fake cargo started that still runs (for afterAll: a failed test leaves nothing behind). */
  killLeftovers(): void;
}

/** The `case` pattern of each step, matched against the first two arguments. */
const STEP_OF: Record<Step, string> = {
  version: "'--version'*",
  doctor: "'xtask doctor'*",
  build: "'build '*",
  run: "'xtask run'*",
};

/**
 * Writes a fake cargo into `dir` (created), behaving per step as given; a step not given prints
 * `cargo 1.95.0 (fake)` for --version, the all-present doctor JSON for the doctor, and exits 0.
 */
export function fakeCargo(dir: string, steps: Partial<Record<Step, StepBehaviour>> = {}): FakeCargo {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const defaults: Record<Step, StepBehaviour> = {
    version: { stdout: 'cargo 1.95.0 (fake)\n' },
    doctor: { stdout: DOCTOR_ALL_OK },
    build: { stderr: '   Compiling probe v0.1.0\n    Finished `release` profile [optimized] target(s) in 0.01s\n' },
    run: { stdout: 'the kernel verifier accepted the program (fake)\n' },
  };
  const q = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  const cases: string[] = [];
  for (const step of Object.keys(STEP_OF) as Step[]) {
    const b = steps[step] ?? defaults[step];
    const lines = [`  ${STEP_OF[step]})`, `    echo $$ > ${q(path.join(dir, `${step}.pid`))}`];
    if (b.stdout !== undefined) {
      fs.writeFileSync(path.join(dir, `${step}.stdout`), b.stdout);
      lines.push(`    cat ${q(path.join(dir, `${step}.stdout`))}`);
    }
    if (b.stderr !== undefined) {
      fs.writeFileSync(path.join(dir, `${step}.stderr`), b.stderr);
      lines.push(`    cat ${q(path.join(dir, `${step}.stderr`))} >&2`);
    }
    if (b.compiling) {
      const seconds = (b.compiling.everyMs / 1000).toFixed(3);
      lines.push(
        `    i=0; while [ $i -lt ${b.compiling.count} ]; do echo "   Compiling crate-$i v0.1.0" >&2; sleep ${seconds}; i=$((i+1)); done`,
      );
    }
    if (b.grandchild) {
      // Written to a temporary name and renamed, so a reader never sees a half-written pid.
      const pidFile = path.join(dir, `${step}.grandchild.pid`);
      lines.push(
        `    sleep 300 </dev/null >/dev/null 2>&1 & echo $! > ${q(`${pidFile}.tmp`)}; mv ${q(`${pidFile}.tmp`)} ${q(pidFile)}`,
      );
    }
    if (b.sleepSeconds) lines.push(`    sleep ${b.sleepSeconds}`);
    lines.push(`    exit ${b.exit ?? 0}`, '    ;;');
    cases.push(lines.join('\n'));
  }
  const script = [
    '#!/bin/sh',
    `printf '%s%s\\n' "\${CARGO_NET_OFFLINE:+CARGO_NET_OFFLINE=$CARGO_NET_OFFLINE }" "$*" >> ${q(path.join(dir, 'calls.log'))}`,
    'case "$1 $2" in',
    ...cases,
    '  *) echo "fake cargo: unexpected call: $*" >&2; exit 99 ;;',
    'esac',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(bin, 'cargo'), script, { mode: 0o755 });

  const readPid = (file: string) => {
    try {
      const n = Number(fs.readFileSync(path.join(dir, file), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    bin,
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    calls: () => {
      try {
        return fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    pid: (step) => readPid(`${step}.pid`),
    grandchildPid: (step) => readPid(`${step}.grandchild.pid`),
    killLeftovers: () => {
      for (const step of Object.keys(STEP_OF)) {
        for (const pid of [readPid(`${step}.pid`), readPid(`${step}.grandchild.pid`)]) {
          if (pid === undefined) continue;
          // Only if it is still ours (a pid can be reused): fake cargo's sh or its sleep.
          let cmdline: string;
          try {
            cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          } catch {
            continue;
          }
          if (!cmdline.includes(bin) && !cmdline.startsWith('sleep\0')) continue;
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone meanwhile */
          }
        }
      }
    },
  };
}
