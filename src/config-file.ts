// aya-atomic.toml: the options of a generation, replayable with --config.
// The file is flat `key = "string"` TOML; this reads exactly that subset (comments, basic and
// literal strings) and rejects anything else with the line number, rather than guess.
import { usageError } from './errors.js';
import { OPTIONS, type OptionKey, type Options } from './options.js';
import { shown } from './validate.js';

export const CONFIG_FILE = 'aya-atomic.toml';
const VERSION_KEY = 'create-aya-atomic';
const RECORDED_KEYS: OptionKey[] = OPTIONS.map((o) => o.key);

export function serializeConfig(options: Options, version: string): string {
  const lines = [
    '# The options and the create-aya-atomic version this workspace was generated with.',
    '# Bring the workspace to a newer version, keeping your edits: npm create aya-atomic@latest -- --update',
    '# Replay these choices into a new directory: npm create aya-atomic@latest <dir> -- --config aya-atomic.toml',
    `${VERSION_KEY} = ${tomlString(version)}`,
    ...RECORDED_KEYS.map((key) => `${key} = ${tomlString(options[key])}`),
  ];
  return `${lines.join('\n')}\n`;
}

// Recorded values are validated before they get here; JSON's escapes are valid TOML basic-string escapes
// for everything JSON.stringify emits on such values.
const tomlString = (s: string) => JSON.stringify(s);

export interface RecordedConfig {
  values: Partial<Record<OptionKey, string>>;
  version?: string;
}

export function parseConfig(text: string, file: string): RecordedConfig {
  const result: RecordedConfig = { values: {} };
  const seen = new Set<string>();
  const fail = (line: number, what: string) =>
    usageError(
      `${file}:${line}: ${what}\nA recorded config holds lines like: map = "hash" (keys: ${[VERSION_KEY, ...RECORDED_KEYS].join(', ')})`,
    );
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const n = index + 1;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const m = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
      if (!m) throw fail(n, `not a "key = value" line: ${shown(raw)}`);
      const [, key, rest] = m;
      const parsed = parseTomlString(rest);
      if (parsed === undefined) throw fail(n, `the value of ${key} is not a quoted string: ${shown(rest)}`);
      if (seen.has(key)) throw fail(n, `${key} is set twice`);
      seen.add(key);
      if (key === VERSION_KEY) result.version = parsed;
      else if ((RECORDED_KEYS as string[]).includes(key)) result.values[key as OptionKey] = parsed;
      else throw fail(n, `unknown key ${shown(key)}`);
    });
  return result;
}

/** A TOML basic ("…") or literal ('…') string, optionally followed by a comment; undefined if it is not one. */
function parseTomlString(s: string): string | undefined {
  if (s.startsWith("'")) {
    const end = s.indexOf("'", 1);
    if (end < 0 || !isTrailer(s.slice(end + 1))) return undefined;
    return s.slice(1, end);
  }
  if (!s.startsWith('"')) return undefined;
  const parts: string[] = [];
  for (let i = 1; i < s.length;) {
    // Copy the run up to the next quote or backslash at once (a 10 MB value must not take seconds).
    let end = i;
    while (end < s.length && s[end] !== '"' && s[end] !== '\\') end++;
    const run = s.slice(i, end);
    if (/[\u0000-\u0008\u000a-\u001f]/.test(run)) return undefined; // control characters need escapes
    parts.push(run);
    if (end >= s.length) return undefined;
    if (s[end] === '"') return isTrailer(s.slice(end + 1)) ? parts.join('') : undefined;
    const e = s[end + 1];
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
    if (e in simple) {
      parts.push(simple[e]);
      i = end + 2;
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = s.slice(end + 2, end + 2 + len);
      if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) return undefined;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined; // not a Unicode scalar value
      parts.push(String.fromCodePoint(code));
      i = end + 2 + len;
    } else return undefined;
  }
  return undefined;
}

const isTrailer = (rest: string) => /^\s*(#.*)?$/.test(rest);
