//! The map that holds the counter: an `Array<u64>` with one element (kernel >= 3.19).

use aya_ebpf::{macros::map, maps::Array};
use common::{KEY, MAX_ENTRIES, Value};

use crate::counter;

/// The counter (`static`: map methods take `&self`). Its name is `MAP_NAME`'s: keep them equal.
#[map]
static COUNTER: Array<Value> = Array::with_max_entries(MAX_ENTRIES, 0);

/// Adds 1 to the counter. Array elements are preallocated and zeroed, so a lookup inside the
/// bounds never misses; the `if let` is the null check the verifier requires.
#[inline(always)]
pub fn count() {
    if let Some(counter) = COUNTER.get_ptr_mut(KEY) {
        // SAFETY: a successful lookup returns a valid, aligned pointer; only `increment` writes it.
        unsafe { counter::increment(counter) };
    }
}
