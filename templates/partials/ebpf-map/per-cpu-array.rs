//! The map that holds the counter: a `PerCpuArray<u64>` with {{max_entries}} element, one slot per
//! CPU (kernel >= 4.6). The loader sums the slots.

use aya_ebpf::{macros::map, maps::PerCpuArray};
use common::{KEY, MAX_ENTRIES, Value};

use crate::counter;

/// The counter. `static`, not `static mut`: every map method takes `&self`.
///
/// The identifier is the map's name in the object: keep it equal to `MAP_NAME` in
/// `{{crate}}-common`.
#[map]
static COUNTER: PerCpuArray<Value> = PerCpuArray::with_max_entries(MAX_ENTRIES, 0);

/// Adds 1 to this CPU's slot of the counter.
#[inline(always)]
pub fn count() {
    // Array elements are preallocated and zeroed, so a lookup inside the bounds never misses and
    // there is nothing to initialise. The `if let` stays: the verifier wants the null check
    // (older kernels reject the access without it).
    if let Some(counter) = COUNTER.get_ptr_mut(KEY) {
        counter::increment(counter);
    }
}
