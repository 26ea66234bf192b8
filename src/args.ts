// Command-line parsing driven by the options table. Values are only collected here;
// they are validated later, once precedence (flags, --config, defaults) is applied.
import { usageError } from './errors.js';
import { SWITCHES, VALUE_OPTIONS, type OptionKey, type SwitchOption } from './options.js';

export type Switches = Partial<Record<SwitchOption['key'], boolean>>;

export interface ParsedArgs {
  dir?: string;
  values: Partial<Record<OptionKey, string>>;
  config?: string;
  switches: Switches;
}

const CONFIG_FLAG = '--config';

function allFlags(): string[] {
  return [
    ...VALUE_OPTIONS.map((o) => o.flag),
    CONFIG_FLAG,
    ...SWITCHES.flatMap((s) => (s.negation ? [...s.flags, s.negation] : s.flags)),
  ];
}

function unknownFlag(arg: string): Error {
  const flags = allFlags();
  const name = arg.split('=')[0];
  const near = flags.find((f) => f.startsWith(name) || name.startsWith(f) || distance(f, name) <= 2);
  return usageError(
    `unknown option ${JSON.stringify(arg)}` +
      (near ? `; did you mean ${near}?` : '') +
      `\nValid options: ${flags.join(', ')} (see --help)`,
  );
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

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { values: {}, switches: {} };
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const valueOption = VALUE_OPTIONS.find((o) => o.flag === flag);
    if (valueOption || flag === CONFIG_FLAG) {
      let value = inline;
      if (value === undefined) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && next.length > 1)) {
          const argName = valueOption?.arg ?? '<file>';
          throw usageError(`option ${flag} needs a value: ${flag} ${argName}`);
        }
        value = next;
        i++;
      }
      if (valueOption) parsed.values[valueOption.key] = value;
      else parsed.config = value;
      continue;
    }
    const sw = SWITCHES.find((s) => s.flags.includes(flag) || s.negation === flag);
    if (!sw) throw unknownFlag(arg);
    if (inline !== undefined) throw usageError(`option ${flag} takes no value (got ${JSON.stringify(arg)})`);
    parsed.switches[sw.key] = sw.negation !== flag;
  }
  if (positionals.length > 1) {
    throw usageError(
      `expected at most one directory, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}` +
        '\nUsage: create-aya-atomic [dir] [options] (see --help)',
    );
  }
  if (positionals.length === 1) {
    if (positionals[0].trim() === '') throw usageError('the directory is empty; pass a path, or "." for the current directory');
    if (positionals[0].includes('\0')) throw usageError('the directory contains a NUL character');
    parsed.dir = positionals[0];
  }
  return parsed;
}

export function helpText(version: string): string {
  const lines = [
    `create-aya-atomic ${version}: create a Rust/Aya eBPF workspace whose program counts calls with a correct atomic counter`,
    '',
    'Usage: create-aya-atomic [dir] [options]',
    '       npm create aya-atomic@latest [dir] -- [options]',
    '',
    'Arguments:',
    '  dir                      where to write ("." for the current directory; prompted, or aya-atomic-counter without prompts)',
    '',
    'Options:',
  ];
  const pad = (s: string) => (s.length >= 24 ? `${s}\n${' '.repeat(25)}` : s.padEnd(25));
  for (const o of VALUE_OPTIONS) {
    lines.push(`  ${pad(`${o.flag} ${o.arg}`)}${o.help} (default: ${o.defaultText})`);
    for (const c of o.choices ?? []) {
      lines.push(`      ${c.value.padEnd(19)}${c.hint}`);
    }
  }
  lines.push(`  ${pad(`${CONFIG_FLAG} <file>`)}replay the options recorded in an aya-atomic.toml (flags take precedence)`);
  for (const s of SWITCHES) {
    const flags = s.negation ? `${s.flags.join(', ')} / ${s.negation}` : s.flags.join(', ');
    lines.push(`  ${pad(flags)}${s.help}`);
  }
  lines.push(
    '',
    'Exit codes: 0 generated (and verified), 1 unexpected error, 2 usage error, 3 directory not empty,',
    '            4 generated but prerequisites missing, 5 generated but the build failed, 130 cancelled',
    '',
    'Examples:',
    '  npm create aya-atomic@latest my-probe',
    '  npx create-aya-atomic@latest probe --ordering seqcst --map hash --yes --no-git',
    '  npx create-aya-atomic@latest probe --program tracepoint --toolchain /usr/bin --yes',
  );
  return lines.join('\n');
}
