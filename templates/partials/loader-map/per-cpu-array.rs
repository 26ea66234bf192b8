//! Reads the counter from the `PerCpuArray` map: one slot per possible CPU, summed.

use anyhow::Context as _;
use aya::{Ebpf, maps::PerCpuArray};
use common::{KEY, MAP_NAME, Value};

/// The counter's total: the sum of every CPU's slot.
pub fn total(ebpf: &Ebpf) -> anyhow::Result<u64> {
    let map = ebpf
        .map(MAP_NAME)
        .with_context(|| format!("no map `{MAP_NAME}` in the eBPF object"))?;
    let array: PerCpuArray<_, Value> = PerCpuArray::try_from(map)?;
    let slots = array
        .get(&KEY, 0)
        .with_context(|| format!("cannot read `{MAP_NAME}`"))?;
    Ok(slots
        .iter()
        .fold(0, |sum: u64, slot| sum.wrapping_add(*slot)))
}
