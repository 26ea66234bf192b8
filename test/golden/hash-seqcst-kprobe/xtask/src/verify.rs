//! `verify`: doctor, then what CI should run: the build, clippy -D warnings on the host crates and
//! on the eBPF crate for the BPF target, and as root the loader's --check, so that the running
//! kernel's verifier judges the program.

use std::{env, fs, path::PathBuf, process::Command};

use crate::{bpf_cpu, cargo, ebpf_tool, exit, json_string, status, workspace_root};

pub fn run() -> u8 {
    if crate::doctor::run(false) != exit::OK {
        return exit::MISSING;
    }
    let loader = match crate::build_loader() {
        Ok(loader) => loader,
        Err(code) => return code,
    };
    let mut host = cargo();
    host.args([
        "clippy",
        "--workspace",
        "--exclude",
        "*-ebpf",
        "--all-targets",
    ]);
    let mut commands = vec![host];
    commands.extend(ebpf_crates().into_iter().map(ebpf_clippy));
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

/// Clippy on an eBPF crate as the loader's build script builds it: its toolchain, the BPF
/// target, the same flags and the same target directory (`<target dir>/ebpf`).
fn ebpf_clippy(manifest: PathBuf) -> Command {
    let metadata = cargo()
        .args(["metadata", "--format-version=1", "--no-deps"])
        .output();
    let json = metadata.map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    let json = json.unwrap_or_default();
    let build_dir =
        json_string(&json, "build_directory").or(json_string(&json, "target_directory"));
    let target_dir = PathBuf::from(build_dir.unwrap_or("target".into())).join("ebpf");
    let endian = if cfg!(target_endian = "big") {
        "bpfeb"
    } else {
        "bpfel"
    };
    let (arch, cpu) = (env::consts::ARCH, bpf_cpu());
    let mut flags = format!("--cfg=bpf_target_arch=\"{arch}\"\x1f-Ctarget-cpu={cpu}");
    flags += "\x1f-Cdebuginfo=2\x1f-Clink-arg=--btf";
    let mut clippy = ebpf_tool("cargo");
    clippy
        .args(["clippy", "--release", "-Zbuild-std=core", "--manifest-path"])
        .arg(manifest);
    clippy
        .arg(format!("--target={endian}-unknown-none"))
        .arg("--target-dir")
        .arg(target_dir);
    clippy
        .env("CARGO_ENCODED_RUSTFLAGS", flags)
        .current_dir(workspace_root());
    clippy
}
