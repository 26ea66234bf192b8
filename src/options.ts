// The one typed model of the options. Each option carries its flag, help, choices, default (a function
// of the options settled before it), whether and how it is asked on a terminal, and its validation.
// `--help`, argument parsing, the prompts, the recorded aya-atomic.toml, the JSON report and the
// README's options table are all derived from it.
import {
  MAPS,
  ORDERINGS,
  PROGRAMS,
  mapFacts,
  orderingFacts,
  programFacts,
  type MapKind,
  type Ordering,
  type ProgramKind,
} from './facts.js';
import {
  checkAttach,
  checkCrateName,
  checkToolchain,
  programOfAttach,
  shown,
  type Check,
  type DirectoryFacts,
  type NameRules,
} from './validate.js';

export interface Options {
  name: string;
  map: MapKind;
  ordering: Ordering;
  program: ProgramKind;
  attach: string;
  toolchain: string;
}
export type OptionKey = keyof Options;

export interface Choice<T extends string = string> {
  value: T;
  hint: string;
  aliases?: readonly string[];
}

/** What validation may consult: the options settled so far and facts from the file system. */
export interface Context {
  settled: Partial<Options>;
  nameRules: NameRules;
  /** Absolute path for a toolchain directory value. */
  resolvePath(raw: string): string;
  directory(abs: string): DirectoryFacts;
}

/** What a question may lean on about this machine. */
export interface Machine {
  /** Whether the kernel can attach kprobes; undefined when it cannot tell. */
  kprobes: boolean | undefined;
}

export interface OptionSpec<K extends OptionKey = OptionKey> {
  key: K;
  flag: `--${string}`;
  arg: string;
  help: string;
  /** The default, given the options settled before this one. */
  default(settled: Partial<Options>): Options[K];
  /**
   * Not replayed from a recorded config (`--config`): the value follows the new run instead. The crate
   * name does; it is taken from the target directory (docs/command-line.md).
   */
  fromDirectory?: true;
  /**
   * Another option whose value implies this one's when this one is not given: a `category/name` attach
   * target means a tracepoint. A recorded value of this option yields to that option's flag too.
   */
  impliedBy?: { key: OptionKey; value(raw: string): Options[K] };
  /**
   * The option this one's value goes with: a recorded attach target belongs to the recorded program, so a
   * flag that changes the program drops it, and the new program's default applies.
   */
  belongsTo?: OptionKey;
  /**
   * What npm 11 makes of this flag given before `--` (docs/command-line.md, "Package managers"): by
   * default `npm_config_<key>` (the value after `=`, else "true" and the value passed on as an argument);
   * `expandsTo`: npm reads the flag as short flags of its own and sets these variables instead.
   */
  npm?: { expandsTo: Readonly<Record<string, string>> };
  /** The default in words, for --help and the README (when it is not one fixed value). */
  defaultText?: string;
  /** The valid values in words, for the README (options without choices). */
  values?: string;
  choices?: readonly Choice<Options[K]>[];
  /** The question on a terminal, when the value came from no flag or config (options without one are never asked). */
  question?(settled: Partial<Options>, machine: Machine): string;
  /** The choice selected when the question opens (the first one when absent). */
  initial?(settled: Partial<Options>, machine: Machine): Options[K];
  /** A line worth telling the user about the value settled, whatever its source. */
  note?(value: Options[K], machine: Machine): string | undefined;
  /** Each choice's one-line hint at the prompt, given what is settled (the ordering's depends on the map). */
  hint?(value: Options[K], settled: Partial<Options>): string;
  validate(raw: string, ctx: Context): Check<Options[K]>;
}

function choiceCheck<T extends string>(what: string, choices: readonly Choice<T>[]) {
  return (raw: string): Check<T> => {
    const wanted = raw.trim().toLowerCase();
    const hit = choices.find((c) => c.value === wanted || c.aliases?.includes(wanted));
    if (hit) return { ok: true, value: hit.value };
    return { ok: false, reason: `${what} ${shown(raw)} is not one of: ${choices.map((c) => c.value).join(', ')}` };
  };
}

const mapChoices: Choice<MapKind>[] = MAPS.map((m) => ({ value: m, hint: mapFacts[m].hint }));
const orderingChoices: Choice<Ordering>[] = ORDERINGS.map((o) => ({
  value: o,
  hint: orderingFacts[o].hint,
  aliases: o === 'acqrel' ? ['acq_rel', 'acq-rel'] : o === 'seqcst' ? ['seq_cst', 'seq-cst'] : undefined,
}));
const programChoices: Choice<ProgramKind>[] = PROGRAMS.map((p) => ({ value: p, hint: programFacts[p].hint }));

const name: OptionSpec<'name'> = {
  key: 'name',
  flag: '--name',
  arg: '<crate>',
  help: 'Rust package name: crates <name>, <name>-ebpf, <name>-common',
  defaultText: "the directory's base name",
  values: 'a Rust package name: lower case, letters, digits, `-`, `_`',
  default: () => {
    throw new Error('the name has no fixed default: it comes from the directory');
  },
  fromDirectory: true,
  validate: (raw, ctx) => checkCrateName(raw, ctx.nameRules),
};

const map: OptionSpec<'map'> = {
  key: 'map',
  flag: '--map',
  arg: '<map>',
  help: 'map that holds the counter',
  default: () => 'array',
  // npm reads `--map` as `-m -a -p`: --message (ignored), --all and --parseable.
  npm: { expandsTo: { npm_config_all: 'true', npm_config_parseable: 'true' } },
  choices: mapChoices,
  question: () => 'Map that holds the counter:',
  hint: (value) => mapFacts[value].hint,
  validate: choiceCheck('map', mapChoices),
};

const ordering: OptionSpec<'ordering'> = {
  key: 'ordering',
  flag: '--ordering',
  arg: '<ordering>',
  help: 'memory ordering of the atomic add (case-insensitive; acq_rel, seq_cst, SeqCst too)',
  default: () => 'relaxed',
  choices: orderingChoices,
  question: (s) =>
    s.map && mapFacts[s.map].perCpu
      ? `Memory ordering (a ${s.map} map uses a plain add, so the ordering does not apply; it is only recorded):`
      : 'Memory ordering of the atomic add:',
  // On a per-CPU map no choice changes the code: say so, instead of describing atomic instructions.
  hint: (value, s) =>
    s.map && mapFacts[s.map].perCpu
      ? `recorded only: a ${s.map} map compiles to a plain add whatever the ordering`
      : orderingFacts[value].hint,
  validate: choiceCheck('ordering', orderingChoices),
};

const program: OptionSpec<'program'> = {
  key: 'program',
  flag: '--program',
  arg: '<type>',
  help: 'eBPF program type',
  default: () => 'kprobe',
  // A `category/name` target means a tracepoint: the program follows the shape of --attach.
  impliedBy: { key: 'attach', value: programOfAttach },
  defaultText: 'kprobe, or tracepoint when --attach is category/name',
  choices: programChoices,
  // A kprobe cannot attach on a kernel without kprobe support: the question leans to a tracepoint there.
  question: (_, machine) =>
    machine.kprobes === false ? "Program type (this machine's kernel has no kprobe support):" : 'Program type:',
  initial: (_, machine) => (machine.kprobes === false ? 'tracepoint' : 'kprobe'),
  note: (value, machine) =>
    value === 'kprobe' && machine.kprobes === false
      ? "this machine's kernel has no kprobe support: the kprobe loads (--check) but cannot attach here; --program tracepoint counts here"
      : undefined,
  hint: (value) => programFacts[value].hint,
  validate: choiceCheck('program', programChoices),
};

const attach: OptionSpec<'attach'> = {
  key: 'attach',
  flag: '--attach',
  arg: '<target>',
  help: 'kprobe: kernel function or "auto" (execve\'s syscall symbol, resolved at run time); tracepoint: category/name',
  default: (s) => programFacts[s.program ?? 'kprobe'].defaultAttach,
  belongsTo: 'program',
  defaultText: `kprobe ${programFacts.kprobe.defaultAttach}; tracepoint ${programFacts.tracepoint.defaultAttach}`,
  values: 'kprobe: a kernel symbol or `auto`; tracepoint: `category/name`',
  validate: (raw, ctx) => checkAttach(raw, ctx.settled.program ?? programOfAttach(raw)),
};

const toolchain: OptionSpec<'toolchain'> = {
  key: 'toolchain',
  flag: '--toolchain',
  arg: '<toolchain>',
  help: 'toolchain for the eBPF crate: a rustup name, or a directory with cargo and rustc of a Rust packaged with its library source (used with RUSTC_BOOTSTRAP=1)',
  default: () => 'nightly',
  values: 'a rustup toolchain name, or a directory holding `cargo` and `rustc`',
  validate: (raw, ctx) => {
    const abs = ctx.resolvePath(raw);
    return checkToolchain(raw, abs, ctx.directory(abs));
  },
};

/**
 * In resolution order: a later option's default, question and validation may depend on earlier ones
 * (the ordering's question on the map; attach's default and validation on the program). An option
 * another implies (program, by attach) comes first all the same: settle.ts derives it once the
 * implying value is known.
 */
export const OPTIONS = [name, map, ordering, program, attach, toolchain] as const;

export const optionSpec = <K extends OptionKey>(key: K) =>
  OPTIONS.find((o) => o.key === key) as unknown as OptionSpec<K>;

/** The default as --help shows it. */
export const defaultText = (o: OptionSpec): string => o.defaultText ?? String(o.default({}));

// ---------------------------------------------------------------------------------------------
// Switches: flags without a value.

export interface Switches {
  yes: boolean;
  overwrite: boolean;
  git: boolean;
  verify: boolean;
  offline: boolean;
  dryRun: boolean;
  json: boolean;
  /** undefined: decide from the terminal and NO_COLOR / FORCE_COLOR. */
  color: boolean | undefined;
  update: boolean;
  help: boolean;
  version: boolean;
}

export interface SwitchSpec {
  key: keyof Switches;
  flags: readonly string[];
  /** The flag that turns it off (switches that are on by default). */
  negation?: string;
  help: string;
  /** For the README: `on` for switches with a negation, unless said otherwise. */
  defaultText?: string;
  /**
   * What npm 11 makes of this switch given before `--` (docs/command-line.md): the variable it sets, its
   * value for the flag (`on`) and for the negation (`off`). `setting`: npm has an option of that name that
   * people also set in an npmrc, so the variable alone proves nothing; it ends the run only when the switch
   * would change what happens. Switches npm answers itself (--help, --version) have none.
   */
  npm?: {
    variable: string;
    on?: string;
    off?: string;
    setting?: (given: Partial<Switches>, interactive: boolean) => boolean;
  };
}

export const SWITCHES: readonly SwitchSpec[] = [
  {
    key: 'yes',
    flags: ['-y', '--yes'],
    help: 'take defaults for everything not given; never prompt',
    // It matters when a question would be asked.
    npm: { variable: 'npm_config_yes', on: 'true', setting: (given, interactive) => interactive && !given.json },
  },
  {
    key: 'overwrite',
    flags: ['--overwrite'],
    help: "write into a non-empty directory: replaces only the template's paths, backing up each original",
    npm: { variable: 'npm_config_overwrite', on: 'true' },
  },
  {
    key: 'git',
    flags: ['--git'],
    negation: '--no-git',
    help: 'git init (and an initial commit when a git identity is set); default on',
    // npm's own `git` option is the path to git: --no-git makes it "false", --git makes it empty.
    npm: { variable: 'npm_config_git', on: '', off: 'false' },
  },
  {
    key: 'verify',
    flags: ['--verify'],
    negation: '--no-verify',
    help: 'check prerequisites and build the workspace after writing; default on',
    npm: { variable: 'npm_config_verify', on: 'true', off: '' },
  },
  {
    key: 'offline',
    flags: ['--offline'],
    help: 'pass --offline to cargo during verify',
    // It matters when verify would download crates.
    npm: { variable: 'npm_config_offline', on: 'true', setting: (given) => given.verify !== false && !given.dryRun },
  },
  {
    key: 'dryRun',
    flags: ['--dry-run'],
    help: 'say what would be written (and any conflict); write nothing',
    npm: { variable: 'npm_config_dry_run', on: 'true' },
  },
  {
    key: 'json',
    flags: ['--json'],
    help: 'never prompt; one JSON object on stdout, human text on stderr',
    npm: { variable: 'npm_config_json', on: 'true' },
  },
  {
    key: 'update',
    flags: ['--update'],
    help: 'bring the workspace in [dir] (default ".") to this version, keeping your edits',
    // npm expands --update to its --update-notifier (seen only when the user's npm config had turned it off).
    npm: { variable: 'npm_config_update_notifier', on: 'true' },
  },
  {
    key: 'color',
    flags: ['--color'],
    negation: '--no-color',
    help: 'colour (default: on a terminal; NO_COLOR and FORCE_COLOR are honoured)',
    defaultText: 'on a terminal',
  },
  { key: 'help', flags: ['-h', '--help'], help: 'show this help' },
  { key: 'version', flags: ['-v', '--version'], help: 'show the version' },
];

export const SWITCH_DEFAULTS: Switches = {
  yes: false,
  overwrite: false,
  git: true,
  verify: true,
  offline: false,
  dryRun: false,
  json: false,
  color: undefined,
  update: false,
  help: false,
  version: false,
};

export const CONFIG_FLAG = '--config';
