// Verify's build step with the real tools: a successful build (and, as root, the kernel's
// verdict), a network failure reported as such, and Ctrl-C that leaves no child process behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BIN,
  DEBIAN_TOOLCHAIN,
  SHARED_TARGET,
  cli,
  isRoot,
  missingToolchain,
  show,
  tempDir,
  removeTempDirs,
} from './env.js';

afterAll(removeTempDirs);

const missing = missingToolchain();

function processesMentioning(text: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

describe.skipIf(Boolean(missing))('verify: building the generated workspace', () => {
  // One real verify, shared by the two tests below.
  let report: Record<string, any> | undefined;
  let stderr = '';
  const verifyOnce = () => {
    if (report) return report;
    const cwd = tempDir('verify-ok');
    const r = cli(
      ['probe', '--program', 'tracepoint', '--toolchain', DEBIAN_TOOLCHAIN, '--yes', '--no-git', '--json'],
      cwd,
      {
        CARGO_TARGET_DIR: SHARED_TARGET,
      },
    );
    expect(r.status, show(r)).toBe(0);
    stderr = r.stderr;
    report = JSON.parse(r.stdout) as Record<string, any>;
    return report;
  };

  it('builds the workspace for real with the Debian toolchain and exits 0', () => {
    const report = verifyOnce();
    expect(report.ok).toBe(true);
    expect(
      report.verify.prerequisites.filter((p: { ok: boolean; optional?: boolean }) => !p.ok && !p.optional),
    ).toEqual([]);
    expect(report.verify.build.status).toBe('ok');
    expect(existsSync(report.verify.build.log)).toBe(true);
    expect(readFileSync(report.verify.build.log, 'utf8')).toMatch(/Finished `release` profile/);
    expect(stderr).toMatch(/Built the eBPF program and the loader/);
  });

  it.skipIf(!isRoot)("as root, the running kernel's verifier accepts it", () => {
    const report = verifyOnce();
    expect(report.verify.check.status).toBe('accepted');
    expect(stderr).toMatch(/verifier accepted/);
  });

  it.skipIf(isRoot)('not as root, says how to run the check', () => {
    const report = verifyOnce();
    expect(report.verify.check).toEqual({ status: 'not-run', reason: 'not root' });
    expect(stderr).toMatch(/cargo xtask run -- --check/);
  });

  it('reports crates that cannot be downloaded as a network problem, exit 5', () => {
    const cwd = tempDir('verify-offline');
    const cargoHome = path.join(cwd, 'empty-cargo-home');
    mkdirSync(cargoHome);
    const r = cli(['probe', '--toolchain', DEBIAN_TOOLCHAIN, '--yes', '--no-git', '--offline'], cwd, {
      CARGO_HOME: cargoHome,
      CARGO_TARGET_DIR: path.join(cwd, 'target'),
    });
    expect(r.status, show(r)).toBe(5);
    // The xtask is a member of the workspace: resolving it for the doctor is where the network is missed.
    expect(r.stdout).toMatch(
      /Cannot resolve the workspace: crates could not be downloaded: run again online, or use --no-verify now/,
    );
    expect(existsSync(path.join(cwd, 'probe', 'Cargo.toml'))).toBe(true);
  });

  it('Ctrl-C during the build stops cargo and its children and exits 130, keeping the project', async () => {
    const cwd = tempDir('verify-sigint');
    // A fresh target directory, so the build runs long enough to be interrupted.
    const target = path.join(cwd, 'target');
    const child = spawn(process.execPath, [BIN, 'sigprobe', '--toolchain', DEBIAN_TOOLCHAIN, '--yes', '--no-git'], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', CARGO_TARGET_DIR: target },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until cargo is compiling (a rustc with the target directory in its arguments is running).
    const deadline = Date.now() + 120_000;
    while (processesMentioning(target).filter((l) => /rustc|cargo/.test(l)).length === 0) {
      if (Date.now() > deadline) throw new Error(`the build never started:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGINT');
    const code = await exited;
    expect(code, out).toBe(130);
    await new Promise((r) => setTimeout(r, 1500));
    expect(processesMentioning(target)).toEqual([]);
    expect(processesMentioning(path.join(cwd, 'sigprobe'))).toEqual([]);
    expect(existsSync(path.join(cwd, 'sigprobe', 'Cargo.toml'))).toBe(true);
    expect(out).toMatch(/stays in place/);
  });
});
