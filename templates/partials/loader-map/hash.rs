//! Reads the counter from the `{{ebpf_map_type}}` map (aya's `HashMap` opens LRU hash maps too).

use anyhow::Context as _;
use aya::{
    Ebpf,
    maps::{HashMap, MapError},
};
use common::{KEY, Key, MAP_NAME, Value};

/// The counter's total; zero while the key is absent (no call counted yet).
pub fn total(ebpf: &Ebpf) -> anyhow::Result<u64> {
    let map = ebpf
        .map(MAP_NAME)
        .with_context(|| format!("no map `{MAP_NAME}` in the eBPF object"))?;
    let hash: HashMap<_, Key, Value> = HashMap::try_from(map)?;
    match hash.get(&KEY, 0) {
        Ok(total) => Ok(total),
        Err(MapError::KeyNotFound) => Ok(0),
        Err(err) => Err(err).with_context(|| format!("cannot read `{MAP_NAME}`")),
    }
}
