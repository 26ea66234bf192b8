// --update: brings a generated workspace to this version without losing an edit, as `copier update` does
// (docs/update.md is the contract). The base is what the recorded version generated for the recorded
// options (base.ts); each file is decided from base, the user's copy and this version's (decide.ts),
// merged by git merge-file or, for Cargo.lock, by package (cargo-lock.ts), and every change is written
// as one step (write.ts: staging, backups, rollback).
import fs from 'node:fs';
import { CliError, EXIT, cancelled, notEmptyError, type ExitCode } from '../errors.js';
import type { Options } from '../options.js';
import type { ExecuteIo } from '../report.js';
import { firstErrorLine, workTreeStatus } from '../git.js';
import { mergeFile } from '../merge.js';
import { run } from '../run.js';
import { c } from '../ui.js';
import { printable } from '../validate.js';
import { writeFiles, type FileToWrite } from '../write.js';
import { openRelease, renderThisVersion, temporaryFolder, type Tree } from './base.js';
import { mergeLocks } from './cargo-lock.js';
import { beside, CARGO_LOCK, decide, type FileDecision, type Ours, type UpdateAction } from './decide.js';
import { acquireLock, checkUnlocked } from './lock.js';
import { prepareRename, removeEmptyDirs, type Renamed } from './rename.js';
import type { UpdatePlan } from './resolve.js';
import { directoriesOf, readOurs } from './workspace.js';

export type { UpdatePlan };

export async function update(plan: UpdatePlan, io: ExecuteIo): Promise<ExitCode> {
  const { ui, report } = io;
  const from = plan.recorded.version;
  const to = io.version;
  const dry = plan.switches.dryRun;
  report.directory = plan.dir;
  report.options = plan.options;
  for (const note of plan.notes) ui.say(c.dim(note));

  // A dry run takes no lock and writes nothing, but refuses where the real run would: it predicts its code.
  const release = dry ? (checkUnlocked(plan.dir, plan.shownDir), undefined) : acquireLock(plan.dir, plan.shownDir);
  let tmp: string | undefined;
  try {
    tmp = temporaryFolder('create-aya-atomic-update-');
    if (!plan.switches.overwrite) {
      const status = await workTreeStatus(plan.dir, io.signal);
      if (status.kind === 'dirty') {
        const listed = status.paths.slice(0, 5).map(printable).join(', ');
        throw notEmptyError(
          `${plan.shownDir === '.' ? 'The workspace (the current directory)' : plan.shownDir} has uncommitted changes (${listed}${status.paths.length > 5 ? ', …' : ''}).\n` +
            'Commit or stash them first, so that `git diff` shows what the update changed; or pass --overwrite.' +
            (dry ? ' (The update itself would refuse the same way.)' : ''),
        );
      }
    }

    const progress = ui.progress(
      from === to ? `Rendering ${to} for the recorded options` : `Rendering what create-aya-atomic ${from} generated`,
    );
    // What the recorded version generates for some options: this version in-process, another one fetched once.
    let renderBase: (options: Options) => Promise<Tree> | Tree;
    let base: Tree;
    try {
      if (from === to) renderBase = (options) => renderThisVersion(options, from);
      else {
        const release = await openRelease(from, { packages: plan.packages, tmp, signal: io.signal, thisVersion: to });
        renderBase = (options) => release.render(options);
      }
      base = await renderBase(plan.recorded.options);
    } finally {
      progress.done('');
    }
    const theirs = renderThisVersion(plan.options, to);
    // Renaming the crates: the update then starts from the recorded version's rendering under the new name.
    let renamed: Renamed | undefined;
    if (plan.rename) {
      const baseNew = await renderBase({ ...plan.recorded.options, name: plan.rename.to });
      renamed = await prepareRename(plan.dir, plan.rename, base, baseNew, { tmp, signal: io.signal, from, to });
      base = baseNew;
    }
    const generatedDirs = directoriesOf(base.keys());
    const paths = [...new Set([...base.keys(), ...theirs.keys()])].sort();
    const decisions: FileDecision[] = [...(renamed?.decided ?? [])];
    for (const p of paths) {
      const read = () => readOurs(plan.dir, p, generatedDirs, to);
      const ours = renamed ? renamed.oursAt(p, read) : read();
      const moved = renamed?.ours.get(p);
      if (moved && ours.kind === 'blocked') continue; // settled by the rename itself
      let d = await decideAndMerge(p, base, ours, theirs, { from, to, tmp, signal: io.signal });
      // A file the rename moved or changed is written even where the update has nothing to add.
      if (moved?.changed && ours.kind === 'file' && (!d || (d.contents === undefined && d.action !== 'remove'))) {
        const why = moved.from !== p ? `moved from ${moved.from}` : `renamed the crates to ${plan.rename!.to}`;
        d = {
          path: p,
          action: 'rename',
          contents: ours.bytes,
          mode: ours.mode,
          reason: d?.reason ? `${why}; ${d.reason}` : why,
        };
      }
      if (d) decisions.push(d);
    }
    decisions.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (io.signal.aborted) throw cancelled('Cancelled; nothing was changed.');
    const conflicts = decisions.filter((d) => d.action === 'conflict');
    report.update = {
      from,
      to,
      files: decisions.map(({ path: p, action, reason }) => ({ path: p, action, ...(reason ? { reason } : {}) })),
    };

    // The same version again: only the options change (or nothing does).
    const fromTo =
      from === to ? `with create-aya-atomic ${to} (the version it records)` : `from create-aya-atomic ${from} to ${to}`;
    ui.say(
      `${dry ? `${c.yellow('Dry run: nothing is written.')} Would update` : 'Updating'} ${c.bold(plan.options.name)} in ${c.cyan(plan.shownDir)} ${fromTo}`,
    );
    const colour: Record<UpdateAction, (s: string) => string> = {
      update: c.green,
      create: c.green,
      merge: c.cyan,
      conflict: c.red,
      remove: c.yellow,
      keep: c.dim,
      rename: c.cyan,
    };
    for (const d of decisions)
      ui.say(
        `  ${colour[d.action](d.action.padEnd(8))} ${printable(d.path)}${d.reason ? c.dim(`  (${printable(d.reason)})`) : ''}`,
      );
    // `keep` writes nothing: an update of only those changes nothing.
    const changes = decisions.filter((d) => d.action !== 'keep').length;
    if (!decisions.length) ui.say('  nothing to change: the workspace already matches this version');
    else if (!changes) ui.say('  nothing to change: what is listed stays as it is');
    if (dry) {
      report.dryRun = true;
      return conflicts.length ? EXIT.conflicts : EXIT.ok;
    }

    const writes: FileToWrite[] = decisions.flatMap((d) => [
      ...(d.contents !== undefined ? [{ path: d.path, contents: d.contents, mode: d.mode }] : []),
      ...(d.beside ? [{ path: d.beside.path, contents: d.beside.contents }] : []),
    ]);
    const removes = [...decisions.filter((d) => d.action === 'remove').map((d) => d.path), ...(renamed?.removes ?? [])];
    if (writes.length || removes.length) {
      const written = await writeFiles(plan.dir, writes, { replace: true, remove: removes, signal: io.signal });
      report.files = decisions.filter((d) => d.action !== 'keep').map((d) => ({ path: d.path, action: d.action }));
      report.backupDir = written.backupDir;
      ui.say(
        `${c.green('✓')} Updated ${written.written.length} file(s), removed ${written.removed.length}` +
          (written.backupDir ? `; the previous copies are in ${printable(written.backupDir)}` : ''),
      );
    }
    if (renamed) removeEmptyDirs(plan.dir, renamed.oldDirs);
    // A merged lock is cargo's to settle; one replaced whole (not a lock this update reads) is this version's own.
    if (decisions.some((d) => d.path === CARGO_LOCK && d.action === 'merge'))
      await settleCargoLock(plan, io, conflicts);
    if (conflicts.length) {
      ui.say(
        `${c.red('!')} ${conflicts.length} file(s) have conflicts to resolve (marked <<<<<<< yours … >>>>>>> create-aya-atomic ${to}, or with this version's copy beside them):`,
      );
      for (const d of conflicts) ui.say(`    ${printable(d.path)}`);
      ui.say('  Resolve them (git diff shows the whole update), then check the workspace: cargo xtask verify');
      return EXIT.conflicts;
    }
    if (changes) ui.say(`  Review the update with ${c.cyan('git diff')}, then commit it.`);
    if (!plan.switches.verify || !changes) return EXIT.ok;
    const { verify } = await import('../verify.js');
    const outcome = await verify({
      dir: plan.dir,
      offline: plan.switches.offline,
      ui,
      signal: io.signal,
      isRoot: io.isRoot,
      toolchain: plan.options.toolchain,
    });
    report.verify = outcome;
    return outcome.exitCode;
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    release?.();
  }
}

/** Files cargo reads to resolve the workspace: with conflict markers in one, it cannot settle the lock. */
const CARGO_INPUT = /(^|\/)Cargo\.toml$|^\.cargo\/config(\.toml)?$/;

/**
 * Lets cargo settle the merged Cargo.lock against the new manifests: `cargo update --workspace` keeps every
 * version the lock holds that still fits and resolves only what is missing (offline first, from cargo's
 * cache). Without cargo, or when it fails, the merged lock stays and the user is told what to run; so too
 * while a manifest has conflict markers, which cargo cannot read (`conflicts`: this update's).
 */
async function settleCargoLock(plan: UpdatePlan, io: ExecuteIo, conflicts: readonly FileDecision[]): Promise<void> {
  const marked = conflicts.filter((d) => d.contents !== undefined && CARGO_INPUT.test(d.path)).map((d) => d.path);
  if (marked.length) {
    io.report.update!.lock = 'merged';
    io.ui.warn(
      `${CARGO_LOCK} holds your pins and this version's, but cargo cannot settle it while ${marked.map(printable).join(', ')} ${marked.length === 1 ? 'has' : 'have'} conflict markers.\n` +
        '  Once they are resolved, run `cargo update --workspace`: it keeps the versions the lock holds.',
    );
    return;
  }
  const progress = io.ui.progress('Settling Cargo.lock (cargo update --workspace)');
  const env = { CARGO_TERM_COLOR: 'never' };
  let r = await run('cargo', ['update', '--workspace', '--offline'], { cwd: plan.dir, signal: io.signal, env });
  if (r.code !== 0 && r.failedToStart === undefined && !plan.switches.offline && !io.signal.aborted)
    r = await run('cargo', ['update', '--workspace'], { cwd: plan.dir, signal: io.signal, env });
  if (io.signal.aborted) {
    progress.done('');
    throw new CliError(
      `Cancelled while cargo settled ${CARGO_LOCK}; the update is written (run cargo update --workspace).`,
      EXIT.cancelled,
      'cancelled',
    );
  }
  if (r.code === 0) {
    progress.done(
      `${c.green('✓')} ${CARGO_LOCK}: your pins kept, this version's taken (settled by cargo update --workspace)`,
    );
    io.report.update!.lock = 'settled';
    return;
  }
  progress.done('');
  io.report.update!.lock = 'merged';
  io.ui.warn(
    `${CARGO_LOCK} holds your pins and this version's, but cargo could not settle it (${r.failedToStart ? `cargo cannot be run: ${printable(r.failedToStart)}` : firstErrorLine(r.stderr)}).\n` +
      '  Run `cargo update --workspace` in the workspace before a --locked build; it keeps the versions the lock holds.',
  );
}

/** decide() for one path, with its merge run: git merge-file, or by package for Cargo.lock. */
async function decideAndMerge(
  p: string,
  base: Tree,
  ours: Ours,
  theirs: Tree,
  ctx: { from: string; to: string; tmp: string; signal: AbortSignal },
): Promise<FileDecision | undefined> {
  const { from, to } = ctx;
  const d = decide(p, base.get(p), ours, theirs.get(p), { from, to });
  if (!d?.pending) return d;
  const { pending } = d;
  if (pending.lock) {
    const merged = mergeLocks(
      base.get(p)?.toString('utf8'),
      pending.ours.toString('utf8'),
      pending.theirs.toString('utf8'),
    );
    return merged === undefined
      ? {
          path: p,
          action: 'update',
          contents: pending.theirs,
          mode: pending.mode,
          reason: `yours is not a lock file this update can merge: ${to}'s replaces it`,
        }
      : {
          path: p,
          action: 'merge',
          contents: Buffer.from(merged),
          mode: pending.mode,
          reason: `by package: your pins kept, ${to}'s taken; cargo settles it`,
        };
  }
  const outcome = await mergeFile(
    pending.base,
    pending.ours,
    pending.theirs,
    { ours: 'yours', base: `create-aya-atomic ${from}`, theirs: `create-aya-atomic ${to}` },
    ctx,
  );
  if (outcome.kind === 'unmergeable') return beside(p, pending.theirs, to, outcome.reason);
  if (outcome.kind === 'conflict')
    return {
      path: p,
      action: 'conflict',
      contents: outcome.bytes,
      mode: pending.mode,
      reason: `${outcome.conflicts} conflict(s)`,
    };
  return { path: p, action: 'merge', contents: outcome.bytes, mode: pending.mode };
}
