// Generation as users run it: each package manager fetches create-aya-atomic from the local registry, with
// empty caches, and runs it. The commands are the README's, word for word (the last test checks the README
// still says them); verify runs against a fake cargo (test/helpers/fake-cargo.ts: verify itself is tested in
// test/verify-run.test.ts), git for real.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTmp, parseJson, readToml, show } from '../helpers/cli.js';
import { fakeCargo } from '../helpers/fake-cargo.js';
import { CI_GENERATE, CI_REPLAY, GENERATE, JSON_FORMS, QUICK_START } from './commands.js';
import { freshHome, registry, runAs } from './pm.js';

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

  it(`the quick start: ${QUICK_START} (off a terminal: the defaults)`, async () => {
    const cwd = makeTmp('quick');
    const r = await runAs(QUICK_START, {
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
  it.each(JSON_FORMS)('%s', async (command) => {
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

describe('in CI', () => {
  it(`${CI_GENERATE}, then ${CI_REPLAY} elsewhere: the same choices`, async () => {
    const home = freshHome('ci');
    const first = makeTmp('ci');
    const made = await runAs(CI_GENERATE, { cwd: first, home });
    expect(made.code, show(made)).toBe(0);
    expect(readToml(path.join(first, 'probe'))).toMatchObject({ map: 'hash', ordering: 'seqcst' });
    expect(fs.existsSync(path.join(first, 'probe', '.git'))).toBe(false);
    // A team's starter repository holds the recorded choices.
    const second = makeTmp('ci-replay');
    fs.mkdirSync(path.join(second, 'starter'));
    fs.copyFileSync(path.join(first, 'probe', 'aya-atomic.toml'), path.join(second, 'starter', 'aya-atomic.toml'));
    const replayed = await runAs(CI_REPLAY, { cwd: second, home });
    expect(replayed.code, show(replayed)).toBe(0);
    expect(readToml(path.join(second, 'probe'))).toMatchObject({ name: 'probe', map: 'hash', ordering: 'seqcst' });
  });
});
