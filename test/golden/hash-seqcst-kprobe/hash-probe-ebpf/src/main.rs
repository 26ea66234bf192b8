//! The hash-probe eBPF program: each event it is attached to adds 1, atomically (`counter.rs`), to
//! one counter in a map (`HashMap`).
// On the host (rust-analyzer, `cargo build --workspace`) a std binary, as aya's own eBPF tests are.
#![cfg_attr(target_arch = "bpf", no_std, no_main)]
// The atomic add is an intrinsic (see counter.rs): nightly, and only in the BPF build.
#![cfg_attr(target_arch = "bpf", feature(core_intrinsics))]
#![allow(internal_features)]

mod counter;
mod map;
mod program;

#[cfg(target_arch = "bpf")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {} // Unreachable: the verifier rejects any path to here.
}

#[cfg(not(target_arch = "bpf"))]
fn main() {
    panic!("an eBPF program: the loader loads it into the kernel");
}

/// A GPL-compatible licence, so that the kernel allows every helper this program uses.
#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";
