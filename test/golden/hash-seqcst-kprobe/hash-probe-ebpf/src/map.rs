//! The map that holds the counter: a `HashMap<u32, u64>` with room for 1024 entries
//! (hash: kernel >= 3.19; LRU hash: kernel >= 4.10). The counter lives under one key.

use aya_ebpf::{bindings::BPF_NOEXIST, macros::map, maps::HashMap};
use common::{KEY, Key, MAX_ENTRIES, Value};

use crate::counter;

/// `-EEXIST`: what an insert with `BPF_NOEXIST` returns when the key is already there.
const EEXIST: i32 = 17;

/// The counter (`static`: map methods take `&self`). Its name is `MAP_NAME`'s: keep them equal.
/// Flags 0: preallocated, as tracing programs need.
#[map]
static COUNTER: HashMap<Key, Value> = HashMap::with_max_entries(MAX_ENTRIES, 0);

/// Adds 1 to the counter, creating it on the first call.
#[inline(always)]
pub fn count() {
    // The key is missing on the first call (or after an LRU eviction), and two CPUs can both miss:
    // the insert uses BPF_NOEXIST, so only one creates the entry (with 1); the other gets -EEXIST
    // and adds to the entry the winner created, so neither call is lost.
    let added = match COUNTER.get_ptr_mut(KEY) {
        Some(counter) => Some(counter),
        None => match COUNTER.insert(KEY, 1, BPF_NOEXIST.into()) {
            Err(err) if err == -EEXIST => COUNTER.get_ptr_mut(KEY),
            // Inserted with 1; or out of memory, and this call is not counted.
            _ => None,
        },
    };
    if let Some(counter) = added {
        // SAFETY: a successful lookup returns a valid, aligned pointer; only `increment` writes it.
        unsafe { counter::increment(counter) };
    }
}
