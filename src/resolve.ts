// resolve(): the command line, the environment, a recorded config and the answers to prompts become a
// plan, and nothing else happens. What it must know about the file system (the target directory, a
// toolchain directory, the config file, the template's names) comes through `Host`; questions go
// through `Prompter`; so tests drive it in-process with fakes. execute.ts carries the plan out.
import path from 'node:path';
import { parseArgs, helpText } from './args.js';
import { adviceCommand, checkNpmSwallowed, launch, packageManagerArgs, usageLine } from './package-manager.js';
import { resolveUpdate, type UpdatePlan } from './update/resolve.js';
import { parseConfig, CONFIG_FILE, type RecordedConfig } from './config-file.js';
import { notEmptyError, usageError } from './errors.js';
import type { ReadError } from './read-file.js';
import { CONFIG_FLAG, SWITCH_DEFAULTS, type Context, type OptionKey, type Options, type Switches } from './options.js';
import { settleGiven, settleRest, type Source } from './settle.js';
import {
  NAME_FORM,
  checkCrateName,
  controlCharacter,
  crateNameFromDirectory,
  printable,
  shown,
  type DirectoryFacts,
  type NameRules,
} from './validate.js';

export const DEFAULT_DIR = 'aya-atomic-counter';

export type TargetState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'non-empty'; entries: string[] }
  /** Can never be a directory: a file, fifo, device, dangling link, link loop, or below a file. */
  | { kind: 'impossible'; reason: string };

export interface Host {
  /** A regular file's text, within a size limit; throws a ReadError (read-file.ts) otherwise. */
  readText(abs: string): string;
  /** What is at `abs`, not following a symbolic link there. */
  entry(abs: string): 'file' | 'directory' | 'symlink' | 'other' | 'missing';
  inspectTarget(abs: string): TargetState;
  directory(abs: string): DirectoryFacts;
  /** Facts about the template the crate name must respect (read on first use). */
  nameRules(): NameRules;
  /** Whether this machine's kernel can attach kprobes; undefined when it cannot tell. */
  kprobes(): boolean | undefined;
}

export interface Prompter {
  text(q: { message: string; initial?: string; validate: (value: string) => string | true }): Promise<string>;
  select<T extends string | boolean>(q: {
    message: string;
    choices: { title: string; value: T; description?: string }[];
    initial?: number;
  }): Promise<T>;
}

export interface ResolveInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  version: string;
}

export type { Source };

export interface GeneratePlan {
  kind: 'generate';
  dir: string;
  /** The directory as the user sees it: relative to the working directory when below it. */
  shownDir: string;
  options: Options;
  sources: Record<OptionKey, Source>;
  switches: Switches;
  target: TargetState;
  /** Whether writing into a non-empty target is allowed (--overwrite, or yes at the prompt). */
  overwrite: boolean;
  /** Lines worth telling the user (a derived name that dropped characters, a replayed config). */
  notes: string[];
}

export type { UpdatePlan };

export type Plan = { kind: 'help'; text: string } | { kind: 'version'; text: string } | GeneratePlan | UpdatePlan;

const isCI = (env: ResolveInput['env']) => Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';

/** Output settings known before the arguments are fully parsed, so even a usage error honours them. */
export function outputMode(
  rawArgv: readonly string[],
  env: ResolveInput['env'],
): { json: boolean; color: boolean | undefined } {
  const argv = packageManagerArgs(rawArgv, env);
  const end = argv.indexOf('--');
  const flags = end < 0 ? argv : argv.slice(0, end);
  const color = flags.includes('--no-color') ? false : flags.includes('--color') ? true : undefined;
  return { json: flags.includes('--json'), color };
}

export function shownDirectory(dir: string, cwd: string): string {
  const rel = path.relative(cwd, dir) || '.';
  return rel.startsWith('..') || path.isAbsolute(rel) ? dir : rel;
}

/** The directory argument: not empty, no control characters (they end up in names and in output). */
function checkDirectory(raw: string): string | undefined {
  if (raw.trim() === '') return 'the directory is empty; pass a path, or "." for the current directory';
  const control = controlCharacter(raw);
  if (control) return `the directory ${shown(raw)} contains ${control}; choose a path without control characters`;
  return undefined;
}

export async function resolve(input: ResolveInput, host: Host, prompter: Prompter): Promise<Plan> {
  const args = parseArgs(packageManagerArgs(input.argv, input.env));
  const switches: Switches = { ...SWITCH_DEFAULTS, ...args.switches };
  if (switches.help)
    return {
      kind: 'help',
      text: helpText(input.version, usageLine(input.env), (dir, options) => adviceCommand(input.env, dir, options)),
    };
  if (switches.version) return { kind: 'version', text: input.version };
  const interactive = !switches.yes && !switches.json && input.stdinIsTTY && input.stdoutIsTTY && !isCI(input.env);
  // Without a directory, inside a generated workspace, only --update makes sense: npm turns a --update
  // given before `--` into its own --update-notifier, and nothing of it reaches us.
  const workspace = args.positionals.length <= 1 && !switches.update ? workspaceAround(input.cwd, host) : undefined;
  checkNpmSwallowed(input.env, args.positionals, args.switches, { interactive, insideWorkspace: Boolean(workspace) });
  if (args.positionals.length > 1) {
    throw usageError(
      `expected at most one directory, got ${args.positionals.length}: ${args.positionals.map((p) => shown(p)).join(' ')}\n` +
        `Usage: ${usageLine(input.env)} (see --help)`,
    );
  }
  const dirArg = args.positionals[0];
  if (dirArg !== undefined) {
    const problem = checkDirectory(dirArg);
    if (problem) throw usageError(problem);
  }
  const ctx: Omit<Context, 'settled'> = {
    get nameRules() {
      return host.nameRules();
    },
    resolvePath: (raw) => path.resolve(input.cwd, raw),
    directory: (abs) => host.directory(abs),
  };

  if (switches.update) return resolveUpdate(input, host, args.values, args.config, dirArg, switches, ctx);
  if (dirArg === undefined && workspace !== undefined) {
    throw usageError(
      `${shownDirectory(workspace, input.cwd)} is a workspace made by create-aya-atomic (it has ${CONFIG_FILE}) and no ` +
        'directory was given, so this run would write a new workspace inside it. Nothing was written.\n' +
        (launch(input.env).pm === 'npm'
          ? '(npm keeps an --update given before `--` for itself, as its --update-notifier: it never reached create-aya-atomic.)\n'
          : '') +
        `To bring it up to date: ${adviceCommand(input.env, undefined, ['--update'])}\n` +
        `To create a new workspace, give its directory: ${adviceCommand(input.env, '<dir>')}`,
    );
  }

  let recorded: RecordedConfig | undefined;
  if (args.config !== undefined)
    recorded = readConfig(host, path.resolve(input.cwd, args.config), args.config, input.version, input.env);
  const configName = printable(args.config ?? CONFIG_FILE);
  const given = settleGiven(
    args.values,
    recorded && { values: recorded.values, source: 'config', where: (key) => `${configName}: ${key}` },
    ctx,
  );
  const notes: string[] = [];
  if (recorded) {
    const from = recorded.values.name ? ` of ${shown(recorded.values.name)}` : '';
    notes.push(
      `replaying the choices${from} from ${args.config}${recorded.version ? ` (create-aya-atomic ${recorded.version})` : ''}; flags win`,
    );
  }

  // 1. Where to write, and whether we may: asked first, so no question is answered in vain.
  const inspect = (answer: string) => host.inspectTarget(path.resolve(input.cwd, answer));
  const impossible = (answer: string, state: TargetState) =>
    state.kind === 'impossible'
      ? `${shown(shownDirectory(path.resolve(input.cwd, answer), input.cwd))} ${state.reason}; choose another directory`
      : undefined;
  const answer = dirArg ?? (interactive ? await askDirectory(prompter, (v) => impossible(v, inspect(v))) : DEFAULT_DIR);
  const dir = path.resolve(input.cwd, answer);
  const target = host.inspectTarget(dir);
  const never = impossible(answer, target);
  if (never) throw usageError(never);
  let overwrite = switches.overwrite;
  if (target.kind === 'non-empty' && !overwrite) {
    const listed = `${target.entries
      .slice(0, 5)
      .map((e) => shown(e))
      .join(', ')}${target.entries.length > 5 ? `, … (${target.entries.length} entries)` : ''}`;
    if (interactive) {
      overwrite = await prompter.select<boolean>({
        message: `${shownDirectory(dir, input.cwd)} is not empty (${listed}). Write into it?`,
        choices: [
          { title: 'Cancel', value: false },
          {
            title:
              "Write into it: files at the template's paths are moved to a backup folder first; others stay untouched",
            value: true,
          },
        ],
        initial: 0,
      });
    }
    if (!overwrite) {
      throw notEmptyError(
        `${shownDirectory(dir, input.cwd)} is not empty (${listed}).\n` +
          "Use --overwrite to write into it: the files at the template's paths are backed up, then replaced; other files stay untouched.",
      );
    }
  }

  // 2. The crate name: --name, else the directory's base name, cleaned; asked when that is not valid.
  const sources = given.sources;
  let name = given.values.name;
  if (name === undefined) {
    const base = path.basename(dir);
    const derived = crateNameFromDirectory(base);
    const check = derived.name ? checkCrateName(derived.name, host.nameRules()) : undefined;
    const why = !derived.name
      ? `the directory name ${shown(base)} has no ASCII letter to start a crate name with`
      : check && !check.ok
        ? check.reason
        : undefined;
    if (!why) {
      name = derived.name;
      sources.name = 'directory';
      if (derived.dropped.length || derived.name !== base) {
        notes.push(
          `crate name ${shown(derived.name)}, from the directory ${shown(base)}` +
            (derived.dropped.length
              ? ` (dropped ${derived.dropped.map((d) => shown(d)).join(', ')}: not allowed in crate names)`
              : '') +
            '; --name sets another',
        );
      }
    } else if (interactive) {
      name = await prompter.text({
        message: `Rust package name (${why.split(';')[0]}):`,
        initial: derived.name || 'my-probe',
        validate: (v) => {
          const r = checkCrateName(v.trim(), host.nameRules());
          return r.ok ? true : r.reason;
        },
      });
      name = name.trim();
      sources.name = 'prompt';
    } else {
      throw usageError(
        `cannot derive a crate name from the directory: ${why}\nPass one with --name <crate> (${NAME_FORM}).`,
      );
    }
  }

  // 3. The choices, each from a flag, the recorded config, what another implies, a question or its default.
  given.values.name = name;
  const settled = await settleRest(given, { interactive, prompter, machine: { kprobes: host.kprobes() } });
  notes.push(...settled.notes);
  const { options } = settled;
  return {
    kind: 'generate',
    dir,
    shownDir: shownDirectory(dir, input.cwd),
    options,
    sources: given.sources as Record<OptionKey, Source>,
    switches,
    target,
    overwrite,
    notes,
  };
}

/**
 * The nearest directory at or above `start` that holds an aya-atomic.toml, as cargo finds its manifest, but
 * never above the root of the git work tree the search starts in; else where the search stopped.
 */
export function configAbove(start: string, host: Host): { found: string } | { stoppedAt: string } {
  for (let d = start; ; d = path.dirname(d)) {
    if (host.entry(path.join(d, CONFIG_FILE)) !== 'missing') return { found: d };
    if (host.entry(path.join(d, '.git')) !== 'missing' || d === path.dirname(d)) return { stoppedAt: d };
  }
}

/** The directory holding an aya-atomic.toml: the current one or one above, up to the git work tree's root. */
function workspaceAround(cwd: string, host: Host): string | undefined {
  const around = configAbove(cwd, host);
  return 'found' in around ? around.found : undefined;
}

async function askDirectory(prompter: Prompter, impossible: (answer: string) => string | undefined): Promise<string> {
  const answer = await prompter.text({
    message: 'Project directory:',
    initial: DEFAULT_DIR,
    validate: (v) => {
      const value = v.trim() === '' ? DEFAULT_DIR : v;
      return checkDirectory(value) ?? impossible(value) ?? true;
    },
  });
  return answer.trim() === '' ? DEFAULT_DIR : answer;
}

function readConfig(host: Host, abs: string, given: string, version: string, env: ResolveInput['env']): RecordedConfig {
  let text: string;
  try {
    text = host.readText(abs);
  } catch (e) {
    const code = (e as ReadError).code;
    throw usageError(
      `cannot read ${CONFIG_FLAG} ${shown(given)}: ${code === 'ENOENT' ? 'no such file' : `it ${(e as ReadError).what ?? String(code)}`}`,
    );
  }
  return parseConfig(text, printable(given), version, adviceCommand(env, '<dir>', ['--config', given]));
}
