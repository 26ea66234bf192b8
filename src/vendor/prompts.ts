// prompts and the colour library it draws with, loaded only when a question is asked. A file of its own
// in dist/ (scripts/build.mjs), so the start of every run does not parse it.
import kleur from 'kleur';

/**
 * The prompts library, drawing in colour or not. prompts colours through kleur, which reads neither
 * NO_COLOR nor --no-color, and it colours its symbols (the "?", "✔" and "✖" before each question)
 * once, when it is loaded: so kleur is switched first, and prompts loaded after.
 */
export async function loadPrompts(color: boolean): Promise<typeof import('prompts')> {
  kleur.enabled = color;
  return (await import('prompts')).default;
}
