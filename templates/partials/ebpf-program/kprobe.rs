//! The program: a kprobe (kernel >= 4.1) counting calls of the kernel functions the loader attaches
//! it to at run time (`--attach`; default `@attach@`; `auto`: execve's system call entries).

use aya_ebpf::{macros::kprobe, programs::ProbeContext};

use crate::map;

/// Counts one call. The function's name is the program's name: keep it equal to `PROGRAM_NAME`.
#[kprobe]
pub fn count_calls(_ctx: ProbeContext) -> u32 {
    map::count();
    0
}

/// An empty program that `--bench` runs beside `count_calls`, to subtract what any program costs.
/// Only a loader built for the bench carries it (feature `bench`). Keep it `BASELINE_NAME`.
#[cfg(feature = "bench")]
#[kprobe]
pub fn baseline(_ctx: ProbeContext) -> u32 {
    0
}
