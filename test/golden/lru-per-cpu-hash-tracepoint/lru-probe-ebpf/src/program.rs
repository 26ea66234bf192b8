//! The program: a tracepoint (kernel >= 4.7; a stable ABI; needs no kprobe support) counting the
//! events the loader attaches it to at run time (`--attach`; default `syscalls/sys_enter_execve`).

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};

use crate::map;

/// Counts one event. The function's name is the program's name: keep it equal to `PROGRAM_NAME`.
#[tracepoint]
pub fn count_calls(_ctx: TracePointContext) -> u32 {
    map::count();
    0
}

/// An empty program that `--bench` runs beside `count_calls`, to subtract what any program costs.
/// Only a loader built for the bench carries it (feature `bench`). Keep it `BASELINE_NAME`.
#[cfg(feature = "bench")]
#[tracepoint]
pub fn baseline(_ctx: TracePointContext) -> u32 {
    0
}
