// Sections of README.md derived from the code and records, like --help: the options table (from the options
// model) and the kernel matrix (from src/verified-kernels.json). This test fails when they differ; after
// changing an option or recording the matrix: npm run docs (rewrites them between the README's markers).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { optionsMarkdown } from '../../src/args.js';
import { verifiedMatrixMarkdown } from '../../src/readme.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const markers = (name: string) => new RegExp(`(<!-- ${name}:start -->\\n)([^]*?)\\n?(<!-- ${name}:end -->)`);

it.each([
  ['options', optionsMarkdown],
  ['verified-kernels', verifiedMatrixMarkdown],
])("README.md's %s section is what the code gives", (name, expected) => {
  const text = fs.readFileSync(README, 'utf8');
  const re = markers(name);
  expect(text, `README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> section`).toMatch(re);
  if (process.env.UPDATE_README === '1') {
    fs.writeFileSync(
      README,
      text.replace(re, (_, start, _old, end) => `${start}${expected()}\n${end}`),
    );
    return;
  }
  expect(re.exec(text)![2], 'run npm run docs').toBe(expected());
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
