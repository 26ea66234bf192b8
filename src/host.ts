// What resolve() needs to know about this machine's file system, read for real.
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Host, TargetState } from './resolve.js';
import { CONFIG_LIMIT, readRegularText } from './read-file.js';
import { TEMPLATES_DIR, templateTree } from './templates.js';
import { ignoringPattern, type DirectoryFacts, type NameRules } from './validate.js';

/** Entries that do not make a directory "non-empty" (docs/safety.md). */
export const IGNORABLE_ENTRIES = ['.git', '.hg', '.svn', '.idea', '.vscode', '.DS_Store', 'Thumbs.db'];

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** Why `p`, which exists but is not a directory (nor a link to one), can never be one. */
function notADirectory(p: string): string {
  const st = lstatSync(p);
  if (st.isSymbolicLink()) {
    try {
      statSync(p);
      return 'is a symbolic link to something that is not a directory';
    } catch (e) {
      return errno(e) === 'ELOOP' ? 'is a symbolic link loop' : 'is a symbolic link to nothing (a dangling link)';
    }
  }
  if (st.isFile()) return 'is a file';
  if (st.isFIFO()) return 'is a named pipe (fifo)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'is a device';
  if (st.isSocket()) return 'is a socket';
  return 'is not a directory';
}

export function inspectTarget(dir: string): TargetState {
  // throwIfNoEntry: a missing path is the usual case, and an exception costs more than the stat.
  let st;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    if (errno(e) === 'ELOOP') return { kind: 'impossible', reason: 'is a symbolic link loop' };
    if (errno(e) !== 'ENOTDIR') throw e;
  }
  if (st) {
    if (!st.isDirectory()) return { kind: 'impossible', reason: notADirectory(dir) };
    const entries = readdirSync(dir).filter((e) => !IGNORABLE_ENTRIES.includes(e));
    return entries.length ? { kind: 'non-empty', entries: entries.sort() } : { kind: 'empty' };
  }
  // Missing: fine, unless it is a dangling link itself, or something on the way is not a directory.
  if (isLink(dir)) return { kind: 'impossible', reason: notADirectory(dir) };
  for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
    let parent;
    try {
      parent = statSync(p, { throwIfNoEntry: false });
    } catch (e) {
      if (errno(e) === 'ENOTDIR') continue; // missing because what is above it is a file: look higher
      return { kind: 'impossible', reason: `lies below ${p}, which ${notADirectory(p)}` };
    }
    if (!parent) {
      if (isLink(p)) return { kind: 'impossible', reason: `lies below ${p}, which ${notADirectory(p)}` };
      continue; // missing too: look higher
    }
    if (!parent.isDirectory()) return { kind: 'impossible', reason: `lies below ${p}, which ${notADirectory(p)}` };
    break;
  }
  return { kind: 'missing' };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  } catch {
    return false;
  }
}

export function directoryFacts(abs: string): DirectoryFacts {
  let isDirectory = false;
  let exists = false;
  try {
    isDirectory = statSync(abs).isDirectory();
    exists = true;
  } catch {
    /* missing */
  }
  return {
    exists,
    isDirectory,
    hasCargo: isDirectory && existsSync(path.join(abs, 'cargo')),
    hasRustc: isDirectory && existsSync(path.join(abs, 'rustc')),
  };
}

/**
 * What a crate name must not collide with, from the template itself, so the rules stay right when the
 * template changes: the packages in its Cargo.lock (the whole dependency graph), its root entries, the
 * root paths its .gitignore hides, and `target`, cargo's.
 */
export function templateNameRules(root = TEMPLATES_DIR): NameRules {
  const tree = templateTree(root);
  // The lock is part of the template: without it no name could be checked against the dependencies.
  const lock = tree.get('workspace/Cargo.lock');
  if (lock === undefined) throw new Error(`the template has no workspace/Cargo.lock (${root})`);
  const dependencies = [...lock.matchAll(/^name = "([^"@]+)"$/gm)].map((m) => m[1]);
  const templatePaths = [
    ...new Set([...tree.keys()].filter((p) => p.startsWith('workspace/')).map((p) => p.split('/')[1])),
  ]
    .filter((e) => !e.includes('@'))
    .map((e) => (e === '_gitignore' ? '.gitignore' : e));
  const ignore = (tree.get('workspace/_gitignore') ?? '').split('\n');
  return {
    dependencies,
    templatePaths,
    ignoredPaths: (folder) => {
      if (folder === 'target') return 'cargo writes its build output';
      const pattern = ignoringPattern(ignore, folder);
      return pattern ? `the generated .gitignore hides it (${pattern})` : undefined;
    },
  };
}

/**
 * Whether this machine's kernel can attach kprobes (aya opens this file to attach one); undefined
 * when it cannot tell (not Linux, or no sysfs).
 */
export function kprobeSupport(): boolean | undefined {
  if (!existsSync('/sys/bus/event_source/devices')) return undefined;
  return existsSync('/sys/bus/event_source/devices/kprobe/type');
}

/** What is at `abs`, not following a symbolic link there. */
export function entry(abs: string): ReturnType<Host['entry']> {
  let st;
  try {
    st = lstatSync(abs, { throwIfNoEntry: false });
  } catch {
    return 'missing'; // below a file (ENOTDIR), or a name too long: nothing can be there
  }
  if (!st) return 'missing';
  return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
}

export function fileHost(): Host {
  let rules: NameRules | undefined;
  return {
    readText: (abs) => readRegularText(abs, CONFIG_LIMIT),
    entry,
    inspectTarget,
    directory: directoryFacts,
    nameRules: () => (rules ??= templateNameRules()),
    kprobes: kprobeSupport,
  };
}
