// Generated workspaces shared by the real-build tests (workspaces, kernel-bench, kernel-matrix): each combination is
// generated once, into a directory kept while the generator (dist/ and templates/) is unchanged, and built in the
// one shared cargo target directory, so a second test (file, or run) that needs the same build finds it fresh:
// cargo then does nothing. Crate names are unique per combination: cargo keys path packages by name, so two
// workspaces with one name would take each other's artifacts in a shared target directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SpawnSyncReturns } from 'node:child_process';
import { DEBIAN_TOOLCHAIN, ROOT, SHARED_TARGET, cli, ebpfObject, sh, show } from './env.js';

import type { MapKind, Ordering, ProgramKind as Program } from '../../src/facts.js';
export type { MapKind, Ordering, Program };
export interface Combo {
  map: MapKind;
  ordering: Ordering;
  program: Program;
}

export interface Workspace extends Combo {
  /** The crate name: `w-<map>-<ordering>-<program>`. */
  name: string;
  /** The workspace root. */
  dir: string;
  /** The eBPF object the loader's build script built (`<target dir>/ebpf/…`), once built. */
  object: string;
  /** The loader's executable for a profile, once built. */
  loader(profile: 'debug' | 'release'): string;
}

/** Where the cached workspaces live (override with AYA_ATOMIC_TEST_WORKSPACES). */
export const CACHE_DIR =
  process.env.AYA_ATOMIC_TEST_WORKSPACES ?? path.join(os.tmpdir(), 'create-aya-atomic-test-workspaces');
export const CARGO_ENV = { CARGO_TARGET_DIR: SHARED_TARGET, CARGO_TERM_COLOR: 'never' };

let generatorHash: string | undefined;
/** A hash of what generates the workspaces: the built CLI and the templates. */
function generatorStamp(): string {
  if (generatorHash) return generatorHash;
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(`${path.relative(ROOT, full)}\0`).update(readFileSync(full));
    }
  };
  walk(path.join(ROOT, 'dist'));
  walk(path.join(ROOT, 'templates'));
  generatorHash = hash.digest('hex');
  return generatorHash;
}

/** The combination's workspace, generated with Debian's toolchain unless an unchanged one is cached. */
export function workspace(combo: Combo): Workspace {
  const name = `w-${combo.map}-${combo.ordering}-${combo.program}`;
  const dir = path.join(CACHE_DIR, name);
  const stampFile = path.join(CACHE_DIR, `${name}.stamp`);
  const stamp = `${generatorStamp()} ${combo.map} ${combo.ordering} ${combo.program} ${DEBIAN_TOOLCHAIN}`;
  const cached =
    existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(path.join(dir, 'Cargo.lock'));
  if (!cached) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(CACHE_DIR, { recursive: true });
    const gen = cli(
      [
        name,
        '--map',
        combo.map,
        '--ordering',
        combo.ordering,
        '--program',
        combo.program,
        '--toolchain',
        DEBIAN_TOOLCHAIN,
        '--yes',
        '--no-git',
        '--no-verify',
      ],
      CACHE_DIR,
    );
    if (gen.status !== 0) throw new Error(`generating ${name} failed:\n${show(gen)}`);
    writeFileSync(stampFile, stamp);
  }
  return {
    ...combo,
    name,
    dir,
    object: ebpfObject(name),
    loader: (profile) => path.join(SHARED_TARGET, profile, name),
  };
}

/**
 * Plain cargo in the workspace, `--locked`: `check` (the loader's build script builds the eBPF object),
 * `debug` or `release` (also the loader). Cargo makes a repeat cheap; throws with cargo's output on failure.
 */
export function build(ws: Workspace, how: 'check' | 'debug' | 'release'): SpawnSyncReturns<string> {
  const args = { check: ['check'], debug: ['build'], release: ['build', '--release'] }[how];
  const r = sh('cargo', [...args, '--locked'], ws.dir, CARGO_ENV);
  if (r.status !== 0) throw new Error(`cargo ${args.join(' ')} --locked in ${ws.dir} failed:\n${show(r)}`);
  if (!existsSync(ws.object)) throw new Error(`no eBPF object at ${ws.object} after cargo ${args.join(' ')}`);
  return r;
}

/** The object the loader embeds: `OUT_DIR/ebpf.o` of its build script for `profile` (the newest one). */
export function embeddedObject(ws: Workspace, profile: 'debug' | 'release'): string {
  const builds = path.join(SHARED_TARGET, profile, 'build');
  const candidates = readdirSync(builds)
    .filter((entry) => entry.startsWith(`${ws.name}-`))
    .map((entry) => path.join(builds, entry, 'out', 'ebpf.o'))
    .filter((file) => existsSync(file));
  if (!candidates.length) throw new Error(`no ${builds}/${ws.name}-*/out/ebpf.o`);
  return candidates.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}
