import { defineConfig } from 'vitest/config';

// Three suites: `fast` needs nothing beyond Node, git and rustup's stable Rust; `registry` publishes the
// package to a local registry (verdaccio) and runs it through npm, npx, pnpm, yarn 1 and bun, all dev
// dependencies; `real` builds generated workspaces with the eBPF toolchain that
// .ci/install-ebpf-toolchain.sh installs (and skips, with the reason, where that toolchain or root is missing).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'fast',
          include: ['test/**/*.test.ts'],
          exclude: ['test/real/**', 'test/registry/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'registry',
          include: ['test/registry/**/*.test.ts'],
          // Starts the registry and publishes release 0.1.0 and this build, once for every file.
          globalSetup: ['test/registry/setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
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
