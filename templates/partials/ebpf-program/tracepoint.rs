//! The program: a tracepoint (kernel >= 4.7) that counts each time the event it is attached to
//! fires. Tracepoints are a stable kernel ABI and work on kernels built without kprobe support.
//!
//! `#[tracepoint]` without `category`/`name`: the loader attaches it at run time (default
//! `{{attach}}`).

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};

use crate::map;

/// Counts one event.
///
/// The function's name is the program's name in the object: keep it equal to `PROGRAM_NAME` in
/// `{{crate}}-common`.
#[tracepoint]
pub fn count_calls(_ctx: TracePointContext) -> u32 {
    map::count();
    0
}

/// An empty program, only for `cargo xtask bench`: the loader attaches it next to `count_calls`
/// and subtracts its cost per event (mostly the kernel timing the run) from `count_calls`'s, so
/// what remains is the counter's own cost. Nothing else attaches it.
///
/// Keep the name equal to `BASELINE_NAME` in `{{crate}}-common`.
#[tracepoint]
pub fn baseline(_ctx: TracePointContext) -> u32 {
    0
}
