//! The loader built for one architecture as a static executable (`cargo xtask build --target`,
//! and `cargo xtask vm` for a kernel of another architecture than this machine's): it runs on any
//! Linux of that architecture, whatever its C library, and needs nothing beside it in a VM.
//!
//! Rust's standard library for the target comes from the toolchain that builds the loader when it
//! has it (`rustup target add <target>`); else from the eBPF toolchain, which has the library
//! source anyway, built with `-Z build-std`. A cross build links with the target's GNU C compiler.

use std::{
    env,
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use xtask::ebpf::Toolchain;

use crate::arch::{Arch, Elf, Missing};
use crate::exit;

/// Where the target's standard library comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum Std {
    /// Installed for the toolchain that builds the loader (rustup's target, a distribution's package).
    Installed,
    /// Built from the eBPF toolchain's library source (`-Z build-std`).
    FromSource,
}

/// How to build a static loader for `arch` here, or what is missing for it.
pub struct Cross {
    arch: Arch,
    std: Std,
    /// The C compiler that links, when it is not the host's own `cc`.
    linker: Option<OsString>,
}

impl Cross {
    pub fn find(arch: Arch) -> Result<Self, Missing> {
        Ok(Self {
            arch,
            std: find_std(arch)?,
            linker: find_linker(arch)?,
        })
    }

    /// Builds the loader (release), showing what cargo prints, and returns its executable.
    pub fn build(&self) -> Result<PathBuf, u8> {
        let target = self.arch.target();
        let mut cargo = match self.std {
            Std::Installed => crate::cargo(),
            Std::FromSource => {
                let mut cargo = Toolchain::from_env().command("cargo");
                // The eBPF toolchain's cargo builds in the same target directory as yours.
                if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
                    cargo.env("CARGO_TARGET_DIR", dir);
                }
                cargo.current_dir(crate::workspace_root());
                cargo
            }
        };
        cargo.args(["build", "--release", "--target", target]);
        if self.std == Std::FromSource {
            cargo.arg("-Zbuild-std=std,panic_abort");
        }
        let variable = |what: &str| format!("CARGO_TARGET_{}_{what}", target_env(target));
        if let Some(linker) = &self.linker {
            cargo.env(variable("LINKER"), linker);
        }
        // Appended to the target's own flags (RUSTFLAGS, if set, replaces these: checked below).
        let mut flags = env::var(variable("RUSTFLAGS")).unwrap_or_default();
        flags.push_str(" -Ctarget-feature=+crt-static");
        cargo.env(variable("RUSTFLAGS"), flags.trim_start());
        let loader = crate::built_loader(cargo)?;
        match Elf::parse(&fs::read(&loader).unwrap_or_default()) {
            Some(Elf {
                arch: Some(arch),
                is_static: true,
            }) if arch == self.arch => Ok(loader),
            _ => {
                eprintln!(
                    "xtask: {} is not a static {} executable (RUSTFLAGS or \
                     CARGO_ENCODED_RUSTFLAGS replace the flag that makes it static)",
                    loader.display(),
                    self.arch
                );
                Err(exit::BUILD)
            }
        }
    }
}

/// A target triple as cargo's environment variables spell it: `AARCH64_UNKNOWN_LINUX_GNU`.
fn target_env(target: &str) -> String {
    target.to_uppercase().replace('-', "_")
}

/// Where `arch`'s standard library comes from; the first line is what doctor shows.
pub fn find_std(arch: Arch) -> Result<Std, Missing> {
    let target = arch.target();
    let libdir = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", target])
        .output();
    let libdir = libdir.map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let has_std = |dir: &Path| {
        let names = fs::read_dir(dir).into_iter().flatten().flatten();
        names.map(|entry| entry.file_name()).any(|name| {
            let name = name.to_string_lossy();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        })
    };
    if libdir.is_ok_and(|dir| has_std(&dir)) {
        return Ok(Std::Installed);
    }
    if library_source().is_some() {
        return Ok(Std::FromSource);
    }
    Err(Missing {
        what: format!("no standard library for {target}"),
        fix: format!("rustup target add {target}"),
    })
}

/// The eBPF toolchain's library source (the prerequisite `rust-src`), if it is there.
fn library_source() -> Option<PathBuf> {
    let sysroot = Toolchain::from_env()
        .command("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout);
    let library = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library");
    library.join("Cargo.lock").is_file().then_some(library)
}

/// The C compiler that links a static loader for `arch`: `None` for this machine's own `cc`,
/// else `CARGO_TARGET_<TARGET>_LINKER` if set, else the GNU cross compiler with its static C library.
pub fn find_linker(arch: Arch) -> Result<Option<OsString>, Missing> {
    let variable = format!("CARGO_TARGET_{}_LINKER", target_env(arch.target()));
    if let Some(linker) = env::var_os(variable) {
        return Ok(Some(linker));
    }
    if Arch::host() == Some(arch) {
        return Ok(None);
    }
    let gcc = arch.cross_linker();
    let missing = |what: String| Missing {
        what,
        fix: format!("sudo apt-get install {}", arch.cross_linker_packages()),
    };
    // gcc names the file back, without a directory, when it has no such library.
    let libc = Command::new(gcc).arg("-print-file-name=libc.a").output();
    let libc = libc.map_err(|err| missing(format!("{gcc}: {err}")))?;
    let libc = String::from_utf8_lossy(&libc.stdout);
    if !Path::new(libc.trim()).is_absolute() {
        return Err(missing(format!("{gcc} has no static C library (libc.a)")));
    }
    Ok(Some(gcc.into()))
}
