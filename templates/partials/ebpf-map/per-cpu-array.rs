//! The map that holds the counter: a `PerCpuArray<u64>` with one element, one slot per CPU
//! (kernel >= 4.6). The loader sums the slots.

use aya_ebpf::{macros::map, maps::PerCpuArray};
use common::{KEY, MAX_ENTRIES, Value};

use crate::counter;

/// The counter (`static`: map methods take `&self`). Its name is `MAP_NAME`'s: keep them equal.
#[map]
static COUNTER: PerCpuArray<Value> = PerCpuArray::with_max_entries(MAX_ENTRIES, 0);

/// Adds 1 to this CPU's slot. Array elements are preallocated and zeroed, so a lookup inside the
/// bounds never misses; the `if let` is the null check the verifier requires.
#[inline(always)]
pub fn count() {
    if let Some(counter) = COUNTER.get_ptr_mut(KEY) {
        // SAFETY: a successful lookup returns a valid, aligned pointer to this CPU's slot, which
        // no other program writes while this one runs on this CPU.
        unsafe { counter::increment(counter) };
    }
}
