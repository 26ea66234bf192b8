// aya-atomic.toml: written by serializeConfig, read back by parseConfig as TOML (any valid TOML a person
// writes), checked key by key; anything else is a usage error naming the file and the line.
import { describe, expect, it } from 'vitest';
import { parseConfig, serializeConfig } from '../../src/config-file.js';
import { CliError, EXIT } from '../../src/errors.js';
import type { Options } from '../../src/options.js';
import { compareVersions, isReleasedVersion } from '../../src/version.js';

const options: Options = {
  name: 'probe',
  map: 'per-cpu-hash',
  ordering: 'acqrel',
  program: 'tracepoint',
  attach: 'sched/sched_switch',
  toolchain: '/opt/rust-bpf/bin',
};

const THIS = '0.2.0';

const fails = (text: string): string => {
  try {
    parseConfig(text, 'x.toml', THIS);
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
    expect(parseConfig(text, 'x.toml', THIS)).toMatchObject({ values: options, version: '1.0.0' });
  });

  it('reads comments, blank lines, literal strings, escapes, trailing comments, CRLF and a BOM', () => {
    const text = '\uFEFF# c\r\n\r\nmap = \'hash\' # x\r\nname = "pro\\u0062e"\r\n  ordering="seqcst"\r\n';
    expect(parseConfig(text, 'x.toml', THIS).values).toEqual({ map: 'hash', name: 'probe', ordering: 'seqcst' });
  });

  it('reads any valid TOML a person may write: quoted keys, multi-line strings, a dotted-free table-less file', () => {
    const text = [
      '"create-aya-atomic" = "0.1.0"',
      "'name' = '''probe'''",
      'map = """',
      'hash"""',
      'ordering = """seq\\',
      '   cst"""',
      '# a note',
      'program = "kprobe"   ',
      'attach = "auto"',
      'toolchain = "nightly"',
    ].join('\n');
    const parsed = parseConfig(text, 'x.toml', THIS);
    expect(parsed.version).toBe('0.1.0');
    expect(parsed.values).toEqual({
      name: 'probe',
      map: 'hash',
      ordering: 'seqcst',
      program: 'kprobe',
      attach: 'auto',
      toolchain: 'nightly',
    });
    expect(parsed.lines).toMatchObject({ 'create-aya-atomic': 1, name: 2, map: 3, program: 8 });
  });

  it('rejects an unknown key, naming it and the line', () => {
    expect(fails('map = "hash"\ndirectory = "x"\n')).toMatch(/^x\.toml:2: unknown key "directory"/);
  });

  it('says a newer version wrote a file with a key this version does not know, and how to run that one', () => {
    const message = fails('create-aya-atomic = "0.9.0"\nmap = "hash"\nsidecar = "on"\n');
    expect(message).toContain('x.toml:3: "sidecar" is not an option of create-aya-atomic 0.2.0');
    expect(message).toContain('written by create-aya-atomic 0.9.0, which is newer');
    expect(message).toContain('npm create aya-atomic@latest');
  });

  it('rejects a table', () => {
    expect(fails('map = "hash"\n[section]\nx = "y"\n')).toMatch(/^x\.toml:2: unknown key "section"/);
  });

  it('rejects a duplicate key, and a file that is not TOML, with the line', () => {
    expect(fails('map = "hash"\nmap = "array"\n')).toMatch(/^x\.toml:2: not valid TOML/);
    expect(fails('map = "hash"\nmap = hash\n')).toMatch(/^x\.toml:2: not valid TOML/);
  });

  it.each([
    ['map = 1', 'the number 1'],
    ['map = true', 'the boolean true'],
    ['map = ["hash"]', 'an array'],
    ['map = { a = "b" }', 'a table'],
    ['map = 1979-05-27', 'a date'],
  ])('rejects the value in %j: %s', (line, what) => {
    expect(fails(`${line}\n`)).toBe(`x.toml:1: the value of map is ${what}, not a string (e.g. map = "…")`);
  });

  it.each([
    'file:../x',
    '../x',
    'https://example.invalid/x.tgz',
    'git+file:///tmp/x',
    'npm:left-pad@1.3.0',
    'latest',
    '^0.1.0',
    '>=0.1.0',
    '0.1',
    '0.1.0/../../x',
    '01.0.0',
    '0.1.0+build.5',
    '0.1.0 ',
    '0.1.0\n',
    '',
  ])('refuses the recorded version %j: a released version is x.y.z[-pre] and nothing else', (version) => {
    const message = fails(`# header\ncreate-aya-atomic = ${JSON.stringify(version)}\n`);
    expect(message).toMatch(/^x\.toml:2: create-aya-atomic is "/);
    expect(message).toContain('not a released version (x.y.z, or x.y.z-pre.release)');
    expect(message).not.toMatch(/[\n\r]"/); // the value is escaped, on one line
  });

  it('refuses a recorded version that is not a string', () => {
    expect(fails('create-aya-atomic = 1\n')).toMatch(
      /^x\.toml:1: create-aya-atomic is the number 1, not a released version/,
    );
  });
});

describe('released versions', () => {
  it.each(['0.1.0', '1.2.3', '10.20.30', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-0.3.7', '1.0.0-x-y.z.--'])(
    '%s is one',
    (v) => expect(isReleasedVersion(v)).toBe(true),
  );
  it.each(['1', '1.2', 'v1.2.3', '1.2.3-', '1.2.3-01', '1.2.3-a..b', '1.2.3+meta', ' 1.2.3', '1.2.3-ü'])(
    '%j is not',
    (v) => expect(isReleasedVersion(v)).toBe(false),
  );

  it('orders by semver precedence (https://semver.org/#spec-item-11)', () => {
    const ordered = [
      '0.1.0',
      '0.2.0',
      '0.10.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i < ordered.length; i++)
      for (let j = 0; j < ordered.length; j++)
        expect(Math.sign(compareVersions(ordered[i], ordered[j])), `${ordered[i]} vs ${ordered[j]}`).toBe(
          Math.sign(i - j),
        );
  });
});
