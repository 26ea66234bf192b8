// What the real-build tests need, and why a test skips when it is missing. Installed in CI by
// .ci/install-ebpf-toolchain.sh (Debian's rust-web Rust with its library source, llvm-22, bpf-linker).
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipUnlessCi } from '../helpers/ci.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'create-aya-atomic.cjs');
/** Debian's rust-web toolchain: a directory toolchain (--toolchain /usr/bin). */
export const DEBIAN_TOOLCHAIN = '/usr/bin';
export const OBJDUMP = 'llvm-objdump-22';
export const isRoot = process.getuid?.() === 0;

function has(cmd: string, args: string[] = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Why the eBPF toolchain is unusable here, or undefined when everything a real build needs is present. */
export function missingToolchain(): string | undefined {
  if (!existsSync(path.join(DEBIAN_TOOLCHAIN, 'cargo')) || !existsSync(path.join(DEBIAN_TOOLCHAIN, 'rustc'))) {
    return 'Debian rust-web toolchain (/usr/bin/cargo, /usr/bin/rustc) is not installed: run .ci/install-ebpf-toolchain.sh';
  }
  const sysroot = execFileSync(path.join(DEBIAN_TOOLCHAIN, 'rustc'), ['--print', 'sysroot'], {
    encoding: 'utf8',
  }).trim();
  if (!existsSync(path.join(sysroot, 'lib/rustlib/src/rust/library/Cargo.lock'))) {
    return `the library source for ${DEBIAN_TOOLCHAIN}/rustc is missing (apt-get install rust-web-src)`;
  }
  if (!has('bpf-linker')) return 'bpf-linker is not on PATH: run .ci/install-ebpf-toolchain.sh';
  if (!has('cargo')) return 'no stable cargo on PATH for the loader';
  return undefined;
}

export function missingObjdump(): string | undefined {
  return has(OBJDUMP) ? undefined : `${OBJDUMP} is not installed (apt-get install llvm-22)`;
}

export { skipUnlessCi };

// Root is what the kernel checks need: in CI, not being root is a missing step too.
skipUnlessCi(isRoot ? undefined : 'not running as root (the kernel checks need it)');
skipUnlessCi(missingToolchain() ?? missingObjdump());

/** Shared by every real build, so the dependencies compile once per run (and across runs on one machine). */
export const SHARED_TARGET =
  process.env.AYA_ATOMIC_TEST_TARGET_DIR ?? path.join(os.tmpdir(), 'create-aya-atomic-test-target');
mkdirSync(SHARED_TARGET, { recursive: true });

const created: string[] = [];
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `caa-${prefix}-`));
  created.push(dir);
  return dir;
}
/** For afterAll: removes the directories tempDir made (set KEEP_TEST_DIRS=1 to keep them for a look). */
export function removeTempDirs(): void {
  if (process.env.KEEP_TEST_DIRS) return;
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: 'true', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
}

export const show = (r: SpawnSyncReturns<string>) =>
  `exit ${r.status} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The eBPF object the loader's build script builds (into `<target dir>/ebpf`) for the crate `name`. */
export const ebpfObject = (name: string) =>
  path.join(SHARED_TARGET, 'ebpf', 'bpfel-unknown-none', 'release', `${name}-ebpf`);

const TRACEFS = '/sys/kernel/tracing';
const tracefsMounted = () => {
  try {
    return readdirSync(TRACEFS).length > 0;
  } catch {
    return false;
  }
};
let mountedByUs = false;
/**
 * Tracepoints need tracefs. The generated loader never mounts it (it changes no system state); on a machine
 * where it is not mounted, the tests mount it as root, and unmount it again when this test file ends.
 * Returns whether it was mounted before.
 */
export function ensureTracefs(): boolean {
  if (tracefsMounted() || !isRoot) return true;
  const r = spawnSync('mount', ['-t', 'tracefs', 'tracefs', TRACEFS], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot mount tracefs at ${TRACEFS}: ${r.stderr}`);
  if (!mountedByUs) process.on('exit', () => spawnSync('umount', [TRACEFS]));
  mountedByUs = true;
  return false;
}
