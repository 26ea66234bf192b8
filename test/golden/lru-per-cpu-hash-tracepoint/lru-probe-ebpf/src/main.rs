//! The lru-probe eBPF program: each event it is attached to (`program.rs`) adds 1 to this CPU's
//! slot of one counter in a per-CPU map (`map.rs`), with a plain add (`counter.rs`).
//!
//! `no_std` and `no_main` apply to the BPF build. On the host (rust-analyzer's `cargo check
//! --workspace`, `cargo build --workspace`) the crate is a std binary whose `main` panics, so that
//! host tools need no BPF target. aya keeps its own eBPF crates `no_std` everywhere and out of host
//! builds instead (host builds were proposed in aya-rs/aya#1229, and declined).
#![cfg_attr(target_arch = "bpf", no_std, no_main)]

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

/// The program's licence, which the kernel reads from this section. Some helpers are for
/// GPL-compatible programs only; this one calls none of them (only map lookups and updates), and
/// declares a GPL-compatible licence so that a helper you add later works too.
#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";
