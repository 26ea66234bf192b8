//! Reads the counter from the `Array` map.

use anyhow::Context as _;
use aya::maps::{Array, Map};
use common::{KEY, Value};

/// The counter's total.
pub fn total(map: &Map) -> anyhow::Result<u64> {
    let array: Array<_, Value> = Array::try_from(map)?;
    array.get(&KEY, 0).context("cannot read the counter")
}
