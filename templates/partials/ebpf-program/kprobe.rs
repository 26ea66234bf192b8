//! The program: a kprobe (kernel >= 4.1) that counts each call of the kernel function it is
//! attached to.
//!
//! `#[kprobe]` without `function = …`: the loader attaches it by symbol at run time (default
//! `{{attach}}`; `auto` means execve's syscall symbol for the running architecture).

use aya_ebpf::{macros::kprobe, programs::ProbeContext};

use crate::map;

/// Counts one call.
///
/// The function's name is the program's name in the object: keep it equal to `PROGRAM_NAME` in
/// `{{crate}}-common`.
#[kprobe]
pub fn count_calls(_ctx: ProbeContext) -> u32 {
    map::count();
    0
}

/// An empty program, only for `cargo xtask bench`: the loader attaches it next to `count_calls`
/// and subtracts its cost per event (mostly the kernel timing the run) from `count_calls`'s, so
/// what remains is the counter's own cost. Nothing else attaches it.
///
/// Keep the name equal to `BASELINE_NAME` in `{{crate}}-common`.
#[kprobe]
pub fn baseline(_ctx: ProbeContext) -> u32 {
    0
}
