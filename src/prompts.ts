// The terminal's Prompter, on the prompts library. Loaded only when a question is asked.
import { cancelled } from './errors.js';
import type { Prompter } from './resolve.js';
import { fit } from './ui.js';

/** A prompt's extra text (a hint, a validation message) on one terminal line: wrapped text leaves stale lines behind. */
const oneLine = (text: string) => fit(text.split('\n')[0], (process.stdout.columns || 80) - 4);

export async function terminalPrompter(color: boolean): Promise<Prompter> {
  const prompts = await (await import('./vendor/prompts.js')).loadPrompts(color);
  const ask = async <T>(question: Omit<import('prompts').PromptObject, 'name'>): Promise<T> => {
    const answer = await prompts({ ...question, name: 'value' }, {
      onCancel: () => {
        throw cancelled();
      },
    });
    return answer.value as T;
  };
  return {
    text: (q) =>
      ask<string>({
        type: 'text',
        message: q.message,
        initial: q.initial,
        validate: (v: string) => {
          const r = q.validate(v);
          return r === true ? true : oneLine(r);
        },
      }),
    select: (q) =>
      ask({
        type: 'select',
        message: q.message,
        choices: q.choices.map((c) => ({ title: c.title, value: c.value, description: c.description && oneLine(c.description) })),
        initial: q.initial ?? 0,
      }),
  };
}
