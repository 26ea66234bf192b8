//! `--bench`: what the counter costs per event in the kernel, alone and contended, and whether
//! any update was lost.
//!
//! How it measures, and why:
//! - `count_calls` and an empty program, `baseline`, are both attached to `getppid`, so every
//!   event runs both, one after the other. The kernel's BPF run-time statistics (turned on only
//!   while the bench runs) give each program's total run time and run count; `count_calls` minus
//!   `baseline`, per event, is what the counter costs: the map lookup and the add, without what
//!   every program costs (the kernel timing the run, about 50 ns on a virtual machine).
//! - Both are measured on the same events at the same moment, so noise from the machine (another
//!   guest, frequency changes) affects both alike and mostly cancels in the difference.
//! - The load calls `getppid` through `syscall(2)` (no libc caching) from threads pinned with
//!   `sched_setaffinity`: one thread on the first CPU (alone), then one per CPU (contended: all
//!   CPUs update the counter at once, and a shared counter's cache line moves between them).
//! - Wall time per call is not used: on virtual machines it is too noisy for differences of a
//!   few nanoseconds.
//! - The count: the counter's growth against the calls made (it may be higher, since other
//!   processes call `getppid` too) and against `count_calls`'s run count (equal, unless updates
//!   were lost: a non-atomic add on a shared counter loses some when CPUs contend).

use std::{fs, io, os::fd::OwnedFd, sync::Barrier, thread};

use aya::{
    Ebpf,
    sys::{Stats, enable_stats},
};
use common::{BASELINE_NAME, PROGRAM_NAME};

use crate::{Failure, error_chain, exit, map, program};

/// The map type, for the report.
const MAP_TYPE: &str = "{{ebpf_map_type}}";

/// The sysctl that turns the statistics on for everyone (kernel >= 5.1), used when the
/// `BPF_ENABLE_STATS` command (kernel >= 5.8) is missing.
const STATS_SYSCTL: &str = "/proc/sys/kernel/bpf_stats_enabled";

/// `--calls`, `--runs` and `--json`.
#[derive(Debug, PartialEq)]
pub struct Options {
    /// `getppid` calls per thread and run.
    pub calls: u64,
    /// Runs, alone and contended each.
    pub runs: u64,
    /// Print one JSON line instead of the table.
    pub json: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            calls: 1_000_000,
            runs: 9,
            json: false,
        }
    }
}

/// Attaches both programs to `getppid`, measures, prints the report.
pub fn run(ebpf: &mut Ebpf, options: &Options) -> Result<(), Failure> {
    program::load(ebpf, BASELINE_NAME)?;
    let target = program::bench_target()?;
    let attached = program::attach(ebpf, PROGRAM_NAME, &target)?;
    program::attach(ebpf, BASELINE_NAME, &target)?;
    let cpus = allowed_cpus()?;
    let alone_cpus = &cpus[..1];

    let stats = RunTimeStats::enable()?;
    // Counter first at the start and last at the end: a `getppid` from another process between
    // the two reads then counts in the counter's growth but not in the runs. Not airtight: the
    // kernel adds to run_cnt after the program returns, so an event in flight at a read can
    // make `lost` off by a few; only the bench's own calls are quiet at those moments.
    let total_before = map::total(ebpf)?;
    let runs_before = run_stats(ebpf, PROGRAM_NAME)?.count;
    let mut alone = Vec::new();
    let mut contended = Vec::new();
    for _ in 0..options.runs {
        alone.push(measure(ebpf, alone_cpus, options.calls)?);
        contended.push(measure(ebpf, &cpus, options.calls)?);
    }
    let runs_after = run_stats(ebpf, PROGRAM_NAME)?.count;
    let total_after = map::total(ebpf)?;
    drop(stats);

    let program_runs = runs_after.wrapping_sub(runs_before);
    let counter_delta = total_after.wrapping_sub(total_before);
    let thread_calls = alone_cpus.len() as u64 + cpus.len() as u64;
    let report = Report {
        attached,
        calls: options.calls,
        runs: options.runs,
        alone: Phase::new(alone_cpus, &alone),
        contended: Phase::new(&cpus, &contended),
        calls_made: options.calls * options.runs * thread_calls,
        program_runs,
        counter_delta,
        lost: program_runs.saturating_sub(counter_delta),
    };
    if options.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The kernel's statistics
// ---------------------------------------------------------------------------------------------

/// Keeps the kernel's BPF run-time statistics on while it lives; dropping it restores the
/// previous state. (They cost a little on every program run, so they are off by default.)
enum RunTimeStats {
    /// `BPF_ENABLE_STATS`: on while this file descriptor is open, even if the process dies.
    Command { _fd: OwnedFd },
    /// The sysctl, with the value to write back.
    Sysctl { previous: String },
}

impl RunTimeStats {
    fn enable() -> Result<Self, Failure> {
        let err = match enable_stats(Stats::RunTime) {
            Ok(fd) => return Ok(Self::Command { _fd: fd }),
            Err(err) => err,
        };
        if err.io_error.raw_os_error() == Some(libc::EPERM) {
            return Err(Failure::from_error(
                exit::ERROR,
                "cannot turn on the kernel's BPF statistics",
                &err,
            ));
        }
        let unavailable = |what: String| {
            Failure::new(
                exit::ERROR,
                format!(
                    "the kernel's BPF run-time statistics are unavailable (they need kernel >= 5.1): \
                     BPF_ENABLE_STATS failed ({}), and {what}",
                    error_chain(&err)
                ),
            )
        };
        let previous = fs::read_to_string(STATS_SYSCTL)
            .map_err(|sysctl| unavailable(format!("cannot read {STATS_SYSCTL} ({sysctl})")))?;
        fs::write(STATS_SYSCTL, "1")
            .map_err(|sysctl| unavailable(format!("cannot write {STATS_SYSCTL} ({sysctl})")))?;
        Ok(Self::Sysctl {
            previous: previous.trim().to_owned(),
        })
    }
}

impl Drop for RunTimeStats {
    fn drop(&mut self) {
        if let Self::Sysctl { previous } = self {
            if let Err(err) = fs::write(STATS_SYSCTL, previous.as_bytes()) {
                eprintln!("warning: cannot restore {STATS_SYSCTL} to {previous}: {err}");
            }
        }
    }
}

/// A program's accumulated run time and run count (while the statistics are on).
struct RunStats {
    nanos: u64,
    count: u64,
}

fn run_stats(ebpf: &Ebpf, name: &str) -> Result<RunStats, Failure> {
    let program = ebpf
        .program(name)
        .ok_or_else(|| Failure::new(exit::ERROR, format!("no program `{name}` in the object")))?;
    let info = program.info().map_err(|err| {
        Failure::from_error(exit::ERROR, &format!("cannot read `{name}`'s info"), &err)
    })?;
    Ok(RunStats {
        nanos: u64::try_from(info.run_time().as_nanos()).unwrap_or(u64::MAX),
        count: info.run_count(),
    })
}

// ---------------------------------------------------------------------------------------------
// The load
// ---------------------------------------------------------------------------------------------

/// One run: each program's nanoseconds per event.
struct Sample {
    counter_ns: f64,
    baseline_ns: f64,
}

/// Calls `getppid` `calls` times on each of `cpus` at once and returns the per-event times.
fn measure(ebpf: &Ebpf, cpus: &[usize], calls: u64) -> Result<Sample, Failure> {
    let counter = run_stats(ebpf, PROGRAM_NAME)?;
    let baseline = run_stats(ebpf, BASELINE_NAME)?;
    call_getppid(cpus, calls)?;
    Ok(Sample {
        counter_ns: per_event(PROGRAM_NAME, &counter, &run_stats(ebpf, PROGRAM_NAME)?)?,
        baseline_ns: per_event(BASELINE_NAME, &baseline, &run_stats(ebpf, BASELINE_NAME)?)?,
    })
}

fn per_event(name: &str, before: &RunStats, after: &RunStats) -> Result<f64, Failure> {
    let count = after.count.wrapping_sub(before.count);
    if count == 0 {
        return Err(Failure::new(
            exit::ERROR,
            format!("`{name}` did not run while getppid was called: the statistics stayed off?"),
        ));
    }
    Ok(after.nanos.wrapping_sub(before.nanos) as f64 / count as f64)
}

/// The CPUs this process may run on (its affinity mask), in order.
fn allowed_cpus() -> Result<Vec<usize>, Failure> {
    // SAFETY: an all-zero cpu_set_t is a valid, empty set; the kernel writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a live cpu_set_t of `size` bytes.
    if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
        let err = io::Error::last_os_error();
        return Err(Failure::new(
            exit::ERROR,
            format!("cannot read which CPUs this process may use: {err}"),
        ));
    }
    let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, inside the set.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect();
    if cpus.is_empty() {
        return Err(Failure::new(exit::ERROR, "this process may use no CPU"));
    }
    Ok(cpus)
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is a valid, empty set; `cpu` comes from `allowed_cpus`, so it
    // is below CPU_SETSIZE, inside the set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a live cpu_set_t of `size` bytes; 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, size, &set) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One thread per CPU in `cpus`, pinned there, each calling `getppid` `calls` times; they start
/// together.
fn call_getppid(cpus: &[usize], calls: u64) -> Result<(), Failure> {
    let start = Barrier::new(cpus.len());
    thread::scope(|scope| {
        let workers: Vec<_> = cpus
            .iter()
            .map(|&cpu| {
                let start = &start;
                scope.spawn(move || {
                    // Every thread reaches the barrier, pinned or not, so none waits forever.
                    let pinned = pin_to(cpu);
                    start.wait();
                    pinned.map_err(|err| format!("cannot pin a thread to CPU {cpu}: {err}"))?;
                    for _ in 0..calls {
                        // SAFETY: getppid takes no arguments and cannot fail. Called through
                        // syscall(2) so that no libc can answer from a cache.
                        unsafe { libc::syscall(libc::SYS_getppid) };
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| Failure::new(exit::ERROR, "a bench thread panicked"))?
                .map_err(|message: String| Failure::new(exit::ERROR, message))?;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

/// Median, minimum and maximum of some runs.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        let last = values.len() - 1;
        Self {
            // The middle value, or the mean of the two middle ones.
            median: (values[last / 2] + values[last.div_ceil(2)]) / 2.0,
            min: values[0],
            max: values[last],
        }
    }

    fn json(&self) -> String {
        object(&[
            ("median", number(self.median)),
            ("min", number(self.min)),
            ("max", number(self.max)),
        ])
    }
}

/// The runs with one set of CPUs (alone or contended).
struct Phase {
    cpus: Vec<usize>,
    /// `count_calls` minus `baseline`, ns per event: the counter's cost.
    cost: Spread,
    counter: Spread,
    baseline: Spread,
    samples: Vec<(f64, f64)>,
}

impl Phase {
    fn new(cpus: &[usize], samples: &[Sample]) -> Self {
        Self {
            cpus: cpus.to_vec(),
            cost: Spread::of(samples.iter().map(|s| s.counter_ns - s.baseline_ns)),
            counter: Spread::of(samples.iter().map(|s| s.counter_ns)),
            baseline: Spread::of(samples.iter().map(|s| s.baseline_ns)),
            samples: samples
                .iter()
                .map(|s| (s.counter_ns, s.baseline_ns))
                .collect(),
        }
    }

    fn json(&self) -> String {
        let cpus = self.cpus.iter().map(|cpu| cpu.to_string());
        let samples = self.samples.iter().map(|&(counter, baseline)| {
            object(&[
                ("counter_ns", number(counter)),
                ("baseline_ns", number(baseline)),
            ])
        });
        object(&[
            ("threads", self.cpus.len().to_string()),
            ("cpus", array(cpus)),
            ("cost_ns", self.cost.json()),
            ("counter_ns", self.counter.json()),
            ("baseline_ns", self.baseline.json()),
            ("samples", array(samples)),
        ])
    }

    fn line(&self, label: &str) -> String {
        let cost = format!(
            "{:+.1} ({:+.1} to {:+.1})",
            self.cost.median, self.cost.min, self.cost.max
        );
        format!(
            "  {label:<12}{cost:<28}{:>12.1}{:>12.1}\n",
            self.counter.median, self.baseline.median
        )
    }
}

struct Report {
    attached: String,
    calls: u64,
    runs: u64,
    alone: Phase,
    contended: Phase,
    calls_made: u64,
    program_runs: u64,
    counter_delta: u64,
    lost: u64,
}

impl Report {
    fn text(&self) -> String {
        let cpu_list = |cpus: &[usize]| {
            let cpus: Vec<String> = cpus.iter().map(|cpu| cpu.to_string()).collect();
            cpus.join(", ")
        };
        let mut out = format!(
            "bench: {PROGRAM_NAME} ({MAP_TYPE} counter) and the empty {BASELINE_NAME}, both on {}\n\
             load: {} runs of {} getppid calls per thread; alone: 1 thread on CPU {}; \
             contended: {} threads on CPUs {}\n\n",
            self.attached,
            self.runs,
            self.calls,
            cpu_list(&self.alone.cpus),
            self.contended.cpus.len(),
            cpu_list(&self.contended.cpus),
        );
        out.push_str(&format!(
            "  {:<12}{:<28}{:>12}{:>12}\n",
            "", "counter: ns/event", PROGRAM_NAME, BASELINE_NAME
        ));
        out.push_str(&format!(
            "  {:<12}{:<28}{:>12}{:>12}\n",
            "", "median (min to max)", "median", "median"
        ));
        out.push_str(&self.alone.line("alone"));
        out.push_str(&self.contended.line("contended"));
        out.push_str(&format!(
            "\ncount: {} getppid calls made; {PROGRAM_NAME} ran {} times; the counter grew by {}\n",
            self.calls_made, self.program_runs, self.counter_delta
        ));
        if self.lost > 0 {
            out.push_str(&format!(
                "LOST: {} updates ({:.3}% of the runs): the counter is not updated atomically\n",
                self.lost,
                100.0 * self.lost as f64 / self.program_runs as f64
            ));
        } else if self.counter_delta < self.calls_made {
            out.push_str("warning: the counter grew by less than the calls made\n");
        } else {
            out.push_str("ok: no update lost (other processes' getppid calls count too)\n");
        }
        out
    }

    fn json(&self) -> String {
        object(&[
            ("attached", string(&self.attached)),
            ("map", string(MAP_TYPE)),
            ("calls", self.calls.to_string()),
            ("runs", self.runs.to_string()),
            ("alone", self.alone.json()),
            ("contended", self.contended.json()),
            ("calls_made", self.calls_made.to_string()),
            ("program_runs", self.program_runs.to_string()),
            ("counter_delta", self.counter_delta.to_string()),
            ("lost", self.lost.to_string()),
        ])
    }
}

// A few lines of JSON writing, so the loader needs no JSON crate.

/// A JSON object of `fields`, whose values are JSON already.
fn object(fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}:{value}", string(key)))
        .collect();
    let mut out = String::from('{');
    out.push_str(&fields.join(","));
    out.push('}');
    out
}

fn array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

/// A finite number with three decimals (JSON has no NaN or infinity: those become null).
fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.3}")
    } else {
        "null".to_owned()
    }
}

fn string(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads() {
        let spread = Spread::of([3.0, 1.0, 2.0, 10.0]);
        assert_eq!((spread.median, spread.min, spread.max), (2.5, 1.0, 10.0));
        assert_eq!(Spread::of([4.0]).median, 4.0);
    }

    #[test]
    fn writes_json() {
        assert_eq!(
            object(&[("a", number(1.0)), ("b", array([string("x\"y")]))]),
            "{\"a\":1.000,\"b\":[\"x\\\"y\"]}"
        );
        assert_eq!(number(f64::NAN), "null");
    }
}
