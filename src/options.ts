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

export interface OptionSpec<K extends OptionKey = OptionKey> {
  key: K;
  flag: `--${string}`;
  arg: string;
  help: string;
  /** The default, given the options settled before this one. */
  default(settled: Partial<Options>): Options[K];
  /** The default in words, for --help and the README (when it is not one fixed value). */
  defaultText?: string;
  /** The valid values in words, for the README (options without choices). */
  values?: string;
  choices?: readonly Choice<Options[K]>[];
  /** The question on a terminal, when the value came from no flag or config (options without one are never asked). */
  question?(settled: Partial<Options>): string;
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
  validate: (raw, ctx) => checkCrateName(raw, ctx.nameRules),
};

const map: OptionSpec<'map'> = {
  key: 'map',
  flag: '--map',
  arg: '<map>',
  help: 'map that holds the counter',
  default: () => 'array',
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
  // A `category/name` target means a tracepoint: the program follows the shape of --attach.
  default: (s) => (s.attach !== undefined ? programOfAttach(s.attach) : 'kprobe'),
  defaultText: 'kprobe, or tracepoint when --attach is category/name',
  choices: programChoices,
  question: () => 'Program type:',
  hint: (value) => programFacts[value].hint,
  validate: choiceCheck('program', programChoices),
};

const attach: OptionSpec<'attach'> = {
  key: 'attach',
  flag: '--attach',
  arg: '<target>',
  help: 'kprobe: kernel function or "auto" (execve\'s syscall symbol, resolved at run time); tracepoint: category/name',
  default: (s) => programFacts[s.program ?? 'kprobe'].defaultAttach,
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
 * (the ordering's question on the map; attach on the program). `program` comes after `attach` for its
 * default only; see resolve.ts.
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
}

export const SWITCHES: readonly SwitchSpec[] = [
  { key: 'yes', flags: ['-y', '--yes'], help: 'take defaults for everything not given; never prompt' },
  {
    key: 'overwrite',
    flags: ['--overwrite'],
    help: "write into a non-empty directory: replaces only the template's paths, backing up each original",
  },
  {
    key: 'git',
    flags: ['--git'],
    negation: '--no-git',
    help: 'git init (and an initial commit when a git identity is set); default on',
  },
  {
    key: 'verify',
    flags: ['--verify'],
    negation: '--no-verify',
    help: 'check prerequisites and build the workspace after writing; default on',
  },
  { key: 'offline', flags: ['--offline'], help: 'pass --offline to cargo during verify' },
  { key: 'dryRun', flags: ['--dry-run'], help: 'say what would be written (and any conflict); write nothing' },
  { key: 'json', flags: ['--json'], help: 'never prompt; one JSON object on stdout, human text on stderr' },
  {
    key: 'update',
    flags: ['--update'],
    help: 'bring the workspace in [dir] (default ".") to this version, keeping your edits',
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
