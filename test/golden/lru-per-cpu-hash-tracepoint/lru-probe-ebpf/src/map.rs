//! The map that holds the counter: a `LruPerCpuHashMap<u32, u64>` with room for 1024 entries,
//! one slot per CPU in each (per-CPU hash: kernel >= 4.6; LRU per-CPU hash: kernel >= 4.10). The
//! counter lives under one key; the loader sums the slots.

use aya_ebpf::{bindings::BPF_NOEXIST, macros::map, maps::LruPerCpuHashMap};
use common::{KEY, Key, MAX_ENTRIES, Value};

use crate::counter;

/// `-EEXIST`: what an insert with `BPF_NOEXIST` returns when the key is already there.
const EEXIST: i32 = 17;

/// The counter (`static`: map methods take `&self`). Its name is `MAP_NAME`'s: keep them equal.
/// Flags 0: preallocated, as tracing programs need.
#[map]
static COUNTER: LruPerCpuHashMap<Key, Value> = LruPerCpuHashMap::with_max_entries(MAX_ENTRIES, 0);

/// Adds 1 to this CPU's slot of the counter, creating the entry on the first call.
#[inline(always)]
pub fn count() {
    // The key is missing on the first call (or after an LRU eviction), and two CPUs can both miss:
    // the insert uses BPF_NOEXIST, so only one creates the entry (1 in its slot, 0 in the others);
    // the other gets -EEXIST and adds to its own slot of that entry, so neither call is lost.
    let added = match COUNTER.get_ptr_mut(KEY) {
        Some(counter) => Some(counter),
        None => match COUNTER.insert(KEY, 1, BPF_NOEXIST.into()) {
            Err(err) if err == -EEXIST => COUNTER.get_ptr_mut(KEY),
            // Inserted with 1; or out of memory, and this call is not counted.
            _ => None,
        },
    };
    if let Some(counter) = added {
        // SAFETY: a successful lookup returns a valid, aligned pointer to this CPU's slot, which
        // no other program writes while this one runs on this CPU.
        unsafe { counter::increment(counter) };
    }
}
