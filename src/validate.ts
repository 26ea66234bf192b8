// Rules for every user string that reaches generated Rust or TOML (SPEC, Safety).
// Values are validated, never escaped into code: a value that passes contains only
// characters that are inert in a Rust string literal, a Rust path and a TOML string.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ProgramKind } from './facts.js';

export type Check = { ok: true; value: string } | { ok: false; reason: string };

const RUST_KEYWORDS = [
  // strict
  'as', 'break', 'const', 'continue', 'crate', 'else', 'enum', 'extern', 'false', 'fn', 'for', 'if', 'impl', 'in',
  'let', 'loop', 'match', 'mod', 'move', 'mut', 'pub', 'ref', 'return', 'self', 'static', 'struct', 'super',
  'trait', 'true', 'type', 'unsafe', 'use', 'where', 'while', 'async', 'await', 'dyn',
  // reserved
  'abstract', 'become', 'box', 'do', 'final', 'macro', 'override', 'priv', 'typeof', 'unsized', 'virtual',
  'yield', 'try', 'gen',
  // weak
  'union', 'macro_rules', 'raw', 'safe',
];
const CARGO_RESERVED = [
  'std', 'core', 'alloc', 'proc_macro', 'proc-macro', 'test', 'build', 'deps', 'examples', 'incremental',
  'con', 'prn', 'aux', 'nul', ...Array.from({ length: 9 }, (_, i) => `com${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `lpt${i + 1}`), 'xtask',
];
/** Crates the generated workspace depends on (directly or through aya). */
export const WORKSPACE_DEPENDENCIES = [
  'aya', 'aya-ebpf', 'aya-log', 'aya-log-ebpf', 'aya-obj', 'aya-build', 'aya-ebpf-macros', 'aya-ebpf-bindings',
  'aya-ebpf-cty', 'aya-log-common', 'tokio', 'anyhow', 'libc', 'log', 'env_logger', 'thiserror', 'bytes',
  'object', 'hashbrown', 'bitflags', 'once_cell', 'compiler_builtins', 'rustc-std-workspace-core',
];
const normalize = (s: string) => s.replace(/_/g, '-');

const NAME_FORM =
  'lower-case ASCII letters, digits, "-" and "_", starting with a letter, at most 64 characters (e.g. my-probe)';

export function checkCrateName(raw: string): Check {
  const shown = JSON.stringify(raw);
  if (raw.length === 0) return { ok: false, reason: `the crate name is empty; use ${NAME_FORM}` };
  if (raw.length > 64) return { ok: false, reason: `crate name ${shown} is ${raw.length} characters long; use ${NAME_FORM}` };
  if (!/^[A-Za-z0-9_-]+$/.test(raw) || !/^[A-Za-z]/.test(raw)) {
    return { ok: false, reason: `crate name ${shown} is not valid; use ${NAME_FORM}` };
  }
  if (raw !== raw.toLowerCase()) return { ok: false, reason: `crate name ${shown} has upper-case letters; use ${NAME_FORM}` };
  const snake = raw.replace(/-/g, '_');
  if (RUST_KEYWORDS.includes(raw) || RUST_KEYWORDS.includes(snake)) {
    return { ok: false, reason: `crate name ${shown} is a Rust keyword; choose another name: ${NAME_FORM}` };
  }
  if (CARGO_RESERVED.includes(raw) || CARGO_RESERVED.includes(snake)) {
    return { ok: false, reason: `crate name ${shown} is reserved by Rust, cargo or Windows; choose another name: ${NAME_FORM}` };
  }
  for (const crate of [raw, `${raw}-ebpf`, `${raw}-common`]) {
    const clash = WORKSPACE_DEPENDENCIES.find((dep) => normalize(dep) === normalize(crate));
    if (clash) {
      return {
        ok: false,
        reason: `crate name ${shown} makes the crate "${crate}", which clashes with the dependency "${clash}"; choose another name: ${NAME_FORM}`,
      };
    }
  }
  return { ok: true, value: raw };
}

/** A crate name derived from a directory name: lower-cased and cleaned, then checked as usual. */
export function crateNameFromDirectory(dir: string): string {
  return path
    .basename(path.resolve(dir))
    .trim()
    .toLowerCase()
    .replace(/[\s.]+/g, '-')
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
}

export function checkAttach(raw: string, program: ProgramKind): Check {
  const shown = JSON.stringify(raw);
  if (program === 'kprobe') {
    if (raw === 'auto') return { ok: true, value: raw };
    if (raw.length <= 128 && /^[A-Za-z_][A-Za-z0-9_.]*$/.test(raw)) return { ok: true, value: raw };
    return {
      ok: false,
      reason: `attach target ${shown} is not a kernel symbol; for a kprobe use "auto" or a symbol name ` +
        `(letters, digits, "_" and ".", starting with a letter or "_", at most 128 characters, e.g. __x64_sys_execve)` +
        (raw.includes('/') ? '; for a tracepoint, add --program tracepoint' : ''),
    };
  }
  if (/^[A-Za-z0-9_]+\/[A-Za-z0-9_]+$/.test(raw) && raw.length <= 256) return { ok: true, value: raw };
  return {
    ok: false,
    reason: `attach target ${shown} is not a tracepoint; for a tracepoint use "category/name", each part letters, ` +
      `digits and "_" (e.g. syscalls/sys_enter_execve)`,
  };
}

const TOOLCHAIN_FORM =
  'a rustup toolchain name (letters, digits, "-", ".", "_", e.g. nightly or nightly-2026-05-19) or an existing ' +
  'directory holding cargo and rustc (e.g. /usr/bin)';

/** Toolchain names go into a Rust string literal in the generated xtask, so directories are held to a safe charset. */
export function checkToolchain(raw: string, cwd: string): Check {
  const shown = JSON.stringify(raw);
  const looksLikePath = raw.includes('/') || raw.includes(path.sep) || raw.startsWith('.') || raw.startsWith('~');
  if (!looksLikePath) {
    if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(raw)) return { ok: true, value: raw };
    return { ok: false, reason: `toolchain ${shown} is not valid; use ${TOOLCHAIN_FORM}` };
  }
  const dir = path.resolve(cwd, raw);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { ok: false, reason: `toolchain directory ${shown} does not exist; use ${TOOLCHAIN_FORM}` };
  }
  if (!/^[A-Za-z0-9/._+-]+$/.test(dir)) {
    return {
      ok: false,
      reason: `toolchain directory ${JSON.stringify(dir)} has characters other than letters, digits and "/._+-"; ` +
        `link it from a plain path (e.g. ln -s "${dir}" /opt/rust-bpf) and pass that`,
    };
  }
  const missing = ['cargo', 'rustc'].filter((tool) => !existsSync(path.join(dir, tool)));
  if (missing.length) {
    return { ok: false, reason: `toolchain directory ${shown} has no ${missing.join(' or ')}; use ${TOOLCHAIN_FORM}` };
  }
  return { ok: true, value: dir };
}
