// The README's options table is derived from the options model, like --help: this test fails when they
// differ. After changing an option: npm run docs (rewrites the table between the README's markers).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { optionsMarkdown } from '../../src/args.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const MARKERS = /(<!-- options:start -->\n)([^]*?)\n?(<!-- options:end -->)/;

it("README.md's options table is the one the options model gives", () => {
  const text = fs.readFileSync(README, 'utf8');
  expect(text, 'README.md has no <!-- options:start --> … <!-- options:end --> section').toMatch(MARKERS);
  if (process.env.UPDATE_README === '1') {
    fs.writeFileSync(README, text.replace(MARKERS, (_, start, _old, end) => `${start}${optionsMarkdown()}\n${end}`));
    return;
  }
  expect(MARKERS.exec(text)![2], 'run npm run docs').toBe(optionsMarkdown());
});

it('the table names every flag --help names', () => {
  const table = optionsMarkdown();
  for (const flag of ['--name', '--map', '--ordering', '--program', '--attach', '--toolchain', '--config', '-y', '--yes', '--overwrite',
    '--git', '--no-git', '--verify', '--no-verify', '--offline', '--dry-run', '--json', '--update', '--color', '--no-color', '-h', '--help',
    '-v', '--version']) {
    expect(table).toContain(`\`${flag}`);
  }
});
