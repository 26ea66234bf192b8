//! The map that holds the counter: a `PerCpuHashMap<u32, u64>` holding one key, one slot per CPU
//! (kernel >= 4.6); the loader sums the slots.

use aya_ebpf::{bindings::BPF_NOEXIST, macros::map, maps::PerCpuHashMap};
use common::{KEY, Key, MAX_ENTRIES, Value};

use crate::counter;

/// `EEXIST`: an insert with `BPF_NOEXIST` returns `-EEXIST` when the key is already there.
const EEXIST: i32 = 17;

/// The counter (`static`: map methods take `&self`). Its name is `MAP_NAME`'s: keep them equal.
/// Flags 0: its entry is allocated when it is created, so an insert never allocates memory; and
/// an insert of a key it holds fails with `-EEXIST` before it needs a free entry.
#[map]
static COUNTER: PerCpuHashMap<Key, Value> = PerCpuHashMap::with_max_entries(MAX_ENTRIES, 0);

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
