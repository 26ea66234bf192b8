//! The map that holds the counter: an `Array<u64>` with {{max_entries}} element (kernel >= 3.19).

use aya_ebpf::{macros::map, maps::Array};
use common::{KEY, MAX_ENTRIES, Value};

use crate::counter;

/// The counter. `static`, not `static mut`: every map method takes `&self`.
///
/// The identifier is the map's name in the object: keep it equal to `MAP_NAME` in
/// `{{crate}}-common`.
#[map]
static COUNTER: Array<Value> = Array::with_max_entries(MAX_ENTRIES, 0);

/// Adds 1 to the counter.
#[inline(always)]
pub fn count() {
    // Array elements are preallocated and zeroed, so a lookup inside the bounds never misses and
    // there is nothing to initialise. The `if let` stays: the verifier wants the null check
    // (older kernels reject the access without it).
    if let Some(counter) = COUNTER.get_ptr_mut(KEY) {
        counter::increment(counter);
    }
}
