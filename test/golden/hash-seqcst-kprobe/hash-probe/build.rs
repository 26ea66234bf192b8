//! Builds the eBPF crate (`../<this package>-ebpf`) for BPF into `OUT_DIR/ebpf.o`, which main.rs
//! embeds. aya-template leaves this to aya-build, which cannot build for BPF cpu v3: it sets the
//! eBPF crate's rustflags itself, without `-C target-cpu`. So the workspace's own `xtask::ebpf`
//! does it (`cargo xtask verify` lints the crate with the same flags). `EBPF_TOOLCHAIN` and
//! `EBPF_CPU` are in .cargo/config.toml; `AYA_BUILD_SKIP=1` skips the build, for checks and lints
//! where the eBPF toolchain is missing.

use std::{env, fs, path::PathBuf, process::Command};

use xtask::ebpf::{self, Build, Toolchain};

fn main() {
    for name in ["EBPF_TOOLCHAIN", "EBPF_CPU", "AYA_BUILD_SKIP"] {
        println!("cargo::rerun-if-env-changed={name}");
    }
    println!("cargo::rustc-check-cfg=cfg(aya_build_skip)");
    // For the loader's messages (a rejected atomic_fetch_add names the cpu).
    println!("cargo::rustc-env=EBPF_CPU={}", ebpf::cpu());
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let object = out_dir.join("ebpf.o");
    if ebpf::skip() {
        println!("cargo::warning=AYA_BUILD_SKIP: the loader has no eBPF program");
        println!("cargo::rustc-cfg=aya_build_skip");
        return fs::write(object, []).unwrap();
    }
    let package = env::var("CARGO_PKG_NAME").unwrap();
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("..");
    let ebpf_crate = format!("{package}-ebpf");
    // The root Cargo.toml holds the eBPF crate's profile.
    for path in [
        &ebpf_crate,
        &format!("{package}-common"),
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo::rerun-if-changed={}", root.join(path).display());
    }
    let path = env::var_os("PATH").unwrap_or_default();
    if !env::split_paths(&path).any(|dir| dir.join("bpf-linker").is_file()) {
        fail("bpf-linker is not on PATH");
    }

    // `<target dir>/ebpf` (OUT_DIR is `<target dir>/<profile>/build/<package>-<hash>/out`): one
    // build of `core` for every profile; not a profile's own directory, which cargo has locked.
    let build_dir = out_dir.ancestors().find(|dir| dir.ends_with("build"));
    let target_dir = build_dir.and_then(|dir| dir.parent()?.parent());
    let target_dir = target_dir.unwrap_or(&out_dir).join("ebpf");
    // The bench's empty program is built only into a loader built for the bench.
    let features: &[&str] = if env::var_os("CARGO_FEATURE_BENCH").is_some() {
        &["bench"]
    } else {
        &[]
    };
    let manifest = root.join(&ebpf_crate).join("Cargo.toml");
    let build = Build {
        manifest: &manifest,
        target_dir: &target_dir,
        // Byte order and `bpf_target_arch` follow the loader's target (a cross-built one's too).
        arch: &env::var("CARGO_CFG_TARGET_ARCH").unwrap(),
        big_endian: env::var("CARGO_CFG_TARGET_ENDIAN").unwrap() == "big",
        features,
    };
    let toolchain = Toolchain::from_env();
    let mut cargo = build.cargo(&toolchain, "build");
    hand_over_llvm(&mut cargo, &toolchain, &target_dir);
    let output = cargo.output().unwrap_or_else(|err| {
        let program = cargo.get_program().to_string_lossy();
        fail(&format!("cannot run {program}: {err}"))
    });
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let cpu = ebpf::cpu();
        fail(&format!(
            "{ebpf_crate} (toolchain {toolchain}, cpu {cpu}):\n{log}"
        ));
    }
    if log.contains("warning") {
        log.lines().for_each(|l| println!("cargo::warning={l}")); // Else they stay hidden.
    }
    fs::copy(build.object(&ebpf_crate), object).unwrap();
}

/// Gives bpf-linker the eBPF toolchain's own LLVM, whatever the outer cargo's is (see
/// `xtask::ebpf::llvm_dir`). When that cannot be found out, bpf-linker searches for one itself.
fn hand_over_llvm(cargo: &mut Command, toolchain: &Toolchain, target_dir: &std::path::Path) {
    let library = match toolchain.llvm_library() {
        Ok(library) => library,
        Err(why) => return println!("cargo::warning=which LLVM bpf-linker gets: {why}"),
    };
    let dir = ebpf::llvm_dir(&library, &target_dir.join("llvm"));
    let dir = dir.unwrap_or_else(|err| fail(&format!("cannot link {}: {err}", library.display())));
    cargo.env("LD_LIBRARY_PATH", ebpf::ld_library_path(&dir).unwrap());
}

fn fail(what: &str) -> ! {
    eprintln!(
        "error: cannot build the eBPF program: {what}\n`cargo xtask doctor` lists what the build \
         needs and how to install it; AYA_BUILD_SKIP=1 skips this build."
    );
    std::process::exit(1)
}
