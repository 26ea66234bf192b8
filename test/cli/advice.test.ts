// Advice that names a command to run create-aya-atomic names the latest release: a package manager's cache
// otherwise runs the release it has, which may not know the option the advice gives (an old release without
// --update). Checked in everything a generated workspace holds (its README, aya-atomic.toml, the loader's
// messages) and in everything the CLI can print (the strings of the built bundle). yarn 1's `yarn create
// aya-atomic` takes no version and always installs the latest.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, filesIn, makeTmp, runCli, show } from '../helpers/cli.js';

/** A command that runs create-aya-atomic without saying which release. */
const UNVERSIONED =
  /\b(?:(?:npm (?:create|init)|pnpm create|bun create) aya-atomic|(?:npx|npm exec|pnpm dlx|bunx) create-aya-atomic)(?![@\w-])/g;

function unversioned(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.match(UNVERSIONED))
    .map((line) => line.trim());
}

describe.concurrent('advice names @latest', () => {
  it('the pattern finds what it must', () => {
    expect(
      unversioned(
        [
          'npm create aya-atomic -- --update',
          'run npx create-aya-atomic --json',
          'pnpm create aya-atomic -- --update',
          'npm create aya-atomic@latest -- --update',
          'npx create-aya-atomic@0.1.0 x',
          'yarn create aya-atomic --update',
        ].join('\n'),
      ),
    ).toEqual([
      'npm create aya-atomic -- --update',
      'run npx create-aya-atomic --json',
      'pnpm create aya-atomic -- --update',
    ]);
  });

  it.each([
    ['a kprobe workspace', ['--program', 'kprobe', '--ordering', 'seqcst']],
    ['a tracepoint workspace', ['--program', 'tracepoint', '--map', 'per-cpu-hash']],
  ])('in every file of %s', async (_, options) => {
    const cwd = makeTmp('advice');
    const r = await runCli(['ws', '--yes', '--no-git', ...options], { cwd });
    expect(r.code, show(r)).toBe(0);
    const ws = path.join(cwd, 'ws');
    const found: string[] = [];
    let advice = 0;
    for (const file of filesIn(ws)) {
      const text = fs.readFileSync(path.join(ws, file), 'utf8');
      advice += (text.match(/aya-atomic@latest/g) ?? []).length;
      found.push(...unversioned(text).map((line) => `${file}: ${line}`));
    }
    expect(found).toEqual([]);
    expect(advice, 'the workspace gives such advice at all').toBeGreaterThan(2);
  });

  it('in everything the CLI can print', () => {
    const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'index.cjs'), 'utf8');
    expect(unversioned(bundle.replace(/\\n/g, '\n'))).toEqual([]);
  });
});
