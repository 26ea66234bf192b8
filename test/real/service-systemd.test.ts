// The generated systemd unit under a real systemd: this machine's systemd (Debian 12's) runs as PID 1 in QEMU on
// Debian's kernels, from an initramfs holding it, journald, the loader and its unit as `cargo xtask install
// --destdir` stages them, and a check script run by a unit of its own (docs/service.md, "The systemd unit").
//
// What it shows, for a kprobe and a tracepoint workspace, on each kernel:
// - at Debian's kernel.perf_event_paranoid (3) the unit as shipped fails with exit 4, and its journal names
//   CAP_SYS_ADMIN and the sysctl (the loader's message);
// - with the drop-in `cargo xtask install` suggests there (CAP_SYS_ADMIN added), it runs;
// - at perf_event_paranoid 2 the unit as shipped runs: as its own user, holding exactly the unit's capabilities,
//   the count pinned in /sys/fs/bpf/<name> (owned by that user) and served on 127.0.0.1:9775; stopped, events
//   while no loader runs, started again: the count continues, and includes those events where the kernel has perf
//   links (>= 5.15).
// The expectations are written here, not taken from the generator.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, missingToolchain, sh, show, skipUnlessCi } from './env.js';
import { recordService, recordingService } from '../helpers/record.js';
import { Initramfs } from './initramfs.js';
import { CARGO_ENV, build, workspace, type Workspace } from './workspace-cache.js';

const KERNELS_DIR = process.env.AYA_ATOMIC_KERNELS_DIR ?? '/var/cache/create-aya-atomic/kernels';
/** Debian's x86-64 kernels the matrix fetches (.ci/fetch-kernels.sh names their cache directories): 5.10 has no
 *  perf links, 6.1 has. */
const KERNELS = ['amd64-5.10', 'amd64-6.1'] as const;
/** Runs of `true` while no loader runs. */
const M = 50;
/** The unit's capabilities: CAP_DAC_READ_SEARCH (2), CAP_PERFMON (38), CAP_BPF (39), as /proc/PID/status shows them. */
const UNIT_CAPS = ((1n << 2n) | (1n << 38n) | (1n << 39n)).toString(16).padStart(16, '0');

const SYSTEMD = [
  '/lib/systemd/systemd',
  '/lib/systemd/systemd-journald',
  '/bin/systemctl',
  '/bin/journalctl',
  '/usr/bin/install',
];
const onPath = (cmd: string) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, cmd)));
const kernelImage = (id: string) => {
  const file = path.join(KERNELS_DIR, id, 'package');
  if (!existsSync(file)) return undefined;
  const release = readFileSync(file, 'utf8').trim().split(/\s+/)[1];
  const image = path.join(KERNELS_DIR, id, 'boot', `vmlinuz-${release}`);
  return existsSync(image) ? { id, release, image } : undefined;
};

const skipReason = skipUnlessCi(
  missingToolchain() ??
    (isRoot ? undefined : 'not root (the loader is built and staged as root)') ??
    SYSTEMD.map((f) => (existsSync(f) ? undefined : `${f} is missing (Debian's systemd)`)).find(Boolean) ??
    (onPath('qemu-system-x86_64') ? undefined : 'qemu-system-x86_64 is missing (bash .ci/fetch-kernels.sh)') ??
    (onPath('busybox') ? undefined : 'busybox is missing (apt-get install busybox-static)') ??
    KERNELS.map((k) => (kernelImage(k) ? undefined : `kernel ${k} is missing (bash .ci/fetch-kernels.sh)`)).find(
      Boolean,
    ),
);

/** The check script: one unit at a time, every result on a line of its own marked `@@ <unit> <key> <value>`. */
function checkScript(units: string[]): string {
  const each = (u: string) => `
u=${u}
mark() { echo "@@ $u $*"; }
pid() { systemctl show -p MainPID --value $u; }
# The count the service serves, once it serves it (a loader starts in seconds under emulation).
served() {
  i=0
  until wget -q -O /tmp/metrics http://127.0.0.1:9775/metrics 2>/dev/null; do
    sleep 1; i=$((i+1)); [ $i -gt 90 ] && return 1
  done
  sed -n 's/^[a-z_0-9]*_events_total //p' /tmp/metrics
}
# As shipped, at Debian's perf_event_paranoid: refused, and the journal says what is missing.
echo 3 > /proc/sys/kernel/perf_event_paranoid
systemctl start $u; mark start-3 $?
# Restart=on-failure starts it again and again: the first exit's status is what the journal says.
i=0; until journalctl -u $u -o cat --no-pager | grep -q 'Main process exited'; do sleep 1; i=$((i+1)); [ $i -gt 60 ] && break; done
systemctl stop $u
mark status-3 $(journalctl -u $u -o cat --no-pager | sed -n 's/.*Main process exited, code=exited, status=\\([0-9]*\\).*/\\1/p' | head -1)
journalctl -u $u -o cat --no-pager | sed -n 's/^\\(error\\|hint\\|      \\)/journal-3 &/p' | sed "s/^/@@ $u /"
systemctl reset-failed $u 2>/dev/null
# The drop-in cargo xtask install suggests there.
mkdir -p /etc/systemd/system/$u.service.d
printf '[Service]\\nAmbientCapabilities=CAP_SYS_ADMIN\\nCapabilityBoundingSet=CAP_SYS_ADMIN\\n' > /etc/systemd/system/$u.service.d/sys-admin.conf
systemctl daemon-reload
systemctl start $u; mark start-dropin $?
served >/dev/null; mark active-dropin $(systemctl is-active $u)
systemctl stop $u
rm -r /etc/systemd/system/$u.service.d; systemctl daemon-reload
/usr/local/bin/$u --unpin >/dev/null 2>&1
# As shipped, at perf_event_paranoid 2.
echo 2 > /proc/sys/kernel/perf_event_paranoid
systemctl start $u; mark start-2 $?
served >/dev/null; mark active-2 $(systemctl is-active $u)
mark uid $(sed -n 's/^Uid:\\s*\\([0-9]*\\).*/\\1/p' /proc/$(pid)/status)
mark user-uid $(id -u $u)
mark capeff $(sed -n 's/^CapEff:\\s*//p' /proc/$(pid)/status)
mark pins $(ls -n /sys/fs/bpf/$u | sed -n 's/^-rw------- *1 *\\([0-9]*\\) .* \\([a-z_0-9A-Z]*\\)$/\\2:\\1/p' | sort | tr '\\n' ' ')
mark before $(served)
systemctl stop $u; mark stopped $(systemctl is-active $u)
i=0; while [ $i -lt ${M} ]; do /bin/true; i=$((i+1)); done
systemctl start $u
mark after $(served)
journalctl -u $u -o cat --no-pager | sed -n 's/^\\(pinned\\|note\\): /journal-2 &/p' | sed "s/^/@@ $u /"
systemctl stop $u
/usr/local/bin/$u --unpin >/dev/null 2>&1
`;
  return `#!/bin/sh
echo "@@ kernel $(uname -r)"
${units.map(each).join('')}
echo "@@ done"
poweroff -f
`;
}

interface UnitResult {
  [key: string]: string[];
}

/** The marked lines of a console, by unit and key. */
function parse(console: string): Map<string, UnitResult> {
  const units = new Map<string, UnitResult>();
  for (const line of console.split('\n')) {
    const m = /^@@ (\S+) (\S+) ?(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const unit = units.get(m[1]) ?? {};
    (unit[m[2]] ??= []).push(m[3].trim());
    units.set(m[1], unit);
  }
  return units;
}

describe.skipIf(Boolean(skipReason))('the systemd unit under systemd 252 as PID 1, in QEMU', () => {
  const workspaces: Workspace[] = [];
  let tmp = '';
  let initrd = '';

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'caa-systemd-'));
    const image = new Initramfs().console();
    for (const dir of ['proc', 'sys', 'dev', 'run', 'tmp', 'var/tmp', 'root', 'etc/systemd/system']) image.dir(dir);
    for (const program of ['kprobe', 'tracepoint'] as const) {
      const ws = workspace({ map: 'hash', ordering: 'relaxed', program });
      build(ws, 'release');
      const stage = path.join(tmp, ws.name);
      const install = sh('cargo', ['xtask', 'install', '--destdir', stage], ws.dir, CARGO_ENV);
      expect(install.status, show(install)).toBe(0);
      image.host(path.join(stage, 'usr/local/bin', ws.name), `/usr/local/bin/${ws.name}`);
      image.file(
        `/etc/systemd/system/${ws.name}.service`,
        readFileSync(path.join(stage, 'etc/systemd/system', `${ws.name}.service`)),
      );
      workspaces.push(ws);
    }
    const users = workspaces.map((ws, i) => ({ name: ws.name, id: 990 + i }));
    image.file(
      '/etc/passwd',
      [
        'root:x:0:0:root:/root:/bin/sh',
        ...users.map((u) => `${u.name}:x:${u.id}:${u.id}::/nonexistent:/usr/sbin/nologin`),
        '',
      ].join('\n'),
    );
    image.file('/etc/group', ['root:x:0:', ...users.map((u) => `${u.name}:x:${u.id}:`), ''].join('\n'));
    image.file('/etc/os-release', readFileSync('/etc/os-release'));
    for (const file of SYSTEMD) image.host(file);
    image.host('/bin/busybox');
    for (const tool of [
      'sh',
      'sed',
      'grep',
      'head',
      'sort',
      'tr',
      'ls',
      'id',
      'mkdir',
      'rm',
      'printf',
      'sleep',
      'wget',
      'true',
    ]) {
      image.symlink(`/bin/${tool}`, 'busybox');
    }
    image.symlink('/bin/mount', 'busybox').symlink('/bin/umount', 'busybox');
    // systemd's own units, without what they pull in (no udev, no getty here) but tracefs and journald.
    image.tree('/lib/systemd/system', '/lib/systemd/system', (rel) => /\.(wants|requires)$/.test(rel));
    image.symlink('/lib/systemd/system/sysinit.target.wants/sys-kernel-tracing.mount', '../sys-kernel-tracing.mount');
    image.symlink('/lib/systemd/system/sysinit.target.wants/systemd-journald.service', '../systemd-journald.service');
    image.symlink('/lib/systemd/system/sockets.target.wants/systemd-journald.socket', '../systemd-journald.socket');
    image.file(
      '/etc/systemd/system/default.target',
      '[Unit]\nDescription=The check of the unit under test\nWants=check.service\n',
    );
    image.file(
      '/etc/systemd/system/check.service',
      '[Unit]\nAfter=sysinit.target\n[Service]\nType=oneshot\nExecStart=/bin/sh /check.sh\n' +
        'StandardOutput=tty\nStandardError=tty\nTTYPath=/dev/console\n',
    );
    image.file('/check.sh', checkScript(workspaces.map((ws) => ws.name)), 0o755);
    image.symlink('/init', '/lib/systemd/systemd');
    initrd = path.join(tmp, 'initrd.cpio');
    image.write(initrd);
  });

  const held: string[] = [];
  afterAll(async () => {
    if (tmp && !process.env.KEEP_TEST_DIRS) rmSync(tmp, { recursive: true, force: true });
    // A run where every kernel held records them (`npm run record:service`): the generated README reads them.
    if (recordingService() && held.length === KERNELS.length) await recordService({ systemdKernels: held });
  });

  for (const id of KERNELS) {
    it(`Debian's ${id}: refused at perf_event_paranoid 3, runs with the drop-in, and as shipped at 2`, () => {
      const kernel = kernelImage(id)!;
      const qemu = spawnSync(
        'qemu-system-x86_64',
        [
          ...['-accel', 'tcg', '-cpu', 'max', '-m', '1024', '-smp', '2', '-nographic', '-no-reboot', '-nic', 'none'],
          ...['-kernel', kernel.image, '-initrd', initrd],
          ...['-append', 'console=ttyS0 panic=-1 oops=panic nowatchdog loglevel=3 systemd.show_status=0'],
        ],
        { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      );
      const console = `${qemu.stdout}${qemu.stderr}`.replace(/\r/g, '');
      const tail = console.split('\n').slice(-80).join('\n');
      expect(console, tail).toContain('@@ done');
      expect(console).toContain(`@@ kernel ${kernel.release}`);
      const results = parse(console);
      for (const ws of workspaces) {
        const r = results.get(ws.name);
        const context = `${ws.name} on ${id}\n${tail}`;
        expect(r, context).toBeDefined();
        const one = (key: string) => r?.[key]?.[0];
        // Refused as shipped at 3: exit 4, and the journal names CAP_SYS_ADMIN and the sysctl.
        expect(one('status-3'), context).toBe('4');
        const journal3 = (r?.['journal-3'] ?? []).join('\n');
        expect(journal3, context).toMatch(/missing CAP_SYS_ADMIN: perf_event_open at kernel\.perf_event_paranoid 3/);
        expect(journal3, context).toContain('sysctl kernel.perf_event_paranoid=2');
        // With CAP_SYS_ADMIN added by a drop-in: runs.
        expect(one('active-dropin'), context).toBe('active');
        // As shipped at 2: runs as its user, with exactly the unit's capabilities.
        expect(one('active-2'), context).toBe('active');
        expect(one('uid'), context).toBe(one('user-uid'));
        expect(one('uid'), context).not.toBe('0');
        expect(one('capeff'), context).toBe(UNIT_CAPS);
        // The pins belong to the service's user: the map, and on kernels with perf links the links.
        const pins = (one('pins') ?? '').split(' ').filter(Boolean).sort();
        const uid = one('uid');
        const links = ws.program === 'kprobe' ? ['count_calls_0', 'count_calls_1'] : ['count_calls_0'];
        const expected = id === 'amd64-5.10' ? ['COUNTER'] : ['COUNTER', ...links];
        expect(pins, context).toEqual(expected.map((name) => `${name}:${uid}`).sort());
        // The count continues across the restart; with perf links (6.1) it includes the M runs while stopped.
        const before = Number(one('before'));
        const after = Number(one('after'));
        expect(one('stopped'), context).toBe('inactive');
        expect(before, context).toBeGreaterThan(0);
        if (id === 'amd64-5.10') {
          expect(after, context).toBeGreaterThanOrEqual(before);
          expect(after, context).toBeLessThan(before + M);
          expect((r?.['journal-2'] ?? []).join('\n'), context).toMatch(/note: .*without a BPF link/);
        } else {
          expect(after, context).toBeGreaterThanOrEqual(before + M);
        }
        expect((r?.['journal-2'] ?? []).join('\n'), context).toMatch(/pinned: continuing the count at/);
      }
      held.push(kernel.release);
    });
  }
});
