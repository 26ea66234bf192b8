//! The counter's add: core only, no aya. This is all the chosen ordering changes: `increment`
//! compiles to {{ordering_effect}}.
//!
//! `AtomicU64::fetch_add` does not exist on BPF (no compare-and-swap): the `atomic_xadd` intrinsic
//! does the add. Its result is never used: at BPF cpu generic that is a compile error; at cpu v3
//! with `Relaxed`, LLVM miscompiles it. BPF has no acquire-only or release-only add: at cpu v3
//! (EBPF_CPU in .cargo/config.toml) all orderings but `Relaxed` are one fully ordered fetch add.

/// Adds 1 to the `u64` at `counter`, atomically, with `AtomicOrdering::{{ordering}}`.
///
/// # Safety
/// `counter` must point to a live, 8-byte aligned `u64` in a map value (what a successful map
/// lookup returns). Other CPUs may add to it at the same time, atomically.
#[cfg(target_arch = "bpf")]
#[inline(always)]
pub unsafe fn increment(counter: *mut u64) {
    use core::intrinsics::{AtomicOrdering, atomic_xadd};
    // SAFETY: the caller guarantees a valid, aligned pointer. The previous value that the add
    // returns is discarded on purpose (see above).
    unsafe { atomic_xadd::<u64, u64, { AtomicOrdering::{{ordering}} }>(counter, 1) };
}

/// A host stand-in (the intrinsic is unstable there) for rust-analyzer and `cargo check`.
#[cfg(not(target_arch = "bpf"))]
pub unsafe fn increment(counter: *mut u64) {
    use core::sync::atomic::{AtomicU64, Ordering};
    // SAFETY: as for the BPF version.
    unsafe { AtomicU64::from_ptr(counter) }.fetch_add(1, Ordering::{{ordering}});
}
