//! Reads the counter from the `LruPerCpuHashMap` map: one slot per possible CPU, summed (aya's
//! `PerCpuHashMap` opens LRU per-CPU hash maps too).

use anyhow::Context as _;
use aya::maps::{Map, MapError, PerCpuHashMap};
use common::{KEY, Key, Value};

/// The counter's total: the sum of every CPU's slot; zero while the key is absent.
pub fn total(map: &Map) -> anyhow::Result<u64> {
    let hash: PerCpuHashMap<_, Key, Value> = PerCpuHashMap::try_from(map)?;
    match hash.get(&KEY, 0) {
        Ok(slots) => Ok(slots.iter().fold(0, |sum, slot| sum.wrapping_add(*slot))),
        Err(MapError::KeyNotFound) => Ok(0),
        Err(err) => Err(err).context("cannot read the counter"),
    }
}
