//! The lru-probe loader: loads the eBPF program that build.rs embedded (the kernel's verifier
//! judges it), attaches it, prints the count. program.rs attaches, map.rs reads, bench.rs: --bench.

mod bench;
mod map;
mod program;

use std::process::{Command, ExitCode};
use std::{env, fmt, io, thread, time::Duration, time::Instant};

use anyhow::{Context as _, anyhow, bail};
use aya::{Ebpf, programs::ProgramError};
use clap::{ArgGroup, Parser};
use common::{BASELINE_NAME, PROGRAM_NAME};
use tokio::signal::unix::{SignalKind, signal};

/// Counts how often a kernel event fires, with a counter in an eBPF map (LruPerCpuHashMap). Without
/// an option: attach, print the total and the rate every second, and the final total on Ctrl-C.
#[derive(Parser)]
#[command(version, after_help = EXIT_CODES)]
#[command(group(ArgGroup::new("mode").args(["check", "selftest", "bench"])))]
struct Args {
    /// Where to attach (kprobe: a kernel symbol or `auto`; tracepoint: `category/name`)
    #[arg(long, value_name = "TARGET", default_value = program::DEFAULT_ATTACH)]
    #[arg(conflicts_with_all = ["check", "bench"])]
    attach: String,
    /// Only load the programs, so that the kernel's verifier judges them
    #[arg(long)]
    check: bool,
    /// Attach, run `true` N times from two threads, and fail unless the counter grew by N or more
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    selftest: Option<u64>,
    #[command(flatten)]
    bench: bench::Options,
}

const EXIT_CODES: &str = "Exit codes: 0 ok, 1 error, 2 usage, 3 rejected by the verifier, \
    4 permission denied, 5 cannot attach, 6 --selftest failed (counted too few, or a reset)";

/// An exit code and what failed, as an error's context (permission denied, 4, is found in `main`).
#[derive(Debug)]
pub struct Exit(u8, &'static str);
pub const REJECTED: Exit = Exit(3, "rejected by the kernel's verifier");
pub const ATTACH: Exit = Exit(5, "cannot attach");
pub const SELFTEST: Exit = Exit(6, "selftest failed");

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Err(err) = run(Args::parse()).await else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {err:#}");
    let denied = |e: &io::Error| matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES));
    if err.chain().filter_map(|e| e.downcast_ref()).any(denied) {
        eprintln!("hint: run as root (sudo -E, or cargo xtask run), or with CAP_BPF + CAP_PERFMON");
        eprintln!("      (even root can be refused BPF by kernel lockdown or a container)");
        return ExitCode::from(4);
    }
    ExitCode::from(err.downcast_ref::<Exit>().map_or(1, |exit| exit.0))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let object = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/ebpf.o"));
    if object.is_empty() {
        bail!("built with AYA_BUILD_SKIP set, without its eBPF program: build it again without");
    }
    let mut ebpf = Ebpf::load(object).context("cannot load the eBPF object")?;
    program::load(&mut ebpf, PROGRAM_NAME)?;
    if args.check {
        program::load(&mut ebpf, BASELINE_NAME)?;
        println!("accepted by the kernel's verifier: {PROGRAM_NAME}, {BASELINE_NAME}");
        return Ok(());
    } else if args.bench.bench {
        return bench::run(&mut ebpf, &args.bench);
    }
    let attached = program::attach(&mut ebpf, PROGRAM_NAME, &args.attach)?;
    match args.selftest {
        Some(runs) => selftest(&ebpf, runs, &attached),
        None => watch(&ebpf, &attached).await,
    }
}

/// A failed `load()`: the verifier's verdict with its log (exit 3), or the error as it is.
pub fn load_error(err: ProgramError, name: &str) -> anyhow::Error {
    let ProgramError::LoadError {
        io_error,
        verifier_log,
    } = err
    else {
        return anyhow!(err).context(format!("cannot load `{name}`"));
    };
    let (errno, log) = (io_error.raw_os_error(), verifier_log.to_string());
    if log.trim().is_empty() && errno == Some(libc::EPERM) {
        return anyhow!(io_error).context(format!("cannot load `{name}`"));
    }
    let mut message = format!("`{name}` ({io_error}); verifier log:\n{}", log.trim_end());
    // Kernels before 5.12 do not know atomic_fetch_add; 524: a JIT that cannot compile it.
    let atomic = ["uses reserved fields", "atomic opcode", "unknown opcode"];
    let atomic = atomic.iter().any(|m| log.contains(m)) || errno == Some(524);
    if atomic && env!("EBPF_CPU") == "v3" {
        message += "\nnote: built for BPF cpu v3 (EBPF_CPU in .cargo/config.toml), the ordering \
            compiles to atomic_fetch_add, which needs kernel >= 5.12 (arm64: 5.18); for older \
            kernels: npm create aya-atomic@latest -- --update --ordering relaxed";
    }
    anyhow!(message).context(REJECTED)
}

/// Runs `true` `runs` times from two threads; succeeds only if the counter grew by `runs` or more.
fn selftest(ebpf: &Ebpf, runs: u64, attached: &str) -> anyhow::Result<()> {
    // By its path: a search of PATH would make one execve per directory it tries.
    let path = env::var_os("PATH").unwrap_or_default();
    let mut paths = env::split_paths(&path).map(|dir| dir.join("true"));
    let true_path = paths.find(|t| t.is_file()).context("no `true` on PATH")?;
    let run_true = |times| (0..times).try_for_each(|_| Command::new(&true_path).status().map(drop));
    let (before, started) = (map::total(ebpf)?, Instant::now());
    let ran = thread::scope(|scope| {
        let half = scope.spawn(|| run_true(runs / 2));
        run_true(runs.div_ceil(2)).and(half.join().expect("the selftest thread panicked"))
    });
    ran.context("cannot run `true`")?;
    let (after, elapsed) = (map::total(ebpf)?, started.elapsed());
    println!("selftest: {attached}");
    println!("expected: >= {runs} (ran `true` {runs} times from 2 threads in {elapsed:.2?})");
    // A counter that went backwards was reset (or evicted from an LRU map): that proves nothing.
    let Some(observed) = after.checked_sub(before) else {
        println!("observed: reset, from {before} to {after}");
        let reset = anyhow!("the counter went down from {before} to {after}: it was reset");
        return Err(reset.context(SELFTEST));
    };
    println!("observed: {observed}");
    if observed < runs {
        let lost = anyhow!("the counter grew by {observed} < {runs}: lost, or no execve seen");
        return Err(lost.context(SELFTEST));
    }
    println!("ok: the counter grew by at least {runs}");
    Ok(())
}

/// Prints the total and the rate each second, and the final total on Ctrl-C, SIGTERM or SIGHUP.
async fn watch(ebpf: &Ebpf, attached: &str) -> anyhow::Result<()> {
    // Each stream is made once: a signal that arrives between two turns of the loop still counts.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    println!("counting: {attached}; Ctrl-C to stop");
    let (mut last, mut at) = (map::total(ebpf)?, Instant::now());
    loop {
        tokio::select! {
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                let total = map::total(ebpf)?;
                let rate = total.saturating_sub(last) as f64 / at.elapsed().as_secs_f64();
                println!("total: {total}  rate: {rate:.0}/s");
                (last, at) = (total, Instant::now());
            }
        }
    }
    println!("final total: {}", map::total(ebpf)?);
    Ok(())
}
