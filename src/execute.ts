// execute(): carries out a generation plan: describe, write (all or nothing), git, verify, next steps.
// Everything here has effects; what to do was decided by resolve().
import { EXIT, cancelled, type ExitCode } from './errors.js';
import { counterOutcome, countsExecve } from './facts.js';
import { shellQuote } from './package-manager.js';
import { planWorkspace, templatesNeeded } from './plan.js';
import type { GeneratePlan } from './resolve.js';
import { loadTemplates } from './templates.js';
import { c, type Ui } from './ui.js';
import { shown } from './validate.js';
import { findConflicts, writeFiles } from './write.js';
import type { GitOutcome } from './git.js';
import type { ExecuteIo, Report } from './report.js';

export async function execute(plan: GeneratePlan, io: ExecuteIo): Promise<ExitCode> {
  const { ui, report } = io;
  const { options, switches } = plan;
  report.directory = plan.dir;
  report.options = options;
  const files = planWorkspace(options, io.version, loadTemplates(templatesNeeded(options)));
  const conflicts = plan.target.kind === 'non-empty' ? findConflicts(plan.dir, files) : [];
  const actions = files.map((f) => ({
    path: f.path,
    action: conflicts.some((cf) => f.path === cf || f.path.startsWith(`${cf}/`)) ? 'replace' : 'create',
  }));
  describe(ui, plan, conflicts);

  if (switches.dryRun) {
    report.dryRun = true;
    report.files = actions;
    for (const a of actions) ui.say(`  ${a.action === 'replace' ? c.yellow('replace') : c.green('create ')} ${a.path}`);
    return EXIT.ok;
  }

  const written = await writeFiles(plan.dir, files, { replace: plan.overwrite, signal: io.signal });
  report.files = actions;
  report.backupDir = written.backupDir;
  ui.say(`${c.green('✓')} Wrote ${written.written.length} files to ${plan.shownDir}`);
  if (written.backupDir) ui.say(`  The ${written.replaced.length} replaced original(s) are in ${written.backupDir}`);

  if (!switches.git) report.git = { status: 'skipped' };
  else {
    const { gitInit } = await import('./git.js');
    report.git = await gitInit(plan.dir, written.written);
    describeGit(ui, report.git);
  }
  if (io.signal.aborted) throw cancelled('Cancelled; the workspace stays in place.');

  let exitCode: ExitCode = EXIT.ok;
  if (!switches.verify) report.verify = { status: 'skipped' };
  else {
    const { verify } = await import('./verify.js');
    const outcome = await verify({
      dir: plan.dir,
      offline: switches.offline,
      ui,
      signal: io.signal,
      isRoot: io.isRoot,
      toolchain: options.toolchain,
    });
    report.verify = outcome;
    exitCode = outcome.exitCode;
  }
  if (exitCode !== EXIT.cancelled) nextSteps(ui, plan, report.verify);
  return exitCode;
}

function describe(ui: Ui, plan: GeneratePlan, conflicts: string[]) {
  const o = plan.options;
  const outcome = counterOutcome(o.map, o.ordering);
  const dry = plan.switches.dryRun;
  ui.say(
    `${dry ? `${c.yellow('Dry run: nothing is written.')} Would create` : 'Creating'} ${c.bold(o.name)} in ${c.cyan(plan.shownDir)}`,
  );
  ui.say(
    `  map ${o.map}, ordering ${o.ordering}${outcome.orderingApplies ? '' : ' (not applicable: per-CPU maps use a plain add)'}, ${o.program} on ${o.attach.length > 80 ? shown(o.attach, 80) : o.attach}, eBPF toolchain ${o.toolchain}`,
  );
  ui.say(`  the add compiles to ${outcome.effect}`);
  for (const note of plan.notes) ui.say(`  ${c.dim(note)}`);
  if (conflicts.length) {
    ui.say(
      `  ${dry ? 'Would back up and replace' : 'Backing up and replacing'} ${conflicts.length} existing path(s): ${conflicts.join(', ')}`,
    );
  }
}

function describeGit(ui: Ui, git: GitOutcome) {
  switch (git.status) {
    case 'no-git':
      ui.say(c.dim('  git is not on PATH: no repository created'));
      break;
    case 'inside-repository':
      ui.say(c.dim('  already inside a git repository: no git init'));
      break;
    case 'initialized':
      ui.say(
        git.committed
          ? `${c.green('✓')} Initialized a git repository with an initial commit`
          : `${c.green('✓')} Initialized a git repository (no initial commit: ${git.reason})`,
      );
      break;
    case 'failed':
      ui.warn(`git init failed: ${git.message}`);
      break;
  }
}

function nextSteps(ui: Ui, plan: GeneratePlan, verify: Report['verify']) {
  const o = plan.options;
  ui.say('');
  ui.say(c.bold('Next steps:'));
  if (plan.shownDir !== '.') ui.say(`  cd ${shellQuote(plan.shownDir)}`);
  if (verify && 'exitCode' in verify && verify.exitCode === EXIT.prerequisitesMissing)
    ui.say('  cargo xtask doctor                    # after the fixes above');
  ui.say("  cargo xtask run -- --check            # build; the kernel's verifier judges the program (sudo -E)");
  ui.say('  cargo xtask run                       # attach and count every second; Ctrl-C stops');
  if (countsExecve(o.program, o.attach))
    ui.say('  cargo xtask run -- --selftest 1000    # prove it counts: 1000 runs of true');
  ui.say('  cargo xtask vm --kernel <vmlinuz>     # the same on another kernel, in QEMU');
}
