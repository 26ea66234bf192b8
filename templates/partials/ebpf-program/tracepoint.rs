//! The program: a tracepoint (kernel >= 4.7) counting the events the loader attaches it to at run
//! time (`--attach category/name`; default `{{attach}}`). A stable ABI; needs no kprobe support.

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};

use crate::map;

/// Counts one event. The function's name is the program's name: keep it equal to `PROGRAM_NAME`.
#[tracepoint]
pub fn count_calls(_ctx: TracePointContext) -> u32 {
    map::count();
    0
}

/// An empty program for `--bench`, whose cost is subtracted. Keep the name equal to `BASELINE_NAME`.
#[tracepoint]
pub fn baseline(_ctx: TracePointContext) -> u32 {
    0
}
