// The terminal's Prompter, on the prompts library's elements. Loaded only when a question is asked.
import { cancelled } from './errors.js';
import type { Prompter } from './resolve.js';
import { fit } from './ui.js';
import type { ElementClass } from './vendor/prompts.js';

/**
 * A prompt's extra text on one terminal line: wrapped text leaves stale lines behind. `indent`: what
 * prompts draws before it (a choice's description sits on its own line, 4 columns in, when it is long).
 */
const oneLine = (text: string, indent = 4) => fit(text.split('\n')[0], (process.stdout.columns || 80) - indent);

export async function terminalPrompter(color: boolean): Promise<Prompter> {
  const { TextPrompt, SelectPrompt } = await (await import('./vendor/prompts.js')).loadElements(color);
  // Ctrl-C or Esc aborts the question: the run is cancelled (exit 130).
  const ask = <T>(Element: ElementClass, options: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      const element = new Element(options);
      element.on('submit', (value) => resolve(value as T));
      element.on('abort', () => reject(cancelled()));
    });
  return {
    text: (q) =>
      ask<string>(TextPrompt, {
        message: q.message,
        initial: q.initial,
        validate: (v: string) => {
          const r = q.validate(v);
          return r === true ? true : oneLine(r);
        },
      }),
    select: (q) =>
      ask(SelectPrompt, {
        message: q.message,
        choices: q.choices.map((c) => ({
          title: c.title,
          value: c.value,
          description: c.description && oneLine(c.description, 8),
        })),
        initial: q.initial ?? 0,
      }),
  };
}
