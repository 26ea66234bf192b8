// 32-bit (compat) execve, for real. A 32-bit program enters execve by its own entry (`__ia32_compat_sys_execve` on
// x86-64), which a kprobe on the native `__x64_sys_execve` never sees. The kprobe's `auto` attaches to both: in a
// Debian kernel booted in QEMU (this machine's kernel has no kprobes), a 32-bit program's 1000 execve calls must
// count with `auto`, and must not with the native symbol alone (the control that shows the test can tell).
// On this machine's kernel, the tracepoint syscalls/sys_enter_execve is shown not to see them (the README says so).
//
// The 32-bit program is written here byte by byte (an ELF header, one program header, 35 bytes of code), so the
// test needs no 32-bit toolchain; its assembly is in `execve32Elf`.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTracefs, isRoot, missingToolchain, removeTempDirs, sh, show, skipUnlessCi, tempDir } from './env.js';
import { build, workspace, type Workspace } from './workspace-cache.js';

afterAll(removeTempDirs);
const CALLS = 1000;
const KERNELS_DIR = process.env.AYA_ATOMIC_KERNELS_DIR ?? '/var/cache/create-aya-atomic/kernels';
/** Debian 12's kernel: IA32 emulation on, kprobes on. */
const KERNEL = 'amd64-6.1'; // the cache directory .ci/fetch-kernels.sh writes

/**
 * A static 32-bit x86 program that calls execve("/nonexistent", NULL, NULL) `calls` times (each fails with ENOENT,
 * after the kernel's execve entry ran) and exits 0:
 *
 *       mov $calls, %esi
 *   1:  mov $11, %eax        ; execve
 *       mov $path, %ebx
 *       xor %ecx, %ecx
 *       xor %edx, %edx
 *       int $0x80
 *       dec %esi
 *       jnz 1b
 *       mov $1, %eax         ; exit(0)
 *       xor %ebx, %ebx
 *       int $0x80
 *   path: .asciz "/nonexistent"
 */
function execve32Elf(calls: number): Buffer {
  const base = 0x08048000;
  const entry = base + 52 + 32;
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return [...b];
  };
  const pathAt = entry + 33;
  const code = [
    ...[0xbe, ...u32(calls)],
    ...[0xb8, ...u32(11)],
    ...[0xbb, ...u32(pathAt)],
    ...[0x31, 0xc9, 0x31, 0xd2, 0xcd, 0x80, 0x4e],
    ...[0x75, 0x100 - 19], // jnz back to the second instruction
    ...[0xb8, ...u32(1)],
    ...[0x31, 0xdb, 0xcd, 0x80],
    ...Buffer.from('/nonexistent\0'),
  ];
  const size = 52 + 32 + code.length;
  const header = Buffer.alloc(52);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]).copy(header); // ELF, 32-bit, little-endian, version 1, SysV
  header.writeUInt16LE(2, 16); // executable
  header.writeUInt16LE(3, 18); // i386
  header.writeUInt32LE(1, 20);
  header.writeUInt32LE(entry, 24);
  header.writeUInt32LE(52, 28); // program headers right after this one
  header.writeUInt16LE(52, 40);
  header.writeUInt16LE(32, 42);
  header.writeUInt16LE(1, 44);
  const load = Buffer.alloc(32);
  [1, 0, base, base, size, size, 5, 0x1000].forEach((v, i) => load.writeUInt32LE(v, i * 4)); // PT_LOAD, R+X
  return Buffer.concat([header, load, Buffer.from(code)]);
}

/** A cpio "newc" archive, the format the kernel unpacks as an initramfs. */
class Cpio {
  private parts: Buffer[] = [];
  private names = new Set<string>();
  add(name: string, mode: number, data: Buffer = Buffer.alloc(0)) {
    const parent = path.posix.dirname(name);
    if (parent !== '.' && !this.names.has(parent)) this.add(parent, 0o040755);
    if (this.names.has(name)) return;
    this.names.add(name);
    const device = name === 'dev/console' ? [5, 1] : [0, 0];
    const fields = [this.names.size, mode, 0, 0, 1, 0, data.length, 0, 0, ...device, name.length + 1, 0];
    const header = `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`;
    this.parts.push(Buffer.from(header), Buffer.alloc((4 - (header.length % 4)) % 4));
    this.parts.push(data, Buffer.alloc((4 - (data.length % 4)) % 4));
  }
  bytes(): Buffer {
    this.add('TRAILER!!!', 0);
    return Buffer.concat(this.parts);
  }
}

function kernelImage(): string | undefined {
  const boot = path.join(KERNELS_DIR, KERNEL, 'boot');
  if (!existsSync(boot)) return undefined;
  const image = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  return image && path.join(boot, image);
}
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
const image = kernelImage();
const skipVm = skipUnlessCi(
  missingToolchain() ??
    (has('qemu-system-x86_64') ? undefined : 'qemu-system-x86_64 is missing (bash .ci/fetch-kernels.sh)') ??
    (busybox ? undefined : 'busybox is missing (bash .ci/fetch-kernels.sh)') ??
    (image ? undefined : `kernel ${KERNEL} is not in ${KERNELS_DIR}: run bash .ci/fetch-kernels.sh`),
);
const skipHost = skipUnlessCi(missingToolchain() ?? (isRoot ? undefined : 'not root: loading BPF needs root'));

/** Runs a command with a time limit; its stdout and stderr together. */
function runFor(cmd: string, args: string[], ms: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe.skipIf(Boolean(skipVm))(`a kprobe in Debian's ${KERNEL} kernel (QEMU)`, () => {
  let console = '';

  beforeAll(async () => {
    const ws: Workspace = workspace({ map: 'array', ordering: 'relaxed', program: 'kprobe' });
    build(ws, 'release');
    const loader = ws.loader('release');
    const cpio = new Cpio();
    cpio.add('dev/console', 0o020600);
    for (const dir of ['proc', 'sys', 'tmp']) cpio.add(dir, 0o040755);
    cpio.add('bin/busybox', 0o100755, readFileSync(busybox));
    for (const tool of ['sh', 'mount', 'sleep', 'kill', 'cat', 'grep', 'sed', 'poweroff'])
      cpio.add(`bin/${tool}`, 0o120777, Buffer.from('busybox'));
    cpio.add('loader', 0o100755, readFileSync(loader));
    const ldd = sh('ldd', [loader], '/').stdout;
    for (const lib of ldd.split(/\s+/).filter((w) => w.startsWith('/')))
      cpio.add(lib.slice(1), 0o100755, readFileSync(lib));
    cpio.add('execve32', 0o100755, execve32Elf(CALLS));
    // For each target: the loader in watch mode, the 32-bit program once it counts, then Ctrl-C for the final total.
    const run = (label: string, attach: string) => `
/loader --attach ${attach} > /tmp/${label} 2>&1 &
loader=$!
i=0; while ! grep -q counting: /tmp/${label} && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done
/execve32
kill -INT $loader; wait $loader
echo "@@ ${label} exit $?"
sed "s/^/@@ ${label} /" /tmp/${label}`;
    cpio.add(
      'init',
      0o100755,
      Buffer.from(`#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
${run('auto', 'auto')}
${run('native', '__x64_sys_execve')}
poweroff -f
`),
    );
    const dir = tempDir('compat-execve');
    mkdirSync(dir, { recursive: true });
    const initrd = path.join(dir, 'initrd.cpio');
    writeFileSync(initrd, cpio.bytes());
    const qemu = await runFor(
      'qemu-system-x86_64',
      [
        ...['-accel', 'tcg', '-cpu', 'max', '-m', '1024', '-smp', '2', '-nographic', '-no-reboot', '-nic', 'none'],
        ...['-kernel', image!, '-initrd', initrd],
        ...['-append', 'console=ttyS0 panic=-1 oops=panic nowatchdog loglevel=3'],
      ],
      540_000,
    );
    console = qemu.out.replace(/\r/g, '');
    writeFileSync(path.join(dir, 'console.log'), console); // KEEP_TEST_DIRS=1 keeps it
  }, 900_000);

  const lines = (label: string) =>
    console
      .split('\n')
      .filter((l) => l.includes(`@@ ${label} `))
      .map((l) => l.slice(l.indexOf(`@@ ${label} `) + label.length + 4));
  const finalTotal = (label: string) => Number(/^final total: (\d+)$/m.exec(lines(label).join('\n'))?.[1]);

  it("`auto` attaches to the native and the 32-bit entry, and counts the 32-bit program's execve", () => {
    const out = lines('auto').join('\n');
    expect(out, console.slice(0, 4000)).toMatch(/^counting: kprobe on __x64_sys_execve, __ia32_compat_sys_execve;/m);
    expect(out).toMatch(/^exit 0$/m);
    // The 1000 calls, and the few execve of the script itself (the 32-bit program's own start among them).
    expect(finalTotal('auto'), out).toBeGreaterThanOrEqual(CALLS);
    expect(finalTotal('auto'), out).toBeLessThan(CALLS + 50);
  });

  it('the native entry alone misses them (the control)', () => {
    const out = lines('native').join('\n');
    expect(out, console.slice(0, 4000)).toMatch(/^counting: kprobe on __x64_sys_execve;/m);
    expect(finalTotal('native'), out).toBeLessThan(50);
  });
});

describe.skipIf(Boolean(skipHost))("the tracepoint on this machine's kernel", () => {
  it("does not see a 32-bit program's execve (what the README says it leaves out)", () => {
    ensureTracefs();
    const ws = workspace({ map: 'array', ordering: 'relaxed', program: 'tracepoint' });
    build(ws, 'debug');
    const program = path.join(tempDir('execve32'), 'execve32');
    writeFileSync(program, execve32Elf(CALLS));
    chmodSync(program, 0o755);
    // The loader counts while the 32-bit program runs: 1 native execve (its own start) and 1000 compat ones.
    const script = `${ws.loader('debug')} > out 2>&1 & l=$!; while ! grep -q counting: out; do sleep 0.1; done
${program}; kill -INT $l; wait $l; echo "exit $?"; cat out`;
    const r = sh('sh', ['-c', script], path.dirname(program));
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^exit 0$/m);
    const total = Number(/^final total: (\d+)$/m.exec(r.stdout)?.[1]);
    // Other processes' execve count too (a busy machine: a few per second), never 1000 in this short time.
    expect(total, r.stdout).toBeLessThan(CALLS / 2);
  });
});
