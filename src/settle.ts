// How each option gets its value, driven by the options model (options.ts) alone: never by an option's
// name. In this order: a flag; a recorded value (a replayed --config, or the workspace's aya-atomic.toml
// under --update); what another option implies (program, by attach); a question on a terminal; the
// default. Pure: what the model consults about the file system comes in through `Context`.
import { usageError } from './errors.js';
import { OPTIONS, type Context, type Machine, type OptionKey, type OptionSpec, type Options } from './options.js';
import type { Prompter } from './resolve.js';

/** Where a value came from; an option another implies names that option (`program: 'attach'`). */
export type Source = 'flag' | 'config' | 'workspace' | 'prompt' | 'default' | 'directory' | OptionKey;

export type RawValues = Partial<Record<OptionKey, string>>;

export interface Settled {
  values: Partial<Options>;
  sources: Partial<Record<OptionKey, Source>>;
}

/** The recorded values a run starts from, and how an error names where a bad one was recorded. */
export interface Recorded {
  values: RawValues;
  source: 'config' | 'workspace';
  /** For an error: where `key` was recorded (`aya-atomic.toml:4: ordering`). */
  where(key: OptionKey): string;
}

const specs = OPTIONS as readonly OptionSpec[];
const set = (settled: Settled, key: OptionKey, value: string, source: Source) => {
  (settled.values as Record<string, string>)[key] = value;
  settled.sources[key] = source;
};

/**
 * The values given by flags, over the recorded ones, each validated (in the model's order, so that a
 * value is checked against those before it) before anything is asked or written. A recorded value is
 * not used when a flag changes what it depends on: an option another implies yields to that option's
 * flag, and an option that belongs to another is dropped when a flag changes that one. An error names
 * the flag, or where the value was recorded.
 */
export function settleGiven(flags: RawValues, recorded: Recorded | undefined, ctx: Omit<Context, 'settled'>): Settled {
  const settled: Settled = { values: {}, sources: {} };
  const check = (spec: OptionSpec, raw: string, where: string) => {
    const result = spec.validate(raw, { ...ctx, settled: settled.values });
    if (!result.ok) throw usageError(`${where}: ${result.reason}`);
    return result.value;
  };
  // What a recorded value of `key` was, as this version reads it (undefined when missing or invalid).
  const recordedValue = (key: OptionKey) => {
    const raw = recorded?.values[key];
    const spec = specs.find((s) => s.key === key)!;
    const result = raw === undefined ? undefined : spec.validate(raw, { ...ctx, settled: {} });
    return result?.ok ? result.value : undefined;
  };
  for (const spec of specs) {
    const key = spec.key;
    const flag = flags[key];
    if (flag !== undefined) {
      set(settled, key, check(spec, flag, spec.flag), 'flag');
      continue;
    }
    const raw = recorded?.values[key];
    if (raw === undefined || !recorded || (spec.fromDirectory && recorded.source === 'config')) continue;
    if (spec.impliedBy && flags[spec.impliedBy.key] !== undefined) continue;
    const owner = spec.belongsTo;
    if (owner && settled.sources[owner] === 'flag' && settled.values[owner] !== recordedValue(owner)) continue;
    set(settled, key, check(spec, raw, recorded.where(key)), recorded.source);
  }
  return settled;
}

export interface Asking {
  /** Whether to ask on the terminal; otherwise every value not given takes its default. */
  interactive: boolean;
  prompter: Prompter;
  machine: Machine;
}

/**
 * Every option not settled yet: what another implies, else the answer to its question (on a terminal,
 * for an option that has one), else its default given the options settled before it. Returns every
 * option, and the notes the model has about the values (a kprobe on a kernel without kprobe support).
 */
export async function settleRest(settled: Settled, asking: Asking): Promise<{ options: Options; notes: string[] }> {
  const { values } = settled;
  const notes: string[] = [];
  for (const spec of specs) {
    const key = spec.key;
    if (values[key] === undefined) {
      const implying = spec.impliedBy && values[spec.impliedBy.key];
      if (spec.impliedBy && implying !== undefined) {
        set(settled, key, spec.impliedBy.value(implying), spec.impliedBy.key);
      } else if (asking.interactive && spec.question && spec.choices) {
        const initial = spec.initial?.(values, asking.machine);
        const answer = await asking.prompter.select<string>({
          message: spec.question(values, asking.machine),
          choices: spec.choices.map((c) => ({
            title: c.value,
            value: c.value,
            description: spec.hint?.(c.value, values) ?? c.hint,
          })),
          initial:
            initial === undefined
              ? 0
              : Math.max(
                  0,
                  spec.choices.findIndex((c) => c.value === initial),
                ),
        });
        set(settled, key, answer, 'prompt');
      } else {
        set(settled, key, spec.default(values), 'default');
      }
    }
    const note = spec.note?.(values[key]!, asking.machine);
    if (note) notes.push(note);
  }
  return { options: values as Options, notes };
}
