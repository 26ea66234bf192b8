//! The verdict on one kernel, from what its VM printed: a pure function of the console, so that
//! every way a run can end is a unit test below.

use std::{collections::HashMap, fmt};

use crate::arch::Arch;

use super::initramfs::MARK;

/// What one kernel did with the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted, and counted exactly the selftest's runs.
    Counted,
    /// The kernel's verifier (or JIT) refused the program.
    Rejected,
    /// Accepted, but the count was wrong or a step failed.
    Failed,
    /// The kernel crashed, or stopped before the steps ended.
    VmCrashed,
    /// No power-off before the timeout.
    TimedOut,
}

impl Verdict {
    /// A verdict about the program, not about the VM (which may just be unlucky).
    pub fn blames_the_program(self) -> bool {
        matches!(self, Self::Rejected | Self::Failed)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Counted => "counted",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::VmCrashed => "vm-crashed",
            Self::TimedOut => "timed-out",
        })
    }
}

/// Whether the kernel compiled the program to machine code or runs it in its interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jit {
    Compiled,
    Interpreted,
}

impl fmt::Display for Jit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Compiled => "yes",
            Self::Interpreted => "no",
        })
    }
}

/// What the run should show.
pub struct Expected {
    /// `--selftest`'s runs of `true`: in the VM nothing else runs execve, so the count is exact.
    pub runs: u64,
    pub arch: Arch,
    /// Whether the program is built for BPF cpu v3 (`atomic_fetch_add`).
    pub cpu_v3: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Judgement {
    /// The release the kernel booted as (`uname -r`), once `/init` ran.
    pub release: Option<String>,
    pub verdict: Verdict,
    pub observed: Option<u64>,
    pub jit: Option<Jit>,
    /// One line: where it attached, or why it did not count.
    pub detail: String,
    /// What to show below the table: the steps' output, or the console's tail.
    pub log: String,
}

/// The verdict on a console (control characters removed), and whether the VM timed out.
pub fn judge(console: &str, timed_out: bool, expected: &Expected) -> Judgement {
    let steps = Steps::parse(console);
    let release = steps.release.clone();
    let lines: Vec<&str> = console.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    let last = |lines: &[&str]| lines.last().unwrap_or(&"no output").to_string();
    let observed = steps.observed();
    let jit = steps.jit();
    let check = steps.get("check");
    let selftest = steps.get("selftest");
    let (verdict, detail) = if let Some(crash) = console.lines().find_map(crash) {
        (Verdict::VmCrashed, crash.trim().to_owned())
    } else if timed_out {
        (Verdict::TimedOut, "no power-off in time".to_owned())
    } else if release.is_none() {
        (Verdict::VmCrashed, format!("no /init: {}", last(&lines)))
    } else {
        match (check.exit, selftest.exit) {
            (Some(3), _) => (
                Verdict::Rejected,
                rejection(&check.lines, release.as_deref(), expected),
            ),
            (Some(code), _) if code != 0 => (
                Verdict::Failed,
                format!("--check: exit {code}: {}", last(&check.lines)),
            ),
            (Some(_), Some(code)) => count(code, observed, &selftest.lines, expected.runs),
            (None, _) | (Some(_), None) => (Verdict::VmCrashed, "the VM stopped too early".into()),
        }
    };
    let log = match verdict {
        Verdict::Counted => String::new(),
        Verdict::Rejected | Verdict::Failed => {
            let lines = check.lines.iter().chain(&selftest.lines);
            lines.copied().collect::<Vec<_>>().join("\n")
        }
        Verdict::VmCrashed | Verdict::TimedOut => tail,
    };
    Judgement {
        release,
        verdict,
        observed: match observed {
            Observed::Count(n) => Some(n),
            Observed::Reset { .. } | Observed::Missing => None,
        },
        jit,
        detail,
        log,
    }
}

/// A finished selftest's verdict: exactly `runs`, as nothing else runs execve in the VM.
fn count(exit: i32, observed: Observed, lines: &[&str], runs: u64) -> (Verdict, String) {
    let failed = |why: String| (Verdict::Failed, why);
    match observed {
        Observed::Reset { from, to } => {
            failed(format!("the counter was reset, from {from} to {to}"))
        }
        Observed::Missing if exit == 0 => failed("--selftest printed no count".into()),
        Observed::Missing => {
            let last = lines.last().unwrap_or(&"no output");
            failed(format!("--selftest: exit {exit}: {last}"))
        }
        Observed::Count(n) if n == runs && exit == 0 => {
            let attached = lines.iter().find_map(|l| l.strip_prefix("selftest: "));
            (Verdict::Counted, attached.unwrap_or("attached").to_owned())
        }
        Observed::Count(n) if n > runs => failed(format!(
            "counted {n} for {runs} runs of `true`: some execve counted more than once"
        )),
        Observed::Count(n) if n < runs => failed(format!(
            "counted {n} of {runs} runs of `true`: lost, or missed"
        )),
        Observed::Count(_) => failed(format!("--selftest: exit {exit}")),
    }
}

/// What a console line says of a crash, from its pattern on (`oops=panic` turns an oops into a
/// panic, which ends QEMU).
fn crash(line: &str) -> Option<&str> {
    const CRASH: [&str; 4] = ["Kernel panic", "Oops:", "BUG:", "general protection"];
    CRASH.iter().find_map(|c| Some(&line[line.find(c)?..]))
}

/// A rejection's key line (the verifier log's line before its statistics and the loader's note),
/// and whether the BPF cpu and the kernel's version explain it.
fn rejection(check: &[&str], release: Option<&str>, expected: &Expected) -> String {
    let stats = ["verification time", "stack depth", "processed ", "note:"];
    let is_stat = |line: &&str| stats.iter().any(|s| line.starts_with(s));
    let before_stats = &check[..check.iter().position(is_stat).unwrap_or(check.len())];
    let key = before_stats.last().unwrap_or(&"no verifier log");
    let version = release.and_then(version);
    let older = |than: (u32, u32)| version.is_some_and(|v| v < than);
    // Error 524 (ENOTSUPP): a JIT that cannot compile the program, on a kernel that may not
    // fall back to its interpreter (CONFIG_BPF_JIT_ALWAYS_ON).
    let jit_refused = check.iter().any(|l| l.contains("os error 524"));
    let why = if !expected.cpu_v3 {
        "not explained by the BPF cpu (generic)"
    } else if older((5, 12)) {
        "explained: BPF cpu v3 needs kernel >= 5.12"
    } else if expected.arch == Arch::Aarch64 && older((5, 18)) && jit_refused {
        "explained: the arm64 JIT compiles atomic_fetch_add from 5.18, and \
         CONFIG_BPF_JIT_ALWAYS_ON forbids the interpreter"
    } else {
        "not explained: BPF cpu v3 needs kernel >= 5.12, this one is newer"
    };
    format!("{key} ({why})")
}

/// `(major, minor)` of a release such as `6.1.0-47-cloud-arm64`.
fn version(release: &str) -> Option<(u32, u32)> {
    let mut numbers = release.split(['.', '-']).map(str::parse);
    Some((numbers.next()?.ok()?, numbers.next()?.ok()?))
}

/// The count `--selftest` printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Observed {
    Count(u64),
    Reset { from: u64, to: u64 },
    Missing,
}

/// The output and exit code of one step of `/init`.
#[derive(Default)]
pub(super) struct Step<'a> {
    pub(super) lines: Vec<&'a str>,
    pub(super) exit: Option<i32>,
}

/// What `/init` printed: the release, and each step's marked lines.
pub(super) struct Steps<'a> {
    release: Option<String>,
    steps: HashMap<&'a str, Step<'a>>,
}

impl<'a> Steps<'a> {
    /// Lines `@@aya-vm release <r>`, `@@aya-vm <step>: <line>`, `@@aya-vm <step>-exit <code>`.
    pub(super) fn parse(console: &'a str) -> Self {
        let mut parsed = Self {
            release: None,
            steps: HashMap::new(),
        };
        let marked = console.lines().filter_map(|l| l.strip_prefix(MARK));
        for line in marked.map(str::trim_start) {
            if let Some(release) = line.strip_prefix("release ") {
                parsed.release = Some(release.trim().to_owned());
            } else if let Some((step, text)) = line.split_once(": ") {
                parsed
                    .steps
                    .entry(step)
                    .or_default()
                    .lines
                    .push(text.trim_end());
            } else if let Some((step, code)) = line.split_once("-exit ") {
                parsed.steps.entry(step).or_default().exit = code.trim().parse().ok();
            }
        }
        parsed
    }

    pub(super) fn get(&self, step: &str) -> &Step<'a> {
        static NONE: Step<'static> = Step {
            lines: Vec::new(),
            exit: None,
        };
        self.steps.get(step).unwrap_or(&NONE)
    }

    /// `observed: <n>`, or `observed: reset, from <a> to <b>`, as the loader's selftest prints.
    fn observed(&self) -> Observed {
        let mut lines = self.get("selftest").lines.iter();
        let Some(text) = lines.find_map(|l| l.strip_prefix("observed: ")) else {
            return Observed::Missing;
        };
        if let Some(reset) = text.strip_prefix("reset, from ") {
            let mut numbers = reset.split(" to ").map(|n| n.trim().parse());
            if let (Some(Ok(from)), Some(Ok(to))) = (numbers.next(), numbers.next()) {
                return Observed::Reset { from, to };
            }
        }
        text.parse().map_or(Observed::Missing, Observed::Count)
    }

    /// `prog_jited: 1` or `0` of the loaded programs (the kernel's fdinfo), when all agree.
    fn jit(&self) -> Option<Jit> {
        let lines = self.get("jit").lines.iter();
        let flags: Vec<&str> = lines
            .filter_map(|l| l.strip_prefix("prog_jited:"))
            .map(str::trim)
            .collect();
        if flags.is_empty() {
            None
        } else if flags.iter().all(|f| *f == "1") {
            Some(Jit::Compiled)
        } else if flags.iter().all(|f| *f == "0") {
            Some(Jit::Interpreted)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    const ARM64: Expected = Expected {
        runs: 1000,
        arch: Arch::Aarch64,
        cpu_v3: true,
    };
    const X86: Expected = Expected {
        runs: 1000,
        arch: Arch::X86_64,
        cpu_v3: false,
    };

    /// A console as `/init` prints it: kernel noise, then the marked steps.
    fn console(release: &str, steps: &[(&str, &[&str], i32)]) -> String {
        let mut text = String::from("[    0.000000] Booting Linux on physical CPU 0x0\n");
        writeln!(text, "{MARK} release {release}").unwrap();
        for (step, lines, exit) in steps {
            for line in *lines {
                writeln!(text, "{MARK} {step}: {line}").unwrap();
            }
            writeln!(text, "{MARK} {step}-exit {exit}").unwrap();
        }
        text
    }

    fn selftest(observed: &str, exit: i32) -> String {
        let lines = [
            "selftest: kprobe on __arm64_sys_execve",
            "expected: >= 1000 (ran `true` 1000 times from 2 threads in 9.1s)",
            observed,
        ];
        let check = ["accepted by the kernel's verifier: count_calls"];
        let jit = ["prog_jited:\t1", "counting: kprobe on __arm64_sys_execve"];
        console(
            "6.1.0-47-cloud-arm64",
            &[
                ("check", &check, 0),
                ("selftest", &lines, exit),
                ("jit", &jit, 0),
            ],
        )
    }

    #[test]
    fn exactly_the_runs_is_counted() {
        let judged = judge(&selftest("observed: 1000", 0), false, &ARM64);
        assert_eq!(judged.verdict, Verdict::Counted);
        assert_eq!(judged.release.as_deref(), Some("6.1.0-47-cloud-arm64"));
        assert_eq!(judged.observed, Some(1000));
        assert_eq!(judged.jit, Some(Jit::Compiled));
        assert_eq!(judged.detail, "kprobe on __arm64_sys_execve");
    }

    #[test]
    fn a_double_count_fails_though_the_loader_passed() {
        // The loader's own selftest asks for at least n (on a host, other processes run execve).
        let judged = judge(&selftest("observed: 2000", 0), false, &ARM64);
        assert_eq!(judged.verdict, Verdict::Failed);
        assert_eq!(judged.observed, Some(2000));
        assert!(
            judged.detail.contains("more than once"),
            "{}",
            judged.detail
        );
    }

    #[test]
    fn a_short_count_fails() {
        let judged = judge(&selftest("observed: 999", 6), false, &ARM64);
        assert_eq!(judged.verdict, Verdict::Failed);
        assert_eq!(
            judged.detail,
            "counted 999 of 1000 runs of `true`: lost, or missed"
        );
    }

    #[test]
    fn a_counter_reset_fails() {
        let judged = judge(&selftest("observed: reset, from 12 to 3", 6), false, &ARM64);
        assert_eq!(judged.verdict, Verdict::Failed);
        assert_eq!(judged.detail, "the counter was reset, from 12 to 3");
        assert_eq!(judged.observed, None);
    }

    #[test]
    fn a_verifier_rejection_is_explained_by_the_kernel_version() {
        let check = [
            "error: rejected by the kernel's verifier: `count_calls` (Invalid argument); verifier log:",
            "0: (b7) r1 = 0",
            "BPF_STX uses reserved fields",
            "processed 6 insns (limit 1000000)",
            "note: built for BPF cpu v3",
        ];
        let text = console("5.10.0-32-cloud-arm64", &[("check", &check, 3)]);
        let judged = judge(&text, false, &ARM64);
        assert_eq!(judged.verdict, Verdict::Rejected);
        assert_eq!(
            judged.detail,
            "BPF_STX uses reserved fields (explained: BPF cpu v3 needs kernel >= 5.12)"
        );
        assert!(judged.log.contains("note: built for BPF cpu v3"));
        let newer = console("6.1.0-47-cloud-amd64", &[("check", &check, 3)]);
        let judged = judge(&newer, false, &X86);
        assert_eq!(
            judged.detail,
            "BPF_STX uses reserved fields (not explained by the BPF cpu (generic))"
        );
    }

    #[test]
    fn an_arm64_jit_refusal_before_5_18_is_explained() {
        let check =
            ["error: rejected: `count_calls` (Unknown error 524 (os error 524)); verifier log:"];
        let text = console("5.15.0-0.bpo.3-arm64", &[("check", &check, 3)]);
        let judged = judge(&text, false, &ARM64);
        assert!(
            judged.detail.contains("explained: the arm64 JIT"),
            "{}",
            judged.detail
        );
    }

    #[test]
    fn a_crash_is_the_vm_failing_whatever_the_count() {
        let mut text = selftest("observed: 1000", 0);
        text += "[   12.3] Unable to handle kernel paging request\n[   12.4] Internal error: Oops: 96000004 [#1] SMP\n";
        let judged = judge(&text, false, &ARM64);
        assert_eq!(judged.verdict, Verdict::VmCrashed);
        assert_eq!(judged.detail, "Oops: 96000004 [#1] SMP");
        assert!(
            judged
                .log
                .contains("Unable to handle kernel paging request")
        );
    }

    #[test]
    fn a_timeout_is_the_vm_failing() {
        let text = console("6.12.117+deb13-cloud-arm64", &[("check", &["accepted"], 0)]);
        let judged = judge(&text, true, &ARM64);
        assert_eq!(judged.verdict, Verdict::TimedOut);
        assert!(!judged.verdict.blames_the_program());
    }

    #[test]
    fn a_vm_that_never_reached_init_or_stopped_early() {
        let judged = judge("[    1.0] VFS: Unable to mount root fs\n", false, &ARM64);
        assert_eq!(judged.verdict, Verdict::VmCrashed);
        assert_eq!(
            judged.detail,
            "no /init: [    1.0] VFS: Unable to mount root fs"
        );
        assert_eq!(judged.release, None);
        let text = console("6.1.0-47-cloud-arm64", &[("check", &["accepted"], 0)]);
        assert_eq!(
            judge(&text, false, &ARM64).detail,
            "the VM stopped too early"
        );
    }

    #[test]
    fn the_interpreter_is_reported() {
        let check = ["accepted"];
        let lines = [
            "selftest: tracepoint syscalls/sys_enter_execve",
            "observed: 1000",
        ];
        let jit = ["prog_jited:\t0"];
        let steps = [
            ("check", &check[..], 0),
            ("selftest", &lines[..], 0),
            ("jit", &jit[..], 0),
        ];
        let judged = judge(
            &console("6.12.117+deb13-cloud-arm64", &steps),
            false,
            &ARM64,
        );
        assert_eq!(judged.verdict, Verdict::Counted);
        assert_eq!(judged.jit, Some(Jit::Interpreted));
    }
}
