// prompts and the colour library it draws with, loaded only when a question is asked. A file of its own
// in dist/ (scripts/build.mjs), so the start of every run does not parse it.
export { default as prompts } from 'prompts';
export { default as kleur } from 'kleur';
