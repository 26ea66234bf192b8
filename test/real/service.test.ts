// The loader as a service, on this machine's kernel (docs/service.md): least privilege as an unprivileged user
// (util-linux setpriv), --pin and --unpin in bpffs, --metrics read by promtool and by a real Prometheus, and the
// systemd unit (`systemd-analyze verify` and `security`, `cargo xtask install`). This kernel has no kprobes, so the
// counting here is a tracepoint's; kprobes count in the VMs (service-systemd.test.ts, kernel-matrix.test.ts).
//
// The capability sets are written here from the kernel's rules (docs/service.md, "Least privilege"), not read from
// the generated code.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  ensureTracefs,
  isRoot,
  missingToolchain,
  sh,
  show,
  skipUnlessCi,
  tempDir,
  removeTempDirs,
} from './env.js';
import { recordService, recordingService } from '../helpers/record.js';
import { CARGO_ENV, build, workspace, type Workspace } from './workspace-cache.js';

const has = (cmd: string, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const skipReason = skipUnlessCi(
  missingToolchain() ??
    (isRoot ? undefined : 'not root: loading BPF programs and bpffs need root') ??
    (has('setpriv') ? undefined : 'setpriv is missing (apt-get install util-linux)') ??
    (has('promtool', ['--version']) ? undefined : 'promtool is missing (apt-get install prometheus)') ??
    (has('prometheus', ['--version']) ? undefined : 'prometheus is missing (apt-get install prometheus)') ??
    (has('systemd-analyze') ? undefined : 'systemd-analyze is missing (apt-get install systemd)'),
);

const BPFFS = '/sys/fs/bpf';
const NOBODY = '65534';
const paranoid = () => Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim());

/** A tracepoint's least set on kernels >= 5.8 (this one is): CAP_BPF and CAP_PERFMON, where perf_event_paranoid is
 *  at most 2, else CAP_SYS_ADMIN; and CAP_DAC_READ_SEARCH for tracefs (mode 0700). */
const tracepointCaps = () => (paranoid() > 2 ? ['sys_admin'] : ['bpf', 'perfmon']).concat('dac_read_search');

/** `loader args` as uid 65534 holding exactly `caps` (util-linux setpriv; names as setpriv spells them). */
function asNobody(loader: string, caps: string[], args: string[], env: NodeJS.ProcessEnv = {}) {
  const set = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  return sh(
    'setpriv',
    [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      '--clear-groups',
      `--inh-caps=${set}`,
      `--ambient-caps=${set}`,
      `--bounding-set=${set}`,
      loader,
      ...args,
    ],
    '/',
    env,
  );
}

let bpffsMountedByUs = false;
/** bpffs at /sys/fs/bpf (this machine does not mount it); unmounted again when the file ends. */
function ensureBpffs() {
  if (
    readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === BPFFS && l.split(' ')[2] === 'bpf')
  )
    return;
  const r = spawnSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot mount bpffs at ${BPFFS}: ${r.stderr}`);
  bpffsMountedByUs = true;
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value, for at most `ms`. */
async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A loader in watch mode, in the background: its output so far, and a way to stop it as a service manager does. */
class Watch {
  private child: ChildProcess;
  output = '';
  private closed: Promise<number | null>;
  constructor(loader: string, args: string[]) {
    this.child = spawn(loader, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d) => (this.output += d));
    this.child.stderr?.on('data', (d) => (this.output += d));
    this.closed = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.closed;
  }
}

/** The counter's value in the text a scrape returned. */
const metricValue = (body: string, name: string) => {
  const m = new RegExp(`^${name}_events_total (\\d+)$`, 'm').exec(body);
  return m ? Number(m[1]) : undefined;
};
const metricName = (ws: Workspace) => ws.name.replace(/-/g, '_');
const runTrue = (times: number) => {
  for (let i = 0; i < times; i++) spawnSync('/bin/true');
};

/** With AYA_ATOMIC_RECORD_SERVICE=1 (`npm run record:service`): a run where every test held records the kernel it
 *  ran on in records/service.json, which the generated README reads. */
let failures = 0;

describe.skipIf(Boolean(skipReason))("the loader as a service, on this machine's kernel", () => {
  let tp: Workspace;
  let loader: string;
  let nobodyLoader: string;

  beforeAll(() => {
    tp = workspace({ map: 'array', ordering: 'relaxed', program: 'tracepoint' });
    build(tp, 'release');
    loader = tp.loader('release');
    ensureTracefs();
    ensureBpffs();
    // A copy uid 65534 may execute (the shared target directory may sit below a directory it cannot enter).
    const dir = tempDir('service-bin');
    spawnSync('chmod', ['755', dir]);
    nobodyLoader = path.join(dir, tp.name);
    writeFileSync(nobodyLoader, readFileSync(loader), { mode: 0o755 });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failures++;
  });

  afterAll(async () => {
    removeTempDirs();
    if (bpffsMountedByUs) spawnSync('umount', [BPFFS]);
    if (!recordingService() || failures) return;
    await recordService({
      date: new Date().toISOString().slice(0, 10),
      generatorVersion: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      host: os.release().replace(/-.*$/, ''),
    });
  });

  describe('least privilege', () => {
    it("a tracepoint counts as uid 65534 holding exactly this kernel's least set", () => {
      const r = asNobody(nobodyLoader, tracepointCaps(), ['--selftest', '100'], { PATH: '/bin' });
      expect(r.status, show(r)).toBe(0);
      expect(r.stdout).toMatch(/^ok: /m);
    });

    // Each capability of this kernel's set (which depends on its perf_event_paranoid), left out in turn.
    for (const missing of skipReason ? [] : tracepointCaps()) {
      it(`without ${missing}: exit 4, naming CAP_${missing.toUpperCase()} and nothing it holds`, () => {
        const caps = tracepointCaps();
        const r = asNobody(
          nobodyLoader,
          caps.filter((c) => c !== missing),
          ['--selftest', '100'],
        );
        expect(r.status, show(r)).toBe(4);
        const missingLines = r.stderr.split('\n').filter((l) => /missing CAP_/.test(l));
        // Exactly the one missing, and nothing it holds.
        expect(missingLines, show(r)).toHaveLength(1);
        expect(missingLines[0], show(r)).toContain(`missing CAP_${missing.toUpperCase()}:`);
      });
    }

    it('with no capability at all: exit 4, naming each one of the set', () => {
      const r = asNobody(nobodyLoader, [], ['--selftest', '100']);
      expect(r.status, show(r)).toBe(4);
      for (const cap of tracepointCaps()) expect(r.stderr, show(r)).toContain(`missing CAP_${cap.toUpperCase()}:`);
    });
  });

  describe('--pin without search access', () => {
    // bpffs mounted mode 0700 (as systemd mounts /sys/fs/bpf), holding the user's own directory (as the unit's
    // ExecStartPre makes it): what is missing is CAP_DAC_READ_SEARCH, not the directory.
    it('in a bpffs it may not search: exit 4, the error names CAP_DAC_READ_SEARCH, not a directory to make', () => {
      const dir = tempDir('bpffs-0700');
      spawnSync('chmod', ['755', dir]);
      const mnt = path.join(dir, 'bpf');
      mkdirSync(mnt);
      const mounted = spawnSync('mount', ['-t', 'bpf', '-o', 'mode=0700', 'bpf', mnt], { encoding: 'utf8' });
      expect(mounted.status, mounted.stderr).toBe(0);
      try {
        const pins = path.join(mnt, 'pins');
        expect(spawnSync('install', ['-d', '-o', NOBODY, '-g', NOBODY, pins]).status).toBe(0);
        const caps = tracepointCaps().filter((c) => c !== 'dac_read_search');
        const r = asNobody(nobodyLoader, caps, ['--pin', pins, '--selftest', '10']);
        expect(r.status, show(r)).toBe(4);
        const error = r.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
        expect(error, show(r)).toContain(`cannot reach ${pins} (searching ${mnt} needs CAP_DAC_READ_SEARCH)`);
        expect(r.stderr, show(r)).not.toContain('install -d');
      } finally {
        spawnSync('umount', [mnt]);
      }
    });
  });

  describe('--pin and --unpin', () => {
    const pinDir = path.join(BPFFS, 'caa-service-test');
    afterAll(() => {
      sh(loader, ['--unpin', pinDir], '/');
    });

    it('pins the count and the link; a restart continues the count, with the events while no loader ran', async () => {
      sh(loader, ['--unpin', pinDir], '/');
      const first = sh(loader, ['--pin', pinDir, '--selftest', '100'], '/', { PATH: '/bin' });
      expect(first.status, show(first)).toBe(0);
      expect(first.stdout).toMatch(new RegExp(`^pinned: the count at ${pinDir}/COUNTER$`, 'm'));
      // The map and the link (a tracepoint has one) stay in bpffs after the loader exited.
      expect(existsSync(path.join(pinDir, 'COUNTER'))).toBe(true);
      expect(existsSync(path.join(pinDir, 'count_calls_0'))).toBe(true);
      const firstTotal = Number(/^observed: (\d+)$/m.exec(first.stdout)?.[1]);
      expect(firstTotal).toBeGreaterThanOrEqual(100);
      // While no loader runs, the pinned link goes on counting.
      runTrue(200);
      const second = sh(loader, ['--pin', pinDir, '--selftest', '10'], '/', { PATH: '/bin' });
      expect(second.status, show(second)).toBe(0);
      const continued = Number(
        new RegExp(`^pinned: continuing the count at ${pinDir}/COUNTER \\((\\d+)\\)$`, 'm').exec(second.stdout)?.[1],
      );
      expect(continued, show(second)).toBeGreaterThanOrEqual(firstTotal + 200);
    });

    it('without DIR, --pin and --unpin use /sys/fs/bpf/<crate>', () => {
      const dir = path.join(BPFFS, tp.name);
      sh(loader, ['--unpin'], '/');
      try {
        const pinned = sh(loader, ['--pin', '--selftest', '10'], '/', { PATH: '/bin' });
        expect(pinned.status, show(pinned)).toBe(0);
        expect(pinned.stdout).toMatch(new RegExp(`^pinned: the count at ${dir}/COUNTER$`, 'm'));
        expect(existsSync(path.join(dir, 'COUNTER'))).toBe(true);
        const unpinned = sh(loader, ['--unpin'], '/');
        expect(unpinned.status, show(unpinned)).toBe(0);
        expect(unpinned.stdout).toMatch(new RegExp(`^unpinned ${dir}: .*the count \\(\\d+\\) removed`, 'm'));
        expect(existsSync(dir)).toBe(false);
      } finally {
        sh(loader, ['--unpin'], '/');
      }
    });

    it('refuses a directory that is not on bpffs, with the command that mounts one, and mounts nothing', () => {
      const dir = tempDir('not-bpffs');
      const mounts = readFileSync('/proc/mounts', 'utf8');
      const r = sh(loader, ['--pin', path.join(dir, 'pins'), '--selftest', '10'], '/');
      expect(r.status, show(r)).toBe(1);
      expect(r.stderr).toContain(
        `${dir} is not on a BPF file system (bpffs); mount one with: sudo mount -t bpf bpf /sys/fs/bpf`,
      );
      expect(readFileSync('/proc/mounts', 'utf8')).toBe(mounts);
      expect(existsSync(path.join(dir, 'pins'))).toBe(false);
    });

    it('--unpin detaches and removes what --pin kept, and says the count it had', () => {
      const r = sh(loader, ['--unpin', pinDir], '/');
      expect(r.status, show(r)).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^unpinned ${pinDir}: .*the count \\(\\d+\\) removed`, 'm'));
      expect(existsSync(pinDir)).toBe(false);
    });

    it('refuses a pin made by another map type, naming both layouts, and leaves it as it was', () => {
      const hash = workspace({ map: 'hash', ordering: 'relaxed', program: 'tracepoint' });
      build(hash, 'release');
      try {
        const made = sh(hash.loader('release'), ['--pin', pinDir, '--selftest', '10'], '/', { PATH: '/bin' });
        expect(made.status, show(made)).toBe(0);
        const r = sh(loader, ['--pin', pinDir, '--selftest', '10'], '/');
        expect(r.status, show(r)).toBe(1);
        const layout = (kind: string) => `${kind}, 1 entry of 4-byte keys and 8-byte values, flags 0x0`;
        expect(r.stderr).toContain(
          `${pinDir}/COUNTER was pinned by another build: ${layout('Hash')}; this one's counter is ${layout('Array')}`,
        );
        expect(r.stderr).toContain(`--unpin ${pinDir}`);
        expect(existsSync(path.join(pinDir, 'COUNTER'))).toBe(true);
      } finally {
        sh(hash.loader('release'), ['--unpin', pinDir], '/');
      }
    });

    it('refuses a pin of the same map type and another size', () => {
      // A team's edit of the counter's capacity in the common crate, after a start pinned the old one.
      const hash = workspace({ map: 'hash', ordering: 'relaxed', program: 'tracepoint' });
      const common = path.join(hash.dir, `${hash.name}-common`, 'src', 'lib.rs');
      const source = readFileSync(common, 'utf8');
      try {
        const made = sh(hash.loader('release'), ['--pin', pinDir, '--selftest', '10'], '/', { PATH: '/bin' });
        expect(made.status, show(made)).toBe(0);
        writeFileSync(
          common,
          source.replace(/^pub const MAX_ENTRIES: u32 = \d+;$/m, 'pub const MAX_ENTRIES: u32 = 64;'),
        );
        expect(readFileSync(common, 'utf8')).not.toBe(source);
        const bigger = sh('cargo', ['build', '--release'], hash.dir, CARGO_ENV);
        expect(bigger.status, show(bigger)).toBe(0);
        const r = sh(hash.loader('release'), ['--pin', pinDir, '--selftest', '10'], '/');
        expect(r.status, show(r)).toBe(1);
        expect(r.stderr).toContain(
          `was pinned by another build: Hash, 1 entry of 4-byte keys and 8-byte values, flags 0x0; ` +
            `this one's counter is Hash, 64 entries of 4-byte keys and 8-byte values, flags 0x0`,
        );
      } finally {
        writeFileSync(common, source);
        sh('cargo', ['build', '--release'], hash.dir, CARGO_ENV);
        sh(hash.loader('release'), ['--unpin', pinDir], '/');
      }
    });

    it('refuses a second loader on the same directory while the first runs', async () => {
      const watch = new Watch(loader, ['--pin', pinDir]);
      await until(async () => (watch.output.includes('counting:') ? true : undefined), 30_000, 'the first loader');
      const r = sh(loader, ['--pin', pinDir, '--selftest', '10'], '/');
      await watch.stop();
      expect(r.status, show(r)).toBe(1);
      expect(r.stderr).toContain(`another loader is using ${pinDir}`);
      sh(loader, ['--unpin', pinDir], '/');
    });
  });

  describe('--metrics', () => {
    const pinDir = path.join(BPFFS, 'caa-metrics-test');
    let port = 0;
    let promPort = 0;
    let prometheus: ChildProcess | undefined;
    let promDir = '';

    beforeAll(async () => {
      port = await freePort();
      promPort = await freePort();
      promDir = tempDir('prometheus');
      writeFileSync(
        path.join(promDir, 'prometheus.yml'),
        `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: loader\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
      );
      mkdirSync(path.join(promDir, 'data'));
      // Listening on 127.0.0.1 only.
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${path.join(promDir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(promDir, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: 'ignore' },
      );
    });
    afterAll(() => {
      prometheus?.kill('SIGTERM');
      sh(loader, ['--unpin', pinDir], '/');
    });

    const scrape = async (accept?: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: accept ? { accept } : {} });
      return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
    };
    const query = async (promql: string) => {
      const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`;
      const json = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
      return json.data.result.map((r) => Number(r.value[1]));
    };

    it('serves the Prometheus text format that promtool accepts, and OpenMetrics to a scraper that asks', async () => {
      sh(loader, ['--unpin', pinDir], '/');
      const watch = new Watch(loader, ['--pin', pinDir, '--metrics', `127.0.0.1:${port}`]);
      try {
        const text = await until(async () => scrape(), 30_000, 'the metrics endpoint');
        expect(text.status).toBe(200);
        expect(text.type).toBe('text/plain; version=0.0.4; charset=utf-8');
        const name = metricName(tp);
        expect(text.body).toMatch(new RegExp(`^# HELP ${name}_events_total .+$`, 'm'));
        expect(text.body).toMatch(new RegExp(`^# TYPE ${name}_events_total counter$`, 'm'));
        expect(metricValue(text.body, name)).toBeGreaterThanOrEqual(0);
        const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text.body, encoding: 'utf8' });
        expect(promtool.status, `${promtool.stdout}${promtool.stderr}\n${text.body}`).toBe(0);

        const open = await scrape('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
        expect(open.type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
        expect(open.body).toMatch(new RegExp(`^# TYPE ${name}_events counter$`, 'm'));
        expect(open.body).toMatch(new RegExp(`^${name}_events_total \\d+$`, 'm'));
        expect(open.body.endsWith('# EOF\n')).toBe(true);

        // The count grows with the events: 100 runs of `true`.
        const before = metricValue((await scrape()).body, name)!;
        runTrue(100);
        const after = metricValue((await scrape()).body, name)!;
        expect(after - before).toBeGreaterThanOrEqual(100);
        // Serving its count, the loader prints it each minute, not each second (a service's journal).
        await sleep(1500);
        expect(watch.output).toMatch(/^counting: /m);
        expect(watch.output).not.toMatch(/^total: /m);
      } finally {
        await watch.stop();
      }
    });

    it('a real Prometheus scrapes it, and across a restart of the loader sees no counter reset', async () => {
      const name = metricName(tp);
      const start = () => new Watch(loader, ['--pin', pinDir, '--metrics', `127.0.0.1:${port}`]);
      let watch = start();
      try {
        const first = await until(
          async () => (await query(`${name}_events_total`))[0],
          60_000,
          'Prometheus to scrape the loader',
        );
        expect(first).toBeGreaterThan(0);
        expect(await watch.stop()).toBe(0);
        runTrue(100);
        watch = start();
        // A scrape after the restart that holds the 100 runs made while no loader ran.
        const second = await until(
          async () => {
            const [value] = await query(`${name}_events_total`);
            return value >= first + 100 ? value : undefined;
          },
          60_000,
          'a scrape after the restart',
        );
        expect(second).toBeGreaterThanOrEqual(first + 100);
        // Prometheus saw one counter going up: the restart did not reset it.
        expect(await query(`resets(${name}_events_total[5m])`)).toEqual([0]);
        expect(await query(`up{job="loader"}`)).toEqual([1]);
      } finally {
        await watch.stop();
      }
    });
  });

  describe('the systemd unit and cargo xtask install', () => {
    it('`cargo xtask install --destdir` stages the loader and the unit', () => {
      const dest = tempDir('destdir');
      const r = sh('cargo', ['xtask', 'install', '--destdir', dest], tp.dir, CARGO_ENV);
      expect(r.status, show(r)).toBe(0);
      const bin = path.join(dest, 'usr/local/bin', tp.name);
      const unit = path.join(dest, 'etc/systemd/system', `${tp.name}.service`);
      expect(readFileSync(bin).equals(readFileSync(loader))).toBe(true);
      expect(readFileSync(unit, 'utf8')).toBe(readFileSync(path.join(tp.dir, 'systemd', `${tp.name}.service`), 'utf8'));
    });

    it('`cargo xtask install` installs it, creates its user, and `systemd-analyze verify` passes', () => {
      const bin = `/usr/local/bin/${tp.name}`;
      const unit = `/etc/systemd/system/${tp.name}.service`;
      try {
        const r = sh('cargo', ['xtask', 'install'], tp.dir, CARGO_ENV);
        expect(r.status, show(r)).toBe(0);
        expect(existsSync(bin)).toBe(true);
        expect(spawnSync('id', ['-u', tp.name]).status).toBe(0);
        const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
        expect(verify.status, `${verify.stdout}${verify.stderr}`).toBe(0);
        expect(`${verify.stdout}${verify.stderr}`.trim()).toBe('');
      } finally {
        rmSync(bin, { force: true });
        rmSync(unit, { force: true });
        spawnSync('userdel', [tp.name]);
      }
    });
  });
});
