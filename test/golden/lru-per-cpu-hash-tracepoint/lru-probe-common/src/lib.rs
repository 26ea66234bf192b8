//! What the eBPF program (`lru-probe-ebpf`) and the loader (`lru-probe`) must agree on.
#![no_std]

/// The map's key (an index for arrays) and value (the counter).
pub type Key = u32;
pub type Value = u64;
/// The one key the counter lives under.
pub const KEY: Key = 0;
/// The map's capacity: 1 for arrays; room to spare for hash maps (an LRU map may evict early).
pub const MAX_ENTRIES: u32 = 1024;

// Keep equal to the names in `lru-probe-ebpf` (its macros take them from identifiers).
/// The map's name in the eBPF object.
pub const MAP_NAME: &str = "COUNTER";
/// The counting program's name in the eBPF object.
pub const PROGRAM_NAME: &str = "count_calls";
/// An empty program the bench measures next to `PROGRAM_NAME`, to subtract what any program costs.
pub const BASELINE_NAME: &str = "baseline";
