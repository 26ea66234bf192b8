// The plan of an --update, from the command line and the workspace's aya-atomic.toml; pure, like
// resolve(): the file system comes through Host. docs/update.md is the contract.
import path from 'node:path';
import { parse } from 'smol-toml';
import { CONFIG_FILE, parseConfig, type RecordedConfig } from '../config-file.js';
import { usageError } from '../errors.js';
import { adviceCommand } from '../package-manager.js';
import { OPTIONS, CONFIG_FLAG, type Context, type OptionKey, type Options, type Switches } from '../options.js';
import type { ReadError } from '../read-file.js';
import type { Host, Prompter, ResolveInput } from '../resolve.js';
import { configAbove, shownDirectory } from '../resolve.js';
import { settleGiven, settleRest } from '../settle.js';
import { checkCrateName, printable, shown, type NameRules } from '../validate.js';
import { compareVersions } from '../version.js';

export interface UpdatePlan {
  kind: 'update';
  dir: string;
  /** The directory as the user sees it, escaped for the terminal. */
  shownDir: string;
  /** What aya-atomic.toml recorded (a broken value replaced by its flag): what the base is rendered with. */
  recorded: { version: string; options: Options };
  /** The options to render with now: the recorded ones, changed by flags. */
  options: Options;
  switches: Switches;
  /** CREATE_AYA_ATOMIC_PACKAGES, absolute (relative to the current directory). */
  packages?: string;
  /** Lines worth telling the user first (the directory found above the current one, a replaced value). */
  notes: string[];
  /**
   * The crates renamed in the same step: a recorded name this version refuses (a dependency's name, say)
   * and the --name that replaces it. The base is rendered with the old name, this version with the new one.
   */
  rename?: { from: string; to: string };
}

/** An update asks nothing: what is not recorded or given takes its default. */
const NO_QUESTIONS: Prompter = {
  text: () => Promise.reject(new Error('--update asks no question')),
  select: () => Promise.reject(new Error('--update asks no question')),
};

/** Only the form of a crate name: what any version could have generated and rendered safely. */
const FORM_ONLY: NameRules = { dependencies: [], templatePaths: [], ignoredPaths: () => undefined };

type ParsedValues = Partial<Record<OptionKey, string>>;

/**
 * The directory to update and how it was found: [dir], else the nearest directory at or above the current one
 * holding aya-atomic.toml (configAbove). `searched`: where a search that found nothing stopped.
 */
function findWorkspace(
  input: ResolveInput,
  host: Host,
  dirArg: string | undefined,
): { dir: string; above: boolean; searched?: string } {
  const start = path.resolve(input.cwd, dirArg ?? '.');
  if (dirArg !== undefined) return { dir: start, above: false };
  const around = configAbove(start, host);
  return 'found' in around
    ? { dir: around.found, above: around.found !== start }
    : { dir: start, above: false, searched: around.stoppedAt };
}

function readRecorded(
  host: Host,
  file: string,
  shownFile: string,
  missing: string,
  version: string,
  advice: string,
): { text: string; recorded: RecordedConfig } {
  const kind = host.entry(file);
  if (kind === 'symlink')
    throw usageError(
      `${shownFile} is a symbolic link. The update records the new version in ${CONFIG_FILE}, so it must be the file itself: ` +
        'replace the link with a copy of what it points to (and commit that), then run again.',
    );
  let text: string;
  try {
    text = host.readText(file);
  } catch (e) {
    const code = (e as ReadError).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw usageError(`${missing}\nRun --update in (or point it at) the directory that holds it.`);
    throw usageError(`cannot read ${shownFile}: it ${(e as ReadError).what ?? String(code)}`);
  }
  return { text, recorded: parseConfig(text, shownFile, version, advice) };
}

/** Whether `dir` is the workspace aya-atomic.toml describes: its Cargo.toml has the recorded crate as a member. */
function recognisable(host: Host, dir: string, name: string): boolean {
  try {
    const manifest = parse(host.readText(path.join(dir, 'Cargo.toml'))) as { workspace?: { members?: unknown } };
    const members = manifest.workspace?.members;
    return Array.isArray(members) && members.includes(name);
  } catch {
    return false;
  }
}

export async function resolveUpdate(
  input: ResolveInput,
  host: Host,
  flags: ParsedValues,
  config: string | undefined,
  dirArg: string | undefined,
  switches: Switches,
  ctx: Omit<Context, 'settled'>,
): Promise<UpdatePlan> {
  if (config !== undefined)
    throw usageError(`--update reads the workspace's own ${CONFIG_FILE}; ${CONFIG_FLAG} does not apply`);
  const { dir, above, searched } = findWorkspace(input, host, dirArg);
  const shownDir = printable(shownDirectory(dir, input.cwd));
  const file = path.join(dir, CONFIG_FILE);
  const shownFile = printable(shownDirectory(file, input.cwd));
  const missing =
    searched === undefined
      ? `${shownDir} is not a workspace made by create-aya-atomic: it has no ${CONFIG_FILE}.`
      : `${shownDir} is not in a workspace made by create-aya-atomic: no ${CONFIG_FILE} there or above it` +
        (searched === path.dirname(searched)
          ? '.'
          : ` up to the root of its git work tree, ${printable(shownDirectory(searched, input.cwd))}.`);
  const { recorded } = readRecorded(
    host,
    file,
    shownFile,
    missing,
    input.version,
    adviceCommand(input.env, undefined, ['--update']),
  );
  const at = (key: OptionKey | 'create-aya-atomic') =>
    recorded.lines[key] ? `${shownFile}:${recorded.lines[key]}` : shownFile;
  if (!recorded.version)
    throw usageError(`${shownFile} does not say which create-aya-atomic version wrote it (key "create-aya-atomic")`);
  if (compareVersions(recorded.version, input.version) > 0)
    throw usageError(
      `${shownDir} was generated by create-aya-atomic ${recorded.version}, newer than this ${input.version}: update with ${adviceCommand(input.env, undefined, ['--update'])}`,
    );
  const notes: string[] = [];
  if (above) notes.push(`updating the workspace at ${shownDir}, found above the current directory`);

  // The recorded options, each checked as this version checks a value, in the model's order (attach after
  // program). A broken one is reported with its line; a flag for the same option replaces it.
  const missingKeys = OPTIONS.map((o) => o.key).filter(
    (k) => recorded.values[k] === undefined && (k === 'name' || flags[k] === undefined),
  );
  if (missingKeys.length)
    throw usageError(
      `${shownFile} lacks ${missingKeys.join(', ')}` +
        (missingKeys.includes('name')
          ? ''
          : `\nPass ${missingKeys.map((k) => `--${k} <value>`).join(' ')} to supply them in this update.`),
    );
  const recordedCtx: Omit<Context, 'settled'> = { ...ctx, resolvePath: (raw) => path.resolve(dir, raw) };
  const base: Partial<Options> = {};
  let rename: UpdatePlan['rename'];
  for (const spec of OPTIONS) {
    const key = spec.key;
    const value = recorded.values[key];
    const check = value === undefined ? undefined : spec.validate(value, { ...recordedCtx, settled: base });
    if (check?.ok) {
      (base as Record<string, string>)[key] = check.value;
      continue;
    }
    const flag = flags[key];
    const problem = check ? `${key}: ${check.reason}` : `${key} is missing`;
    if (key === 'name') {
      // A name an earlier version generated, which this one refuses: the crates are renamed in the same step
      // (docs/update.md, "Renaming the crates"). A name that is not even well-formed was edited by hand.
      const wellFormed = value !== undefined && checkCrateName(value, FORM_ONLY).ok;
      if (!wellFormed || flag === undefined)
        throw usageError(
          `${at(key)}: ${problem}\n` +
            (wellFormed
              ? `This version cannot generate that name. Rename the crates in the same update (your edits move with them): ${adviceCommand(input.env, undefined, ['--update', '--name', '<new-name>'])}`
              : 'Set it back to the name the workspace was generated with (the name of its crate folders).'),
        );
      const to = spec.validate(flag, { ...ctx, settled: base });
      if (!to.ok) throw usageError(`--name: ${to.reason}`);
      base.name = value;
      rename = { from: value, to: to.value };
      notes.push(`${at(key)}: ${problem}; renaming the crates to ${shown(to.value)} in this update`);
      continue;
    }
    if (flag === undefined) {
      throw usageError(
        `${at(key)}: ${problem}\n` +
          `Pass ${spec.flag} <value> to replace it in this update (the new ${CONFIG_FILE} records it).`,
      );
    }
    const replaced = spec.validate(flag, { ...ctx, settled: base });
    if (!replaced.ok) throw usageError(`${spec.flag}: ${replaced.reason}`);
    (base as Record<string, string>)[key] = replaced.value;
    notes.push(`${at(key)}: ${problem}; ${spec.flag} ${shown(flag)} replaces it`);
  }
  const recordedOptions = base as Options;
  if (!rename && flags.name !== undefined && flags.name !== recordedOptions.name) {
    throw usageError(
      `--update keeps the crate name ${shown(recordedOptions.name)}: renaming the crates is not an update`,
    );
  }
  if (!recognisable(host, dir, recordedOptions.name)) {
    throw usageError(
      `${shownDir} is not the workspace ${shownFile} describes: its Cargo.toml has no workspace member ${shown(recordedOptions.name)}.\n` +
        (above
          ? `Run --update inside the generated workspace, or name it: --update <dir>. Nothing was changed.`
          : 'Run --update in the generated workspace. Nothing was changed.'),
    );
  }

  // Options may change in the same step, by the model's rules (settle.ts): a new program without --attach
  // takes its default target, and an --attach without --program brings the program its shape implies.
  // The name is settled above (kept, or renamed).
  const changed = settleGiven(
    { ...flags, name: undefined },
    { values: { ...recordedOptions, name: undefined }, source: 'workspace', where: at },
    ctx,
  );
  changed.values.name = rename?.to ?? recordedOptions.name;
  const { options } = await settleRest(changed, {
    interactive: false,
    prompter: NO_QUESTIONS,
    machine: { kprobes: undefined },
  });
  const packages = input.env.CREATE_AYA_ATOMIC_PACKAGES;
  return {
    kind: 'update',
    dir,
    shownDir,
    recorded: { version: recorded.version, options: recordedOptions },
    options,
    switches,
    packages: packages ? path.resolve(input.cwd, packages) : undefined,
    notes,
    ...(rename ? { rename } : {}),
  };
}
