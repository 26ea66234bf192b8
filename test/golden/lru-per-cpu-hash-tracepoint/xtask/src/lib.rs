//! What `cargo xtask` shares with the loader's build script (a build-dependency, as aya's own
//! integration tests use their xtask): how the eBPF crate is built.

pub mod ebpf;
