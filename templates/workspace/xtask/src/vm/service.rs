//! `cargo xtask vm --service`: two more steps in the VM, for the loader as a service. `pin`: the
//! count pinned by one start goes on at the next, with the events that happened while no loader
//! ran. `least`: the selftest as uid 65534 holding only the capabilities the README's "Least
//! privilege" gives for the kernel, and refused (exit 4) holding none.

use std::{fmt, path::PathBuf};

use super::initramfs::Step;
use super::judge::Steps;
use crate::arch::{Arch, Missing};

/// Where the VM's `setpriv` (util-linux's, with the libraries it loads) is put, when this
/// machine has one for the guest's architecture.
pub const SETPRIV: &str = "/sbin/setpriv";

/// What `least` needs in a VM of `arch`: this machine's util-linux `setpriv`, where the guest's
/// architecture is this machine's (elsewhere `least` says it did not run).
pub fn programs(arch: Arch) -> Result<Vec<(PathBuf, &'static str)>, Missing> {
    if Arch::host() != Some(arch) {
        return Ok(Vec::new());
    }
    let setpriv = super::on_path("setpriv").ok_or_else(|| Missing {
        what: "setpriv is not on PATH (`--service` runs the loader with it)".into(),
        fix: "sudo apt-get install util-linux".into(),
    })?;
    Ok(vec![(setpriv, SETPRIV)])
}

/// Runs of `true` in each of these steps' selftests, and between the two starts of `pin`.
const RUNS: u64 = 100;

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            name: "pin",
            script: PIN.replace("{RUNS}", &RUNS.to_string()),
        },
        Step {
            name: "least",
            script: LEAST
                .replace("{RUNS}", &RUNS.to_string())
                .replace("{SETPRIV}", SETPRIV),
        },
    ]
}

/// A first start pins the count and its links and exits; `true` runs while no loader does; a
/// second start says what it continues from: everything counted so far, its own execve included.
const PIN: &str = r"d=/sys/fs/bpf/vm
/loader --pin $d --selftest {RUNS} --exact || exit $?
i=0
while [ $i -lt {RUNS} ]; do /bin/true; i=$((i + 1)); done
/loader --pin $d --selftest {RUNS} --exact
code=$?
/loader --unpin $d
exit $code
";

/// The selftest as uid 65534 with the set for the `perf_event_paranoid` the kernel booted with
/// (above 2: `CAP_SYS_ADMIN`), then at 2 (`CAP_BPF`, `CAP_PERFMON`), each with
/// `CAP_DAC_READ_SEARCH` added when the loader names it missing (a tracepoint reads tracefs);
/// then with no capability. Each ends with a line `= <paranoid> <caps> exit <code>`.
const LEAST: &str = r#"[ -x {SETPRIV} ] || { echo "= no setpriv for this architecture"; exit 0; }
run() {
  {SETPRIV} --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all$1 --ambient-caps=-all$1 \
    --bounding-set=-all$1 /loader --selftest {RUNS} --exact >/least.log 2>&1
  code=$?
  cat /least.log
  return $code
}
try() {
  caps=$1
  run "$caps"
  code=$?
  if [ $code = 4 ] && grep -q "missing CAP_DAC_READ_SEARCH" /least.log; then
    caps="$caps,+dac_read_search"
    run "$caps"
    code=$?
  fi
  echo "= $(cat /proc/sys/kernel/perf_event_paranoid) ${caps#,} exit $code"
}
[ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 2 ] && try ,+sys_admin
echo 2 >/proc/sys/kernel/perf_event_paranoid
try ,+bpf,+perfmon
run ""
echo "= $(cat /proc/sys/kernel/perf_event_paranoid) none exit $?"
"#;

/// What `pin` showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pin {
    /// The second start continued from all that was counted, the events while stopped included.
    Continued,
    /// The count went on, but the kernel has no BPF links for kprobes and tracepoints (before
    /// 5.15), so nothing counted while no loader ran; the loader says so.
    CountKept,
    Failed(String),
}

/// What `least` showed: each run's `perf_event_paranoid`, capabilities and exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Least {
    Ran(Vec<String>),
    /// No `setpriv` for the guest's architecture in the VM.
    NotRun,
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub pin: Pin,
    pub least: Least,
}

impl Service {
    pub fn failed(&self) -> bool {
        matches!(self.pin, Pin::Failed(_)) || matches!(self.least, Least::Failed(_))
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Continued => f.write_str("continued"),
            Self::CountKept => f.write_str("count-kept"),
            Self::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

impl fmt::Display for Least {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ran(runs) => write!(f, "ok: {}", runs.join("; ")),
            Self::NotRun => f.write_str("not-run: no setpriv for this architecture"),
            Self::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// The verdicts of `pin` and `least` on a console.
pub fn judge(console: &str) -> Service {
    let steps = Steps::parse(console);
    Service {
        pin: pin(&steps),
        least: least(&steps),
    }
}

fn pin(steps: &Steps) -> Pin {
    let step = steps.get("pin");
    let continued = step.lines.iter().find_map(|l| {
        let rest = l.strip_prefix("pinned: continuing the count at ")?;
        rest.rsplit_once(" (")?
            .1
            .strip_suffix(')')?
            .parse::<u64>()
            .ok()
    });
    let unlinked = step.lines.iter().any(|l| l.contains("without a BPF link"));
    match (step.exit, continued) {
        (None, _) => Pin::Failed("the step did not end".into()),
        (Some(code), _) if code != 0 => {
            let last = step.lines.last().unwrap_or(&"no output");
            Pin::Failed(format!("exit {code}: {last}"))
        }
        (Some(_), None) => Pin::Failed("the second start continued no count".into()),
        // The first start's runs, the runs while stopped, and the second start's own execve.
        (Some(_), Some(total)) if total == 2 * RUNS + 1 && !unlinked => Pin::Continued,
        (Some(_), Some(total)) if total == RUNS && unlinked => Pin::CountKept,
        (Some(_), Some(total)) => Pin::Failed(format!(
            "continued from {total}: expected {} (links pinned) or {RUNS} (none)",
            2 * RUNS + 1
        )),
    }
}

fn least(steps: &Steps) -> Least {
    let step = steps.get("least");
    if step.exit != Some(0) {
        return Least::Failed(format!("the step ended with {:?}", step.exit));
    }
    if step.lines.iter().any(|l| l.starts_with("= no setpriv")) {
        return Least::NotRun;
    }
    // `= <paranoid> <capabilities> exit <code>`, one line per run.
    let runs: Vec<(&str, &str)> = step
        .lines
        .iter()
        .filter_map(|l| l.strip_prefix("= ")?.rsplit_once(" exit "))
        .collect();
    let (none, held): (Vec<_>, Vec<_>) = runs
        .into_iter()
        .partition(|(what, _)| what.ends_with(" none"));
    // The run with no capability prints between the run before it and its own `= ` line; it
    // must name missing each capability the run before held (an earlier run's "missing" line,
    // a tracepoint's for tracefs, says nothing about it).
    let end = step.lines.iter().rposition(|l| l.ends_with(" none exit 4"));
    let start = end.and_then(|end| step.lines[..end].iter().rposition(|l| l.starts_with("= ")));
    let output = match (start, end) {
        (Some(start), Some(end)) => &step.lines[start + 1..end],
        _ => &[][..],
    };
    let set = held
        .last()
        .and_then(|(what, _)| what.split_once(' '))
        .map(|(_, caps)| caps);
    let named = set.is_some_and(|caps| {
        caps.split(',').all(|cap| {
            let missing = format!(
                "missing CAP_{}:",
                cap.trim_start_matches('+').to_uppercase()
            );
            output.iter().any(|l| l.contains(&missing))
        })
    });
    let listed = |runs: &[(&str, &str)]| {
        let runs: Vec<String> = runs
            .iter()
            .map(|(what, code)| format!("{what}: exit {code}"))
            .collect();
        runs.join("; ")
    };
    if held.is_empty() || held.iter().any(|(_, code)| *code != "0") {
        Least::Failed(format!("with the least set, {}", listed(&held)))
    } else if none.len() != 1 || none[0].1 != "4" || !named {
        Least::Failed(format!(
            "with no capability, {} (expected exit 4 naming what is missing)",
            listed(&none)
        ))
    } else {
        Least::Ran(
            held.iter()
                .map(|(what, _)| format!("paranoid {what}"))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::vm::initramfs::MARK;

    fn console(steps: &[(&str, &[&str], i32)]) -> String {
        let mut console = format!("[    1.0] booting\n{MARK} release 6.1.0-47-cloud-amd64\n");
        for (name, lines, exit) in steps {
            for line in *lines {
                writeln!(console, "{MARK} {name}: {line}").unwrap();
            }
            writeln!(console, "{MARK} {name}-exit {exit}").unwrap();
        }
        console
    }

    const LEAST_OK: &[&str] = &[
        "= 3 +sys_admin exit 0",
        "= 2 +bpf,+perfmon exit 0",
        "hint: missing CAP_BPF: BPF maps and programs",
        "      missing CAP_PERFMON: tracing programs and perf events",
        "= 2 none exit 4",
    ];

    #[test]
    fn pinned_links_count_while_no_loader_runs() {
        let pin: &[&str] = &["pinned: continuing the count at /sys/fs/bpf/vm/COUNTER (201)"];
        let judged = judge(&console(&[("pin", pin, 0), ("least", LEAST_OK, 0)]));
        assert_eq!(judged.pin, Pin::Continued);
        let least = vec![
            "paranoid 3 +sys_admin".to_owned(),
            "paranoid 2 +bpf,+perfmon".to_owned(),
        ];
        assert_eq!(judged.least, Least::Ran(least));
        assert!(!judged.failed());
    }

    #[test]
    fn a_tracepoint_with_no_capability_is_refused_naming_all_three() {
        let least: &[&str] = &[
            "hint: missing CAP_DAC_READ_SEARCH: reading tracefs",
            "= 3 +sys_admin,+dac_read_search exit 0",
            "hint: missing CAP_DAC_READ_SEARCH: reading tracefs",
            "= 2 +bpf,+perfmon,+dac_read_search exit 0",
            "hint: missing CAP_BPF: BPF maps and programs",
            "      missing CAP_PERFMON: tracing programs and perf events",
            "      missing CAP_DAC_READ_SEARCH: reading tracefs",
            "= 2 none exit 4",
        ];
        let ran = vec![
            "paranoid 3 +sys_admin,+dac_read_search".to_owned(),
            "paranoid 2 +bpf,+perfmon,+dac_read_search".to_owned(),
        ];
        assert_eq!(
            judge(&console(&[("least", least, 0)])).least,
            Least::Ran(ran)
        );
    }

    #[test]
    fn without_perf_links_the_count_is_kept_and_the_loader_says_why() {
        let pin: &[&str] = &[
            "note: this kernel attaches count_calls without a BPF link (kernel >= 5.15 has them)",
            "pinned: continuing the count at /sys/fs/bpf/vm/COUNTER (100)",
        ];
        assert_eq!(judge(&console(&[("pin", pin, 0)])).pin, Pin::CountKept);
        // Without the note, the same count is a count that lost the events while stopped.
        let quiet: &[&str] = &["pinned: continuing the count at /sys/fs/bpf/vm/COUNTER (100)"];
        assert!(matches!(
            judge(&console(&[("pin", quiet, 0)])).pin,
            Pin::Failed(_)
        ));
    }

    #[test]
    fn a_count_that_restarted_or_doubled_fails() {
        for total in ["0", "402", "200"] {
            let line = format!("pinned: continuing the count at /sys/fs/bpf/vm/COUNTER ({total})");
            let judged = judge(&console(&[("pin", &[line.as_str()], 0)]));
            assert!(matches!(judged.pin, Pin::Failed(_)), "{total}: {judged:?}");
        }
        let refused: &[&str] = &["error: /sys/fs/bpf/vm/COUNTER was pinned by another build"];
        assert_eq!(
            judge(&console(&[("pin", refused, 1)])).pin,
            Pin::Failed("exit 1: error: /sys/fs/bpf/vm/COUNTER was pinned by another build".into())
        );
    }

    #[test]
    fn least_privilege_fails_when_the_set_is_refused_or_none_is_accepted() {
        let refused: &[&str] = &[
            "= 2 +bpf,+perfmon exit 4",
            "missing CAP_BPF",
            "= 2 none exit 4",
        ];
        assert!(matches!(
            judge(&console(&[("least", refused, 0)])).least,
            Least::Failed(_)
        ));
        let accepted: &[&str] = &["= 2 +bpf,+perfmon exit 0", "= 2 none exit 0"];
        assert!(matches!(
            judge(&console(&[("least", accepted, 0)])).least,
            Least::Failed(_)
        ));
        let unnamed: &[&str] = &["= 2 +bpf,+perfmon exit 0", "= 2 none exit 4"];
        assert!(matches!(
            judge(&console(&[("least", unnamed, 0)])).least,
            Least::Failed(_)
        ));
        // A tracepoint's first run names CAP_DAC_READ_SEARCH missing (then gets it): that is
        // not the run with no capability naming what it lacks.
        let named_earlier: &[&str] = &[
            "hint: missing CAP_DAC_READ_SEARCH: reading tracefs",
            "= 2 +bpf,+perfmon,+dac_read_search exit 0",
            "= 2 none exit 4",
        ];
        assert!(matches!(
            judge(&console(&[("least", named_earlier, 0)])).least,
            Least::Failed(_)
        ));
        // With no capability, each one of the set that ran must be named missing.
        let one_named: &[&str] = &[
            "= 2 +bpf,+perfmon,+dac_read_search exit 0",
            "hint: missing CAP_BPF: BPF maps and programs",
            "= 2 none exit 4",
        ];
        assert!(matches!(
            judge(&console(&[("least", one_named, 0)])).least,
            Least::Failed(_)
        ));
        let elsewhere: &[&str] = &["= no setpriv for this architecture"];
        assert_eq!(
            judge(&console(&[("least", elsewhere, 0)])).least,
            Least::NotRun
        );
    }
}
