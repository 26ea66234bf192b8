//! Running without root: what this loader needs on the running kernel, and, when the kernel says
//! no (exit code 4), which of it is missing. The README's "Least privilege" has the whole table.

use std::{env, fmt, fs, io};

use aya::util::KernelVersion;

use crate::program;

/// The Linux capabilities the loader may need (their numbers in `linux/capability.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    DacReadSearch = 2,
    SysAdmin = 21,
    SysResource = 24,
    Perfmon = 38,
    Bpf = 39,
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DacReadSearch => "CAP_DAC_READ_SEARCH",
            Self::SysAdmin => "CAP_SYS_ADMIN",
            Self::SysResource => "CAP_SYS_RESOURCE",
            Self::Perfmon => "CAP_PERFMON",
            Self::Bpf => "CAP_BPF",
        })
    }
}

/// What decides, on a kernel, which capabilities the loader needs.
pub struct Kernel {
    pub version: KernelVersion,
    /// `kernel.perf_event_paranoid`. Above 2 (Debian's and Ubuntu's default) a distribution's
    /// patch makes `perf_event_open` demand `CAP_SYS_ADMIN`, whatever `CAP_PERFMON` says.
    pub perf_event_paranoid: i32,
}

impl Kernel {
    pub fn running() -> io::Result<Self> {
        let paranoid = fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")?;
        Ok(Self {
            version: KernelVersion::current().map_err(io::Error::other)?,
            perf_event_paranoid: paranoid.trim().parse().map_err(io::Error::other)?,
        })
    }

    /// The capabilities the loader needs on this kernel, each with the reason.
    pub fn needs(&self) -> Vec<(Capability, String)> {
        let mut needs = if self.version < KernelVersion::new(5, 8, 0) {
            vec![(
                Capability::SysAdmin,
                "BPF and perf events, before kernel 5.8".into(),
            )]
        } else if self.perf_event_paranoid > 2 {
            let why = format!(
                "perf_event_open at kernel.perf_event_paranoid {} (after `sudo sysctl \
                 kernel.perf_event_paranoid=2`, CAP_BPF and CAP_PERFMON do instead)",
                self.perf_event_paranoid
            );
            vec![(Capability::SysAdmin, why)]
        } else {
            vec![
                (Capability::Bpf, "BPF maps and programs".into()),
                (
                    Capability::Perfmon,
                    "tracing programs and perf events".into(),
                ),
            ]
        };
        let program = program::CAPABILITIES.iter();
        needs.extend(program.map(|(cap, why)| (*cap, (*why).to_owned())));
        needs
    }
}

/// This process's effective capabilities (`CapEff` in /proc/self/status), as a bit mask.
fn effective() -> io::Result<u64> {
    let status = fs::read_to_string("/proc/self/status")?;
    let hex = status.lines().find_map(|line| line.strip_prefix("CapEff:"));
    let hex = hex.ok_or_else(|| io::Error::other("no CapEff in /proc/self/status"))?;
    u64::from_str_radix(hex.trim(), 16).map_err(io::Error::other)
}

/// Whether `held` grants `cap`: `CAP_SYS_ADMIN` still grants what `CAP_BPF` and `CAP_PERFMON` do.
fn grants(held: u64, cap: Capability) -> bool {
    let has = |cap: Capability| held & (1 << cap as u64) != 0;
    has(cap) || matches!(cap, Capability::Bpf | Capability::Perfmon) && has(Capability::SysAdmin)
}

/// `RLIMIT_MEMLOCK` in bytes, unless unlimited.
fn memlock() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into `limit`, which outlives the call.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &raw mut limit) } == 0;
    (read && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// What to tell a user whom the kernel refused: each capability missing here, why it is needed,
/// and how to grant them all; or, with everything held, what else refuses. Lines for `hint: `.
pub fn explain() -> Vec<String> {
    let (Ok(kernel), Ok(held)) = (Kernel::running(), effective()) else {
        return vec!["run as root, or see the README's \"Least privilege\"".into()];
    };
    let needs = kernel.needs();
    let names: Vec<_> = needs.iter().map(|(cap, _)| cap.to_string()).collect();
    let mut lines: Vec<_> = needs
        .iter()
        .filter(|(cap, _)| !grants(held, *cap))
        .map(|(cap, why)| format!("missing {cap}: {why}"))
        .collect();
    if lines.is_empty() {
        // Every capability is there. Kernels before 5.11 charge BPF maps and programs to
        // RLIMIT_MEMLOCK, which CAP_SYS_RESOURCE lets aya raise.
        let before_5_11 = kernel.version < KernelVersion::new(5, 11, 0);
        let limit = memlock().filter(|_| before_5_11 && !grants(held, Capability::SysResource));
        lines.push(match limit {
            Some(limit) => format!(
                "{} held; then RLIMIT_MEMLOCK, {} KiB, is too small: kernel {} charges BPF maps \
                 and programs to it. Raise it (LimitMEMLOCK=8M in a systemd unit, `ulimit -l \
                 8192` as root), or add CAP_SYS_RESOURCE so that aya raises it",
                names.join(", "),
                limit / 1024,
                kernel.version,
            ),
            None => format!(
                "{} held, yet refused: by kernel lockdown, a container, a security module, or \
                 the permissions of a path named above",
                names.join(", "),
            ),
        });
        return lines;
    }
    let setpriv: Vec<_> = names
        .iter()
        .map(|name| format!("+{}", name[4..].to_lowercase()))
        .collect();
    let setpriv = setpriv.join(",");
    let command: Vec<_> = env::args().collect();
    lines.extend([
        format!(
            "kernel {} with perf_event_paranoid {} needs {} (or root):",
            kernel.version,
            kernel.perf_event_paranoid,
            names.join(", ")
        ),
        format!("  systemd: AmbientCapabilities={}", names.join(" ")),
        format!(
            "  by hand: sudo setpriv --reuid=$(id -u) --regid=$(id -g) --init-groups \
             --inh-caps={setpriv} --ambient-caps={setpriv} {}",
            command.join(" ")
        ),
    ]);
    lines
}

#[cfg(test)]
mod tests {
    use aya::util::KernelVersion;

    use super::{Capability, Kernel, grants};
    use crate::program;

    /// What `needs` asks for on a kernel, besides what the program type adds.
    fn needs(major: u8, minor: u8, perf_event_paranoid: i32) -> Vec<Capability> {
        let version = KernelVersion::new(major, minor, 0);
        let kernel = Kernel {
            version,
            perf_event_paranoid,
        };
        let mut needs: Vec<_> = kernel.needs().into_iter().map(|(cap, _)| cap).collect();
        let program: Vec<_> = program::CAPABILITIES.iter().map(|(cap, _)| *cap).collect();
        assert!(needs.ends_with(&program), "{needs:?} lacks {program:?}");
        needs.truncate(needs.len() - program.len());
        needs
    }

    #[test]
    fn needs_what_the_kernel_checks() {
        use Capability::{Bpf, Perfmon, SysAdmin};
        assert_eq!(needs(6, 1, 2), [Bpf, Perfmon]);
        assert_eq!(needs(5, 8, 1), [Bpf, Perfmon]);
        // A distribution's perf_event_open above 2 (Debian, Ubuntu) wants CAP_SYS_ADMIN.
        assert_eq!(needs(6, 12, 3), [SysAdmin]);
        // Before 5.8 there is no CAP_BPF or CAP_PERFMON.
        assert_eq!(needs(5, 4, 2), [SysAdmin]);
    }

    #[test]
    fn sys_admin_grants_what_bpf_and_perfmon_do() {
        let held = |caps: &[Capability]| caps.iter().fold(0, |set, cap| set | 1 << *cap as u64);
        let admin = held(&[Capability::SysAdmin]);
        assert!(grants(admin, Capability::Bpf) && grants(admin, Capability::Perfmon));
        assert!(!grants(admin, Capability::DacReadSearch));
        assert!(!grants(held(&[Capability::Bpf]), Capability::Perfmon));
        assert!(grants(held(&[Capability::Bpf]), Capability::Bpf));
    }
}
