// `npm test` starts with `npm run check` (tsc, ESLint, Prettier over the repository). The README's first steps
// generate `my-probe/` inside the clone (`npm start -- my-probe --yes`), and verify builds it there: cargo's
// output (JSON files under target/) is not ours to format, and must not fail the check that follows.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const dir = fs.mkdtempSync(path.join(ROOT, 'format-check-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("prettier --check passes over a workspace generated in the clone and built by cargo (its target/ is cargo's)", () => {
  const target = path.join(dir, 'my-probe', 'target', 'debug', '.fingerprint', 'xtask-0319332da3483a8b');
  fs.mkdirSync(target, { recursive: true });
  // As cargo writes them: compact JSON, which Prettier would reformat.
  fs.writeFileSync(path.join(dir, 'my-probe', 'target', '.rustc_info.json'), '{"rustc_fingerprint":1,"outputs":{}}');
  fs.writeFileSync(path.join(target, 'bin-xtask.json'), '{"rustc":1,"features":"[]"}');
  // Something Prettier does check there, formatted: the run is not vacuous.
  fs.writeFileSync(path.join(dir, 'my-probe', 'notes.json'), '{ "checked": true }\n');
  const prettier = path.join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const r = spawnSync(process.execPath, [prettier, '--check', path.relative(ROOT, dir)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  expect(r.stdout).toContain('All matched files use Prettier code style!');
});
