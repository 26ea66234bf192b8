//! What the eBPF program (`{{crate}}-ebpf`) and the loader (`{{crate}}`) must agree on.
//!
//! `no_std` and without dependencies, so it builds for the host and for the BPF target alike.
#![no_std]

/// The map's key type: an array index for array maps, the hash key for hash maps.
pub type Key = u32;

/// The value type: the call counter.
pub type Value = u64;

/// The one key the counter lives under.
pub const KEY: Key = 0;

/// The map's capacity: {{max_entries}} (1 for arrays; room to spare for hash maps, since an LRU map
/// may evict before it is full).
pub const MAX_ENTRIES: u32 = {{max_entries}};

/// The map's name in the eBPF object.
///
/// Must stay equal to the identifier of the `#[map]` static in `{{crate}}-ebpf/src/map.rs`:
/// `#[map]` takes the name from the identifier and cannot read a constant.
pub const MAP_NAME: &str = "COUNTER";

/// The program's name in the eBPF object.
///
/// Must stay equal to the name of the program function in `{{crate}}-ebpf/src/program.rs`:
/// the program macros take the name from the function.
pub const PROGRAM_NAME: &str = "count_calls";

/// The name of the empty program `cargo xtask bench` measures next to `PROGRAM_NAME`, to subtract
/// what every program costs (mostly the kernel timing the run).
///
/// Must stay equal to the name of the empty program function in `{{crate}}-ebpf/src/program.rs`.
pub const BASELINE_NAME: &str = "baseline";
