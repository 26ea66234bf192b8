//! Reads the counter from the `PerCpuArray` map: one slot per possible CPU, summed.

use anyhow::Context as _;
use aya::{Ebpf, maps::PerCpuArray};
use common::{KEY, MAP_NAME, Value};

/// The counter's total: the sum of every CPU's slot.
pub fn total(ebpf: &Ebpf) -> anyhow::Result<u64> {
    let map = ebpf.map(MAP_NAME).context("no counter map")?;
    let array: PerCpuArray<_, Value> = PerCpuArray::try_from(map)?;
    let slots = array.get(&KEY, 0).context("cannot read the counter")?;
    Ok(slots.iter().fold(0, |sum, slot| sum.wrapping_add(*slot)))
}
