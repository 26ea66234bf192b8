// Verify's prerequisite report with the real tools of this machine (SPEC, Verify step 1; exit 4).
// Needs only rustup's stable cargo (to build the generated xtask); skips with the reason without it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, show, tempDir, removeTempDirs } from './real/env.js';

afterAll(removeTempDirs);

const whichAll = (cmd: string) =>
  (process.env.PATH ?? '').split(':').map((d) => path.join(d, cmd)).filter((p) => existsSync(p));
const cargoOnPath = whichAll('cargo')[0];
const hasNightlyWithSrc = (() => {
  const sysroot = spawnSync('rustc', ['+nightly', '--print', 'sysroot'], { encoding: 'utf8' });
  return sysroot.status === 0 && existsSync(path.join(sysroot.stdout.trim(), 'lib/rustlib/src/rust/library/Cargo.lock'));
})();
const debianRustWithSrc = existsSync('/usr/bin/cargo') && existsSync('/usr/lib/rustlib/src/rust/library/Cargo.lock');
const hasBpfLinker = spawnSync('bpf-linker', ['--version'], { stdio: 'ignore' }).status === 0;

describe('verify: prerequisites', () => {
  // On a machine where the nightly has rust-src and bpf-linker is installed nothing is missing: skip.
  it.skipIf(!cargoOnPath || (hasNightlyWithSrc && hasBpfLinker))('names what the default nightly toolchain lacks here, with fix commands, and exits 4', () => {
    const cwd = tempDir('verify-default');
    const r = cli(['probe', '--yes', '--no-git', '--json'], cwd);
    expect(r.status, show(r)).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: false, exitCode: 4, schemaVersion: 1 });
    const byName = Object.fromEntries(report.verify.prerequisites.map((p: { name: string }) => [p.name, p]));
    expect(byName.cargo.ok).toBe(true);
    expect(byName.stable.ok).toBe(true);
    // This machine's rustup nightly has no rust-src (rustup cannot download it here), unless someone added it.
    if (!hasNightlyWithSrc) {
      const missing = [byName.toolchain, byName['rust-src']].find((p) => p && !p.ok);
      expect(missing, JSON.stringify(report.verify.prerequisites, null, 2)).toBeDefined();
      expect(missing.fix).toMatch(/rustup (toolchain install nightly|component add rust-src --toolchain nightly)/);
    }
    // Debian's rust-web Rust (installed by .ci/install-ebpf-toolchain.sh) has its library source: the
    // report points at it as an alternative to fixing the rustup nightly.
    if (!hasNightlyWithSrc && debianRustWithSrc) expect(r.stderr).toMatch(/--toolchain \/usr\/bin/);
    expect(byName['bpf-linker'].ok).toBe(hasBpfLinker);
    if (!hasBpfLinker) expect(byName['bpf-linker'].fix).toMatch(/cargo install bpf-linker/);
    // Human text went to stderr under --json, with the fix commands.
    expect(r.stderr).toMatch(/fix: /);
    expect(report.verify.build.status).toBe('not-run');
    // The workspace stays.
    expect(existsSync(path.join(cwd, 'probe', 'Cargo.toml'))).toBe(true);
  });

  it.skipIf(!cargoOnPath || existsSync('/usr/bin/bpf-linker') || existsSync('/usr/local/bin/bpf-linker'))('reports bpf-linker missing, with the command that installs it', () => {
    // A PATH with cargo, rustc and rustup but no bpf-linker.
    const cwd = tempDir('verify-nolinker');
    const bin = path.join(cwd, 'bin');
    mkdirSync(bin);
    for (const tool of ['cargo', 'rustc', 'rustup', 'git']) {
      const found = whichAll(tool)[0];
      if (found) symlinkSync(found, path.join(bin, tool));
    }
    // bpf-linker lives in ~/.cargo/bin here, which this PATH leaves out; the linker cc stays reachable.
    // rustup's proxies put $CARGO_HOME/bin back on PATH for what they run, so point CARGO_HOME at an empty
    // directory (the xtask has no dependencies, so no registry is needed).
    const cargoHome = path.join(cwd, 'cargo-home');
    mkdirSync(path.join(cargoHome, 'bin'), { recursive: true });
    const r = cli(['probe', '--yes', '--no-git'], cwd, { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, CARGO_HOME: cargoHome });
    expect(r.status, show(r)).toBe(4);
    expect(r.stdout).toMatch(/✗ bpf-linker/);
    expect(r.stdout).toMatch(/cargo install bpf-linker/);
  });

  it('says how to install Rust when cargo is not on PATH, and exits 4', () => {
    const cwd = tempDir('verify-nocargo');
    const bin = path.join(cwd, 'bin');
    mkdirSync(bin);
    const r = cli(['probe', '--yes', '--no-git'], cwd, { PATH: bin });
    expect(r.status, show(r)).toBe(4);
    expect(r.stdout).toMatch(/✗ cargo/);
    expect(r.stdout).toMatch(/rustup\.rs/);
    expect(readFileSync(path.join(cwd, 'probe', 'aya-atomic.toml'), 'utf8')).toMatch(/name = "probe"/);
  });
});
