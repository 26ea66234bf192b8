// The files of prompts and fs-extra that src/vendor/ bundles directly (they ship no types of their own).
declare module 'prompts/lib/elements/text.js' {
  const TextPrompt: unknown;
  export default TextPrompt;
}
declare module 'prompts/lib/elements/select.js' {
  const SelectPrompt: unknown;
  export default SelectPrompt;
}
declare module 'fs-extra/lib/move/index.js' {
  export function move(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
}
