// Generation as users run it: each package manager fetches create-aya-atomic from the local registry, with
// empty caches, and runs it. The commands are the README's, word for word (the last test checks the README
// still says them); verify runs against a fake cargo (test/helpers/fake-cargo.ts: verify itself is tested in
// test/verify-run.test.ts), git for real.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, makeTmp, parseJson, readToml, show } from '../helpers/cli.js';
import { fakeCargo } from '../helpers/fake-cargo.js';
import { freshHome, registry, runAs } from './pm.js';

/** The README's commands, in the order it gives them. */
export const GENERATE = [
  'npm create aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
  'npm init aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
  'npx create-aya-atomic@latest my-probe --map hash --ordering seqcst --yes',
  'pnpm create aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
  'yarn create aya-atomic my-probe --map hash --ordering seqcst --yes',
  'bun create aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
];

/** A folder for PATH whose cargo makes verify succeed at once. */
const cargo = () => fakeCargo(makeTmp('cargo')).bin;

describe.concurrent('generation through each package manager, from the registry', () => {
  it.each(GENERATE)('%s', async (command) => {
    const cwd = makeTmp('generate');
    const home = freshHome('generate');
    const r = await runAs(command, { cwd, home, pathPrefix: cargo() });
    expect(r.code, show(r)).toBe(0);
    const ws = path.join(cwd, 'my-probe');
    expect(readToml(ws)).toMatchObject({
      'create-aya-atomic': registry.version,
      name: 'my-probe',
      map: 'hash',
      ordering: 'seqcst',
      program: 'kprobe',
    });
    expect(fs.existsSync(path.join(ws, 'my-probe-ebpf', 'src', 'counter.rs'))).toBe(true);
    expect(fs.existsSync(path.join(ws, '.git')), 'git init ran').toBe(true);
    // Verify ran (the build's log is where the summary says).
    expect(fs.existsSync(path.join(ws, 'target', 'create-aya-atomic-verify.log'))).toBe(true);
  });

  it('the quick start: npm create aya-atomic@latest my-probe (off a terminal: the defaults)', async () => {
    const cwd = makeTmp('quick');
    const r = await runAs('npm create aya-atomic@latest my-probe', {
      cwd,
      home: freshHome('quick'),
      pathPrefix: cargo(),
    });
    expect(r.code, show(r)).toBe(0);
    expect(readToml(path.join(cwd, 'my-probe'))).toMatchObject({
      map: 'array',
      ordering: 'relaxed',
    });
  });
});

describe.concurrent('output for machines: only JSON on stdout', () => {
  it.each([
    'npx create-aya-atomic@latest probe --yes --no-git --json',
    'npm create --silent aya-atomic@latest probe -- --yes --no-git --json',
  ])('%s', async (command) => {
    const cwd = makeTmp('json');
    const r = await runAs(command, { cwd, home: freshHome('json'), pathPrefix: cargo() });
    expect(r.code, show(r)).toBe(0);
    expect(parseJson(r)).toMatchObject({ ok: true, exitCode: 0, directory: path.join(cwd, 'probe') });
  });

  it('npm create without --silent prints its own lines first: stdout is not JSON, and stderr says what to run', async () => {
    const cwd = makeTmp('json-npm');
    const r = await runAs('npm create aya-atomic@latest probe -- --yes --no-git --json', {
      cwd,
      home: freshHome('json-npm'),
      pathPrefix: cargo(),
    });
    expect(r.code, show(r)).toBe(0);
    expect(() => JSON.parse(r.stdout)).toThrow();
    expect(r.stdout).toMatch(/^\n> npx\n/);
    expect(r.stderr).toContain('npx create-aya-atomic@latest [dir] [options] --json, or npm create --silent');
  });
});

describe('the README', () => {
  it('gives exactly the commands these tests run', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const command of [
      ...GENERATE,
      'npm create aya-atomic@latest my-probe',
      'npx create-aya-atomic@latest probe --yes --no-git --json',
      'npm create --silent aya-atomic@latest probe -- --yes --no-git --json',
    ])
      expect(readme, command).toContain(command);
  });
});
