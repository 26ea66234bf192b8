//! `--bench`: what the counter costs per event in the kernel, alone and contended, and whether any
//! update was lost. Deleting this file, its `mod` line, the `bench` field of `Args` and its `if`
//! in main.rs removes the bench and nothing else.
//!
//! How it measures:
//! - `count_calls` and an empty program, `baseline`, are both attached to getppid, so every event
//!   runs both. The kernel's BPF run-time statistics (on only while the bench runs) give each
//!   program's run time and run count; `count_calls` minus `baseline` per event is what the
//!   counter costs, without what every program costs (mostly the kernel timing the run). Both are
//!   measured on the same events, so noise from the machine mostly cancels in the difference.
//! - getppid is called through syscall(2) (no libc cache) from one thread pinned to the first
//!   allowed CPU (alone), then from one pinned thread per CPU (contended: a shared counter's
//!   cache line moves between them). Wall time is not used: too noisy on virtual machines.
//! - The count: the counter's growth against `count_calls`'s runs (fewer means lost updates) and
//!   against the calls made (other processes' getppid calls count too).

use std::{io, sync::Barrier, thread};

use anyhow::Context as _;
use aya::{
    Ebpf,
    sys::{Stats, enable_stats},
};
use clap::value_parser;
use common::{BASELINE_NAME, PROGRAM_NAME};

use crate::{map, program};

/// The map type, for the report.
const MAP_TYPE: &str = "LruPerCpuHashMap";
/// JSON's braces, kept out of format strings.
const OPEN: char = '{';
const CLOSE: char = '}';

#[derive(clap::Args)]
pub struct Options {
    /// Measure the counter's cost per event in the kernel, alone and contended (kernel >= 5.8)
    #[arg(long)]
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
    #[arg(long, value_name = "R", default_value_t = 9, requires = "bench")]
    #[arg(value_parser = value_parser!(u64).range(1..))]
    runs: u64,
    /// --bench: print one JSON line instead of the table
    #[arg(long, requires = "bench")]
    json: bool,
}

/// Each program's nanoseconds per event in one run: (`count_calls`, `baseline`).
type Sample = (f64, f64);

pub fn run(ebpf: &mut Ebpf, options: &Options) -> anyhow::Result<()> {
    program::load(ebpf, BASELINE_NAME)?;
    let target = program::bench_target()?;
    let attached = program::attach(ebpf, PROGRAM_NAME, &target)?;
    program::attach(ebpf, BASELINE_NAME, &target)?;
    let cpus = allowed_cpus()?;
    // On while this file descriptor is open: the kernel turns them off when this process ends,
    // however it ends (Ctrl-C included), so the bench leaves no system setting changed.
    let statistics = enable_stats(Stats::RunTime);
    let _statistics =
        statistics.context("cannot turn on BPF run-time statistics (kernel >= 5.8)")?;
    // The counter is read first at the start and last at the end, so that a getppid from another
    // process in between counts in its growth as in the runs (an event in flight at a read can
    // still make `lost` off by a few).
    let (total_before, runs_before) = (map::total(ebpf)?, stats(ebpf, PROGRAM_NAME)?.1);
    let (mut alone, mut contended) = (Vec::new(), Vec::new());
    for _ in 0..options.runs {
        alone.push(measure(ebpf, &cpus[..1], options.calls)?);
        contended.push(measure(ebpf, &cpus, options.calls)?);
    }
    let program_runs = stats(ebpf, PROGRAM_NAME)?.1 - runs_before;
    let counter_delta = map::total(ebpf)?.checked_sub(total_before);
    let counter_delta = counter_delta.context("the counter went down: it was reset")?;
    let calls_made = options.calls * options.runs * (1 + cpus.len() as u64);
    let lost = program_runs.saturating_sub(counter_delta);
    let (calls, runs) = (options.calls, options.runs);

    if options.json {
        let alone = phase_json(&cpus[..1], &alone);
        let contended = phase_json(&cpus, &contended);
        println!(
            "{OPEN}\"attached\":\"{attached}\",\"map\":\"{MAP_TYPE}\",\"calls\":{calls},\
             \"runs\":{runs},\"alone\":{alone},\"contended\":{contended},\
             \"calls_made\":{calls_made},\"program_runs\":{program_runs},\
             \"counter_delta\":{counter_delta},\"lost\":{lost}{CLOSE}"
        );
        return Ok(());
    }
    println!(
        "bench: {PROGRAM_NAME} ({MAP_TYPE} counter) and the empty {BASELINE_NAME}, on {attached}"
    );
    println!(
        "load: {runs} runs of {calls} getppid calls per thread, alone on CPU {}",
        cpus[0]
    );
    println!("      and contended on CPUs {cpus:?}\n");
    let columns = [
        "",
        "counter: ns/event, median (min to max)",
        PROGRAM_NAME,
        BASELINE_NAME,
    ];
    println!(
        "  {:<10} {:<38} {:>11} {:>9}",
        columns[0], columns[1], columns[2], columns[3]
    );
    for (label, samples) in [("alone", &alone), ("contended", &contended)] {
        let [cost, min, max] = spread(samples.iter().map(|s| s.0 - s.1));
        let counter = spread(samples.iter().map(|s| s.0))[0];
        let baseline = spread(samples.iter().map(|s| s.1))[0];
        let cost = format!("{cost:+.1} ({min:+.1} to {max:+.1})");
        println!("  {label:<10} {cost:<38} {counter:>11.1} {baseline:>9.1}");
    }
    println!("\ncount: {calls_made} getppid calls made; {PROGRAM_NAME} ran {program_runs} times");
    println!("       and the counter grew by {counter_delta}");
    if lost > 0 {
        let share = 100.0 * lost as f64 / program_runs as f64;
        println!("LOST: {lost} updates ({share:.3}% of the runs): the add is not atomic");
    } else if counter_delta < calls_made {
        println!("warning: the counter grew by less than the calls made");
    } else {
        println!("ok: no update lost (other processes' getppid calls count too)");
    }
    Ok(())
}

/// A program's total run time (ns) and run count, while the statistics are on.
fn stats(ebpf: &Ebpf, name: &str) -> anyhow::Result<(u64, u64)> {
    let program = ebpf.program(name).context("no such program")?;
    let info = program
        .info()
        .context("cannot read a program's statistics")?;
    Ok((info.run_time().as_nanos() as u64, info.run_count()))
}

/// Calls getppid `calls` times on each of `cpus` at once; each program's ns per event.
fn measure(ebpf: &Ebpf, cpus: &[usize], calls: u64) -> anyhow::Result<Sample> {
    let before = [stats(ebpf, PROGRAM_NAME)?, stats(ebpf, BASELINE_NAME)?];
    call_getppid(cpus, calls)?;
    let after = [stats(ebpf, PROGRAM_NAME)?, stats(ebpf, BASELINE_NAME)?];
    let per_event = |i: usize| {
        let (nanos, count) = (after[i].0 - before[i].0, after[i].1 - before[i].1);
        nanos as f64 / count.max(1) as f64
    };
    Ok((per_event(0), per_event(1)))
}

/// The CPUs this process may run on (its affinity mask), in order.
fn allowed_cpus() -> anyhow::Result<Vec<usize>> {
    // SAFETY: an all-zero cpu_set_t is a valid, empty set; the kernel writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live cpu_set_t of the size given.
    if unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
        return Err(io::Error::last_os_error()).context("cannot read this process's CPUs");
    }
    // SAFETY: every index is below CPU_SETSIZE, inside the set.
    let cpus = (0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) });
    Ok(cpus.collect())
}

/// Pins the calling thread to `cpu` (from `allowed_cpus`); whether that worked.
fn pin_to(cpu: usize) -> bool {
    // SAFETY: an all-zero cpu_set_t is a valid, empty set, and `cpu` is below CPU_SETSIZE; `set`
    // is a live cpu_set_t of the size given; 0 is the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// One thread per CPU in `cpus`, pinned there, each calling getppid `calls` times; they start
/// together.
fn call_getppid(cpus: &[usize], calls: u64) -> anyhow::Result<()> {
    let start = Barrier::new(cpus.len());
    let worker = |cpu: usize| {
        let pinned = pin_to(cpu);
        start.wait(); // Every thread gets here, pinned or not, so none waits forever.
        for _ in 0..calls {
            // SAFETY: getppid takes no arguments and cannot fail.
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
        pinned
    };
    let pinned = thread::scope(|scope| {
        let threads: Vec<_> = cpus
            .iter()
            .map(|&cpu| scope.spawn(move || worker(cpu)))
            .collect();
        // A thread that panicked counts as not pinned; the scope joins the rest.
        threads
            .into_iter()
            .all(|thread| thread.join().unwrap_or(false))
    });
    pinned
        .then_some(())
        .context("cannot pin a bench thread to its CPU")
}

/// Median, minimum and maximum.
fn spread(values: impl Iterator<Item = f64>) -> [f64; 3] {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    let last = values.len() - 1;
    let median = (values[last / 2] + values[last.div_ceil(2)]) / 2.0;
    [median, values[0], values[last]]
}

/// One phase (alone or contended) as JSON; the field names are what `npm run bench:kernel` reads.
fn phase_json(cpus: &[usize], samples: &[Sample]) -> String {
    let json = |[median, min, max]: [f64; 3]| {
        format!("{OPEN}\"median\":{median:.3},\"min\":{min:.3},\"max\":{max:.3}{CLOSE}")
    };
    let cost = json(spread(samples.iter().map(|s| s.0 - s.1)));
    let counter = json(spread(samples.iter().map(|s| s.0)));
    let baseline = json(spread(samples.iter().map(|s| s.1)));
    let sample =
        |(c, b): &Sample| format!("{OPEN}\"counter_ns\":{c:.3},\"baseline_ns\":{b:.3}{CLOSE}");
    let samples: Vec<_> = samples.iter().map(sample).collect();
    let (threads, samples) = (cpus.len(), samples.join(","));
    format!(
        "{OPEN}\"threads\":{threads},\"cpus\":{cpus:?},\"cost_ns\":{cost},\"counter_ns\":{counter},\
         \"baseline_ns\":{baseline},\"samples\":[{samples}]{CLOSE}"
    )
}

#[cfg(test)]
#[test]
fn spreads() {
    assert_eq!(spread([3.0, 1.0, 2.0, 10.0].into_iter()), [2.5, 1.0, 10.0]);
    assert_eq!(spread([4.0].into_iter()), [4.0, 4.0, 4.0]);
}
