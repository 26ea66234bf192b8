//! `--bench` (feature `bench`: `cargo xtask bench`): what the counter costs per event in the
//! kernel, alone and contended, and whether any update was lost. Without the feature, neither this
//! file nor the empty program it compares with is built.
//!
//! How it measures:
//! - `count_calls` and an empty program, `baseline`, are both attached to getppid, so every event
//!   runs both. The kernel's BPF run-time statistics (on only while the bench runs) give each
//!   program's run time and run count; `count_calls` minus `baseline` per event is what the
//!   counter costs, without what every program costs (mostly the kernel timing the run). Both are
//!   measured on the same events, so noise from the machine mostly cancels in the difference.
//! - getppid is called through syscall(2) from one thread pinned to the first allowed CPU
//!   (alone), then from one pinned thread per CPU (contended: a shared counter's cache line moves
//!   between them). Wall time is not used: too noisy on virtual machines.
//! - The count: the counter's growth against `count_calls`'s runs (fewer means lost updates) and
//!   against the calls made (other processes' getppid calls count too).

use std::{sync::Barrier, thread};

use anyhow::Context as _;
use aya::{
    Ebpf,
    sys::{Stats, enable_stats},
};
use clap::value_parser;
use common::{BASELINE_NAME, MAP_NAME, PROGRAM_NAME};

use crate::{cpus, map, program};

/// The map type, for the report.
const MAP_TYPE: &str = "@ebpf_map_type@";

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Measure the counter's cost per event in the kernel, alone and contended (kernel >= 5.8)
    #[arg(long, conflicts_with_all = ["attach", "check", "runs"])]
    pub bench: bool,
    /// --bench: getppid calls per thread and run
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1_000_000,
        requires = "bench"
    )]
    #[arg(value_parser = value_parser!(u64).range(1..))]
    calls: u64,
    /// --bench: runs, alone and contended each
    #[arg(
        long = "runs",
        id = "bench_runs",
        value_name = "R",
        default_value_t = 9
    )]
    #[arg(requires = "bench", value_parser = value_parser!(u64).range(1..))]
    runs: u64,
    /// --bench: print one JSON line instead of the table
    #[arg(long, requires = "bench")]
    json: bool,
}

/// Each program's nanoseconds per event in one run.
struct Sample {
    counter_ns: f64,
    baseline_ns: f64,
}

impl Sample {
    /// What the counter costs: `count_calls` minus the empty `baseline`.
    fn cost_ns(&self) -> f64 {
        self.counter_ns - self.baseline_ns
    }
}

/// A program's statistics while they are on.
struct RunStats {
    run_time_ns: u64,
    runs: u64,
}

pub fn run(ebpf: &mut Ebpf, options: &BenchArgs) -> anyhow::Result<()> {
    program::load(ebpf, BASELINE_NAME)?;
    let counter = ebpf.take_map(MAP_NAME).context("no counter map")?;
    let target = program::bench_target()?;
    // Both stay attached while these live: until the bench returns.
    let counting = program::attach(ebpf, PROGRAM_NAME, &target)?;
    let _baseline = program::attach(ebpf, BASELINE_NAME, &target)?;
    let attached = &counting.target;
    let cpus = cpus::allowed().context("cannot read the CPUs this process may use")?;
    // On while this file descriptor is open: the kernel turns them off when this process ends,
    // however it ends (Ctrl-C included), so the bench leaves no system setting changed.
    let _statistics = enable_stats(Stats::RunTime)
        .context("cannot turn on BPF run-time statistics (kernel >= 5.8)")?;
    // The counter is read first at the start and last at the end, so that a getppid from another
    // process in between counts in its growth as in the runs (an event in flight at a read can
    // still make `lost` off by a few).
    let total_before = map::total(&counter)?;
    let runs_before = stats(ebpf, PROGRAM_NAME)?.runs;
    let mut alone = Vec::new();
    let mut contended = Vec::new();
    for _ in 0..options.runs {
        alone.push(measure(ebpf, &cpus[..1], options.calls)?);
        contended.push(measure(ebpf, &cpus, options.calls)?);
    }
    let program_runs = stats(ebpf, PROGRAM_NAME)?.runs - runs_before;
    let counter_delta = map::total(&counter)?.checked_sub(total_before);
    let counter_delta = counter_delta.context("the counter went down: it was reset")?;
    let calls_made = options.calls * options.runs * (1 + cpus.len() as u64);
    let lost = program_runs.saturating_sub(counter_delta);
    let calls = options.calls;
    let runs = options.runs;

    if options.json {
        let alone = phase_json(&cpus[..1], &alone);
        let contended = phase_json(&cpus, &contended);
        println!(
            "{{\"attached\":\"{attached}\",\"map\":\"{MAP_TYPE}\",\"calls\":{calls},\
             \"runs\":{runs},\"alone\":{alone},\"contended\":{contended},\
             \"calls_made\":{calls_made},\"program_runs\":{program_runs},\
             \"counter_delta\":{counter_delta},\"lost\":{lost}}}"
        );
        return Ok(());
    }
    println!(
        "bench: {PROGRAM_NAME} ({MAP_TYPE} counter) and the empty {BASELINE_NAME}, on {attached}"
    );
    let first = cpus[0];
    println!("load: {runs} runs of {calls} getppid calls per thread, alone on CPU {first}");
    println!("      and contended on CPUs {cpus:?}\n");
    let heading = "counter: ns/event, median (min to max)";
    println!(
        "  {:<10} {heading:<38} {PROGRAM_NAME:>11} {BASELINE_NAME:>9}",
        ""
    );
    for (label, samples) in [("alone", &alone), ("contended", &contended)] {
        let [cost, min, max] = spread(samples.iter().map(Sample::cost_ns));
        let [counter, ..] = spread(samples.iter().map(|s| s.counter_ns));
        let [baseline, ..] = spread(samples.iter().map(|s| s.baseline_ns));
        let cost = format!("{cost:+.1} ({min:+.1} to {max:+.1})");
        println!("  {label:<10} {cost:<38} {counter:>11.1} {baseline:>9.1}");
    }
    println!("\ncount: {calls_made} getppid calls made; {PROGRAM_NAME} ran {program_runs} times");
    println!("       and the counter grew by {counter_delta}");
    if lost > 0 {
        let share = 100.0 * ratio(lost, program_runs);
        println!("LOST: {lost} updates ({share:.3}% of the runs): the add is not atomic");
    } else if counter_delta < calls_made {
        println!("warning: the counter grew by less than the calls made");
    } else {
        println!("ok: no update lost (other processes' getppid calls count too)");
    }
    Ok(())
}

/// A program's total run time and run count, while the statistics are on.
fn stats(ebpf: &Ebpf, name: &str) -> anyhow::Result<RunStats> {
    let program = ebpf.program(name).context("no such program")?;
    let info = program
        .info()
        .context("cannot read a program's statistics")?;
    let run_time_ns = u64::try_from(info.run_time().as_nanos()).unwrap_or(u64::MAX);
    Ok(RunStats {
        run_time_ns,
        runs: info.run_count(),
    })
}

/// Calls getppid `calls` times on each of `cpus` at once; each program's ns per event.
fn measure(ebpf: &Ebpf, cpus: &[usize], calls: u64) -> anyhow::Result<Sample> {
    let counter_before = stats(ebpf, PROGRAM_NAME)?;
    let baseline_before = stats(ebpf, BASELINE_NAME)?;
    call_getppid(cpus, calls)?;
    let per_event = |name, before: RunStats| -> anyhow::Result<f64> {
        let after = stats(ebpf, name)?;
        let runs = (after.runs - before.runs).max(1);
        Ok(ratio(after.run_time_ns - before.run_time_ns, runs))
    };
    Ok(Sample {
        counter_ns: per_event(PROGRAM_NAME, counter_before)?,
        baseline_ns: per_event(BASELINE_NAME, baseline_before)?,
    })
}

#[expect(clippy::cast_precision_loss, reason = "values far below 2^52")]
fn ratio(numerator: u64, denominator: u64) -> f64 {
    numerator as f64 / denominator as f64
}

/// One thread per CPU in `cpus`, pinned there, each calling getppid `calls` times; they start
/// together.
fn call_getppid(cpus: &[usize], calls: u64) -> anyhow::Result<()> {
    let start = Barrier::new(cpus.len());
    let worker = |cpu: usize| {
        let pinned = cpus::pin(cpu);
        start.wait(); // Every thread gets here, pinned or not, so none waits forever.
        for _ in 0..calls {
            // SAFETY: getppid takes no arguments and cannot fail.
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
        pinned
    };
    thread::scope(|scope| {
        let threads: Vec<_> = cpus
            .iter()
            .map(|&cpu| scope.spawn(move || worker(cpu)))
            .collect();
        threads.into_iter().zip(cpus).try_for_each(|(thread, cpu)| {
            let pinned = thread.join().expect("a bench thread panicked");
            pinned.with_context(|| format!("cannot pin a bench thread to CPU {cpu}"))
        })
    })
}

/// Median, minimum and maximum.
fn spread(values: impl Iterator<Item = f64>) -> [f64; 3] {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    let last = values.len() - 1;
    let median = f64::midpoint(values[last / 2], values[last.div_ceil(2)]);
    [median, values[0], values[last]]
}

/// One phase (alone or contended) as JSON; the field names are what `npm run bench:kernel` reads.
fn phase_json(cpus: &[usize], samples: &[Sample]) -> String {
    let json = |[median, min, max]: [f64; 3]| {
        format!("{{\"median\":{median:.3},\"min\":{min:.3},\"max\":{max:.3}}}")
    };
    let cost = json(spread(samples.iter().map(Sample::cost_ns)));
    let counter = json(spread(samples.iter().map(|s| s.counter_ns)));
    let baseline = json(spread(samples.iter().map(|s| s.baseline_ns)));
    let samples: Vec<_> = samples
        .iter()
        .map(|s| {
            let Sample {
                counter_ns,
                baseline_ns,
            } = s;
            format!("{{\"counter_ns\":{counter_ns:.3},\"baseline_ns\":{baseline_ns:.3}}}")
        })
        .collect();
    let threads = cpus.len();
    let samples = samples.join(",");
    format!(
        "{{\"threads\":{threads},\"cpus\":{cpus:?},\"cost_ns\":{cost},\"counter_ns\":{counter},\
         \"baseline_ns\":{baseline},\"samples\":[{samples}]}}"
    )
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    #[expect(clippy::float_cmp, reason = "exact halves")]
    fn spreads() {
        assert_eq!(spread([3.0, 1.0, 2.0, 10.0].into_iter()), [2.5, 1.0, 10.0]);
        assert_eq!(spread([4.0].into_iter()), [4.0, 4.0, 4.0]);
    }
}
