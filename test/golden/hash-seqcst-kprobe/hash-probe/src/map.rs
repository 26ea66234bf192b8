//! Reads the counter from the `HashMap` map (aya's `HashMap` opens LRU hash maps too).

use anyhow::Context as _;
use aya::{
    Ebpf,
    maps::{HashMap, MapError},
};
use common::{KEY, Key, MAP_NAME, Value};

/// The counter's total; zero while the key is absent (nothing counted yet, or evicted).
pub fn total(ebpf: &Ebpf) -> anyhow::Result<u64> {
    let map = ebpf.map(MAP_NAME).context("no counter map")?;
    let hash: HashMap<_, Key, Value> = HashMap::try_from(map)?;
    match hash.get(&KEY, 0) {
        Err(MapError::KeyNotFound) => Ok(0),
        total => total.context("cannot read the counter"),
    }
}
