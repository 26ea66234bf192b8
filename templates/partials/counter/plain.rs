//! The counter's add. Core only, no aya.
//!
//! `increment` compiles to a plain load, add and store (`r1 = *(u64 *)(r0 + 0)`, `r1 += 1`,
//! `*(u64 *)(r0 + 0) = r1`): no atomic instruction, BPF cpu generic, any kernel with per-CPU maps
//! (>= 4.6). The chosen ordering (`{{ordering}}`) does not apply to a per-CPU map and is not used.
//!
//! Why no atomic is needed: each CPU has its own slot in a per-CPU map, and a kprobe or tracepoint
//! program cannot nest on one CPU (the kernel skips it while one runs there), so nothing else
//! writes this slot while the add runs. The loader sums the slots of all possible CPUs.

/// Adds 1 (wrapping) to the `u64` at `counter`, this CPU's slot of a per-CPU map value.
///
/// `counter` must point to a live, 8-byte aligned `u64` in a map value (what a successful map
/// lookup returns).
#[inline(always)]
pub fn increment(counter: *mut u64) {
    // SAFETY: the caller passes a non-null pointer from a map lookup, valid for the whole run of
    // the program, and no other program writes this CPU's slot meanwhile.
    unsafe {
        *counter = (*counter).wrapping_add(1);
    }
}
