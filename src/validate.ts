// Rules for every user string that reaches generated Rust or TOML, or a path (docs/safety.md, Validation).
// Values are validated, never escaped into code: a value that passes contains only characters that
// are inert in a Rust string literal, a Rust path and a TOML string. Pure: what the file system knows
// (the template's own paths, the dependency graph, a toolchain directory) is passed in.
import type { ProgramKind } from './facts.js';

export type Check<T extends string = string> = { ok: true; value: T } | { ok: false; reason: string };

/** A value as it is echoed in messages: quoted, and cut short when long (a 10 MB name must not fill the terminal). */
export function shown(raw: string, max = 60): string {
  const quoted = printable(JSON.stringify(raw));
  if (quoted.length <= max) return quoted;
  return `${printable(JSON.stringify(raw.slice(0, max - 12)))}… (${raw.length} characters)`;
}

// C0 controls, DEL, C1 controls (a terminal may read U+009B as the start of an escape sequence), the line and
// paragraph separators, and the bidirectional overrides that reorder what a terminal shows.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `s` with every control character written as an escape (`\n`, `\x1b`, `\u202e`), so that a string a
 * file or a repository chose can neither move the cursor, colour the terminal nor start a new line.
 */
export function printable(s: string): string {
  return s.replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return (
      named[ch] ??
      (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}

/** The first control character in `s`, shown as a name (`\n`, U+0015), or undefined. */
export function controlCharacter(s: string): string | undefined {
  const m = /[\u0000-\u001f\u007f-\u009f]/.exec(s);
  if (!m) return undefined;
  const names: Record<string, string> = {
    '\n': 'a newline',
    '\r': 'a carriage return',
    '\t': 'a tab',
    '\u001b': 'an escape',
  };
  return names[m[0]] ?? `the control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

const RUST_KEYWORDS = [
  // strict
  'as',
  'break',
  'const',
  'continue',
  'crate',
  'else',
  'enum',
  'extern',
  'false',
  'fn',
  'for',
  'if',
  'impl',
  'in',
  'let',
  'loop',
  'match',
  'mod',
  'move',
  'mut',
  'pub',
  'ref',
  'return',
  'self',
  'static',
  'struct',
  'super',
  'trait',
  'true',
  'type',
  'unsafe',
  'use',
  'where',
  'while',
  'async',
  'await',
  'dyn',
  // reserved
  'abstract',
  'become',
  'box',
  'do',
  'final',
  'macro',
  'override',
  'priv',
  'typeof',
  'unsized',
  'virtual',
  'yield',
  'try',
  'gen',
  // weak
  'union',
  'macro_rules',
  'raw',
  'safe',
];
/** Names Rust, cargo and Windows reserve. */
const RESERVED = [
  'std',
  'core',
  'alloc',
  'proc_macro',
  'proc-macro',
  'test',
  'build',
  'deps',
  'examples',
  'incremental',
  'con',
  'prn',
  'aux',
  'nul',
  ...Array.from({ length: 9 }, (_, i) => `com${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `lpt${i + 1}`),
];
/** The standard library's own crates, which `-Z build-std=core` builds next to the eBPF crate. */
const STD_CRATES = [
  'compiler_builtins',
  'rustc-std-workspace-core',
  'rustc-std-workspace-alloc',
  'panic_abort',
  'panic_unwind',
  'unwind',
];

/** What the rules need to know about the workspace the name goes into. */
export interface NameRules {
  /** Every package in the workspace's dependency graph but its own crates (the template's Cargo.lock). */
  dependencies: readonly string[];
  /** Folders and files at the workspace root that the template writes (xtask, LICENSE-MIT, …). */
  templatePaths: readonly string[];
  /** Root paths cargo owns or the generated ignore rules hide: a crate folder there would be lost. */
  ignoredPaths: (name: string) => string | undefined;
}

const normalize = (s: string) => s.toLowerCase().replace(/_/g, '-');

export const NAME_FORM =
  'lower-case ASCII letters, digits, "-" and "_", starting with a letter, at most 64 characters (e.g. my-probe)';

export function checkCrateName(raw: string, rules: NameRules): Check {
  const name = shown(raw);
  if (raw.length === 0) return { ok: false, reason: `the crate name is empty; use ${NAME_FORM}` };
  if (raw.length > 64)
    return {
      ok: false,
      reason: `crate name ${name} is ${raw.length} characters long, over the limit of 64; use ${NAME_FORM}`,
    };
  if (!/^[A-Za-z0-9_-]+$/.test(raw) || !/^[A-Za-z]/.test(raw)) {
    return { ok: false, reason: `crate name ${name} is not valid; use ${NAME_FORM}` };
  }
  if (raw !== raw.toLowerCase())
    return { ok: false, reason: `crate name ${name} has upper-case letters; use ${NAME_FORM}` };
  const snake = raw.replace(/-/g, '_');
  if (RUST_KEYWORDS.includes(raw) || RUST_KEYWORDS.includes(snake)) {
    return { ok: false, reason: `crate name ${name} is a Rust keyword; choose another name: ${NAME_FORM}` };
  }
  if ([...RESERVED, ...STD_CRATES].some((r) => normalize(r) === normalize(raw))) {
    return {
      ok: false,
      reason: `crate name ${name} is reserved by Rust, cargo or Windows; choose another name: ${NAME_FORM}`,
    };
  }
  const crates = [raw, `${raw}-ebpf`, `${raw}-common`];
  for (const folder of crates) {
    const clash = rules.templatePaths.find((p) => p.toLowerCase() === folder);
    if (clash) {
      return {
        ok: false,
        reason: `crate name ${name} puts the crate folder "${folder}" where the template writes "${clash}"; choose another name: ${NAME_FORM}`,
      };
    }
    const owner = rules.ignoredPaths(folder);
    if (owner) {
      return {
        ok: false,
        reason: `crate name ${name} puts the crate folder "${folder}" where ${owner}: its sources would be lost (cargo clean, git); choose another name: ${NAME_FORM}`,
      };
    }
  }
  for (const crate of crates) {
    const clash = rules.dependencies.find((dep) => normalize(dep) === normalize(crate));
    if (clash) {
      return {
        ok: false,
        reason: `crate name ${name} makes the crate "${crate}", which is also the name of "${clash}" in the workspace's dependencies; choose another name: ${NAME_FORM}`,
      };
    }
  }
  return { ok: true, value: raw };
}

/**
 * A crate name derived from a directory's base name: lower-cased, spaces and dots to `-`, other
 * characters dropped. Says what it dropped, so `prøbé` → `prb` is never silent.
 */
export function crateNameFromDirectory(base: string): { name: string; dropped: string[] } {
  const cleaned = base
    .trim()
    .toLowerCase()
    .replace(/[\s.]+/g, '-');
  const dropped = [...new Set([...cleaned].filter((ch) => !/[a-z0-9_-]/.test(ch)))];
  const name = cleaned
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z]+/, '')
    .replace(/[-_]+$/, '')
    .slice(0, 64)
    .replace(/[-_]+$/, '');
  return { name, dropped };
}

export const KPROBE_FORM =
  '"auto" or a kernel symbol name (letters, digits, "_" and ".", starting with a letter or "_", at most 128 characters, e.g. __x64_sys_execve)';
export const TRACEPOINT_FORM =
  '"category/name", each part letters, digits and "_", at most 256 characters (e.g. syscalls/sys_enter_execve)';

/** The program type an attach target's shape implies: `category/name` is a tracepoint. */
export const programOfAttach = (raw: string): ProgramKind => (raw.includes('/') ? 'tracepoint' : 'kprobe');

export function checkAttach(raw: string, program: ProgramKind): Check {
  const target = shown(raw);
  if (program === 'kprobe') {
    if (raw === 'auto') return { ok: true, value: raw };
    if (raw.length > 128)
      return {
        ok: false,
        reason: `attach target ${target} is ${raw.length} characters long, over the limit of 128 for a kernel symbol; use ${KPROBE_FORM}`,
      };
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(raw)) return { ok: true, value: raw };
    return {
      ok: false,
      reason:
        `attach target ${target} is not a kernel symbol; for a kprobe use ${KPROBE_FORM}` +
        (raw.includes('/') ? '; for a tracepoint, use --program tracepoint' : ''),
    };
  }
  if (raw.length > 256)
    return {
      ok: false,
      reason: `attach target ${target} is ${raw.length} characters long, over the limit of 256 for a tracepoint; use ${TRACEPOINT_FORM}`,
    };
  if (/^[A-Za-z0-9_]+\/[A-Za-z0-9_]+$/.test(raw)) return { ok: true, value: raw };
  return { ok: false, reason: `attach target ${target} is not a tracepoint; use ${TRACEPOINT_FORM}` };
}

export const TOOLCHAIN_FORM =
  'a rustup toolchain name (letters, digits, "-", ".", "_", e.g. nightly or nightly-2026-05-19) or an existing ' +
  'directory holding cargo and rustc (e.g. /usr/bin)';

/** What the file system says about a toolchain directory (passed in: this module does no I/O). */
export interface DirectoryFacts {
  exists: boolean;
  isDirectory: boolean;
  hasCargo: boolean;
  hasRustc: boolean;
}

export const looksLikePath = (raw: string) =>
  raw.includes('/') || raw.includes('\\') || raw.startsWith('.') || raw.startsWith('~');

/**
 * A rustup toolchain name, or an absolute directory (already resolved against the working directory)
 * that holds cargo and rustc. Toolchain values go into a TOML string, so directories are held to a safe
 * set of characters.
 */
export function checkToolchain(raw: string, resolved: string, facts?: DirectoryFacts): Check {
  const value = shown(raw);
  if (!looksLikePath(raw)) {
    if (raw.length > 100)
      return {
        ok: false,
        reason: `toolchain ${value} is ${raw.length} characters long, over the limit of 100; use ${TOOLCHAIN_FORM}`,
      };
    if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(raw)) return { ok: true, value: raw };
    return { ok: false, reason: `toolchain ${value} is not valid; use ${TOOLCHAIN_FORM}` };
  }
  if (!facts?.exists || !facts.isDirectory) {
    return {
      ok: false,
      reason: `toolchain directory ${value} ${facts?.exists ? 'is not a directory' : 'does not exist'}; use ${TOOLCHAIN_FORM}`,
    };
  }
  if (!/^[A-Za-z0-9/._+-]+$/.test(resolved)) {
    return {
      ok: false,
      reason:
        `toolchain directory ${shown(resolved)} has characters other than letters, digits and "/._+-"; ` +
        `link it from a plain path (e.g. ln -s ${shown(resolved)} /opt/rust-bpf) and pass that`,
    };
  }
  const missing = [facts.hasCargo ? '' : 'cargo', facts.hasRustc ? '' : 'rustc'].filter(Boolean);
  if (missing.length)
    return { ok: false, reason: `toolchain directory ${value} has no ${missing.join(' or ')}; use ${TOOLCHAIN_FORM}` };
  return { ok: true, value: resolved };
}

/**
 * Gitignore-style patterns (as the generated .gitignore holds them) that hide `rootEntry`, a folder at
 * the workspace root. Supports what those files use: `#` comments, `/` anchors, trailing `/`, `*`, `**`.
 */
export function ignoringPattern(patterns: readonly string[], rootEntry: string): string | undefined {
  for (const line of patterns) {
    const pattern = line.trim();
    if (!pattern || pattern.startsWith('#') || pattern.startsWith('!')) continue;
    const body = pattern.replace(/\/$/, '');
    const anchored = body.startsWith('/');
    const parts = body.replace(/^\//, '').split('/');
    // A root folder matches a one-part pattern anywhere, or `**/part`, or an anchored `/part`.
    const last = parts.at(-1)!;
    const fits = parts.length === 1 || (parts.length === 2 && parts[0] === '**');
    if (!fits && !(anchored && parts.length === 1)) continue;
    const re = new RegExp(
      `^${last
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*')}$`,
    );
    if (re.test(rootEntry)) return pattern;
  }
  return undefined;
}
