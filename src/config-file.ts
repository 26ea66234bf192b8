// aya-atomic.toml: the options of a generation and the version that made it, replayable with --config and
// read by --update (docs/update.md). A person edits this file, so it is read as TOML by a TOML library
// (smol-toml: TOML 1.0, no dependencies), then checked: every key known, every value a string, the
// version a released version. Anything else is a usage error naming the file and the line.
import { parse, stringify, TomlError } from 'smol-toml';
import { usageError } from './errors.js';
import { OPTIONS, type OptionKey, type Options } from './options.js';
import { compareVersions, isReleasedVersion } from './version.js';
import { printable, shown } from './validate.js';

export const CONFIG_FILE = 'aya-atomic.toml';
export const VERSION_KEY = 'create-aya-atomic';
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

/** A TOML basic string, escaped by the library that reads it back. */
const tomlString = (s: string) => stringify({ v: s }).replace(/^v = /, '').trimEnd();

export interface RecordedConfig {
  values: Partial<Record<OptionKey, string>>;
  version?: string;
  /** The line each key is set on (1-based), for messages. */
  lines: Partial<Record<OptionKey | typeof VERSION_KEY, number>>;
}

/** The 1-based line that sets top-level `key` (bare or quoted, or as a table header), or undefined. */
export function lineOf(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const name = `(?:${escaped}|"${escaped}"|'${escaped}')`;
  const re = new RegExp(`^\\s*(?:${name}\\s*[=.]|\\[{1,2}\\s*${name}\\s*[\\].])`);
  const index = text.split(/\r?\n/).findIndex((line) => re.test(line));
  return index < 0 ? undefined : index + 1;
}

/**
 * Reads `text`, the contents of `file` (as the user knows it). `thisVersion` is the version reading it:
 * a key it does not know, in a file a newer version wrote, gets the command that runs the newer one.
 * `newerAdvice` is that command.
 */
export function parseConfig(
  text: string,
  file: string,
  thisVersion: string,
  newerAdvice = 'npm create aya-atomic@latest',
): RecordedConfig {
  const where = (line: number | undefined) => (line ? `${file}:${line}` : file);
  const keys = [VERSION_KEY, ...RECORDED_KEYS].join(', ');
  let table: Record<string, unknown>;
  try {
    table = parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const reason = printable(e.message.split('\n')[0].replace(/^Invalid TOML document: /, ''));
    throw usageError(
      `${where(e.line)}: not valid TOML (${reason}, column ${e.column})\nA recorded config holds lines like: map = "hash" (keys: ${keys})`,
    );
  }
  const result: RecordedConfig = { values: {}, lines: {} };
  const version = table[VERSION_KEY];
  const versionLine = lineOf(text, VERSION_KEY);
  if (version !== undefined) {
    if (typeof version !== 'string' || !isReleasedVersion(version))
      throw usageError(
        `${where(versionLine)}: ${VERSION_KEY} is ${describe(version)}, not a released version (x.y.z, or x.y.z-pre.release)`,
      );
    result.version = version;
    result.lines[VERSION_KEY] = versionLine;
  }
  for (const [key, value] of Object.entries(table)) {
    if (key === VERSION_KEY) continue;
    const line = lineOf(text, key);
    if (!(RECORDED_KEYS as string[]).includes(key)) {
      if (result.version !== undefined && compareVersions(result.version, thisVersion) > 0)
        throw usageError(
          `${where(line)}: ${shown(key)} is not an option of create-aya-atomic ${thisVersion}: this file was written by ` +
            `create-aya-atomic ${result.version}, which is newer. Run the newer version: ${newerAdvice}`,
        );
      throw usageError(`${where(line)}: unknown key ${shown(key)}\nA recorded config holds the keys: ${keys}`);
    }
    if (typeof value !== 'string')
      throw usageError(`${where(line)}: the value of ${key} is ${describe(value)}, not a string (e.g. ${key} = "…")`);
    result.values[key as OptionKey] = value;
    result.lines[key as OptionKey] = line;
  }
  return result;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return shown(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (value !== null && typeof value === 'object') return 'a table';
  return `${typeof value === 'bigint' ? 'the number' : `the ${typeof value}`} ${printable(String(value))}`;
}
