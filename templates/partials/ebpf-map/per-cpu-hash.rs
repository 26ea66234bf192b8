//! The map that holds the counter: a `{{ebpf_map_type}}<u32, u64>` with room for {{max_entries}}
//! entries, one slot per CPU in each (per-CPU hash: kernel >= 4.6; LRU per-CPU hash: kernel >= 4.10).
//! The counter lives under one key; the loader sums the slots.

use aya_ebpf::{bindings::BPF_NOEXIST, macros::map, maps::{{ebpf_map_type}}};
use common::{KEY, Key, MAX_ENTRIES, Value};

use crate::counter;

/// `-EEXIST`, what an insert with `BPF_NOEXIST` returns when the key is already there.
const EEXIST: i32 = 17;

/// The counter. `static`, not `static mut`: every map method takes `&self`.
///
/// The identifier is the map's name in the object: keep it equal to `MAP_NAME` in
/// `{{crate}}-common`.
// Flags 0: the map stays preallocated (no BPF_F_NO_PREALLOC), which tracing programs need.
#[map]
static COUNTER: {{ebpf_map_type}}<Key, Value> = {{ebpf_map_type}}::with_max_entries(MAX_ENTRIES, 0);

/// Adds 1 to this CPU's slot of the counter, creating the entry on the first call.
#[inline(always)]
pub fn count() {
    if let Some(counter) = COUNTER.get_ptr_mut(KEY) {
        counter::increment(counter);
        return;
    }
    // The key is missing (first call, or an LRU map evicted it). Two CPUs can both get here: the
    // insert uses BPF_NOEXIST, so only one of them creates the entry (1 in its own slot, 0 in the
    // others); the other gets -EEXIST and adds to its own slot of that entry, so neither call is
    // lost.
    let one: Value = 1;
    match COUNTER.insert(KEY, one, BPF_NOEXIST as u64) {
        Ok(()) => {}
        Err(err) if err == -EEXIST => {
            if let Some(counter) = COUNTER.get_ptr_mut(KEY) {
                counter::increment(counter);
            }
        }
        // Out of memory (the map cannot be full with one key): this call is not counted.
        Err(_) => {}
    }
}
