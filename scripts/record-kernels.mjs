// Runs the kernel matrix (test/real/kernel-matrix.test.ts: every map × {relaxed, seqcst} × {kprobe, tracepoint} on
// Debian's 5.10, 6.1 and 6.12 in QEMU and on this machine's kernel) and, when every combination held, records it
// in records/verified-kernels.json, which the project's README and every generated README show as "verified on".
//
//   npm run record:kernels        (as root; after bash .ci/install-ebpf-toolchain.sh and bash .ci/fetch-kernels.sh)
//
// A plain `npm test` runs the same matrix but writes its record only to
// $TMPDIR/create-aya-atomic-verified-kernels.json, so the tree stays clean. Takes about as long as the matrix in CI
// (see the test's closing line).
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const record = path.join(root, 'records', 'verified-kernels.json');
const mtime = () => {
  try {
    return statSync(record).mtimeMs;
  } catch {
    return 0;
  }
};

const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
};

if (run(process.execPath, [path.join(root, 'scripts/build.mjs')]) !== 0) process.exit(1);
const before = mtime();
const status = run('npx', ['vitest', 'run', '--project', 'real', 'test/real/kernel-matrix.test.ts'], {
  AYA_ATOMIC_RECORD_KERNELS: '1',
});
if (mtime() === before) {
  console.error(
    `record-kernels: the matrix did not complete (exit ${status}, or skipped): records/verified-kernels.json left as it was`,
  );
  process.exit(1);
}
// Bundle the new record into dist/, so generated READMEs show it.
if (run(process.execPath, [path.join(root, 'scripts/build.mjs')]) !== 0) process.exit(1);
const { date, kernels, results } = JSON.parse(readFileSync(record, 'utf8'));
console.log(
  `record-kernels: records/verified-kernels.json: ${results.length} results on ${kernels.map((k) => k.release).join(', ')} (${date})`,
);
process.exit(status);
