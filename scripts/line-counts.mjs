#!/usr/bin/env node
// Prints the line budgets of the default generated workspace (issue 11):
//   read:  what a user reads to understand the probe: the eBPF crate, the common crate, the
//          loader's build script and its sources except the bench;
//   total: every Rust file, xtask and bench included (and without the VM command, xtask/src/vm.rs).
// Lines are counted as `wc -l` does, comments and blank lines included.
// Usage: npm run build && node scripts/line-counts.mjs [-- extra generator flags]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'line-counts-'));
const dir = path.join(tmp, 'probe');
const extra = process.argv.slice(2);
try {
  execFileSync(
    process.execPath,
    [path.join(root, 'bin/create-aya-atomic.cjs'), dir, '--yes', '--no-git', '--no-verify', ...extra],
    {
      stdio: 'ignore',
      env: { ...process.env, CI: 'true' },
    },
  );
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.rs')) files.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  files.sort();
  const lines = (f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').length - 1;
  const isRead = (f) =>
    f.startsWith('probe-ebpf/') ||
    f.startsWith('probe-common/') ||
    f === 'probe/build.rs' ||
    (f.startsWith('probe/src/') && !/(^|\/)bench(\.rs|\/)/.test(f.slice('probe/src/'.length)));
  let read = 0;
  let total = 0;
  for (const f of files) {
    const n = lines(f);
    total += n;
    if (isRead(f)) read += n;
    console.log(`${String(n).padStart(5)}  ${isRead(f) ? 'read ' : '     '}  ${f}`);
  }
  const vm = files.includes('xtask/src/vm.rs') ? lines('xtask/src/vm.rs') : 0;
  console.log(
    `\nread (eBPF crate, common crate, loader build.rs and sources except the bench): ${read} (budget: under 450)`,
  );
  console.log(`total (all Rust, xtask and bench included): ${total} (budget: under 1,600)`);
  console.log(`total without xtask/src/vm.rs: ${total - vm} (budget: under 1,300)`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
