// `create-aya-atomic [dir] [options]`, step by step. Effects live in the modules each step calls;
// the pure part (options → files) is plan.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, helpText, type ParsedArgs } from './args.js';
import { parseConfig } from './config-file.js';
import { CliError, EXIT, usageError, notEmptyError } from './errors.js';
import { counterOutcome, countsExecve, type MapKind, type ProgramKind } from './facts.js';
import { VALUE_OPTIONS, defaultValue, type OptionKey, type Options } from './options.js';
import { planWorkspace, templatesNeeded, type PlannedFile } from './plan.js';
import type * as Prompts from './prompts.js';
import { loadTemplates } from './templates.js';
import { c, configureColor, createUi, type Ui } from './ui.js';
import { checkAttach, checkCrateName, crateNameFromDirectory } from './validate.js';
import type { WriteResult } from './write.js';
import type { GitOutcome } from './git.js';
import type { VerifyOutcome } from './verify.js';

// prompts loads only when a question is asked: --help, --yes, --json and CI runs never pay for it.
const lazyPrompts = () => import('./prompts.js');
const askDirectory: typeof Prompts.askDirectory = async (...a) => (await lazyPrompts()).askDirectory(...a);
const askName: typeof Prompts.askName = async (...a) => (await lazyPrompts()).askName(...a);
const askOverwrite: typeof Prompts.askOverwrite = async (...a) => (await lazyPrompts()).askOverwrite(...a);
const askChoice: typeof Prompts.askChoice = async (...a) => (await lazyPrompts()).askChoice(...a);

export const JSON_SCHEMA_VERSION = 1;
export const DEFAULT_DIR = 'aya-atomic-counter';

export interface RunEnvironment {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  version: string;
}

interface Report {
  schemaVersion: number;
  ok: boolean;
  exitCode: number;
  dryRun?: boolean;
  directory?: string;
  options?: Options;
  files?: { path: string; action: 'create' | 'replace' }[];
  backupDir?: string;
  git?: GitOutcome | { status: 'skipped' };
  verify?: VerifyOutcome | { status: 'skipped' };
  error?: { kind: string; message: string };
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const isCI = (env: NodeJS.ProcessEnv) => Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';

/** Quotes a path for a POSIX shell when it needs it. */
export function shellQuote(p: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

export async function main(re: RunEnvironment): Promise<number> {
  const wantsJson = re.argv.includes('--json');
  const ui = createUi(wantsJson);
  const report: Report = { schemaVersion: JSON_SCHEMA_VERSION, ok: false, exitCode: EXIT.unexpected };
  const finish = (exitCode: number) => {
    report.exitCode = exitCode;
    report.ok = exitCode === 0;
    if (wantsJson) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCode;
  };

  try {
    // 1. Arguments.
    let args: ParsedArgs;
    try {
      args = parseArgs(re.argv);
    } finally {
      configureColor(re.argv.includes('--no-color') ? false : re.argv.includes('--color') ? true : undefined, wantsJson ? process.stderr : process.stdout);
    }
    const sw = args.switches;
    if (sw.help) {
      ui.say(helpText(re.version));
      return finish(EXIT.ok);
    }
    if (sw.version) {
      ui.say(re.version);
      return finish(EXIT.ok);
    }
    const interactive = !sw.yes && !sw.json && re.stdinIsTTY && re.stdoutIsTTY && !isCI(re.env);

    // 2. Recorded options (--config): below flags, above defaults.
    const recorded = args.config ? readConfig(args.config, re.cwd) : {};

    // 3. Validate everything given before asking or writing anything.
    const values = validateGiven(args.values, recorded, args.config ?? '', re.cwd, interactive);

    // 4. Where to write.
    const dirArg = args.dir ?? (interactive ? await askDirectory(DEFAULT_DIR) : DEFAULT_DIR);
    const dir = path.resolve(re.cwd, dirArg);
    report.directory = dir;

    // 5. Is the target free? Non-empty needs --overwrite (or a yes at the prompt).
    const { findConflicts, inspectTarget, writeWorkspace } = await import('./write.js'); // lazy: --help skips fs-extra
    const state = inspectTarget(dir);
    if (state.kind === 'not-a-directory') {
      throw notEmptyError(
        existsSync(dir)
          ? `${dir} exists and is not a directory; choose another path`
          : `${dir} lies below a file, not a directory; choose another path`,
      );
    }

    // 6. The options, each from flags, --config, a prompt or its default.
    const options = await resolveOptions(values, dir, interactive);
    report.options = options;
    const templates = loadTemplates(templatesNeeded(options));
    const files = planWorkspace(options, re.version, templates);
    const conflicts = state.kind === 'non-empty' ? findConflicts(dir, files) : [];
    let overwrite = Boolean(sw.overwrite);
    if (state.kind === 'non-empty' && !overwrite) {
      if (interactive) overwrite = await askOverwrite(dirArg, conflicts);
      if (!overwrite) {
        throw notEmptyError(
          `${dir} is not empty (${state.entries.slice(0, 5).join(', ')}${state.entries.length > 5 ? ', …' : ''}).\n` +
            `Use --overwrite to write into it: ${conflicts.length ? `${conflicts.length} path(s) the template writes would be backed up and replaced` : 'no existing file would be replaced'}; other files stay untouched.`,
        );
      }
    }
    report.files = files.map((f) => ({ path: f.path, action: conflicts.some((cf) => f.path === cf || f.path.startsWith(`${cf}/`)) ? 'replace' : 'create' }));
    const relDir = path.relative(re.cwd, dir) || '.';
    const shownDir = relDir.startsWith('..') ? dir : relDir;

    // 7. Dry run: say what would happen, write nothing.
    if (sw.dryRun) {
      report.dryRun = true;
      describePlan(ui, shownDir, options, files, conflicts, true);
      return finish(EXIT.ok);
    }

    // 8. Write, undoing everything on failure or Ctrl-C.
    describePlan(ui, shownDir, options, files, conflicts, false);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    // SIGTERM and SIGHUP (a closed terminal, a CI runner's timeout) get the same clean-up as Ctrl-C.
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const signal of signals) process.on(signal, onSignal);
    try {
      const delay = Number(re.env.CREATE_AYA_ATOMIC_WRITE_DELAY_MS ?? 0) || undefined;
      const written: WriteResult = await writeWorkspace(dir, files, { overwrite, signal: controller.signal, delayMs: delay });
      report.backupDir = written.backupDir;
      ui.say(`${c.green('✓')} Wrote ${written.written.length} files to ${shownDir}`);
      if (written.backupDir) ui.say(`  The ${written.replaced.length} replaced original(s) are in ${written.backupDir}`);

      // 9. git.
      if (sw.git === false) report.git = { status: 'skipped' };
      else {
        const { gitInit } = await import('./git.js');
        report.git = await gitInit(dir, written.written);
        describeGit(ui, report.git);
      }
      if (controller.signal.aborted) throw new CliError('Cancelled; the workspace stays in place.', EXIT.cancelled, 'cancelled');

      // 10. Verify.
      let exitCode: number = EXIT.ok;
      if (sw.verify === false) report.verify = { status: 'skipped' };
      else {
        const { verify } = await import('./verify.js');
        const outcome = await verify({
          dir, name: options.name, offline: Boolean(sw.offline), ui, signal: controller.signal,
          isRoot: process.getuid?.() === 0, toolchain: options.toolchain,
        });
        report.verify = outcome;
        exitCode = outcome.exitCode;
      }
      if (exitCode === EXIT.cancelled) ui.say('Cancelled; the workspace stays in place.');
      else nextSteps(ui, shownDir, options, report.verify);
      return finish(exitCode);
    } finally {
      for (const signal of signals) process.off(signal, onSignal);
    }
  } catch (error) {
    if (error instanceof CliError) {
      report.error = { kind: error.kind, message: error.message };
      if (error.exitCode === EXIT.cancelled) ui.say(error.message);
      else ui.error(error.message);
      return finish(error.exitCode);
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    report.error = { kind: 'unexpected', message };
    ui.error(`Unexpected error: ${message}`);
    return finish(EXIT.unexpected);
  }
}

function readConfig(file: string, cwd: string): Partial<Record<OptionKey, string>> {
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    throw usageError(`cannot read --config ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseConfig(text, file).values;
}

/** Flags win over the recorded config; each value is checked, and an error says where the value came from. */
function validateGiven(
  flags: Partial<Record<OptionKey, string>>,
  recorded: Partial<Record<OptionKey, string>>,
  configFile: string,
  cwd: string,
  interactive: boolean,
): Partial<Record<OptionKey, string>> {
  const out: Partial<Record<OptionKey, string>> = {};
  for (const option of VALUE_OPTIONS) {
    const fromFlag = flags[option.key] !== undefined;
    const raw = fromFlag ? flags[option.key] : recorded[option.key];
    if (raw === undefined) continue;
    // On a terminal the program may still be asked: --attach is checked once it is known.
    if (option.key === 'attach' && out.program === undefined && interactive) {
      out.attach = raw;
      continue;
    }
    // A recorded attach target belongs to the recorded program: a --program flag that changes the
    // program takes that program's default target instead (unless --attach is given too).
    if (option.key === 'attach' && !fromFlag && flags.program !== undefined) {
      const programOption = VALUE_OPTIONS.find((o) => o.key === 'program')!;
      const recordedProgram = recorded.program === undefined ? undefined : programOption.check(recorded.program, { program: 'kprobe', cwd });
      const sameProgram = recordedProgram?.ok === true && recordedProgram.value === out.program;
      if (!sameProgram) continue;
    }
    const program = (out.program ?? 'kprobe') as ProgramKind;
    const result = option.check(raw, { program, cwd });
    if (!result.ok) {
      throw usageError(fromFlag ? `${option.flag}: ${result.reason}` : `${configFile}: ${option.key}: ${result.reason}`);
    }
    out[option.key] = result.value;
  }
  return out;
}

async function resolveOptions(values: Partial<Record<OptionKey, string>>, dir: string, interactive: boolean): Promise<Options> {
  let name = values.name;
  if (name === undefined) {
    const derived = crateNameFromDirectory(dir);
    const check = checkCrateName(derived);
    if (check.ok) name = derived;
    else if (interactive) name = await askName(derived || 'my-probe');
    else {
      throw usageError(
        `cannot derive a crate name from the directory ${JSON.stringify(path.basename(dir))}: ${check.reason}\n` +
          'Pass one with --name <crate>.',
      );
    }
  }
  const pick = async (key: 'map' | 'ordering' | 'program', map?: MapKind) =>
    values[key] ?? (interactive ? await askChoice(key, { map }) : defaultValue(key, 'kprobe'));
  const map = (await pick('map')) as MapKind;
  const ordering = (await pick('ordering', map)) as Options['ordering'];
  const program = (await pick('program')) as ProgramKind;
  // --attach was checked against the program known then; a program chosen at the prompt may differ.
  if (values.attach !== undefined) {
    const attach = checkAttach(values.attach, program);
    if (!attach.ok) throw usageError(`--attach: ${attach.reason}`);
  }
  return {
    name,
    map,
    ordering,
    program,
    attach: values.attach ?? defaultValue('attach', program),
    toolchain: values.toolchain ?? defaultValue('toolchain', program),
  };
}

function describePlan(ui: Ui, shownDir: string, o: Options, files: PlannedFile[], conflicts: string[], dryRun: boolean) {
  const outcome = counterOutcome(o.map, o.ordering);
  ui.say(`${dryRun ? c.yellow('Dry run: nothing is written.') + ' Would create' : 'Creating'} ${c.bold(o.name)} in ${c.cyan(shownDir)}`);
  ui.say(`  map ${o.map}, ordering ${o.ordering}${outcome.orderingApplies ? '' : ' (not applicable: per-CPU maps use a plain add)'}, ${o.program} on ${o.attach}, eBPF toolchain ${o.toolchain}`);
  ui.say(`  the add compiles to ${outcome.effect}`);
  if (dryRun) {
    for (const f of files) {
      const replaced = conflicts.some((cf) => f.path === cf || f.path.startsWith(`${cf}/`));
      ui.say(`  ${replaced ? c.yellow('replace') : c.green('create ')} ${f.path}`);
    }
  }
  if (conflicts.length) {
    ui.say(`  ${dryRun ? 'Would back up' : 'Backing up'} and replace ${conflicts.length} existing path(s): ${conflicts.join(', ')}`);
  }
}

function describeGit(ui: Ui, git: GitOutcome) {
  switch (git.status) {
    case 'no-git': ui.say(c.dim('  git is not on PATH: no repository created')); break;
    case 'inside-repository': ui.say(c.dim('  already inside a git repository: no git init')); break;
    case 'initialized':
      ui.say(git.committed ? `${c.green('✓')} Initialized a git repository with an initial commit` : `${c.green('✓')} Initialized a git repository (no initial commit: ${git.reason})`);
      break;
    case 'failed': ui.warn(`git init failed: ${git.message}`); break;
  }
}

function nextSteps(ui: Ui, shownDir: string, o: Options, verify: Report['verify']) {
  ui.say('');
  ui.say(c.bold('Next steps:'));
  if (shownDir !== '.') ui.say(`  cd ${shellQuote(shownDir)}`);
  if (verify && 'exitCode' in verify && verify.exitCode === 4) ui.say('  cargo xtask doctor           # after the fixes above');
  if (!verify || !('build' in verify) || verify.build.status !== 'ok') ui.say('  cargo xtask build');
  ui.say('  cargo xtask run              # attach and count (sudo -E)');
  ui.say(`  cargo xtask run -- --check   # the kernel's verifier judges the program`);
  if (countsExecve(o.program, o.attach)) ui.say('  cargo xtask run -- --selftest 1000  # prove it counts: 1000 runs of /bin/true');
}
