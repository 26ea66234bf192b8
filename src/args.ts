// The command line, parsed once, driven by the options model. Values are only collected here; they are
// validated in resolve.ts, once flags, the recorded config and defaults are merged.
import { EXIT_MEANINGS, usageError } from './errors.js';
import { mdCell } from './markdown.js';
import { CONFIG_FLAG, OPTIONS, SWITCHES, defaultText, type OptionKey, type Switches } from './options.js';
import { shown } from './validate.js';

export interface ParsedArgs {
  positionals: string[];
  values: Partial<Record<OptionKey, string>>;
  config?: string;
  /** Only the switches given on the command line. */
  switches: Partial<Switches>;
}

function allFlags(): string[] {
  return [
    ...OPTIONS.map((o) => o.flag),
    CONFIG_FLAG,
    ...SWITCHES.flatMap((s) => (s.negation ? [...s.flags, s.negation] : s.flags)),
  ];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

function unknownFlag(arg: string): Error {
  const flags = allFlags();
  const name = arg.split('=')[0];
  const near = name.length > 2 ? flags.find((f) => f.startsWith(name) || distance(f, name) <= 2) : undefined;
  return usageError(
    `unknown option ${shown(arg)}${near ? `; did you mean ${near}?` : ''}\nValid options: ${flags.join(', ')} (see --help)`,
  );
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], values: {}, switches: {} };
  const seen = new Map<string, string>(); // option key → how it was given, for "given twice"
  const once = (key: string, given: string) => {
    const before = seen.get(key);
    if (before !== undefined) throw usageError(`${given} repeats ${before}; give each option once`);
    seen.set(key, given);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      parsed.positionals.push(...argv.slice(i + 1)); // after `--`, everything is positional
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const option = OPTIONS.find((o) => o.flag === flag);
    if (option || flag === CONFIG_FLAG) {
      let value = inline;
      if (value === undefined) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && next.length > 1)) {
          throw usageError(`option ${flag} needs a value: ${flag} ${option?.arg ?? '<file>'}`);
        }
        value = next;
        i++;
      }
      once(option?.key ?? 'config', `${flag} ${shown(value)}`);
      if (option) parsed.values[option.key] = value;
      else parsed.config = value;
      continue;
    }
    const sw = SWITCHES.find((s) => s.flags.includes(flag) || s.negation === flag);
    if (!sw) throw unknownFlag(arg);
    if (inline !== undefined) throw usageError(`option ${flag} takes no value (got ${shown(arg)})`);
    once(sw.key, flag);
    parsed.switches[sw.key] = sw.negation !== flag;
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// --help, derived from the model; no line over 100 columns.

const WIDTH = 100;
const COLUMN = 26;

/** `text` wrapped at WIDTH, the first line after `head`, the others indented to `indent`. */
function wrap(head: string, text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = head.length >= indent ? head : head.padEnd(indent);
  if (head.length >= indent) {
    lines.push(head);
    line = ' '.repeat(indent);
  }
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(indent);
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * `usage`: how the package manager that ran us takes the options; `command`: a command in its form
 * (package-manager.ts usageLine and adviceCommand).
 */
export function helpText(
  version: string,
  usage: string,
  command: (dir: string | undefined, options: string[]) => string,
): string {
  const lines = [
    `create-aya-atomic ${version}: writes a Rust/Aya eBPF workspace whose program counts events`,
    'with a correct atomic counter, then checks that it builds and that the kernel accepts it.',
    '',
    'Usage: create-aya-atomic [dir] [options]',
    '       create-aya-atomic --update [dir] [options]',
    `       ${usage}`,
    '',
    'Arguments:',
    ...wrap(
      '  dir',
      'where to write ("." for the current directory); prompted on a terminal, else aya-atomic-counter',
      COLUMN,
    ),
    '',
    'Options:',
  ];
  for (const o of OPTIONS) {
    lines.push(...wrap(`  ${o.flag} ${o.arg}`, `${o.help} (default: ${defaultText(o)})`, COLUMN));
    for (const c of o.choices ?? []) lines.push(...wrap(`      ${c.value}`, c.hint, COLUMN));
  }
  lines.push(
    ...wrap(
      `  ${CONFIG_FLAG} <file>`,
      'replay the choices recorded in an aya-atomic.toml (flags take precedence; the name follows the directory)',
      COLUMN,
    ),
  );
  for (const s of SWITCHES) {
    const flags = s.negation ? `${s.flags.join(', ')} / ${s.negation}` : s.flags.join(', ');
    lines.push(...wrap(`  ${flags}`, s.help, COLUMN));
  }
  lines.push(
    '',
    ...wrap(
      'Exit codes:',
      Object.entries(EXIT_MEANINGS)
        .map(([code, m]) => `${code} ${m.short}`)
        .join(', '),
      12,
    ),
    '',
    'Examples:',
    `  ${command('my-probe', [])}`,
    `  ${command('probe', ['--ordering', 'seqcst', '--map', 'hash', '--yes', '--no-git'])}`,
    `  ${command('probe', ['--program', 'tracepoint', '--toolchain', '/usr/bin', '--yes'])}`,
    `  ${command(undefined, ['--update'])}        # in a generated workspace`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The README's table of options, derived from the same model (`npm run docs` writes it between the README's
// `options:start` and `options:end` markers; test/unit/readme-options.test.ts fails when it is stale).

export function optionsMarkdown(): string {
  const rows = [
    '| option | values | default | meaning |',
    '|---|---|---|---|',
    '| `[dir]` | a path; `.` for the current directory | prompted on a terminal, else `aya-atomic-counter` | where to write (with `--update`: the workspace, default `.`) |',
  ];
  for (const o of OPTIONS) {
    const values = o.choices ? o.choices.map((c) => `\`${c.value}\``).join(', ') : (o.values ?? o.arg);
    const fixed = o.defaultText === undefined;
    rows.push(
      `| \`${o.flag} ${o.arg}\` | ${mdCell(values)} | ${fixed ? `\`${defaultText(o)}\`` : mdCell(defaultText(o))} | ${mdCell(o.help)} |`,
    );
  }
  rows.push(
    '| `--config <file>` | a recorded `aya-atomic.toml` | | replay its choices (flags win; the name follows the directory) |',
  );
  for (const s of SWITCHES) {
    const flags = [...s.flags, ...(s.negation ? [s.negation] : [])].map((f) => `\`${f}\``).join(' / ');
    rows.push(
      `| ${flags} | | ${s.defaultText ?? (s.negation ? 'on' : '')} | ${mdCell(s.help.replace(/; default on$/, '').replace(/ \(default: on a terminal; /, ' ('))} |`,
    );
  }
  return rows.join('\n');
}
