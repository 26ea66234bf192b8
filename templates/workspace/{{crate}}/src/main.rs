//! The {{crate}} loader: loads the embedded eBPF program, lets the kernel's verifier judge it,
//! attaches it and prints how often it ran.
//!
//! `main.rs` parses the arguments and loads the object; `program.rs` loads and attaches the
//! program; `map.rs` reads the counter's total; `bench.rs` measures the counter's cost per event
//! (`--bench`). Run `{{crate}} --help` for the options and exit codes.

mod bench;
mod map;
mod program;

use std::{
    error::Error,
    io,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    thread,
    time::{Duration, Instant},
};

use aya::{Ebpf, programs::ProgramError};
use common::{BASELINE_NAME, PROGRAM_NAME};
use tokio::{
    signal::unix::{SignalKind, signal},
    time::MissedTickBehavior,
};

/// Exit codes; `--help` lists them too.
pub mod exit {
    /// Success: accepted (`--check`), counted enough (`--selftest`), or stopped by a signal.
    pub const OK: u8 = 0;
    /// Any other error.
    pub const ERROR: u8 = 1;
    /// Bad command line.
    pub const USAGE: u8 = 2;
    /// The kernel's verifier rejected the program.
    pub const REJECTED: u8 = 3;
    /// Not allowed: needs root (or CAP_BPF and CAP_PERFMON, plus tracefs access for tracepoints).
    pub const PERMISSION: u8 = 4;
    /// Cannot attach: symbol or tracepoint missing, or the kernel lacks the support.
    pub const ATTACH: u8 = 5;
    /// `--selftest`: the counter grew by less than the number of runs.
    pub const SELFTEST: u8 = 6;
}

const HELP: &str = "\
{{crate}}: counts calls with an eBPF {{ebpf_map_type}} counter ({{crate}}-ebpf)

Usage: {{crate}} [--attach <target>] [--check | --selftest <n>]
       {{crate}} --bench [--calls <n>] [--runs <r>] [--json]

Without --check, --selftest or --bench: attach, print the total and the rate every
second, and the final total on Ctrl-C (SIGINT), SIGTERM or SIGHUP.

Options:
  --attach <target>  where to attach, instead of the default chosen at generation
                     (kprobe: a kernel symbol or `auto`; tracepoint: `category/name`);
                     not with --check or --bench
  --check            load only (count_calls and baseline), so the kernel's verifier
                     judges both programs; attaches nothing
  --selftest <n>     attach, run /bin/true (else `true` from PATH) n times from two
                     threads, and check that the counter grew by at least n (needs an
                     execve target)
  --bench            measure what the counter costs per event in the kernel: attach
                     count_calls and an empty program (`baseline`) to getppid (the
                     tracepoint syscalls/sys_enter_getppid, or the kprobe on getppid's
                     syscall symbol), turn on the kernel's BPF run-time statistics
                     for the measurement only, call getppid n times from one thread
                     pinned to the first CPU (alone), then from one pinned thread per
                     CPU (contended); r runs each. Prints ns per event of count_calls
                     minus baseline (median, min-max), and the counter's growth
                     against the calls made and the program's runs (lost updates)
  --calls <n>        --bench: getppid calls per thread and run (default 1000000)
  --runs <r>         --bench: runs, alone and contended each (default 9)
  --json             --bench: print one JSON line instead of the table
  -h, --help         print this help

Needs root: `sudo -E {{crate}} ...` (or `cargo xtask run -- ...`). CAP_BPF and
CAP_PERFMON are enough to load and to attach a kprobe; a tracepoint also needs access
to tracefs (/sys/kernel/tracing), which is usually root's only.

Exit codes:
  0  success
  1  error
  2  usage error
  3  rejected by the kernel's verifier
  4  permission denied (not root, no access to tracefs, or BPF forbidden)
  5  cannot attach (symbol or tracepoint missing, no kprobe support)
  6  --selftest: the counter grew by less than n
--bench reports lost updates but still exits 0: measuring them is its purpose.
";

/// Why the loader stops: an exit code (see [`exit`]) and a message for stderr.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An error about `what`: a permission error when the kernel said EPERM or EACCES, else `code`.
    pub fn from_error(code: u8, what: &str, err: &(dyn Error + 'static)) -> Self {
        if is_permission_denied(err) {
            return permission_denied(what);
        }
        Self::new(code, format!("{what}: {}", error_chain(err)))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        if is_permission_denied(err.as_ref()) {
            return permission_denied(&err.to_string());
        }
        Self::new(exit::ERROR, format!("{err:#}"))
    }
}

/// The message for EPERM or EACCES: the command line to retry under sudo, or, for root, what
/// else forbids it.
pub fn permission_denied(what: &str) -> Failure {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Failure::new(
            exit::PERMISSION,
            format!(
                "{what}: permission denied although running as root: kernel lockdown, \
                 seccomp or a container may forbid BPF"
            ),
        );
    }
    let command: Vec<String> = std::env::args().collect();
    Failure::new(
        exit::PERMISSION,
        format!(
            "{what}: permission denied.\n\
             Loading and attaching eBPF programs needs root, or CAP_BPF and CAP_PERFMON \
             (a tracepoint also needs access to tracefs, usually root's only); try:\n  \
             sudo -E {}",
            command.join(" ")
        ),
    )
}

/// Whether any error in the chain is EPERM or EACCES from the kernel.
fn is_permission_denied(err: &(dyn Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        // (No let chains here: they need Rust 1.88 and this crate supports 1.87.)
        if err
            .downcast_ref::<io::Error>()
            .and_then(io::Error::raw_os_error)
            .is_some_and(|errno| errno == libc::EPERM || errno == libc::EACCES)
        {
            return true;
        }
        current = err.source();
    }
    false
}

/// `err` and its sources, joined with ": ".
pub fn error_chain(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(source) = current {
        let part = source.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        current = source.source();
    }
    text
}

/// What `main` was asked to do.
#[derive(Debug, PartialEq)]
enum Mode {
    Watch,
    Check,
    Selftest(u64),
    Bench,
    Help,
}

#[derive(Debug, PartialEq)]
struct Args {
    mode: Mode,
    attach: Option<String>,
    /// `--calls`, `--runs` and `--json`, which only `--bench` takes.
    bench: bench::Options,
    bench_options_given: bool,
}

fn usage(message: String) -> Failure {
    Failure::new(
        exit::USAGE,
        format!("{message}\nRun with --help for the options."),
    )
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, Failure> {
    let mut parsed = Args {
        mode: Mode::Watch,
        attach: None,
        bench: bench::Options::default(),
        bench_options_given: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let is_switch = matches!(flag.as_str(), "--help" | "--check" | "--bench" | "--json");
        if inline_value.is_some() && is_switch {
            return Err(usage(format!("`{flag}` takes no value: `{arg}`")));
        }
        let mut value = |name: &str| {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| usage(format!("{name} needs a value")))
        };
        let mode = match flag.as_str() {
            "-h" | "--help" => Mode::Help,
            "--check" => Mode::Check,
            "--selftest" => Mode::Selftest(positive("--selftest", &value("--selftest")?)?),
            "--bench" => Mode::Bench,
            "--attach" => {
                parsed.attach = Some(value("--attach")?);
                continue;
            }
            "--calls" | "--runs" | "--json" => {
                parsed.bench_options_given = true;
                match flag.as_str() {
                    "--calls" => parsed.bench.calls = positive("--calls", &value("--calls")?)?,
                    "--runs" => parsed.bench.runs = positive("--runs", &value("--runs")?)?,
                    _ => parsed.bench.json = true,
                }
                continue;
            }
            _ => return Err(usage(format!("unknown argument `{arg}`"))),
        };
        parsed.mode = match (&parsed.mode, mode) {
            (_, Mode::Help) | (Mode::Help, _) => Mode::Help,
            (Mode::Watch, mode) => mode,
            _ => {
                return Err(usage(
                    "--check, --selftest and --bench exclude each other".to_owned(),
                ));
            }
        };
    }
    match parsed.mode {
        Mode::Help => {}
        Mode::Bench if parsed.attach.is_some() => {
            return Err(usage(
                "--bench attaches to getppid itself; it takes no --attach".to_owned(),
            ));
        }
        Mode::Check if parsed.attach.is_some() => {
            return Err(usage(
                "--check only loads the programs; it takes no --attach".to_owned(),
            ));
        }
        Mode::Bench => {}
        _ if parsed.bench_options_given => {
            return Err(usage("--calls, --runs and --json need --bench".to_owned()));
        }
        _ => {}
    }
    // A bad target is a usage error before anything is loaded.
    match (&parsed.mode, parsed.attach.as_deref()) {
        (Mode::Help, _) | (_, None) => {}
        (_, Some(target)) => program::check_target(target)?,
    }
    Ok(parsed)
}

/// `text` as a count greater than zero, for the option `name`.
fn positive(name: &str, text: &str) -> Result<u64, Failure> {
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(usage(format!(
            "{name} needs a positive count, not `{text}`"
        ))),
    }
}

/// Kernels before 5.11 charge BPF maps and programs to RLIMIT_MEMLOCK, whose default is small.
fn raise_memlock_limit() {
    let limit = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit only reads the struct we pass.
    let result = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &limit) };
    if result != 0 {
        // Not fatal: newer kernels do not use it, and without root the load fails clearly anyway.
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EPERM) {
            eprintln!("warning: cannot raise RLIMIT_MEMLOCK: {err}");
        }
    }
}

/// Parses the embedded eBPF object and creates its map in the kernel.
fn load_object() -> Result<Ebpf, Failure> {
    let object = aya::include_bytes_aligned!(env!("EBPF_OBJECT"));
    Ebpf::load(object)
        .map_err(|err| Failure::from_error(exit::ERROR, "cannot load the eBPF object", &err))
}

/// The program `name` (`PROGRAM_NAME`, or `BASELINE_NAME` for the bench) in the loaded object.
pub fn program_mut<'a>(
    ebpf: &'a mut Ebpf,
    name: &str,
) -> Result<&'a mut aya::programs::Program, Failure> {
    ebpf.program_mut(name).ok_or_else(|| {
        Failure::new(
            exit::ERROR,
            format!("no program `{name}` in the eBPF object (the constant in the common crate and the function name must match)"),
        )
    })
}

/// The BPF cpu the eBPF object was built for: keep equal to `BPF_CPU` in xtask/src/main.rs.
const BPF_CPU: &str = "{{cpu}}";

/// Turns a failed `load()` of the program `name` into the verifier's verdict, or a permission error.
pub fn load_failure(err: ProgramError, name: &str) -> Failure {
    match err {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            let log = verifier_log.to_string();
            if log.trim().is_empty() && io_error.raw_os_error() == Some(libc::EPERM) {
                return permission_denied("cannot load the program");
            }
            let mut message = format!(
                "the kernel's verifier rejected `{name}` ({io_error}). Verifier log:\n{}",
                log.trim_end()
            );
            if BPF_CPU == "v3" {
                message.push_str(
                    "\nnote: orderings other than relaxed compile to atomic_fetch_add (BPF cpu v3), \
                     which needs kernel >= 5.12 (arm64 JIT >= 5.18); regenerate with --ordering relaxed",
                );
            }
            Failure::new(exit::REJECTED, message)
        }
        err => Failure::from_error(exit::ERROR, "cannot load the program", &err),
    }
}

/// `/bin/true` if it exists, else `true` from PATH: a small binary to execve.
fn true_binary() -> Result<PathBuf, Failure> {
    let bin_true = Path::new("/bin/true");
    if bin_true.is_file() {
        return Ok(bin_true.to_path_buf());
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("true"))
        .find(|path| path.is_absolute() && path.is_file())
        .ok_or_else(|| {
            Failure::new(
                exit::ERROR,
                "--selftest needs a `true` binary: neither /bin/true nor `true` on PATH",
            )
        })
}

/// Attaches, runs `true` `runs` times from two threads, and checks the counter grew by at least `runs`.
fn selftest(ebpf: &Ebpf, runs: u64, attached: &str) -> Result<(), Failure> {
    let binary = true_binary()?;
    let shown = binary.display().to_string();
    let before = map::total(ebpf)?;
    let started = Instant::now();
    let workers: Vec<_> = [runs.div_ceil(2), runs / 2]
        .into_iter()
        .map(|share| {
            let binary = binary.clone();
            thread::spawn(move || -> io::Result<()> {
                for _ in 0..share {
                    Command::new(&binary).status()?;
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .map_err(|_| Failure::new(exit::ERROR, "a selftest thread panicked"))?
            .map_err(|err| Failure::new(exit::ERROR, format!("cannot run {shown}: {err}")))?;
    }
    let elapsed = started.elapsed();
    let after = map::total(ebpf)?;
    let observed = after.wrapping_sub(before);
    println!("selftest: {attached}");
    println!("expected: >= {runs} (ran {shown} {runs} times from 2 threads in {elapsed:.2?})");
    println!("observed: {observed}");
    if observed >= runs {
        println!("ok: the counter grew by at least {runs}");
        Ok(())
    } else {
        Err(Failure::new(
            exit::SELFTEST,
            format!(
                "the counter grew by {observed}, less than {runs}: calls were lost or the target does not see execve"
            ),
        ))
    }
}

/// Prints the total and the rate every second until SIGINT (Ctrl-C), SIGTERM or SIGHUP, then
/// the final total.
async fn watch(ebpf: &Ebpf, attached: &str) -> Result<(), Failure> {
    let listen = |kind: SignalKind| {
        signal(kind)
            .map_err(|err| Failure::new(exit::ERROR, format!("cannot wait for signals: {err}")))
    };
    let mut interrupt = listen(SignalKind::interrupt())?;
    let mut terminate = listen(SignalKind::terminate())?;
    let mut hangup = listen(SignalKind::hangup())?;
    println!("counting calls: {attached}; Ctrl-C to stop");
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    // After a stall, tick once and go on, rather than printing the missed ticks at once.
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut previous: Option<(u64, Instant)> = None;
    loop {
        tokio::select! {
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            _ = interval.tick() => {
                let total = map::total(ebpf)?;
                let now = Instant::now();
                match previous {
                    Some((last, at)) => {
                        let rate = total.wrapping_sub(last) as f64 / now.duration_since(at).as_secs_f64();
                        println!("total: {total}  rate: {rate:.1}/s");
                    }
                    None => println!("total: {total}"),
                }
                previous = Some((total, now));
            }
        }
    }
    println!("final total: {}", map::total(ebpf)?);
    Ok(())
}

async fn run() -> Result<(), Failure> {
    let args = parse_args(std::env::args().skip(1))?;
    if args.mode == Mode::Help {
        print!("{HELP}");
        return Ok(());
    }
    raise_memlock_limit();
    let mut ebpf = load_object()?;
    program::load(&mut ebpf, PROGRAM_NAME)?;
    match args.mode {
        Mode::Check => {
            println!("{PROGRAM_NAME}: accepted by the kernel's verifier");
            // `--bench` loads it too: let the check find a rejection first.
            program::load(&mut ebpf, BASELINE_NAME)?;
            println!("{BASELINE_NAME}: accepted by the kernel's verifier");
            return Ok(());
        }
        Mode::Bench => return bench::run(&mut ebpf, &args.bench),
        _ => {}
    }
    let target = args.attach.as_deref().unwrap_or(program::DEFAULT_ATTACH);
    let attached = program::attach(&mut ebpf, PROGRAM_NAME, target)?;
    match args.mode {
        Mode::Selftest(runs) => selftest(&ebpf, runs, &attached),
        _ => watch(&ebpf, &attached).await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::from(exit::OK),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, Failure> {
        parse_args(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn parses_the_options() {
        assert_eq!(parse(&[]).unwrap().mode, Mode::Watch);
        assert_eq!(parse(&["--check"]).unwrap().mode, Mode::Check);
        assert_eq!(parse(&["--selftest", "5"]).unwrap().mode, Mode::Selftest(5));
        assert_eq!(parse(&["--selftest=7"]).unwrap().mode, Mode::Selftest(7));
        let args = parse(&["--attach", program::DEFAULT_ATTACH]).unwrap();
        assert_eq!(args.attach.as_deref(), Some(program::DEFAULT_ATTACH));
        let args = parse(&["--attach", "bad!", "--help"]).unwrap();
        assert_eq!(args.mode, Mode::Help);
        assert_eq!(parse(&["--check", "--help"]).unwrap().mode, Mode::Help);
        let args = parse(&["--bench", "--calls", "10", "--runs=3", "--json"]).unwrap();
        assert_eq!(args.mode, Mode::Bench);
        assert_eq!((args.bench.calls, args.bench.runs), (10, 3));
        assert!(args.bench.json);
    }

    #[test]
    fn rejects_bad_usage() {
        for args in [
            &["--bogus"][..],
            &["--selftest"],
            &["--selftest", "0"],
            &["--check", "--selftest", "1"],
            &["--bench", "--check"],
            &["--bench", "--calls", "0"],
            &["--bench", "--attach", "x/y"],
            &["--check", "--attach", program::DEFAULT_ATTACH],
            &["--attach", "bad!"],
            &["--attach", ""],
            &["--check=no"],
            &["--bench", "--json=yes"],
            &["--help=1"],
            &["--runs", "3"],
            &["--json"],
        ] {
            assert_eq!(parse(args).unwrap_err().code, exit::USAGE, "{args:?}");
        }
    }
}
