//! Reads the counter from the `@ebpf_map_type@` map (aya's `HashMap` opens LRU hash maps too).

use anyhow::Context as _;
use aya::maps::{HashMap, Map, MapError};
use common::{KEY, Key, Value};

/// The counter's total; zero while the key is absent (nothing counted yet).
pub fn total(map: &Map) -> anyhow::Result<u64> {
    let hash: HashMap<_, Key, Value> = HashMap::try_from(map)?;
    match hash.get(&KEY, 0) {
        Err(MapError::KeyNotFound) => Ok(0),
        total => total.context("cannot read the counter"),
    }
}
