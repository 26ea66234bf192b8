#!/usr/bin/env node
// Writes templates/workspace/Cargo.lock, the lock file every generated workspace ships, so a
// user's first build resolves exactly the crates CI tested. It renders a workspace whose crate name is a
// placeholder no dependency has, lets cargo resolve it, and writes the lock back with `@crate@` in place
// of the placeholder; the renderer (sortCargoLock in src/plan.ts) re-sorts it for each crate name.
//
//   npm run build && node scripts/update-lockfile.mjs             keep the locked versions; resolve only
//                                                                  what changed (after editing a Cargo.toml)
//   npm run build && node scripts/update-lockfile.mjs --upgrade   the newest versions the workspace's
//                                                                  rust-version allows (resolver 3)
// Needs cargo and crates.io. Run the tests afterwards: they build with --locked.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const LOCK = path.join(root, 'templates/workspace/Cargo.lock');
const PLACEHOLDER = 'zz-aya-atomic-lock-placeholder';
const upgrade = process.argv.includes('--upgrade');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'update-lockfile-'));
try {
  const dir = path.join(tmp, PLACEHOLDER);
  // Renders the current lock (if any) for the placeholder: cargo then keeps its versions.
  execFileSync(
    process.execPath,
    [path.join(root, 'bin/create-aya-atomic.cjs'), dir, '--yes', '--no-git', '--no-verify'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CI: 'true' },
    },
  );
  const lock = path.join(dir, 'Cargo.lock');
  if (upgrade) fs.rmSync(lock, { force: true });
  const cargo = (...args) => execFileSync('cargo', args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (fs.existsSync(lock)) cargo('metadata', '--format-version', '1');
  else cargo('generate-lockfile');
  const text = fs.readFileSync(lock, 'utf8');
  if (!text.includes(`name = "${PLACEHOLDER}-ebpf"`)) throw new Error(`${lock} does not list ${PLACEHOLDER}-ebpf`);
  const template = text.replaceAll(PLACEHOLDER, '@crate@');
  const before = fs.existsSync(LOCK) ? fs.readFileSync(LOCK, 'utf8') : '';
  fs.writeFileSync(LOCK, template);
  const count = (t) => (t.match(/^\[\[package\]\]$/gm) ?? []).length;
  console.log(
    `${path.relative(root, LOCK)}: ${before === template ? 'unchanged' : 'written'}, ${count(template)} packages`,
  );
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
