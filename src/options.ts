// The one table of options: `--help`, argument parsing, the prompts' choices, validation and the
// recorded aya-atomic.toml are all derived from it.
import {
  MAPS, ORDERINGS, PROGRAMS, mapFacts, orderingFacts, programFacts,
  type MapKind, type Ordering, type ProgramKind,
} from './facts.js';
import { checkAttach, checkCrateName, checkToolchain, type Check } from './validate.js';

export interface Choice {
  value: string;
  hint: string;
  aliases?: string[];
}

export interface Options {
  name: string;
  map: MapKind;
  ordering: Ordering;
  program: ProgramKind;
  attach: string;
  toolchain: string;
}
export type OptionKey = keyof Options;

export interface CheckContext {
  program: ProgramKind;
  cwd: string;
}

export interface ValueOption {
  key: OptionKey;
  flag: `--${string}`;
  arg: string;
  help: string;
  /** Shown in --help. */
  defaultText: string;
  /** The question asked for it on a terminal (options without one are not asked). */
  question?: string;
  choices?: readonly Choice[];
  check(raw: string, ctx: CheckContext): Check;
}

function choiceCheck(what: string, choices: readonly Choice[]) {
  return (raw: string): Check => {
    const wanted = raw.trim().toLowerCase();
    const hit = choices.find((c) => c.value === wanted || c.aliases?.includes(wanted));
    if (hit) return { ok: true, value: hit.value };
    return { ok: false, reason: `${what} ${JSON.stringify(raw)} is not one of: ${choices.map((c) => c.value).join(', ')}` };
  };
}

const mapChoices: Choice[] = MAPS.map((m) => ({ value: m, hint: mapFacts[m].hint }));
const orderingChoices: Choice[] = ORDERINGS.map((o) => ({
  value: o,
  hint: orderingFacts[o].hint,
  aliases: o === 'acqrel' ? ['acq_rel', 'acq-rel'] : o === 'seqcst' ? ['seq_cst', 'seq-cst'] : undefined,
}));
const programChoices: Choice[] = PROGRAMS.map((p) => ({ value: p, hint: programFacts[p].hint }));

// Order matters: `attach` is checked against the program chosen before it.
export const VALUE_OPTIONS: readonly ValueOption[] = [
  {
    key: 'name', flag: '--name', arg: '<crate>',
    help: 'Rust package name: crates <name>, <name>-ebpf, <name>-common',
    defaultText: "the directory's base name",
    check: (raw) => checkCrateName(raw),
  },
  {
    key: 'map', flag: '--map', arg: '<map>', help: 'map that holds the counter', defaultText: 'array',
    question: 'Map that holds the counter:',
    choices: mapChoices, check: choiceCheck('map', mapChoices),
  },
  {
    key: 'ordering', flag: '--ordering', arg: '<ordering>',
    help: 'memory ordering of the atomic add (case-insensitive; acq_rel, seq_cst, SeqCst too)',
    defaultText: 'relaxed', question: 'Memory ordering of the atomic add:', choices: orderingChoices, check: choiceCheck('ordering', orderingChoices),
  },
  {
    key: 'program', flag: '--program', arg: '<type>', help: 'eBPF program type', defaultText: 'kprobe',
    question: 'Program type:',
    choices: programChoices, check: choiceCheck('program', programChoices),
  },
  {
    key: 'attach', flag: '--attach', arg: '<target>',
    help: 'kprobe: kernel function or "auto" (execve\'s syscall symbol, resolved at run time); tracepoint: category/name',
    defaultText: 'kprobe auto; tracepoint syscalls/sys_enter_execve',
    check: (raw, ctx) => checkAttach(raw, ctx.program),
  },
  {
    key: 'toolchain', flag: '--toolchain', arg: '<toolchain>',
    help: 'toolchain for the eBPF crate: a rustup name, or a directory with cargo and rustc of a Rust packaged with its library source (used with RUSTC_BOOTSTRAP=1)',
    defaultText: 'nightly',
    check: (raw, ctx) => checkToolchain(raw, ctx.cwd),
  },
];

export function defaultValue(key: OptionKey, program: ProgramKind): string {
  switch (key) {
    case 'map': return 'array';
    case 'ordering': return 'relaxed';
    case 'program': return 'kprobe';
    case 'attach': return programFacts[program].defaultAttach;
    case 'toolchain': return 'nightly';
    case 'name': throw new Error('the name has no fixed default; it comes from the directory');
  }
}

export interface SwitchOption {
  key: 'yes' | 'overwrite' | 'git' | 'verify' | 'offline' | 'dryRun' | 'json' | 'color' | 'help' | 'version';
  flags: string[];
  /** The flag that turns a default-on switch off. */
  negation?: string;
  defaultOn?: boolean;
  help: string;
}

export const SWITCHES: readonly SwitchOption[] = [
  { key: 'yes', flags: ['-y', '--yes'], help: 'take defaults for everything not given; never prompt' },
  { key: 'overwrite', flags: ['--overwrite'], help: 'write into a non-empty directory: replaces only the template\'s paths, backing up each original' },
  { key: 'git', flags: ['--git'], negation: '--no-git', defaultOn: true, help: 'git init (and an initial commit when a git identity is set)' },
  { key: 'verify', flags: ['--verify'], negation: '--no-verify', defaultOn: true, help: 'check prerequisites and build the workspace after writing' },
  { key: 'offline', flags: ['--offline'], help: 'pass --offline to cargo during verify' },
  { key: 'dryRun', flags: ['--dry-run'], help: 'say what would be written (and any conflict); write nothing' },
  { key: 'json', flags: ['--json'], help: 'never prompt; one JSON object on stdout, human text on stderr' },
  { key: 'color', flags: ['--color'], negation: '--no-color', help: 'colour (default: on a terminal; NO_COLOR and FORCE_COLOR are honoured)' },
  { key: 'help', flags: ['-h', '--help'], help: 'show this help' },
  { key: 'version', flags: ['-v', '--version'], help: 'show the version' },
];
