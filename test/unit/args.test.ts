// Command-line parsing, in-process: values are collected, switches set; unknown flags, a repeated flag
// and other misuse are usage errors; after `--` everything is positional. And --help's layout.
import { describe, expect, it } from 'vitest';
import { helpText, parseArgs } from '../../src/args.js';
import { CliError } from '../../src/errors.js';

const usage = (argv: string[]): string => {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    return (e as CliError).message;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not fail`);
};

describe('parseArgs', () => {
  it('collects the directory, values and switches', () => {
    expect(
      parseArgs([
        'probe',
        '--name',
        'p',
        '--map=hash',
        '--ordering',
        'SeqCst',
        '--program',
        'tracepoint',
        '--attach',
        'a/b',
        '--toolchain',
        'stable',
        '--config',
        'c.toml',
        '-y',
        '--overwrite',
        '--no-git',
        '--no-verify',
        '--offline',
        '--dry-run',
        '--json',
        '--no-color',
      ]),
    ).toEqual({
      positionals: ['probe'],
      values: { name: 'p', map: 'hash', ordering: 'SeqCst', program: 'tracepoint', attach: 'a/b', toolchain: 'stable' },
      config: 'c.toml',
      switches: {
        yes: true,
        overwrite: true,
        git: false,
        verify: false,
        offline: true,
        dryRun: true,
        json: true,
        color: false,
      },
    });
  });

  it('reads positive forms and the short flags', () => {
    expect(parseArgs(['--git', '--verify', '--yes', '-h', '-v', '--color', '--update']).switches).toEqual({
      git: true,
      verify: true,
      yes: true,
      help: true,
      version: true,
      color: true,
      update: true,
    });
    expect(parseArgs([])).toEqual({ positionals: [], values: {}, switches: {} });
  });

  it('after --, everything is positional', () => {
    expect(parseArgs(['--yes', '--', '--json', '-y'])).toEqual({
      positionals: ['--json', '-y'],
      values: {},
      switches: { yes: true },
    });
  });

  it('an inline value may start with a dash; "-" and "." are directories', () => {
    expect(parseArgs(['--name=-x']).values.name).toBe('-x');
    expect(parseArgs(['-']).positionals).toEqual(['-']);
    expect(parseArgs(['.']).positionals).toEqual(['.']);
  });

  it.each([
    [['--map', 'array', '--map', 'hash'], '--map "hash" repeats --map "array"; give each option once'],
    [['--map=array', '--map', 'array'], '--map "array" repeats --map "array"; give each option once'],
    [
      ['--config', 'a.toml', '--config', 'b.toml'],
      '--config "b.toml" repeats --config "a.toml"; give each option once',
    ],
    [['--verify', '--no-verify'], '--no-verify repeats --verify; give each option once'],
    [['-h', '--help'], '--help repeats -h; give each option once'],
  ])('refuses a repeated option %j', (argv, message) => {
    expect(usage(argv)).toBe(message);
  });

  it('refuses an unknown flag, suggesting the near one and listing the valid ones', () => {
    const message = usage(['--ordring', 'seqcst']);
    expect(message).toBe(
      'unknown option "--ordring"; did you mean --ordering?\n' +
        'Valid options: --name, --map, --ordering, --program, --attach, --toolchain, --config, -y, --yes, --overwrite, --git, ' +
        '--no-git, --verify, --no-verify, --offline, --dry-run, --json, --update, --color, --no-color, -h, --help, -v, --version (see --help)',
    );
    expect(usage(['-x'])).toMatch(/^unknown option "-x"\n/);
  });

  it.each([
    [['--map'], 'option --map needs a value: --map <map>'],
    [['--name', '--yes'], 'option --name needs a value: --name <crate>'],
    [['--config'], 'option --config needs a value: --config <file>'],
    [['--yes=no'], 'option --yes takes no value (got "--yes=no")'],
  ])('refuses %j', (argv, message) => {
    expect(usage(argv)).toBe(message);
  });
});

describe('helpText', () => {
  const text = helpText(
    '1.2.3',
    'npm create aya-atomic@latest [dir] -- [options]   (options after --, or npm keeps them)',
    (dir, options) => ['npx create-aya-atomic@latest', dir, ...options].filter(Boolean).join(' '),
  );
  const lines = text.split('\n');

  it('no line is over 100 columns', () => {
    expect(lines.filter((l) => [...l].length > 100)).toEqual([]);
  });

  it('lists every flag, the values of each choice and the exit codes, with the version', () => {
    expect(lines[0]).toMatch(/^create-aya-atomic 1\.2\.3: /);
    for (const flag of [
      '--name <crate>',
      '--map <map>',
      '--ordering <ordering>',
      '--program <type>',
      '--attach <target>',
      '--toolchain <toolchain>',
      '--config <file>',
      '-y, --yes',
      '--overwrite',
      '--git / --no-git',
      '--verify / --no-verify',
      '--offline',
      '--dry-run',
      '--json',
      '--update',
      '--color / --no-color',
      '-h, --help',
      '-v, --version',
    ]) {
      expect(
        lines.some((l) => l.startsWith(`  ${flag}`)),
        flag,
      ).toBe(true);
    }
    for (const value of [
      'array',
      'per-cpu-array',
      'hash',
      'per-cpu-hash',
      'lru-hash',
      'lru-per-cpu-hash',
      'relaxed',
      'acquire',
      'release',
      'acqrel',
      'seqcst',
      'kprobe',
      'tracepoint',
    ]) {
      expect(
        lines.some((l) => l.startsWith(`      ${value} `)),
        value,
      ).toBe(true);
    }
    // Wrapped at 100 columns; read as one line.
    expect(text.replace(/\s+/g, ' ')).toContain(
      'Exit codes: 0 done, 1 unexpected error, 2 usage error, 3 directory not empty, or (--update) not ready to update, ' +
        '4 generated but prerequisites missing, 5 generated but the build failed, ' +
        '6 updated with conflicts to resolve, 130 cancelled',
    );
  });

  it('a wrapped description continues in the description column', () => {
    const at = lines.findIndex((l) => l.startsWith('  --toolchain <toolchain>'));
    expect(lines[at + 1]).toMatch(/^ {26}\S/);
  });
});
