//! `--selftest N`: proves that the counter counts. Runs `true` N times from one thread per CPU this
//! process may use, each pinned to its CPU, so that the adds can meet on the counter from every
//! CPU at once, and compares the counter's growth with N.
//!
//! What that proves depends on where it runs. The program counts every execve on the machine, so
//! on a host other processes' execve count too: the counter can only come out higher, and all a
//! host allows is "at least N". There, a program that counts an event twice passes, and so does an
//! add that loses a few updates while other processes add more. Where nothing else runs execve (a
//! VM booted for it, as `cargo xtask vm` does), `--exact` demands exactly N, which catches both.
//! Whether a non-atomic add loses an update within N runs is chance all the same: `cargo xtask
//! bench` compares millions of contended events with the count.

use std::{cmp::Ordering, env, path::Path, process::Command, thread, time::Instant};

use anyhow::{Context as _, anyhow};
use aya::maps::Map;

use crate::{cpus, exit::Failure, map};

#[derive(clap::Args)]
pub struct SelftestArgs {
    /// Attach, run `true` N times from one thread per CPU, and fail unless the counter grew by N
    /// or more
    #[arg(long = "selftest", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,
    /// With --selftest: fail unless the counter grew by exactly N (where nothing else runs execve)
    #[arg(long, requires = "runs")]
    pub exact: bool,
}

/// What the counter's growth says, measured against the runs of `true`.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It grew by `observed`: at least the runs, or exactly them when that was demanded.
    Counted { observed: u64 },
    /// It grew by fewer than the runs: updates were lost, or some execve went unseen.
    Short { observed: u64 },
    /// It grew by more than the runs where exactly the runs were demanded: some event was counted
    /// twice, or something else ran execve.
    Over { observed: u64 },
    /// It went down: it was reset (or, in an LRU map, evicted). That proves nothing.
    Reset { before: u64, after: u64 },
}

/// The verdict on a counter that read `before`, then `after` `runs` runs of `true`.
pub fn judge(before: u64, after: u64, runs: u64, exact: bool) -> Verdict {
    let Some(observed) = after.checked_sub(before) else {
        return Verdict::Reset { before, after };
    };
    match observed.cmp(&runs) {
        Ordering::Less => Verdict::Short { observed },
        Ordering::Greater if exact => Verdict::Over { observed },
        _ => Verdict::Counted { observed },
    }
}

impl Verdict {
    /// What the counter did, as the `observed:` line shows it.
    fn observed(&self) -> String {
        match self {
            Self::Counted { observed } | Self::Short { observed } | Self::Over { observed } => {
                observed.to_string()
            }
            Self::Reset { before, after } => format!("reset, from {before} to {after}"),
        }
    }

    /// The `ok:` line, or the error that ends the loader with exit 6 (`Failure::Selftest`).
    fn into_result(self, runs: u64, exact: bool) -> anyhow::Result<String> {
        let failure = match self {
            Self::Counted { .. } if exact => {
                return Ok(format!("the counter grew by exactly {runs}"));
            }
            Self::Counted { .. } => {
                let why = "other processes' execve count too";
                return Ok(format!("the counter grew by at least {runs} ({why})"));
            }
            Self::Short { observed } => {
                anyhow!("the counter grew by {observed} < {runs}: updates lost, or execve not seen")
            }
            Self::Over { observed } => {
                anyhow!("the counter grew by {observed} > {runs}: counted twice, or another execve")
            }
            Self::Reset { before, after } => {
                anyhow!("the counter went down from {before} to {after}: it was reset")
            }
        };
        Err(failure.context(Failure::Selftest))
    }
}

pub fn run(counter: &Map, options: &SelftestArgs, attached: &str) -> anyhow::Result<()> {
    let runs = options.runs.unwrap_or_default();
    // By its path: a search of PATH would make one execve per directory it tries.
    let path = env::var_os("PATH").unwrap_or_default();
    let mut candidates = env::split_paths(&path).map(|dir| dir.join("true"));
    let true_path = candidates
        .find(|t| t.is_file())
        .context("no `true` on PATH")?;
    let cpus = cpus::allowed().context("cannot read the CPUs this process may use")?;
    let before = map::total(counter)?;
    let started = Instant::now();
    run_true(&true_path, runs, &cpus)?;
    let elapsed = started.elapsed();
    let after = map::total(counter)?;

    let threads = cpus.len();
    let at_least = if options.exact { "exactly" } else { ">=" };
    println!("selftest: {attached}");
    println!(
        "expected: {at_least} {runs} (ran `true` {runs} times, {threads} threads, {elapsed:.2?})"
    );
    let verdict = judge(before, after, runs, options.exact);
    println!("observed: {}", verdict.observed());
    println!("ok: {}", verdict.into_result(runs, options.exact)?);
    Ok(())
}

/// Runs `true` `runs` times in all, from one thread per CPU in `cpus`, each pinned to its CPU
/// (a child starts on its parent's CPU, so each execve runs there too).
fn run_true(true_path: &Path, runs: u64, cpus: &[usize]) -> anyhow::Result<()> {
    let threads = cpus.len() as u64;
    let worker = |(i, &cpu): (usize, &usize)| {
        // An even share, and one more for the first `runs % threads` threads.
        let share = runs / threads + u64::from((i as u64) < runs % threads);
        move || -> anyhow::Result<()> {
            cpus::pin(cpu).with_context(|| format!("cannot pin a thread to CPU {cpu}"))?;
            for _ in 0..share {
                Command::new(true_path)
                    .status()
                    .context("cannot run `true`")?;
            }
            Ok(())
        }
    };
    thread::scope(|scope| {
        let handles: Vec<_> = cpus
            .iter()
            .enumerate()
            .map(|w| scope.spawn(worker(w)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().expect("a selftest thread panicked"))
    })
}

#[cfg(test)]
mod tests {
    use super::{Verdict, judge};
    use crate::exit::Failure;

    #[test]
    fn counts_at_least_the_runs_on_a_host() {
        assert_eq!(
            judge(10, 1010, 1000, false),
            Verdict::Counted { observed: 1000 }
        );
        // Other processes' execve count too: more is all a host can prove.
        assert_eq!(
            judge(0, 1003, 1000, false),
            Verdict::Counted { observed: 1003 }
        );
        // So a probe that counts each execve twice passes on a host, ...
        assert_eq!(
            judge(0, 2000, 1000, false),
            Verdict::Counted { observed: 2000 }
        );
    }

    #[test]
    fn demands_exactly_the_runs_when_asked() {
        assert_eq!(
            judge(5, 1005, 1000, true),
            Verdict::Counted { observed: 1000 }
        );
        // ... and fails where exactly the runs are demanded.
        assert_eq!(judge(0, 2000, 1000, true), Verdict::Over { observed: 2000 });
        assert_eq!(judge(0, 1001, 1000, true), Verdict::Over { observed: 1001 });
    }

    #[test]
    fn fails_a_short_count() {
        assert_eq!(judge(0, 999, 1000, false), Verdict::Short { observed: 999 });
        assert_eq!(judge(0, 999, 1000, true), Verdict::Short { observed: 999 });
        assert_eq!(judge(7, 7, 1, false), Verdict::Short { observed: 0 });
    }

    #[test]
    fn a_counter_that_went_down_was_reset() {
        let reset = Verdict::Reset {
            before: 500,
            after: 20,
        };
        assert_eq!(judge(500, 20, 10, false), reset);
        assert_eq!(judge(500, 20, 10, true), reset);
    }

    #[test]
    fn only_a_counted_verdict_passes_and_a_failed_one_is_exit_6() {
        let ok = Verdict::Counted { observed: 1000 }.into_result(1000, true);
        assert_eq!(ok.unwrap(), "the counter grew by exactly 1000");
        let ok = Verdict::Counted { observed: 1003 }.into_result(1000, false);
        let host = "the counter grew by at least 1000 (other processes' execve count too)";
        assert_eq!(ok.unwrap(), host);
        let failed = [
            (Verdict::Short { observed: 999 }, "999 < 1000"),
            (
                Verdict::Over { observed: 2000 },
                "2000 > 1000: counted twice",
            ),
            (
                Verdict::Reset {
                    before: 9,
                    after: 2,
                },
                "went down from 9 to 2",
            ),
        ];
        for (verdict, why) in failed {
            let err = verdict.into_result(1000, true).unwrap_err();
            assert_eq!(err.downcast_ref(), Some(&Failure::Selftest), "{err:#}");
            assert!(format!("{err:#}").contains(why), "{err:#}");
        }
    }
}
