//! Builds the eBPF crate (`../<this package>-ebpf`) into `OUT_DIR/ebpf.o`, which main.rs embeds:
//! aya-build's job, done here as aya-build can neither target BPF cpu v3 nor use a toolchain
//! directory. EBPF_TOOLCHAIN, EBPF_CPU: .cargo/config.toml. AYA_BUILD_SKIP=1: skip (check, lint).

use std::{env, fs, path::Path, path::PathBuf, process::Command};

fn main() {
    let var = |name: &str| {
        println!("cargo:rerun-if-env-changed={name}");
        env::var(name).ok().filter(|value| !value.is_empty())
    };
    let toolchain = var("EBPF_TOOLCHAIN").unwrap_or("nightly".into());
    let cpu = var("EBPF_CPU").unwrap_or("generic".into());
    println!("cargo:rustc-env=EBPF_CPU={cpu}"); // For the loader's messages.
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    if var("AYA_BUILD_SKIP").is_some_and(|skip| skip == "1" || skip.eq_ignore_ascii_case("true")) {
        println!("cargo:warning=AYA_BUILD_SKIP: the loader has no eBPF program");
        return fs::write(out_dir.join("ebpf.o"), []).unwrap();
    }
    let package = env::var("CARGO_PKG_NAME").unwrap();
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("..");
    let ebpf = format!("{package}-ebpf");
    let common = format!("{package}-common");
    // The root Cargo.toml too: it holds the eBPF crate's profile.
    for path in [&ebpf, &common, "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    let path = env::var_os("PATH").unwrap_or_default();
    if !env::split_paths(&path).any(|dir| dir.join("bpf-linker").is_file()) {
        fail("bpf-linker is not on PATH".into());
    }

    // Byte order and `bpf_target_arch` follow the loader's target (a cross-built loader's too).
    let big = env::var("CARGO_CFG_TARGET_ENDIAN").unwrap() == "big";
    let target = format!("{}-unknown-none", if big { "bpfeb" } else { "bpfel" });
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap();
    let mut flags = format!("--cfg=bpf_target_arch=\"{arch}\"\x1f-Ctarget-cpu={cpu}");
    flags += "\x1f-Cdebuginfo=2\x1f-Clink-arg=--btf";
    // `<target dir>/ebpf` (OUT_DIR is `<target dir>/<profile>/build/<package>-<hash>/out`): one
    // build of `core` for all profiles and workspaces sharing it; not a profile's own (locked) dir.
    let build_dir = out_dir.ancestors().find(|dir| dir.ends_with("build"));
    let target_dir = build_dir.and_then(|dir| dir.parent()?.parent());
    let target_dir = target_dir.unwrap_or(&out_dir).join("ebpf");

    let mut cargo = ebpf_cargo(&toolchain);
    cargo.args(["build", "--release", "-Zbuild-std=core"]);
    cargo.args(["--target", &target, "--manifest-path"]);
    cargo.arg(root.join(&ebpf).join("Cargo.toml"));
    cargo.arg("--target-dir").arg(&target_dir);
    let output = cargo.env("CARGO_ENCODED_RUSTFLAGS", flags).output();
    let output = output.unwrap_or_else(|err| fail(format!("cannot run `{toolchain}`: {err}")));
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        fail(format!("{ebpf} (`{toolchain}`, cpu {cpu}):\n{log}"));
    } else if log.contains("warning") {
        log.lines().for_each(|l| println!("cargo:warning={l}")); // Else they stay hidden.
    }
    let built = target_dir.join(target).join("release").join(ebpf);
    fs::copy(built, out_dir.join("ebpf.o")).unwrap();
}

/// `<directory>/cargo` with its `rustc` and RUSTC_BOOTSTRAP=1 (for `-Z`), or `rustup run <name>
/// cargo` (never installing it); without the outer cargo's choice of compiler, flags and target.
fn ebpf_cargo(toolchain: &str) -> Command {
    let dir = Path::new(toolchain);
    let mut cargo = match toolchain.contains('/') {
        true => Command::new(dir.join("cargo")),
        false => Command::new("rustup"),
    };
    let outer = "RUSTC RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTFLAGS RUSTUP_TOOLCHAIN \
                 CARGO_TARGET_DIR";
    for (name, _) in env::vars() {
        let prefixed = name.starts_with("CARGO_BUILD_") || name.starts_with("CARGO_PROFILE_");
        if prefixed || outer.split_whitespace().any(|outer| outer == name) {
            cargo.env_remove(name);
        }
    }
    if toolchain.contains('/') {
        cargo.env("RUSTC", dir.join("rustc"));
        cargo.env("RUSTC_BOOTSTRAP", "1");
    } else {
        cargo.args(["run", toolchain, "cargo"]);
    }
    cargo.env("RUSTUP_AUTO_INSTALL", "0");
    cargo
}

fn fail(what: String) -> ! {
    eprintln!(
        "error: cannot build the eBPF program: {what}\n`cargo xtask doctor` lists what the build \
         needs and how to install it; AYA_BUILD_SKIP=1 skips this build."
    );
    std::process::exit(1)
}
