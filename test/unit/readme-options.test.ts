// Sections of README.md derived from the code and records, like --help: the options table (from the options
// model) and the kernel matrix (from the recorded matrix). This test fails when they differ; after changing an
// option or recording the matrix: npm run docs (vitest -u: rewrites them between the README's markers).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { optionsMarkdown } from '../../src/args.js';
import { exitCodesMarkdown } from '../../src/errors.js';
import { partialsMarkdown } from '../../src/plan.js';
import { serviceVerifiedMarkdown, verifiedMatrixMarkdown } from '../../src/readme.js';

const markers = (name: string) => new RegExp(`(<!-- ${name}:start -->\\n)([^]*?)\\n?(<!-- ${name}:end -->)`);

const DOCS: [file: string, sections: [string, () => string][]][] = [
  [
    'README.md',
    [
      ['options', optionsMarkdown],
      ['exit-codes', exitCodesMarkdown],
      ['verified-kernels', verifiedMatrixMarkdown],
      ['service', serviceVerifiedMarkdown],
    ],
  ],
  ['docs/command-line.md', [['exit-codes', exitCodesMarkdown]]],
  ['templates/README.md', [['partials', partialsMarkdown]]],
];

it.each(DOCS)("%s's derived sections are what the code gives", async (name, sections) => {
  const file = fileURLToPath(new URL(`../../${name}`, import.meta.url));
  const text = fs.readFileSync(file, 'utf8');
  let expected = text;
  for (const [name, section] of sections) {
    const re = markers(name);
    expect(text, `${file} has no <!-- ${name}:start --> … <!-- ${name}:end --> section`).toMatch(re);
    expected = expected.replace(re, (_, start, _old, end) => `${start}${section()}\n${end}`);
  }
  // The file itself is the snapshot: `vitest -u` (npm run docs) rewrites the sections, for review in git.
  await expect(expected).toMatchFileSnapshot(file);
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
