//! The {{crate}} eBPF program: each event it is attached to adds 1, atomically (`counter.rs`), to
//! one counter in a map (`{{ebpf_map_type}}`).
#![no_std]
#![no_main]
// The atomic add is an intrinsic (see counter.rs): nightly, and only in the BPF build.
#![cfg_attr(target_arch = "bpf", feature(core_intrinsics))]
#![allow(internal_features)]

mod counter;
mod map;
mod program;

// On the host (rust-analyzer, `cargo check --workspace`), std supplies a panic runtime.
#[cfg(not(target_arch = "bpf"))]
extern crate std;

#[cfg(target_arch = "bpf")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {} // Unreachable: the verifier rejects any path to here.
}

/// A GPL-compatible licence, so that the kernel allows every helper this program uses.
#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";
