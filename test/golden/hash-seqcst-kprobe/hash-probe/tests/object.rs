//! The names and sizes both sides must keep equal, checked against the eBPF object that build.rs
//! built and the loader embeds: a program, map or constant renamed on one side only fails here,
//! not at the first run. Built with `AYA_BUILD_SKIP` there is no object, and these are ignored.

use std::mem::size_of;

use aya_obj::Object;
use common::{BASELINE_NAME, Key, MAP_NAME, MAX_ENTRIES, PROGRAM_NAME, Value};

fn object() -> Object {
    let object = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/ebpf.o"));
    Object::parse(object).expect("build.rs wrote an eBPF object that does not parse")
}

#[test]
#[cfg_attr(aya_build_skip, ignore = "built with AYA_BUILD_SKIP: no eBPF object")]
fn has_the_program_the_loader_attaches() {
    let object = object();
    let programs: Vec<_> = object.programs.keys().collect();
    assert!(
        object.programs.contains_key(PROGRAM_NAME),
        "{PROGRAM_NAME} not in {programs:?}"
    );
}

#[test]
#[cfg_attr(aya_build_skip, ignore = "built with AYA_BUILD_SKIP: no eBPF object")]
fn has_the_map_the_loader_reads_with_the_common_sizes() {
    let object = object();
    let maps: Vec<_> = object.maps.keys().collect();
    let map = object.maps.get(MAP_NAME);
    let map = map.unwrap_or_else(|| panic!("{MAP_NAME} not in {maps:?}"));
    assert_eq!(map.key_size() as usize, size_of::<Key>());
    assert_eq!(map.value_size() as usize, size_of::<Value>());
    assert_eq!(map.max_entries(), MAX_ENTRIES);
}

#[test]
#[cfg_attr(aya_build_skip, ignore = "built with AYA_BUILD_SKIP: no eBPF object")]
fn carries_the_empty_bench_program_only_for_the_bench() {
    let bench = object().programs.contains_key(BASELINE_NAME);
    assert_eq!(
        bench,
        cfg!(feature = "bench"),
        "{BASELINE_NAME} in the object: {bench}"
    );
}
