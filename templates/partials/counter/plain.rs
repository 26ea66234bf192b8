//! The counter's add: core only, no aya.
//!
//! `increment` compiles to a plain load, add and store: no atomic instruction, BPF cpu generic,
//! any kernel with per-CPU maps (>= 4.6). The chosen ordering (`@ordering@`) does not apply.
//!
//! No atomic is needed: each CPU has its own slot in a per-CPU map, and a kprobe or tracepoint
//! program cannot nest on one CPU (the kernel skips it while one runs there), so nothing else
//! writes the slot during the add. The loader sums the slots of all possible CPUs.

/// Adds 1 (wrapping) to the `u64` at `counter`, this CPU's slot of a per-CPU map value.
///
/// # Safety
/// `counter` must point to a live, 8-byte aligned `u64` in this CPU's slot of a per-CPU map value
/// (what a successful map lookup returns), and nothing else may write it during the call.
#[inline(always)]
pub unsafe fn increment(counter: *mut u64) {
    // SAFETY: the caller guarantees a valid, aligned pointer that no one else writes meanwhile.
    unsafe { *counter = (*counter).wrapping_add(1) };
}
