//! The {{crate}} eBPF program: a {{ebpf_map_type}} map holds one counter, and every call of the
//! attach target adds 1 to it atomically (see `counter.rs`).
#![no_std]
#![no_main]
// `core::intrinsics::atomic_xadd` is the only atomic add the BPF target has: `AtomicU64::fetch_add`
// does not exist there (no compare-and-swap), see counter.rs.
#![feature(core_intrinsics)]
#![allow(internal_features)]

mod counter;
mod map;
mod program;

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // A BPF program cannot unwind or abort; the verifier rejects any path that would get here.
    loop {}
}

/// A GPL-compatible licence, so the kernel allows every helper this program uses.
#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";
