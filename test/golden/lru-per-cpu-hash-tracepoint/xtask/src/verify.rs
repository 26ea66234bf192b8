//! `verify`: doctor, then what CI should run: the build, clippy -D warnings on the host crates and
//! on the eBPF crate for the BPF target, and as root the loader's --check, so that the running
//! kernel's verifier judges the program.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

use xtask::ebpf::{Build, Toolchain};

use crate::{cargo, exit, json_string, status, workspace_root};

pub fn run() -> u8 {
    if crate::doctor::run(false) != exit::OK {
        return exit::MISSING;
    }
    let loader = match crate::build_loader(&[]) {
        Ok(loader) => loader,
        Err(code) => return code,
    };
    let mut host = cargo();
    host.args(["clippy", "--workspace", "--all-targets", "--all-features"]);
    host.args(["--exclude", "*-ebpf"]);
    let mut commands = vec![host];
    commands.extend(ebpf_crates().iter().map(|manifest| ebpf_clippy(manifest)));
    for mut command in commands {
        if status(command.args(["--", "-D", "warnings"])) != exit::OK {
            return exit::BUILD;
        }
    }
    if !crate::is_root() {
        println!("built and linted; so that this kernel's verifier judges the program, run:");
        println!(
            "  cargo xtask run -- --check    (or: sudo -E {} --check)",
            loader.display()
        );
        return exit::OK;
    }
    status(crate::loader_command(&loader).arg("--check"))
}

/// The eBPF crates' manifests: the workspace's folders whose name ends in `-ebpf`.
fn ebpf_crates() -> Vec<PathBuf> {
    let entries = fs::read_dir(workspace_root())
        .into_iter()
        .flatten()
        .flatten();
    let names = entries.filter(|entry| entry.file_name().to_string_lossy().ends_with("-ebpf"));
    names
        .map(|entry| entry.path().join("Cargo.toml"))
        .filter(|path| path.is_file())
        .collect()
}

/// Clippy on an eBPF crate as the loader's build script builds it: its toolchain, the BPF target,
/// the same flags and target directory (`<target dir>/ebpf`), every feature.
fn ebpf_clippy(manifest: &Path) -> Command {
    let metadata = cargo()
        .args(["metadata", "--format-version=1", "--no-deps"])
        .output();
    let json = metadata.map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    let json = json.unwrap_or_default();
    let build_dir =
        json_string(&json, "build_directory").or(json_string(&json, "target_directory"));
    let target_dir = PathBuf::from(build_dir.unwrap_or("target".into())).join("ebpf");
    let build = Build {
        manifest,
        target_dir: &target_dir,
        arch: env::consts::ARCH,
        big_endian: cfg!(target_endian = "big"),
        features: &[],
    };
    let toolchain = Toolchain::from_env();
    let mut clippy = build.cargo(&toolchain, "clippy");
    clippy.arg("--all-features").current_dir(workspace_root());
    // `cargo clippy` runs `cargo-clippy` from PATH: a directory toolchain's own first.
    if let Toolchain::Dir(dir) = &toolchain {
        let path = env::var_os("PATH").unwrap_or_default();
        let path = env::join_paths([dir.clone()].into_iter().chain(env::split_paths(&path)));
        clippy.env("PATH", path.unwrap_or_default());
    }
    clippy
}
