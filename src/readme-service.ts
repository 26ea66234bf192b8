// The generated README's parts on running the loader as a service (docs/service.md): the layout rows of its files,
// and the section on --pin, --metrics, the systemd unit and the least privilege each kernel needs. The exposure
// figures and the kernels the unit ran on come from records/service.json, which the service tests write.
import type { Options } from './options.js';
import record from '../records/service.json' with { type: 'json' };

interface ServiceRecord {
  date: string;
  generatorVersion: string;
  /** `systemd-analyze security --offline=yes`: its version, and the exposure of the unit and of a bare one. */
  security: { systemd: string; unit: string; bare: string };
  /** The kernels the unit ran on under systemd as PID 1 (test/real/service-systemd.test.ts). */
  systemdKernels: string[];
  /** The kernel the host tests ran on (test/real/service.test.ts). */
  host: string;
}
const service = record as ServiceRecord;

/** The metric's name: Prometheus names take `_` where a crate name has `-`. */
export const metricName = (o: Options) => `${o.name.replace(/-/g, '_')}_events_total`;

/** The layout table's rows for the service's files. */
export function serviceLayoutRows(o: Options): string {
  return [
    `| \`${o.name}/src/pin.rs\` | \`--pin\`, \`--unpin\`: the count and the attachment kept in bpffs across restarts |`,
    `| \`${o.name}/src/metrics.rs\` | \`--metrics\`: the count served to Prometheus |`,
    `| \`${o.name}/src/privileges.rs\` | what the loader says is missing when the kernel refuses it (exit 4) |`,
    `| \`systemd/${o.name}.service\` | the systemd unit: its user, its capabilities, its sandbox, the port |`,
  ].join('\n');
}

/** `vm`: what the recorded kernel matrix showed of `cargo xtask vm --service` (readme.ts reads that record). */
export function serviceSection(o: Options, vm: string): string {
  const tracepoint = o.program === 'tracepoint';
  const dac = tracepoint ? ", `CAP_DAC_READ_SEARCH` (tracefs is root's alone)" : '';
  const setprivCaps = `+bpf,+perfmon${tracepoint ? ',+dac_read_search' : ''}`;
  const verifiedKernels = service.systemdKernels.length
    ? `Debian's ${service.systemdKernels.join(' and ')}`
    : 'no kernel yet';
  return `## Running it as a service

\`--pin\` keeps the count, and the program attached, across restarts of the loader; \`--metrics\` serves the count to
Prometheus; \`systemd/${o.name}.service\` runs the loader as a user of its own, with only the capabilities it needs.

\`\`\`sh
cargo xtask install                      # /usr/local/bin/${o.name}, /etc/systemd/system/${o.name}.service, user ${o.name}
sudo systemctl enable --now ${o.name}
curl -s http://127.0.0.1:9775/metrics    # ${metricName(o)}
\`\`\`

| option | what it does |
|---|---|
| \`--pin [DIR]\` | keeps the counter map and the program's links in DIR, on bpffs (default \`/sys/fs/bpf/${o.name}\`): the next start continues the count, and events are counted while no loader runs (kernel 5.15 or newer; before, the count continues but those events are not counted). A pin made by another map type or size (after \`--update --map …\`) is refused. The loader never mounts bpffs; systemd does at boot, or \`sudo mount -t bpf bpf /sys/fs/bpf\`. |
| \`--unpin [DIR]\` | detaches and removes what \`--pin\` keeps (the count with it) |
| \`--metrics ADDR\` | serves \`http://ADDR/metrics\`: \`${metricName(o)}\`, a counter read from the map at each scrape${o.map.includes('per-cpu') ? " (the sum of the CPUs' slots)" : ''}; OpenMetrics to a scraper that asks for it, the Prometheus text format otherwise. The loader then prints its total each minute, not each second (a journal line a minute) |

For Prometheus, a scrape job such as \`{ job_name: ${o.name}, static_configs: [{ targets: ['127.0.0.1:9775'] }] }\`.
\`cargo xtask install --destdir <dir>\` stages the two files for a package instead. To remove it all:
\`sudo systemctl disable --now ${o.name} && sudo ${o.name} --unpin && sudo rm /usr/local/bin/${o.name}
/etc/systemd/system/${o.name}.service && sudo userdel ${o.name}\`.

### Least privilege

What a ${o.program} needs, by kernel; when the kernel refuses, the loader (exit 4) names each capability missing on
the running kernel, and why:

| kernel | capabilities |
|---|---|
| 5.8 or newer, \`kernel.perf_event_paranoid\` 2 or less (upstream's default) | \`CAP_BPF\`, \`CAP_PERFMON\`${dac} |
| 5.8 or newer, \`perf_event_paranoid\` above 2 (Debian's and Ubuntu's default: 3) | \`CAP_SYS_ADMIN\`${dac}; or \`sysctl kernel.perf_event_paranoid=2\`, then the row above |
| before 5.8 (no \`CAP_BPF\` yet) | \`CAP_SYS_ADMIN\`${dac} |
| before 5.11, in addition | room under \`RLIMIT_MEMLOCK\` for the maps and the program (the default 64 KiB holds this workspace's; larger maps need more, or \`CAP_SYS_RESOURCE\`) |
| with \`--pin\` under \`/sys/fs/bpf\`, in addition | \`CAP_DAC_READ_SEARCH\` (systemd mounts it mode 0700), and a DIR the user owns |

By hand, as yourself: \`sudo setpriv --reuid=$(id -u) --regid=$(id -g) --init-groups --inh-caps=${setprivCaps}
--ambient-caps=${setprivCaps} target/release/${o.name} --selftest 1000\`. The unit grants \`CAP_BPF\`, \`CAP_PERFMON\`
and \`CAP_DAC_READ_SEARCH\` (ambient, and nothing else in its bounding set) and \`LimitMEMLOCK=8M\`; where
\`perf_event_paranoid\` is above 2, \`cargo xtask install\` says so and prints both ways out. \`systemd-analyze security\`
(systemd ${service.security.systemd}) rates the unit **${service.security.unit}**; a unit with only \`ExecStart=\` (root,
no sandbox) rates ${service.security.bare}. A capability set lets a tracing program read any kernel memory: treat the
service as trusted for reading; what the set takes away is root's power to change the system.

Verified by create-aya-atomic ${service.generatorVersion}'s tests, ${service.date}: the unit under systemd as PID 1 on
${verifiedKernels} in QEMU (refused at \`perf_event_paranoid\` 3 with \`CAP_SYS_ADMIN\` named; running at 2 as its own
user with exactly its capabilities; a restart continues the count), and a tracepoint on Linux ${service.host} as uid 65534 with
exactly \`CAP_BPF\`, \`CAP_PERFMON\` and \`CAP_DAC_READ_SEARCH\`, scraped by Prometheus across a restart without a
counter reset. ${vm}

\`cargo xtask vm --kernel <image> --service\` checks both on the kernels you deploy to: the pinned count going on
across a restart with the events in between, and the selftest as an unprivileged user with the set above.

Not wanted? Delete \`pin.rs\`, \`metrics.rs\` or \`systemd/\` and \`xtask/src/install.rs\`; \`cargo build\` then names the
few lines in \`main.rs\` (and \`xtask/src/main.rs\`) that call them.`;
}

/** The project README's record of the service checks (a derived section: npm run docs). */
export function serviceRecordMarkdown(vm: string): string {
  return `\`systemd-analyze security\` (systemd ${service.security.systemd}) rates the generated unit **${service.security.unit}**; a unit with
only \`ExecStart=\` (root, no sandbox) rates ${service.security.bare}. Verified with create-aya-atomic
${service.generatorVersion}, ${service.date}: the unit under systemd as PID 1 on Debian's
${service.systemdKernels.join(' and ')} in QEMU, a tracepoint loader as uid 65534 with exactly its three capabilities on
Linux ${service.host}, scraped by a real Prometheus across a restart without a counter reset (\`promtool check
metrics\` accepts what it serves). ${vm}`;
}
