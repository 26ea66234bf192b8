// Command-line parsing: values are collected, switches set, unknown flags and misuse are usage errors.
import { describe, expect, it } from 'vitest';
import { helpText, parseArgs } from '../../src/args.js';
import { CliError, EXIT } from '../../src/errors.js';
import { SWITCHES, VALUE_OPTIONS } from '../../src/options.js';

const usage = (argv: string[]): CliError => {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(EXIT.usage);
    return e as CliError;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not fail`);
};

describe('parseArgs', () => {
  it('collects the directory, values and switches', () => {
    expect(
      parseArgs(['probe', '--name', 'p', '--map=hash', '--ordering', 'SeqCst', '--program', 'tracepoint', '--attach', 'a/b',
        '--toolchain', 'stable', '--config', 'c.toml', '-y', '--overwrite', '--no-git', '--no-verify', '--offline',
        '--dry-run', '--json', '--no-color']),
    ).toEqual({
      dir: 'probe',
      values: { name: 'p', map: 'hash', ordering: 'SeqCst', program: 'tracepoint', attach: 'a/b', toolchain: 'stable' },
      config: 'c.toml',
      switches: { yes: true, overwrite: true, git: false, verify: false, offline: true, dryRun: true, json: true, color: false },
    });
  });

  it('reads positive forms and the short flags', () => {
    expect(parseArgs(['--git', '--verify', '--yes', '-h', '-v', '--color']).switches).toEqual({
      git: true, verify: true, yes: true, help: true, version: true, color: true,
    });
    expect(parseArgs([])).toEqual({ values: {}, switches: {} });
  });

  it('takes the last of a repeated flag, and "." as a directory', () => {
    expect(parseArgs(['.', '--map', 'array', '--map', 'hash'])).toMatchObject({ dir: '.', values: { map: 'hash' } });
  });

  it('treats everything after -- as positional', () => {
    expect(parseArgs(['--', '--weird-dir']).dir).toBe('--weird-dir');
  });

  it('accepts an inline value that starts with a dash, and "-" as a directory', () => {
    expect(parseArgs(['--name=-x']).values.name).toBe('-x');
    expect(parseArgs(['-']).dir).toBe('-');
  });

  it('rejects an unknown flag, suggesting the near one and listing the valid ones', () => {
    const e = usage(['--ordring', 'seqcst']);
    expect(e.message).toContain('"--ordring"');
    expect(e.message).toContain('did you mean --ordering?');
    for (const o of VALUE_OPTIONS) expect(e.message).toContain(o.flag);
    expect(usage(['-x']).message).toContain('"-x"');
  });

  it('rejects a value option without its value', () => {
    expect(usage(['--map']).message).toMatch(/--map needs a value: --map <map>/);
    expect(usage(['--name', '--yes']).message).toMatch(/--name needs a value/);
    expect(usage(['--config']).message).toMatch(/--config needs a value/);
  });

  it('rejects a value given to a switch', () => {
    expect(usage(['--yes=no']).message).toContain('takes no value');
  });

  it('rejects two directories, an empty one and a NUL', () => {
    expect(usage(['a', 'b']).message).toMatch(/at most one directory, got 2/);
    expect(usage(['  ']).message).toMatch(/directory is empty/);
    expect(usage(['a\0b']).message).toMatch(/NUL/);
  });
});

describe('helpText', () => {
  it('lists every option and switch of the table, and the version', () => {
    const text = helpText('1.2.3');
    expect(text).toContain('1.2.3');
    for (const o of VALUE_OPTIONS) expect(text).toContain(o.flag);
    for (const s of SWITCHES) for (const f of [...s.flags, ...(s.negation ? [s.negation] : [])]) expect(text).toContain(f);
    expect(text).toContain('--config');
  });
});
