// The README's commands are the ones the registry tests run: every line of its code blocks that runs
// create-aya-atomic through a package manager is in test/registry/commands.ts, and each of those is in the
// README. (A shell redirection and a trailing comment are the README's, not the command's.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { ALL } from './commands.js';

function readmeCommands(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const lines: string[] = [];
  let inBlock = false;
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) inBlock = !inBlock;
    else if (inBlock && /(?:^|\s)(?:npm (?:create|init)|npx|pnpm|yarn|bun) .*aya-atomic/.test(line))
      lines.push(
        line
          .replace(/^\s*-?\s*run:\s*/, '')
          .replace(/\s+#.*$/, '')
          .replace(/\s*>\s*\S+(\s*\|\|.*)?$/, '')
          .trim(),
      );
  }
  return [...new Set(lines)];
}

describe('the README', () => {
  it('gives only commands the registry tests run', () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.filter((c) => !ALL.includes(c))).toEqual([]);
  });

  it('gives every command the registry tests run', () => {
    expect(ALL.filter((c) => !readmeCommands().includes(c))).toEqual([]);
  });
});
