//! The counter's add: core only, no aya.
//!
//! `AtomicU64::fetch_add` does not exist on BPF (the BPF targets have no compare-and-swap): the
//! `atomic_xadd` intrinsic does the add. Its result is never used: at BPF cpu generic that is a
//! compile error, and at cpu v3 with `Relaxed` LLVM miscompiles it. The ordering takes effect at
//! cpu v3 only (`EBPF_CPU` in .cargo/config.toml): `Relaxed` is a locked add without fetch,
//! `lock *(u64 *)(rX + 0) += rY`, on any eBPF kernel; every other ordering is one fully ordered
//! `atomic_fetch_add` (kernel >= 5.12), as BPF has no acquire-only or release-only add.

/// Adds 1 to the `u64` at `counter`, atomically, with `AtomicOrdering::@ordering@`.
///
/// # Safety
/// `counter` must point to an 8-byte aligned `u64` in a map value (what a successful map lookup
/// returns), valid for the call; whatever else accesses it meanwhile must do so atomically.
#[cfg(target_arch = "bpf")]
#[inline(always)]
pub unsafe fn increment(counter: *mut u64) {
    use core::intrinsics::{AtomicOrdering, atomic_xadd};
    // SAFETY: the caller's contract (see # Safety). The old value it returns is unused on purpose.
    unsafe { atomic_xadd::<u64, u64, { AtomicOrdering::@ordering@ }>(counter, 1) };
}

/// A stand-in for the host build (rust-analyzer, `cargo check`), which stable Rust compiles.
///
/// # Safety
/// As for the BPF version.
#[cfg(not(target_arch = "bpf"))]
pub unsafe fn increment(counter: *mut u64) {
    use core::sync::atomic::{AtomicU64, Ordering};
    // SAFETY: as for the BPF version.
    unsafe { AtomicU64::from_ptr(counter) }.fetch_add(1, Ordering::@ordering@);
}
