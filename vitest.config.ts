import { defineConfig } from 'vitest/config';

// Two suites: `fast` needs nothing beyond Node, git and rustup's stable Rust; `real` builds generated
// workspaces with the eBPF toolchain that .ci/install-ebpf-toolchain.sh installs (and skips, with the
// reason, where that toolchain or root is missing).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'fast',
          include: ['test/**/*.test.ts'],
          exclude: ['test/real/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'real',
          include: ['test/real/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          // One workspace build at a time: they share a cargo target directory and 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
