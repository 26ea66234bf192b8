// aya-atomic.toml: written by serializeConfig, read back by parseConfig; anything else is a usage error.
import { describe, expect, it } from 'vitest';
import { parseConfig, serializeConfig } from '../../src/config-file.js';
import { CliError, EXIT } from '../../src/errors.js';
import type { Options } from '../../src/options.js';

const options: Options = {
  name: 'probe',
  map: 'per-cpu-hash',
  ordering: 'acqrel',
  program: 'tracepoint',
  attach: 'sched/sched_switch',
  toolchain: '/opt/rust-bpf/bin',
};

const fails = (text: string): string => {
  try {
    parseConfig(text, 'x.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(EXIT.usage);
    return (e as CliError).message;
  }
  throw new Error(`parsed: ${text}`);
};

describe('aya-atomic.toml', () => {
  it('round-trips', () => {
    const text = serializeConfig(options, '1.0.0');
    const keys = text
      .split('\n')
      .filter((l) => /^[a-z]/.test(l))
      .map((l) => l.split(' = ')[0]);
    expect(keys).toEqual(['create-aya-atomic', 'name', 'map', 'ordering', 'program', 'attach', 'toolchain']); // never the directory
    expect(parseConfig(text, 'x.toml')).toEqual({ values: options, version: '1.0.0' });
  });

  it('reads comments, blank lines, literal strings, escapes, trailing comments, CRLF and a BOM', () => {
    const text = '\uFEFF# c\r\n\r\nmap = \'hash\' # x\r\nname = "pro\\u0062e"\r\n  ordering="seqcst"\r\n';
    expect(parseConfig(text, 'x.toml')).toEqual({ values: { map: 'hash', name: 'probe', ordering: 'seqcst' } });
  });

  it('rejects an unknown key, naming it and the line', () => {
    expect(fails('map = "hash"\ndirectory = "x"\n')).toMatch(/x\.toml:2: unknown key "directory"/);
  });
  it('rejects a malformed line', () => {
    expect(fails('map = "hash"\n[section]\n')).toMatch(/x\.toml:2: not a "key = value" line: "\[section\]"/);
  });
  it('rejects a duplicate key', () => {
    expect(fails('map = "hash"\nmap = "array"\n')).toMatch(/x\.toml:2: map is set twice/);
  });
  it.each([
    'map = hash',
    'map = "hash',
    "map = 'hash",
    'map = "ha"sh"',
    'map = 1',
    'map = "a\\qb"',
    'map = "\\u12"',
    'map = "\\U00110000"',
    'map = "\\uD800"',
    'map = "x" y',
  ])('rejects the value in %j', (line) => {
    expect(fails(`${line}\n`)).toMatch(/x\.toml:1: the value of map is not a quoted string/);
  });
});
