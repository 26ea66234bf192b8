// Interactive questions, built from the options table. Only used on a terminal without --yes/--json.
import prompts from 'prompts';
import { cancelled } from './errors.js';
import { mapFacts, type MapKind } from './facts.js';
import { VALUE_OPTIONS, type OptionKey } from './options.js';
import { checkCrateName } from './validate.js';

const onCancel = () => {
  throw cancelled();
};

async function ask<T>(question: Omit<prompts.PromptObject, 'name'>): Promise<T> {
  const answer = await prompts({ ...question, name: 'value' }, { onCancel });
  return answer.value as T;
}

export const askDirectory = (initial: string) =>
  ask<string>({
    type: 'text',
    message: 'Project directory:',
    initial,
    format: (v: string) => v.trim() || initial,
    validate: (v: string) => (v.includes('\0') ? 'the directory cannot contain a NUL character' : true),
  });

export const askName = (initial: string) =>
  ask<string>({
    type: 'text',
    message: 'Rust package name:',
    initial,
    validate: (v: string) => {
      const r = checkCrateName(v.trim());
      return r.ok ? true : r.reason;
    },
    format: (v: string) => v.trim(),
  });

export async function askOverwrite(dir: string, conflicts: string[]): Promise<boolean> {
  const shown = conflicts.slice(0, 8).join(', ') + (conflicts.length > 8 ? `, … (${conflicts.length} in all)` : '');
  return ask<boolean>({
    type: 'select',
    message: `${dir} is not empty.` + (conflicts.length ? ` The template would replace: ${shown}.` : '') + ' What now?',
    choices: [
      { title: 'Cancel', value: false },
      { title: 'Write into it (originals at template paths are moved to a backup folder first)', value: true },
    ],
    initial: 0,
  });
}

/** A select over an option's choices, with each choice's one-line explanation. */
export function askChoice(key: OptionKey, context: { map?: MapKind }): Promise<string> {
  const option = VALUE_OPTIONS.find((o) => o.key === key);
  if (!option?.choices || !option.question) throw new Error(`option ${key} is not asked`);
  let message = option.question;
  if (key === 'ordering' && context.map && mapFacts[context.map].perCpu) {
    message += ` (a ${context.map} map uses a plain add, so the ordering does not apply; it is only recorded)`;
  }
  return ask<string>({
    type: 'select',
    message,
    choices: option.choices.map((ch) => ({ title: ch.value, description: ch.hint, value: ch.value })),
    initial: 0,
  });
}
