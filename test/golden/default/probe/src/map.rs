//! Reads the counter from the `Array` map.

use anyhow::Context as _;
use aya::{Ebpf, maps::Array};
use common::{KEY, MAP_NAME, Value};

/// The counter's total.
pub fn total(ebpf: &Ebpf) -> anyhow::Result<u64> {
    let map = ebpf.map(MAP_NAME).context("no counter map")?;
    let array: Array<_, Value> = Array::try_from(map)?;
    array.get(&KEY, 0).context("cannot read the counter")
}
