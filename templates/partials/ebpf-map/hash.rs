//! The map that holds the counter: a `HashMap<u32, u64>` holding one key (kernel >= 3.19).

use aya_ebpf::{bindings::BPF_NOEXIST, macros::map, maps::HashMap};
use common::{KEY, Key, MAX_ENTRIES, Value};

use crate::counter;

/// `EEXIST`: an insert with `BPF_NOEXIST` returns `-EEXIST` when the key is already there.
const EEXIST: i32 = 17;

/// The counter (`static`: map methods take `&self`). Its name is `MAP_NAME`'s: keep them equal.
/// Flags 0: its entry is allocated when it is created, so an insert never allocates memory; and
/// an insert of a key it holds fails with `-EEXIST` before it needs a free entry.
#[map]
static COUNTER: HashMap<Key, Value> = HashMap::with_max_entries(MAX_ENTRIES, 0);

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
