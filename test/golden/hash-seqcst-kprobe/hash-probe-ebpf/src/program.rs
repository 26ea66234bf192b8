//! The program: a kprobe (kernel >= 4.1) counting calls of the kernel function the loader attaches
//! it to at run time (`--attach`; default `auto`; `auto`: execve's syscall symbol).

use aya_ebpf::{macros::kprobe, programs::ProbeContext};

use crate::map;

/// Counts one call. The function's name is the program's name: keep it equal to `PROGRAM_NAME`.
#[kprobe]
pub fn count_calls(_ctx: ProbeContext) -> u32 {
    map::count();
    0
}

/// An empty program: `--bench` subtracts its cost. Keep the name equal to `BASELINE_NAME`.
#[kprobe]
pub fn baseline(_ctx: ProbeContext) -> u32 {
    0
}
