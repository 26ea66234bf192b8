// `cargo xtask vm` and `cargo xtask build --target` of a generated workspace, with nothing beyond rustup's stable Rust
// (docs/kernels.md): the xtask's own unit tests (the VM's verdict as a pure function: an exact count, a double count, a
// short count, a reset, a rejection, a crash, a timeout; --service's pin and least privilege; the host checked before
// any tool; kernel image headers; install's note where perf_event_paranoid is above 2), and the built xtask run with a
// PATH that lacks QEMU, busybox, the cross linker and Rust, so that each refusal names what is missing and the command
// that installs it. Booting kernels is test/real/kernel-matrix.test.ts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessCi } from '../helpers/ci.js';
import { ROOT, makeTmp, runCli, show } from '../helpers/cli.js';

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, clean = false) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: clean ? env : { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
const hasCargo = (await run('cargo', ['--version'], os.tmpdir()).catch(() => ({ code: 1 }))).code === 0;
skipUnlessCi(hasCargo ? undefined : 'cargo is not on PATH');

/** A target directory of this file's own: the built xtask it runs is this version's (the xtask compiles in seconds). */
const TARGET = path.join(os.tmpdir(), 'create-aya-atomic-xtask-vm-target');
const CARGO = { CARGO_TARGET_DIR: TARGET, CARGO_TERM_COLOR: 'never' };

let dir = '';
let xtask = '';
beforeAll(async () => {
  if (!hasCargo) return;
  const cwd = makeTmp('xtask-vm');
  const gen = await runCli(['vmprobe', '--yes', '--no-git', '--no-verify'], { cwd });
  if (gen.code !== 0) throw new Error(show(gen));
  dir = path.join(cwd, 'vmprobe');
  const built = await run('cargo', ['build', '--package', 'xtask', '--message-format=short'], dir, CARGO);
  if (built.code !== 0) throw new Error(built.stderr);
  xtask = path.join(TARGET, 'debug', 'xtask');
}, 600_000);

/**
 * The built xtask with nothing on PATH but an empty directory (no QEMU, busybox, rustc, cross linker), as cargo
 * would run it from the workspace (`CARGO_MANIFEST_DIR`).
 */
async function bareXtask(args: string[], env: NodeJS.ProcessEnv = {}) {
  const empty = makeTmp('empty-path');
  return run(xtask, args, dir, { PATH: empty, CARGO_MANIFEST_DIR: path.join(dir, 'xtask'), ...env }, true);
}

/** A file whose header says "arm64 kernel Image" (the magic at 0x38) and nothing else. */
function fakeArm64Image(): string {
  const image = Buffer.alloc(0x1000);
  image.write('MZ', 0);
  image.write('ARM\x64', 0x38, 'latin1');
  const file = path.join(makeTmp('image'), 'vmlinuz-6.1.0-47-cloud-arm64');
  fs.writeFileSync(file, image);
  return file;
}

// The VM's Rust reads as an Aya maintainer would write it: named structs and enums for rows, verdicts and options,
// not tuples read by position (`row.1`), and `if`/`match` on values, not `match () { () if … }`.
it("vm's Rust has no positional tuples for its records and no match on ()", () => {
  const xtask = path.join(ROOT, 'templates/workspace/xtask/src');
  const files = ['vm.rs', ...fs.readdirSync(path.join(xtask, 'vm')).map((f) => `vm/${f}`)];
  for (const file of files) {
    const code = fs.readFileSync(path.join(xtask, file), 'utf8').replace(/\/\/.*$/gm, '');
    expect(code, file).not.toMatch(/match \(\) \{/);
    expect(code, file).not.toMatch(/^\s*(pub )?type \w+ = \(/m);
    expect(code, file).not.toMatch(/\b(row|options|judged|verdict)\.\d/);
  }
});

describe.skipIf(!hasCargo)('cargo xtask vm and build --target', () => {
  it("the xtask's unit tests: the VM's verdict, the host check, kernel headers, ELF headers", async () => {
    const r = await run('cargo', ['test', '--package', 'xtask'], dir, CARGO);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const passed = (name: string) => new RegExp(`^test ${name.replace(/[.]/g, '\\.')} \\.\\.\\. ok$`, 'm');
    for (const name of [
      'vm::judge::tests::exactly_the_runs_is_counted',
      'vm::judge::tests::a_double_count_fails_though_the_loader_passed',
      'vm::judge::tests::a_short_count_fails',
      'vm::judge::tests::a_counter_reset_fails',
      'vm::judge::tests::a_verifier_rejection_is_explained_by_the_kernel_version',
      'vm::judge::tests::a_crash_is_the_vm_failing_whatever_the_count',
      'vm::judge::tests::a_timeout_is_the_vm_failing',
      'vm::judge::tests::the_interpreter_is_reported',
      'vm::tests::the_host_is_checked_before_any_tool',
      'vm::tests::every_missing_tool_of_every_architecture_is_named',
      'vm::image::tests::headers',
      'vm::service::tests::pinned_links_count_while_no_loader_runs',
      'vm::service::tests::least_privilege_fails_when_the_set_is_refused_or_none_is_accepted',
      'vm::service::tests::a_tracepoint_with_no_capability_is_refused_naming_all_three',
      'install::tests::above_paranoid_2_says_what_the_unit_lacks_and_both_ways_out',
      'arch::tests::elf_headers',
    ])
      expect(r.stdout).toMatch(passed(name));
  }, 600_000);

  it('vm without a kernel, or with a file that is no kernel image, is a usage error (2)', async () => {
    const none = await bareXtask(['vm']);
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toMatch(/^xtask vm: give at least one --kernel <image>$/m);

    const text = path.join(makeTmp('not-an-image'), 'notes.txt');
    fs.writeFileSync(text, 'not a kernel\n');
    const unknown = await bareXtask(['vm', '--kernel', text]);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain(`${text} is neither an x86_64 bzImage nor an arm64 Image (by its header)`);
    expect(unknown.stderr).toContain('--arch x86_64 or --arch aarch64');

    const arch = await bareXtask(['vm', '--kernel', text, '--arch', 'riscv64']);
    expect(arch.code, arch.stderr).toBe(2);
    expect(arch.stderr).toContain('unknown architecture `riscv64`: x86_64 (amd64) or aarch64 (arm64)');
  });

  it('vm on an arm64 image names QEMU and busybox for arm64, with the commands that install them (10)', async () => {
    const r = await bareXtask(['vm', '--kernel', fakeArm64Image()]);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toMatch(
      /^xtask vm: qemu-system-aarch64 is not on PATH\n {2}fix: sudo apt-get install qemu-system-arm$/m,
    );
    expect(r.stderr).toMatch(/^xtask vm: no static aarch64 busybox on PATH \(busybox-aarch64 or busybox\)$/m);
    expect(r.stderr).toContain('apt-get download busybox-static:arm64');
    expect(r.stderr).toContain('/usr/local/bin/busybox-aarch64');
    // Nothing was built: a refusal before any build.
    expect(r.stderr).not.toMatch(/Compiling|cargo/);
  });

  it('build --target: an unknown target is a usage error; a missing std or linker is named with its fix', async () => {
    const unknown = await bareXtask(['build', '--target', 'riscv64gc-unknown-linux-gnu']);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown target `riscv64gc-unknown-linux-gnu`: one of x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu',
    );

    // No rustc at all: neither an installed std for the target nor library source to build one from.
    const noStd = await bareXtask(['build', '--target', 'aarch64-unknown-linux-gnu']);
    expect(noStd.code, noStd.stderr).toBe(10);
    expect(noStd.stderr).toMatch(
      /^xtask: cannot build for aarch64-unknown-linux-gnu: no standard library for aarch64-unknown-linux-gnu\n {2}fix: rustup target add aarch64-unknown-linux-gnu$/m,
    );

    // A toolchain with library source (a fake sysroot: the eBPF toolchain builds std from it), but no cross linker.
    const toolchain = makeTmp('toolchain');
    const sysroot = path.join(toolchain, 'sysroot');
    fs.mkdirSync(path.join(sysroot, 'lib/rustlib/src/rust/library'), { recursive: true });
    fs.writeFileSync(path.join(sysroot, 'lib/rustlib/src/rust/library/Cargo.lock'), '');
    fs.writeFileSync(path.join(toolchain, 'rustc'), `#!/bin/sh\necho ${sysroot}\n`, { mode: 0o755 });
    const noLinker = await bareXtask(['build', '--target=aarch64-unknown-linux-gnu'], {
      EBPF_TOOLCHAIN: toolchain,
    });
    expect(noLinker.code, noLinker.stderr).toBe(10);
    expect(noLinker.stderr).toMatch(
      /^xtask: cannot build for aarch64-unknown-linux-gnu: aarch64-linux-gnu-gcc: .*\n {2}fix: sudo apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross$/m,
    );
  });

  // The names are those of an x86-64 machine (this project's); an arm64 one lists x86_64's.
  it.skipIf(os.arch() !== 'x64')(
    'doctor --json lists what arm64 needs, each optional, with the command that installs it',
    async () => {
      const r = await bareXtask(['doctor', '--json']);
      const report = JSON.parse(r.stdout);
      const checks = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c] as const)) as Record<
        string,
        { ok: boolean; fix: string; optional?: boolean }
      >;
      // On an x86-64 machine (this project's): the arm64 VM and the cross build.
      const expected: Record<string, string> = {
        'qemu-aarch64': 'sudo apt-get install qemu-system-arm',
        'std-aarch64': 'rustup target add aarch64-unknown-linux-gnu',
        'linker-aarch64': 'sudo apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross',
      };
      for (const [name, fix] of Object.entries(expected)) {
        expect(checks[name], name).toEqual(expect.objectContaining({ ok: false, fix, optional: true }));
      }
      expect(checks['busybox-aarch64']).toEqual(expect.objectContaining({ ok: false, optional: true }));
      expect(checks['busybox-aarch64'].fix).toContain('apt-get download busybox-static:arm64');
    },
  );
});
