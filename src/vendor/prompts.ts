// The two question types we ask, from the prompts library, loaded only when a question is asked: a file
// of its own in dist/ (scripts/build.mjs). Only the text and select elements are bundled, not the
// other seven prompt types prompts' entry point pulls in (half the size).
import kleur from 'kleur';

/** A prompts element: asks one question on the terminal, then emits `submit` (with the value) or `abort`. */
export interface PromptElement {
  on(event: 'submit', listener: (value: unknown) => void): void;
  on(event: 'abort', listener: () => void): void;
}
export type ElementClass = new (options: Record<string, unknown>) => PromptElement;

/**
 * The elements, drawing in colour or not. prompts colours through kleur, which reads neither NO_COLOR
 * nor --no-color, and colours its symbols (the "?", "✔" and "✖" before each question) once, when it is
 * loaded: so kleur is switched first, and the elements loaded after.
 */
export async function loadElements(color: boolean): Promise<{ TextPrompt: ElementClass; SelectPrompt: ElementClass }> {
  kleur.enabled = color;
  const [text, select] = await Promise.all([
    import('prompts/lib/elements/text.js'),
    import('prompts/lib/elements/select.js'),
  ]);
  return { TextPrompt: text.default as ElementClass, SelectPrompt: select.default as ElementClass };
}
