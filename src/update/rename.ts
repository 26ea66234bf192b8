// Renaming the crates in an update (docs/update.md, "Renaming the crates"): for a workspace whose recorded
// name this version refuses. Two merges in a row: first the rename, as the recorded version renders it
// (its rendering with the old name is the base, with the new name the other side), merged into each of the
// user's files; then the update itself, from the recorded version's rendering with the new name. The
// crate folders move; the user's own files in them move along, byte for byte.
import fs from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors.js';
import { inLineEndingsOf, mergeFile, sameContent } from '../merge.js';
import { WORKSPACE_FILE_LIMIT, readRegularFile } from '../read-file.js';
import { printable } from '../validate.js';
import type { Tree } from './base.js';
import { beside, type FileDecision, type Ours } from './decide.js';
import { directoriesOf, readOurs } from './workspace.js';

export interface Renamed {
  /** The user's copy of each path of the renamed workspace (only paths the rename touches). */
  ours: Map<string, { ours: Ours; from: string; changed: boolean }>;
  /** Decisions the rename settles by itself: a conflict of its own merge, a file of the user's moved along. */
  decided: FileDecision[];
  /** Old paths to remove (into the backup): everything below the old crate folders. */
  removes: string[];
  /** The old crate folders, removed once empty. */
  oldDirs: string[];
  /** The user's copy of a path of the renamed workspace: the rename's result, or what stands there. */
  oursAt(q: string, read: () => Ours): Ours;
}

/** The folders of a workspace's crates, by crate name. */
const crateDirs = (name: string) => [name, `${name}-ebpf`, `${name}-common`];

export async function prepareRename(
  dir: string,
  rename: { from: string; to: string },
  baseOld: Tree,
  baseNew: Tree,
  ctx: { tmp: string; signal: AbortSignal; from: string; to: string },
): Promise<Renamed> {
  const moves = new Map(crateDirs(rename.from).map((d, i) => [d, crateDirs(rename.to)[i]]));
  const mapPath = (p: string) => {
    const [head, ...rest] = p.split('/');
    const to = moves.get(head);
    return to === undefined ? p : [to, ...rest].join('/');
  };
  const refuse = (why: string) =>
    usageError(`Cannot rename the crates from ${rename.from} to ${rename.to}: ${why}. Nothing was changed.`);
  for (const to of moves.values())
    if (fs.lstatSync(path.join(dir, to), { throwIfNoEntry: false })) throw refuse(`${printable(to)} already exists`);
  const mapped = [...baseOld.keys()].map(mapPath).sort();
  if (mapped.join('\n') !== [...baseNew.keys()].sort().join('\n'))
    throw refuse(`create-aya-atomic ${ctx.from} does not render the same files under both names`);

  const result: Renamed = {
    ours: new Map(),
    decided: [],
    removes: [],
    oldDirs: [],
    oursAt: (q, read) => {
      const known = result.ours.get(q);
      if (known) return known.ours;
      // A new file in a renamed crate: there when the old folder was; a crate the user removed stays removed.
      const head = q.split('/')[0];
      const from = [...moves].find(([, to]) => to === head)?.[0];
      if (from === undefined) return read();
      return result.oldDirs.includes(from) ? { kind: 'missing' } : { kind: 'missing', removedDir: head };
    },
  };
  const generatedDirs = directoriesOf(baseOld.keys());
  const labels = {
    ours: 'yours',
    base: `create-aya-atomic ${ctx.from} as ${rename.from}`,
    theirs: `create-aya-atomic ${ctx.from} as ${rename.to}`,
  };
  // Every generated file: the rename merged into the user's copy, at its new path.
  for (const [p, old] of baseOld) {
    const q = mapPath(p);
    const renamed = baseNew.get(q)!;
    if (p === q && old.equals(renamed)) continue; // the name is nowhere in it
    const ours = readOurs(dir, p, generatedDirs, ctx.to);
    if (ours.kind === 'missing') {
      const removedDir = ours.removedDir === undefined ? undefined : mapPath(ours.removedDir);
      result.ours.set(q, { ours: { kind: 'missing', removedDir }, from: p, changed: false });
      continue;
    }
    if (ours.kind === 'blocked' || ours.kind === 'large')
      throw refuse(
        `${printable(p)} is ${ours.kind === 'large' ? 'too large to read' : ours.reason.replace(/: kept.*$/, '')}`,
      );
    if (sameContent(ours.bytes, old)) {
      result.ours.set(q, {
        ours: { kind: 'file', bytes: inLineEndingsOf(ours.bytes, renamed), mode: ours.mode },
        from: p,
        changed: true,
      });
      continue;
    }
    const merged = await mergeFile(old, ours.bytes, renamed, labels, ctx);
    if (merged.kind === 'clean') {
      result.ours.set(q, { ours: { kind: 'file', bytes: merged.bytes, mode: ours.mode }, from: p, changed: true });
      continue;
    }
    // The rename itself conflicts (an edit in a line that names the crate): that file stops here, with the
    // rename's markers, and this version's copy beside it.
    const theirs = ctx.to;
    const copy = beside(q, renamed, theirs, 'renaming it conflicts with your edits');
    result.decided.push(
      merged.kind === 'conflict'
        ? {
            path: q,
            action: 'conflict',
            contents: merged.bytes,
            mode: ours.mode,
            reason: `renaming: ${merged.conflicts} conflict(s) in lines that name the crate; this version's changes to it are not merged`,
          }
        : { ...copy, contents: ours.bytes, mode: ours.mode },
    );
    result.ours.set(q, { ours: { kind: 'blocked', reason: 'decided by the rename' }, from: p, changed: true });
  }
  // Everything else below the old crate folders is the user's: it moves as it is.
  for (const [from] of moves) {
    const abs = path.join(dir, from);
    const st = fs.lstatSync(abs, { throwIfNoEntry: false });
    if (!st) continue; // a crate the user removed stays removed
    if (!st.isDirectory()) throw refuse(`${printable(from)} is not a directory`);
    result.oldDirs.push(from);
    const walk = (rel: string) => {
      for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const p = `${rel}/${entry.name}`;
        if (entry.isDirectory()) {
          walk(p);
          continue;
        }
        if (!entry.isFile()) throw refuse(`${printable(p)} is not a regular file: move it yourself first`);
        result.removes.push(p);
        if (baseOld.has(p)) continue;
        const mode = fs.statSync(path.join(dir, p)).mode & 0o7777;
        result.decided.push({
          path: mapPath(p),
          action: 'rename',
          contents: readRegularFile(path.join(dir, p), WORKSPACE_FILE_LIMIT, { noFollow: true }),
          mode,
          reason: `moved from ${p}`,
        });
      }
    };
    walk(from);
  }
  return result;
}

/** Removes the old crate folders once the update emptied them (what is left in one is the user's, and stays). */
export function removeEmptyDirs(dir: string, roots: readonly string[]): void {
  const prune = (rel: string): boolean => {
    const abs = path.join(dir, rel);
    let empty = true;
    for (const entry of fs.readdirSync(abs, { withFileTypes: true }))
      if (!entry.isDirectory() || !prune(`${rel}/${entry.name}`)) empty = false;
    if (empty) fs.rmdirSync(abs);
    return empty;
  };
  for (const root of roots) {
    try {
      prune(root);
    } catch {
      /* something else wrote there meanwhile: leave it */
    }
  }
}
