// The service files of a generated workspace (docs/service.md), with nothing beyond systemd-analyze: the unit's
// user, capabilities and sandbox as literal expectations, `systemd-analyze security` rating it, and the generated
// README saying what that rating is, for a kprobe and a tracepoint workspace. Running the unit is the real suite's
// (test/real/service-systemd.test.ts); the loader's options are built and run there too (service.test.ts).
//
// With AYA_ATOMIC_RECORD_SERVICE=1 (`npm run record:service`), a run that held writes the ratings into
// records/service.json, which the generated README reads.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessCi } from '../helpers/ci.js';
import { makeTmp, runCli, show } from '../helpers/cli.js';
import { recordService, recordingService } from '../helpers/record.js';

const analyze = (args: string[]) => spawnSync('systemd-analyze', args, { encoding: 'utf8' });
const hasAnalyze = analyze(['--version']).status === 0;
const skipReason = skipUnlessCi(hasAnalyze ? undefined : 'systemd-analyze is missing (apt-get install systemd)');

/** What `systemd-analyze security --offline=yes` rates a unit file: "2.2 OK". */
function exposure(unitFile: string): string {
  const r = analyze(['security', '--offline=yes', unitFile]);
  const m = /Overall exposure level for \S+: (\d+\.\d) (\w+)/.exec(`${r.stdout}${r.stderr}`);
  if (!m) throw new Error(`no exposure level from systemd-analyze:\n${r.stdout}${r.stderr}`);
  return `${m[1]} ${m[2]}`;
}

const PROGRAMS = ['kprobe', 'tracepoint'] as const;
// The least set the unit grants, whatever the program: CAP_BPF and CAP_PERFMON load and attach; a tracepoint reads
// tracefs and --pin reaches /sys/fs/bpf, both root's alone (mode 0700): CAP_DAC_READ_SEARCH.
const CAPS = 'CAP_BPF CAP_PERFMON CAP_DAC_READ_SEARCH';
// The sandbox every unit has (a literal list: systemd-analyze weighs them, the README shows the result).
const HARDENING = [
  'NoNewPrivileges=yes',
  'ProtectSystem=strict',
  'ReadOnlyPaths=/proc/sys /sys',
  'ReadWritePaths=-/sys/fs/bpf/%N',
  'ProtectHome=yes',
  'PrivateTmp=yes',
  'PrivateDevices=yes',
  'ProtectKernelModules=yes',
  'ProtectKernelLogs=yes',
  'ProtectControlGroups=yes',
  'ProtectClock=yes',
  'ProtectHostname=yes',
  'ProtectProc=invisible',
  'RestrictNamespaces=yes',
  'RestrictRealtime=yes',
  'RestrictSUIDSGID=yes',
  'LockPersonality=yes',
  'MemoryDenyWriteExecute=yes',
  'RestrictAddressFamilies=AF_INET AF_INET6',
  'SystemCallArchitectures=native',
  'SystemCallFilter=@system-service bpf perf_event_open',
  'UMask=0077',
];

describe('the service files of a generated workspace', () => {
  let cwd = '';
  const dirs: Record<string, string> = {};
  const ratings: { unit?: string; bare?: string } = {};

  beforeAll(async () => {
    cwd = makeTmp('service');
    for (const program of PROGRAMS) {
      const name = `svc-${program}`;
      const r = await runCli([name, '--program', program, '--yes', '--no-git', '--no-verify'], { cwd });
      if (r.code !== 0) throw new Error(show(r));
      dirs[program] = path.join(cwd, name);
    }
  });

  afterAll(async () => {
    if (!recordingService() || !ratings.unit || !ratings.bare) return;
    const systemd = /systemd (\d+)/.exec(analyze(['--version']).stdout)?.[1] ?? '?';
    await recordService({ security: { systemd, unit: ratings.unit, bare: ratings.bare } });
  });

  for (const program of PROGRAMS) {
    it(`${program}: a unit that runs the loader as its own user with exactly ${CAPS}, sandboxed`, () => {
      const name = `svc-${program}`;
      const unit = fs.readFileSync(path.join(dirs[program], 'systemd', `${name}.service`), 'utf8');
      const lines = unit.split('\n').filter((l) => l && !l.startsWith('#'));
      // %N is the unit's name: the loader's, its user's and its pin directory's.
      expect(lines).toContain('ExecStart=/usr/local/bin/%N --pin /sys/fs/bpf/%N --metrics 127.0.0.1:9775');
      expect(lines).toContain('ExecStartPre=+/usr/bin/install -d -m 0700 -o %N -g %N /sys/fs/bpf/%N');
      expect(lines).toContain('User=%N');
      expect(lines).toContain('Group=%N');
      expect(lines).toContain(`AmbientCapabilities=${CAPS}`);
      expect(lines).toContain(`CapabilityBoundingSet=${CAPS}`);
      expect(lines).toContain('LimitMEMLOCK=8M');
      for (const line of HARDENING) expect(lines).toContain(line);
      // Not ProtectKernelTunables=: it hides /proc/kallsyms, where a kprobe looks up its function.
      expect(unit).not.toMatch(/^ProtectKernelTunables=/m);
      expect(lines).toContain('WantedBy=multi-user.target');
    });
  }

  it.skipIf(Boolean(skipReason))(
    'systemd-analyze rates the unit OK, far below a bare one, and the README says so',
    () => {
      const unitDir = makeTmp('units');
      for (const program of PROGRAMS) {
        const name = `svc-${program}`;
        const unit = path.join(unitDir, `${name}.service`);
        fs.copyFileSync(path.join(dirs[program], 'systemd', `${name}.service`), unit);
        const rated = exposure(unit);
        // "OK" is systemd's band below 4.0; the hardening above brings it near 2.
        expect(rated).toMatch(/^[0-3]\.\d OK$/);
        const bare = path.join(unitDir, `bare-${program}.service`);
        fs.writeFileSync(bare, `[Service]\nExecStart=/usr/local/bin/${name}\n`);
        const bareRated = exposure(bare);
        expect(Number(bareRated.split(' ')[0])).toBeGreaterThan(9);
        ratings.unit = rated;
        ratings.bare = bareRated;
        const readme = fs.readFileSync(path.join(dirs[program], 'README.md'), 'utf8');
        if (!recordingService()) {
          expect(readme).toContain(`rates the unit **${rated}**`);
          expect(readme).toContain(`rates ${bareRated}.`);
        }
      }
    },
  );
});
