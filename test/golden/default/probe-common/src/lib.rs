//! What the eBPF program (`probe-ebpf`) and its loader (`probe`) must agree on. The loader's
//! tests check these against the object it embeds, so a rename on one side fails `cargo test`.
#![no_std]

/// The map's key: the index in an array, the key in a hash map.
pub type Key = u32;
/// The map's value: the counter.
pub type Value = u64;

/// The one key the counter lives under.
pub const KEY: Key = 0;
/// The map's size: one entry, the counter.
pub const MAX_ENTRIES: u32 = 1;

/// The map's name in the eBPF object: the name of the `static` that `#[map]` declares.
pub const MAP_NAME: &str = "COUNTER";
/// The counting program's name in the eBPF object: the name of its function.
pub const PROGRAM_NAME: &str = "count_calls";
/// The name of the empty program that only a loader built for the bench carries (`baseline`).
pub const BASELINE_NAME: &str = "baseline";
