//! Reads the counter from the `Array` map.

use anyhow::Context as _;
use aya::{Ebpf, maps::Array};
use common::{KEY, MAP_NAME, Value};

/// The counter's total.
pub fn total(ebpf: &Ebpf) -> anyhow::Result<u64> {
    let map = ebpf
        .map(MAP_NAME)
        .with_context(|| format!("no map `{MAP_NAME}` in the eBPF object"))?;
    let array: Array<_, Value> = Array::try_from(map)?;
    array
        .get(&KEY, 0)
        .with_context(|| format!("cannot read `{MAP_NAME}`"))
}
