//! Finds the eBPF object that `cargo xtask build-ebpf` wrote, and hands its path to `main.rs`
//! (`env!("EBPF_OBJECT")`), which embeds it.
//!
//! The object is `<target dir>/<bpf target>/release/{{crate}}-ebpf`, where
//! - the target dir is `CARGO_TARGET_DIR` when that is set in the environment, else
//!   `EBPF_TARGET_DIR` (set to the workspace's `target` by `.cargo/config.toml`, and to the
//!   directory it used by `cargo xtask build`). `cargo xtask build` passes absolute paths. A
//!   relative `CARGO_TARGET_DIR` is taken from the workspace root here, while cargo takes it from
//!   the directory it was started in (unknown to a build script): they agree when cargo runs in
//!   the workspace root;
//! - the BPF target is `bpfel-unknown-none`, or `bpfeb-unknown-none` for a big-endian host.

use std::{env, path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    println!("cargo:rerun-if-env-changed=EBPF_TARGET_DIR");

    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let workspace_root = manifest_dir.parent().map(PathBuf::from).unwrap_or_default();
    let target_dir = match (
        env::var_os("CARGO_TARGET_DIR"),
        env::var_os("EBPF_TARGET_DIR"),
    ) {
        (Some(dir), _) if !dir.is_empty() => workspace_root.join(dir),
        // `relative = true` in .cargo/config.toml makes the default absolute.
        (_, Some(dir)) if !dir.is_empty() => workspace_root.join(dir),
        _ => workspace_root.join("target"),
    };
    let bpf_target = match env::var("CARGO_CFG_TARGET_ENDIAN").as_deref() {
        Ok("big") => "bpfeb-unknown-none",
        _ => "bpfel-unknown-none",
    };
    let package = env::var("CARGO_PKG_NAME").unwrap_or_default();
    let object = target_dir
        .join(bpf_target)
        .join("release")
        .join(format!("{package}-ebpf"));

    println!("cargo:rerun-if-changed={}", object.display());
    if !object.is_file() {
        eprintln!(
            "error: the eBPF object {} is missing.\n\
             Build the eBPF program and the loader with `cargo xtask build` \
             (or the eBPF program alone with `cargo xtask build-ebpf`); \
             `cargo xtask doctor` lists what that needs.",
            object.display()
        );
        return ExitCode::FAILURE;
    }
    println!("cargo:rustc-env=EBPF_OBJECT={}", object.display());
    ExitCode::SUCCESS
}
