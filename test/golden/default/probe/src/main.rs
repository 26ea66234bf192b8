//! The probe loader: loads the eBPF program that build.rs embedded (the kernel's verifier judges
//! it), attaches it and prints the count. `program.rs` attaches, `map.rs` reads the counter,
//! `selftest.rs` proves that it counts, `exit.rs` turns errors into exit codes; `bench.rs`
//! measures what the counter costs (feature `bench`). Running it as a service: `pin.rs` keeps the
//! count across restarts, `metrics.rs` serves it, `privileges.rs` says what a refusal lacks.

#[cfg(feature = "bench")]
mod bench;
mod cpus;
mod exit;
mod map;
mod metrics;
mod pin;
mod privileges;
mod program;
mod selftest;

use std::{
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use aya::maps::Map;
use clap::Parser;
use common::{MAP_NAME, PROGRAM_NAME};
use tokio::signal::unix::{SignalKind, signal};

/// Counts how often a kernel event fires, with a counter in an eBPF map. Without an option: attach,
/// print the total and the rate every second, and the final total on Ctrl-C.
#[derive(Parser)]
#[command(version, after_help = exit::CODES)]
struct Args {
    /// Where to attach (kprobe: a kernel symbol or `auto`; tracepoint: `category/name`)
    #[arg(long, value_name = "TARGET", default_value = program::DEFAULT_ATTACH)]
    attach: String,
    /// Only load the program, so that the kernel's verifier judges it
    #[arg(long, conflicts_with_all = ["attach", "runs"])]
    check: bool,
    #[command(flatten)]
    selftest: selftest::SelftestArgs,
    #[cfg(feature = "bench")]
    #[command(flatten)]
    bench: bench::BenchArgs,
    #[command(flatten)]
    pin: pin::PinArgs,
    #[command(flatten)]
    metrics: metrics::MetricsArgs,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    exit::report(&run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let object = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/ebpf.o"));
    if object.is_empty() {
        bail!("built with AYA_BUILD_SKIP set, without its eBPF program: build it again without");
    }
    if let Some(dir) = &args.pin.unpin {
        return pin::unpin(dir);
    }
    let pins = args.pin.open()?;
    let mut ebpf = pin::load(pins.as_ref(), object)?;
    program::load(&mut ebpf, PROGRAM_NAME)?;
    if args.check {
        println!("accepted by the kernel's verifier: {PROGRAM_NAME}");
        return Ok(());
    }
    #[cfg(feature = "bench")]
    if args.bench.bench {
        return bench::run(&mut ebpf, &args.bench);
    }
    let counter = Arc::new(ebpf.take_map(MAP_NAME).context("no counter map")?);
    let attached = program::attach(&mut ebpf, PROGRAM_NAME, &args.attach)?;
    // Attached while these live (until the loader returns), or while pinned (until --unpin).
    let _links = pin::keep(pins.as_ref(), attached.links)?;
    if let Some(addr) = args.metrics.metrics {
        metrics::serve(addr, Arc::clone(&counter), &attached.target).await?;
    }
    if args.selftest.runs.is_some() {
        return selftest::run(&counter, &args.selftest, &attached.target);
    }
    let every = match args.metrics.metrics {
        // A service's scraper reads the count: its journal gets a line a minute, not a second.
        Some(_) => Duration::from_secs(60),
        None => Duration::from_secs(1),
    };
    watch(&counter, &attached.target, every).await
}

/// Prints the total and the rate every `every`, and the final total on Ctrl-C, SIGTERM or SIGHUP.
async fn watch(counter: &Map, attached: &str, every: Duration) -> anyhow::Result<()> {
    // Each stream is made once: a signal that arrives between two turns of the loop still counts.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    println!("counting: {attached}; Ctrl-C to stop");
    let mut last = map::total(counter)?;
    let mut since = Instant::now();
    loop {
        tokio::select! {
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            () = tokio::time::sleep(every) => {
                let total = map::total(counter)?;
                let rate = per_second(total.saturating_sub(last), since.elapsed());
                println!("total: {total}  rate: {rate:.0}/s");
                last = total;
                since = Instant::now();
            }
        }
    }
    println!("final total: {}", map::total(counter)?);
    Ok(())
}

#[expect(clippy::cast_precision_loss, reason = "a rate to print")]
fn per_second(events: u64, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

#[cfg(test)]
#[test]
fn command_line_is_consistent() {
    use clap::CommandFactory as _;
    Args::command().debug_assert();
}
