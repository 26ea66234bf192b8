//! The map that holds the counter: an `LruHashMap<u32, u64>` holding one key (kernel >= 4.10).

use aya_ebpf::{
    bindings::{BPF_F_NO_COMMON_LRU, BPF_NOEXIST},
    macros::map,
    maps::LruHashMap,
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
static COUNTER: LruHashMap<Key, Value> =
    LruHashMap::with_max_entries(MAX_ENTRIES, BPF_F_NO_COMMON_LRU);

/// Adds 1 to the counter, creating it on the first call.
#[inline(always)]
pub fn count() {
    let counter = COUNTER.get_ptr_mut(KEY).or_else(|| {
        // The key is missing on the first call. Two CPUs can both miss, so the insert uses
        // BPF_NOEXIST: only one creates the entry, with 1; the other gets -EEXIST and adds to the
        // entry the winner created, so neither call is lost.
        match COUNTER.insert(KEY, 1, BPF_NOEXIST.into()) {
            Err(err) if err == -EEXIST => COUNTER.get_ptr_mut(KEY),
            // Inserted with 1 (nothing left to add), or no room.
            _ => None,
        }
    });
    if let Some(counter) = counter {
        // SAFETY: a successful lookup returns a valid, aligned pointer; only `increment` writes it.
        unsafe { counter::increment(counter) };
    }
}
