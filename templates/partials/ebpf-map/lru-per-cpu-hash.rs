//! The map that holds the counter: an `LruPerCpuHashMap<u32, u64>` holding one key, one slot per
//! CPU (kernel >= 4.10); the loader sums the slots.

use aya_ebpf::{
    bindings::{BPF_F_NO_COMMON_LRU, BPF_NOEXIST},
    macros::map,
    maps::LruPerCpuHashMap,
};
use common::{KEY, Key, MAX_ENTRIES, Value};

use crate::counter;

/// `EEXIST`: an insert with `BPF_NOEXIST` returns `-EEXIST` when the key is already there.
const EEXIST: i32 = 17;

/// The counter (`static`: map methods take `&self`). Its name is `MAP_NAME`'s: keep them equal.
///
/// An insert into an LRU map takes a free entry before it looks for the key, and evicts one when
/// it finds none, even when the key is there. `BPF_F_NO_COMMON_LRU` gives each CPU its own list
/// of entries (the kernel rounds the size up to one per possible CPU), so a CPU that loses the
/// race to create the key takes an entry of its own, and the winner's key stays.
#[map]
static COUNTER: LruPerCpuHashMap<Key, Value> =
    LruPerCpuHashMap::with_max_entries(MAX_ENTRIES, BPF_F_NO_COMMON_LRU);

/// Adds 1 to this CPU's slot of the counter, creating the entry on the first call.
#[inline(always)]
pub fn count() {
    let counter = COUNTER.get_ptr_mut(KEY).or_else(|| {
        // The key is missing on the first call. Two CPUs can both miss, so the insert uses
        // BPF_NOEXIST: only one creates the entry (1 in its slot, 0 in the others); the other
        // gets -EEXIST and adds to its own slot of that entry, so neither call is lost.
        match COUNTER.insert(KEY, 1, BPF_NOEXIST.into()) {
            Err(err) if err == -EEXIST => COUNTER.get_ptr_mut(KEY),
            // Inserted with 1 (nothing left to add), or no room.
            _ => None,
        }
    });
    if let Some(counter) = counter {
        // SAFETY: a successful lookup returns a valid, aligned pointer to this CPU's slot, which
        // no other program writes while this one runs on this CPU.
        unsafe { counter::increment(counter) };
    }
}
