// Sections of README.md derived from the code and records, like --help: the options table (from the options
// model) and the kernel matrix (from the recorded matrix). This test fails when they differ; after changing an
// option or recording the matrix: npm run docs (vitest -u: rewrites them between the README's markers).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { optionsMarkdown } from '../../src/args.js';
import { verifiedMatrixMarkdown } from '../../src/readme.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const markers = (name: string) => new RegExp(`(<!-- ${name}:start -->\\n)([^]*?)\\n?(<!-- ${name}:end -->)`);

const SECTIONS: [string, () => string][] = [
  ['options', optionsMarkdown],
  ['verified-kernels', verifiedMatrixMarkdown],
];

it("README.md's derived sections are what the code gives", async () => {
  const text = fs.readFileSync(README, 'utf8');
  let expected = text;
  for (const [name, section] of SECTIONS) {
    const re = markers(name);
    expect(text, `README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> section`).toMatch(re);
    expected = expected.replace(re, (_, start, _old, end) => `${start}${section()}\n${end}`);
  }
  // README.md itself is the snapshot: `vitest -u` (npm run docs) rewrites the sections, for review in git.
  await expect(expected).toMatchFileSnapshot(README);
});

it('the table names every flag --help names', () => {
  const table = optionsMarkdown();
  for (const flag of [
    '--name',
    '--map',
    '--ordering',
    '--program',
    '--attach',
    '--toolchain',
    '--config',
    '-y',
    '--yes',
    '--overwrite',
    '--git',
    '--no-git',
    '--verify',
    '--no-verify',
    '--offline',
    '--dry-run',
    '--json',
    '--update',
    '--color',
    '--no-color',
    '-h',
    '--help',
    '-v',
    '--version',
  ]) {
    expect(table).toContain(`\`${flag}`);
  }
});
