// Verify, step 1 (docs/command-line.md, Verify): each prerequisite reported present or missing with the command that
// fixes it, exit 4 when one is missing, and the workspace stays. cargo is a fake (test/helpers/fake-cargo.ts)
// whose doctor prints what the test needs, so nothing here depends on the templates or the toolchain.
// verify() runs in-process (fake cargo first on this process's PATH, so these tests run one at a time);
// one spawned run proves exit 4 and the --json report of the built command.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { configureColor } from '../src/ui.js';
import { verify } from '../src/verify.js';
import { makeTmp, parseJson, runCli, show } from './helpers/cli.js';
import { doctorJson, fakeCargo, type Step, type StepBehaviour } from './helpers/fake-cargo.js';
import { captureUi } from './helpers/in-process.js';
import { lazyTestTmp } from './helpers/tree.js';

const MISSING = doctorJson([
  { name: 'stable', ok: true, detail: 'rustc 1.95.0' },
  { name: 'toolchain', ok: true, detail: 'nightly-2026-05-19' },
  {
    name: 'rust-src',
    ok: false,
    detail: 'not installed for nightly',
    fix: 'rustup component add rust-src --toolchain nightly',
  },
  { name: 'bpf-linker', ok: false, detail: 'not found on PATH', fix: 'cargo install bpf-linker' },
  {
    name: 'qemu-aarch64',
    ok: false,
    detail: 'qemu-system-aarch64 not found',
    fix: 'apt-get install qemu-system-arm',
    optional: true,
  },
]);

const baseTmp = lazyTestTmp('caa-verify-');
afterAll(() => baseTmp.remove());
beforeAll(() => configureColor(false));
afterEach(() => {
  vi.unstubAllEnvs();
});
let n = 0;

/** verify() in a fresh directory, cargo being the fake given (or none at all: `null`). */
async function verifyWith(
  steps: Partial<Record<Step, StepBehaviour>> | null,
  opts: { toolchain?: string; offline?: boolean } = {},
) {
  const dir = path.join(baseTmp.dir(), `w${n++}`);
  fs.mkdirSync(dir);
  const cargo = fakeCargo(path.join(baseTmp.dir(), `fake${n}`), steps ?? {});
  vi.stubEnv('PATH', steps === null ? path.join(baseTmp.dir(), 'empty-bin') : `${cargo.bin}:${process.env.PATH}`);
  const { ui, text } = captureUi();
  const outcome = await verify({
    dir,
    offline: opts.offline ?? false,
    ui,
    signal: new AbortController().signal,
    isRoot: false,
    toolchain: opts.toolchain ?? 'nightly',
  });
  return { dir, cargo, outcome, out: text() };
}

describe('verify: prerequisites', () => {
  it('a missing prerequisite: each is listed with its fix, the build does not run, exit 4', async () => {
    const { cargo, outcome, out } = await verifyWith({ doctor: { stdout: MISSING } });
    expect(outcome).toEqual({
      exitCode: 4,
      prerequisites: [
        { name: 'cargo', ok: true, detail: 'cargo 1.95.0 (fake)' },
        { name: 'stable', ok: true, detail: 'rustc 1.95.0' },
        { name: 'toolchain', ok: true, detail: 'nightly-2026-05-19' },
        {
          name: 'rust-src',
          ok: false,
          detail: 'not installed for nightly',
          fix: 'rustup component add rust-src --toolchain nightly',
        },
        { name: 'bpf-linker', ok: false, detail: 'not found on PATH', fix: 'cargo install bpf-linker' },
        {
          name: 'qemu-aarch64',
          ok: false,
          detail: 'qemu-system-aarch64 not found',
          fix: 'apt-get install qemu-system-arm',
          optional: true,
        },
      ],
      build: { status: 'not-run' },
      check: { status: 'not-run' },
    });
    expect(out).toContain(
      [
        'Checking prerequisites (cargo xtask doctor)...',
        'Prerequisites',
        // One column for the names, as wide as the longest.
        '  ✓ cargo        cargo 1.95.0 (fake)',
        '  ✓ stable       rustc 1.95.0',
        '  ✓ toolchain    nightly-2026-05-19',
        '  ✗ rust-src     not installed for nightly',
        '    fix: rustup component add rust-src --toolchain nightly',
        '  ✗ bpf-linker   not found on PATH',
        '    fix: cargo install bpf-linker',
        '  - qemu-aarch64 qemu-system-aarch64 not found (optional: for cargo xtask vm and build --target)',
        '    fix: apt-get install qemu-system-arm',
        'Prerequisites missing: the workspace is written; run the fix commands above, then `cargo build`.',
      ].join('\n'),
    );
    expect(cargo.calls()).toEqual(['--version', 'xtask doctor --json']);
  });

  it('only an optional prerequisite missing: the build runs, exit 0', async () => {
    const doctor = doctorJson([
      { name: 'bpf-linker', ok: true, detail: 'bpf-linker 0.9.15' },
      {
        name: 'busybox',
        ok: false,
        detail: 'busybox-static not found',
        fix: 'apt-get install busybox-static',
        optional: true,
      },
    ]);
    const { cargo, outcome, out } = await verifyWith({ doctor: { stdout: doctor } });
    expect(outcome.exitCode).toBe(0);
    expect(out).toContain(
      '  - busybox    busybox-static not found (optional: for cargo xtask vm and build --target)\n',
    );
    expect(out).not.toContain('Prerequisites missing');
    expect(cargo.calls()).toEqual(['--version', 'xtask doctor --json', 'build --release']);
  });

  it('cargo not on PATH: says how to install Rust, exit 4', async () => {
    const { outcome, out } = await verifyWith(null);
    expect(outcome.exitCode).toBe(4);
    expect(outcome.prerequisites).toEqual([
      {
        name: 'cargo',
        ok: false,
        detail: 'cargo is not on PATH',
        fix: "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh  (see https://rustup.rs)",
      },
    ]);
    expect(out).toContain(
      "  ✗ cargo cargo is not on PATH\n    fix: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh  (see https://rustup.rs)\n",
    );
  });

  it('a doctor that cannot run (the xtask does not compile): named, with its last line and a fix, exit 4', async () => {
    const { outcome } = await verifyWith({
      doctor: {
        stderr:
          '   Compiling xtask v0.1.0\nerror[E0658]: use of unstable library feature\nerror: could not compile `xtask` (bin "xtask")\n',
        exit: 101,
      },
    });
    expect(outcome.exitCode).toBe(4);
    expect(outcome.prerequisites[1]).toEqual({
      name: 'xtask',
      ok: false,
      detail: 'cargo xtask doctor did not run: error: could not compile `xtask` (bin "xtask")',
      fix: 'rustup update stable',
    });
  });

  it("a doctor that cannot fetch the workspace's crates is a network failure (exit 5), saying what to do", async () => {
    const { outcome, out } = await verifyWith({
      doctor: { stderr: 'error: failed to download from `https://index.crates.io/config.json`\n', exit: 101 },
    });
    expect(outcome.exitCode).toBe(5);
    expect(outcome.build).toEqual({
      status: 'failed',
      failure: 'network',
      errorLines: ['error: failed to download from `https://index.crates.io/config.json`'],
    });
    expect(out).toContain(
      '✗ Cannot resolve the workspace: crates could not be downloaded: run again online, or use --no-verify now and `cargo build` later\n',
    );
  });

  it('--offline reaches the doctor', async () => {
    const { cargo } = await verifyWith({ doctor: { stdout: MISSING } }, { offline: true });
    expect(cargo.calls()).toEqual(['CARGO_NET_OFFLINE=true --version', 'CARGO_NET_OFFLINE=true xtask doctor --json']);
  });

  it('with a toolchain directory, no other packaged Rust is suggested', async () => {
    const doctor = doctorJson([
      { name: 'rust-src', ok: false, detail: 'no library source in /opt/rust', fix: 'install the library source' },
    ]);
    const { out } = await verifyWith({ doctor: { stdout: doctor } }, { toolchain: '/opt/rust' });
    expect(out).not.toContain('Or use the Rust in');
  });

  // Depends on this machine: Debian's rust-web Rust with its library source (CI installs it).
  const packagedRust = ['/usr/bin/cargo', '/usr/bin/rustc', '/usr/lib/rustlib/src/rust/library/Cargo.lock'].every((p) =>
    fs.existsSync(p),
  );
  const NO_SRC = doctorJson([
    {
      name: 'rust-src',
      ok: false,
      detail: 'not installed for nightly',
      fix: 'rustup component add rust-src --toolchain nightly',
    },
  ]);
  it("the nightly's rust-src missing and a packaged Rust with its library source in /usr/bin: suggests it", async (ctx) => {
    ctx.skip(
      !packagedRust,
      'no packaged Rust with its library source here (/usr/bin/cargo, /usr/bin/rustc, /usr/lib/rustlib/src/rust/library)',
    );
    const { out } = await verifyWith({ doctor: { stdout: NO_SRC } });
    expect(out).toContain(
      '  Or use the Rust in /usr/bin, which has its library source: set EBPF_TOOLCHAIN to "/usr/bin" in .cargo/config.toml ' +
        "(or generate with --toolchain /usr/bin); its LLVM must match bpf-linker's.\n",
    );
  });
  it('without a packaged Rust with its library source: no such suggestion', async (ctx) => {
    ctx.skip(packagedRust, 'this machine has a packaged Rust with its library source in /usr/bin');
    const { out } = await verifyWith({ doctor: { stdout: NO_SRC } });
    expect(out).not.toContain('Or use the Rust in');
  });
});

describe('verify: prerequisites, through the built command', () => {
  it('exit 4, the report in --json, the fix commands on stderr, the workspace stays', async () => {
    const cwd = makeTmp('verify');
    const cargo = fakeCargo(makeTmp('fake-cargo'), { doctor: { stdout: MISSING } });
    const result = await runCli(['probe', '--yes', '--no-git', '--json'], { cwd, verify: true, env: cargo.env });
    expect(result.code, show(result)).toBe(4);
    const report = parseJson(result);
    expect(report).toMatchObject({
      schemaVersion: 2,
      ok: false,
      exitCode: 4,
      verify: { exitCode: 4, build: { status: 'not-run' } },
    });
    expect(report.verify.prerequisites).toHaveLength(6);
    expect(result.stderr).toContain('    fix: cargo install bpf-linker\n');
    expect(result.stderr).toContain('  cargo xtask doctor                    # after the fixes above\n');
    expect(fs.existsSync(path.join(cwd, 'probe', 'Cargo.toml'))).toBe(true);
  });
});
