//! The counter's add. Core only, no aya: this is the whole of what the chosen ordering changes.
//!
//! `increment` compiles to {{ordering_effect}}.
//!
//! How this is written, and why:
//! - `AtomicU64::fetch_add` does not exist on the BPF target (it has no compare-and-swap, so
//!   `target_has_atomic = "64"` is off); `core::intrinsics::atomic_xadd` is the atomic add that
//!   works, with the ordering as a const generic.
//! - The value the add returns is never used: at BPF cpu generic, v1 or v2 using it is a compile
//!   error ("Invalid usage of the XADD return value"), and at cpu v3 with `Relaxed` LLVM
//!   miscompiles it (it returns the addend).
//! - BPF has no acquire-only or release-only read-modify-write: at cpu v3 every ordering but
//!   `Relaxed` becomes the same fully ordered `atomic_fetch_add`; at cpu generic every ordering
//!   becomes the plain atomic add (`lock *(u64 *)(r0 + 0) += r1`). `cargo xtask build-ebpf`
//!   builds with the cpu set in xtask (`BPF_CPU`).
//! - A counter read from userspace through the bpf syscall needs no ordering: `Relaxed` is enough
//!   to count correctly; a stronger ordering only matters if other memory is published with it.

use core::intrinsics::{AtomicOrdering, atomic_xadd};

/// Adds 1 to the `u64` at `counter`, atomically, with `AtomicOrdering::{{ordering}}`.
///
/// `counter` must point to a live, 8-byte aligned `u64` in a map value (what a successful map
/// lookup returns); other CPUs may add to it at the same time.
#[inline(always)]
pub fn increment(counter: *mut u64) {
    // SAFETY: the caller passes a non-null pointer from a map lookup, valid for the whole run of
    // the program; the add is atomic, so concurrent adds from other CPUs are not lost.
    // The returned previous value is discarded on purpose (see the module documentation).
    unsafe {
        atomic_xadd::<u64, u64, { AtomicOrdering::{{ordering}} }>(counter, 1);
    }
}
