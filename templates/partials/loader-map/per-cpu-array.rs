//! Reads the counter from the `PerCpuArray` map: one slot per possible CPU, summed.

use anyhow::Context as _;
use aya::maps::{Map, PerCpuArray};
use common::{KEY, Value};

/// The counter's total: the sum of every CPU's slot.
pub fn total(map: &Map) -> anyhow::Result<u64> {
    let array: PerCpuArray<_, Value> = PerCpuArray::try_from(map)?;
    let slots = array.get(&KEY, 0).context("cannot read the counter")?;
    Ok(slots.iter().fold(0, |sum, slot| sum.wrapping_add(*slot)))
}
