//! `doctor [--json]`: what building and running this project needs, each missing piece with the
//! command that installs it. Optional: QEMU and a static busybox for each architecture (only
//! `cargo xtask vm` needs them), and for another architecture than this machine's, Rust's
//! standard library and a C linker for it (`cargo xtask build --target`, and `vm`).
//! JSON: `{"ok":…,"checks":[{"name","ok","detail","fix","optional"?},…]}`.

use std::{env, fmt::Write as _, fs, path::Path, process::Command};

use xtask::ebpf::{self, Toolchain};

use crate::arch::{Arch, Missing};
use crate::{cross, exit};

/// The oldest stable Rust that builds the loader (aya 0.14's rust-version).
const MIN_STABLE: (u32, u32) = (1, 87);

struct Check {
    name: String,
    /// What was found, or what is missing.
    found: Result<String, String>,
    fix: String,
    optional: bool,
}

pub fn run(json: bool) -> u8 {
    let checks = checks();
    let ok = checks
        .iter()
        .all(|check| check.found.is_ok() || check.optional);
    if json {
        let checks: Vec<String> = checks.iter().map(to_json).collect();
        println!("{{\"ok\":{ok},\"checks\":[{}]}}", checks.join(","));
    } else {
        // One column for the names, as wide as the longest (`busybox-aarch64`).
        let width = checks
            .iter()
            .map(|check| check.name.len())
            .max()
            .unwrap_or(0);
        for check in &checks {
            print(check, width);
        }
    }
    if ok { exit::OK } else { exit::MISSING }
}

fn checks() -> Vec<Check> {
    let toolchain = Toolchain::from_env();
    let mut checks = Vec::new();
    let mut check = |name: &str, found, fix: String, optional| {
        checks.push(Check {
            name: name.to_owned(),
            found,
            fix,
            optional,
        });
    };
    if let Toolchain::Rustup(_) = toolchain {
        let rustup = ebpf::first_line(Command::new("rustup").arg("--version"));
        let fix = "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh";
        check("rustup", rustup, fix.to_owned(), false);
    }
    let stable = ebpf::first_line(Command::new("rustc").arg("--version")).and_then(stable_enough);
    let fix = "rustup update stable (or install Rust >= 1.87)";
    check("stable", stable, fix.to_owned(), false);

    let (name, install, rust_src) = match &toolchain {
        Toolchain::Rustup(name) => (
            name.clone(),
            format!("rustup toolchain install {name} --component rust-src"),
            format!("rustup component add rust-src --toolchain {name}"),
        ),
        Toolchain::Dir(dir) => (
            dir.display().to_string(),
            "sudo apt-get install rustc-web cargo-web rust-web-src (Debian 12)".to_owned(),
            "sudo apt-get install rust-web-src".to_owned(),
        ),
    };
    let cargo = ebpf::first_line(toolchain.command("cargo").arg("--version"));
    let found = cargo.and_then(|_| toolchain.version());
    check(
        "toolchain",
        found.map(|v| format!("{name}: {v}")),
        install,
        false,
    );
    check("rust-src", library_source(&toolchain), rust_src, false);

    let linker = ebpf::first_line(Command::new("bpf-linker").arg("--version"));
    let llvm = toolchain.llvm_version();
    let major = llvm.as_deref().ok().and_then(ebpf::llvm_major);
    check(
        "bpf-linker",
        linker.clone(),
        install_bpf_linker(&toolchain, major),
        false,
    );
    if linker.is_ok() {
        let fix = if toolchain.llvm_library().is_ok() {
            install_bpf_linker(&toolchain, major)
        } else {
            "set EBPF_TOOLCHAIN to a rustup toolchain's name, or to the directory of a toolchain's \
             own rustc (rustup's proxies in ~/.cargo/bin load no LLVM)"
                .to_owned()
        };
        let found = llvm.and_then(|version| links(&toolchain, &version));
        check("llvm", found, fix, false);
    }

    // Optional: what `cargo xtask vm` needs for each architecture, and `cargo xtask build
    // --target` for another one than this machine's.
    for arch in Arch::ALL {
        let host = Arch::host() == Some(arch);
        // `qemu` for this machine's architecture, `qemu-aarch64` for another.
        let name = |what: &str| {
            if host {
                what.to_owned()
            } else {
                format!("{what}-{arch}")
            }
        };
        let qemu = ebpf::first_line(Command::new(arch.qemu()).arg("--version"));
        let fix = format!("sudo apt-get install {}", arch.qemu_package());
        check(&name("qemu"), qemu, fix, true);
        let (busybox, fix) = outcome(crate::vm::busybox(arch), |b| b.display().to_string());
        check(&name("busybox"), busybox, fix, true);
        if host {
            continue;
        }
        let (std, fix) = outcome(cross::find_std(arch), |std| match std {
            cross::Std::Installed => format!("installed for {}", arch.target()),
            cross::Std::FromSource => "built from the eBPF toolchain's library source".into(),
        });
        check(&name("std"), std, fix, true);
        let (linker, fix) = outcome(cross::find_linker(arch), |linker| {
            linker.map_or("cc".into(), |l| l.to_string_lossy().into_owned())
        });
        check(&name("linker"), linker, fix, true);
    }
    checks
}

/// `rustc --version` if it is at least `MIN_STABLE`.
fn stable_enough(version: String) -> Result<String, String> {
    let number = version.split([' ', '-']).nth(1).unwrap_or_default();
    let mut parts = number.split('.').map(|part| part.parse().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found >= MIN_STABLE {
        Ok(version)
    } else {
        let (major, minor) = MIN_STABLE;
        Err(format!("{number}: the loader needs >= {major}.{minor}"))
    }
}

/// The toolchain's library source, which `-Z build-std` builds `core` from.
fn library_source(toolchain: &Toolchain) -> Result<String, String> {
    let sysroot = ebpf::first_line(toolchain.command("rustc").args(["--print", "sysroot"]))?;
    let lock = Path::new(&sysroot).join("lib/rustlib/src/rust/library/Cargo.lock");
    if lock.is_file() {
        Ok(lock.display().to_string())
    } else {
        Err(format!("{} is missing", lock.display()))
    }
}

/// Whether bpf-linker, given the eBPF rustc's own libLLVM as the build script gives it, links
/// that rustc's bitcode. bpf-linker does not say which LLVM it was built for, and reading bitcode
/// of a newer LLVM fails ("Invalid record"): only a trial link tells.
fn links(toolchain: &Toolchain, version: &str) -> Result<String, String> {
    let library = toolchain.llvm_library()?;
    let named = ebpf::llvm_major(&library.file_name().unwrap_or_default().to_string_lossy());
    if named.is_some() && named != ebpf::llvm_major(version) {
        let library = library.display();
        return Err(format!("rustc reports LLVM {version} but loads {library}"));
    }
    let dir = env::temp_dir().join(format!("xtask-doctor-{}", std::process::id()));
    let linked = trial_link(toolchain, &library, &dir);
    let _ = fs::remove_dir_all(&dir);
    linked?;
    Ok(format!(
        "LLVM {version} ({}): bpf-linker links the toolchain's bitcode",
        library.display()
    ))
}

/// Compiles an empty crate to bitcode with the eBPF rustc, and links it with bpf-linker.
fn trial_link(toolchain: &Toolchain, library: &Path, dir: &Path) -> Result<(), String> {
    let failed = |err: std::io::Error| err.to_string();
    fs::create_dir_all(dir).map_err(failed)?;
    fs::write(dir.join("empty.rs"), "#![feature(no_core)]\n#![no_core]\n").map_err(failed)?;
    let mut rustc = toolchain.command("rustc");
    rustc.args([
        "--crate-type=lib",
        "--target=bpfel-unknown-none",
        "--emit=llvm-bc",
    ]);
    rustc
        .arg("-o")
        .arg(dir.join("empty.bc"))
        .arg(dir.join("empty.rs"));
    ebpf::first_line(&mut rustc).map_err(|why| format!("rustc cannot write bitcode: {why}"))?;
    let llvm = ebpf::llvm_dir(library, &dir.join("llvm")).map_err(failed)?;
    let mut linker = Command::new("bpf-linker");
    linker
        .arg("-o")
        .arg(dir.join("empty.o"))
        .arg(dir.join("empty.bc"));
    linker.env(
        "LD_LIBRARY_PATH",
        ebpf::ld_library_path(&llvm).map_err(|e| e.to_string())?,
    );
    let output = linker.output().map_err(failed)?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Its last words: the LLVM error, or the panic, rather than the backtrace after it.
    let why = stderr
        .lines()
        .map(str::trim)
        .rfind(|line| line.contains("error") || line.contains("Invalid") || line.contains("LLVM"));
    let library = library.display();
    Err(format!(
        "bpf-linker with {library}: {}",
        why.unwrap_or("failed")
    ))
}

/// How to install a bpf-linker that uses the eBPF toolchain's LLVM (`major`).
fn install_bpf_linker(toolchain: &Toolchain, major: Option<u32>) -> String {
    match (toolchain, major) {
        (Toolchain::Dir(_), Some(n)) => format!(
            "sudo apt-get install llvm-{n}-dev libpolly-{n}-dev libzstd-dev zlib1g-dev clang && \
             LLVM_PREFIX=/usr/lib/llvm-{n} cargo install --locked bpf-linker"
        ),
        (_, Some(n)) => format!(
            "cargo install bpf-linker (or cargo binstall bpf-linker), a release for LLVM {n}"
        ),
        _ => "cargo install bpf-linker (or, faster: cargo binstall bpf-linker)".to_owned(),
    }
}

/// A check's outcome and fix from what a lookup found, or what it misses.
fn outcome<T>(
    result: Result<T, Missing>,
    show: impl Fn(T) -> String,
) -> (Result<String, String>, String) {
    match result {
        Ok(found) => (Ok(show(found)), String::new()),
        Err(Missing { what, fix }) => (Err(what), fix),
    }
}

fn print(check: &Check, width: usize) {
    let name = &check.name;
    match &check.found {
        Ok(found) => println!("✓ {name:<width$} {found}"),
        Err(missing) => {
            let optional = if check.optional {
                " (optional: for cargo xtask vm and build --target)"
            } else {
                ""
            };
            let mark = if check.optional { '-' } else { '✗' };
            println!("{mark} {name:<width$} {missing}{optional}");
            println!("  fix: {}", check.fix);
        }
    }
}

fn to_json(check: &Check) -> String {
    let (ok, detail) = match &check.found {
        Ok(found) => (true, found),
        Err(missing) => (false, missing),
    };
    let fix = if ok { "" } else { &check.fix };
    let optional = if check.optional {
        ",\"optional\":true"
    } else {
        ""
    };
    format!(
        "{{\"name\":\"{}\",\"ok\":{ok},\"detail\":{},\"fix\":{}{optional}}}",
        check.name,
        quoted(detail),
        quoted(fix)
    )
}

/// `text` as a JSON string.
fn quoted(text: &str) -> String {
    let mut json = String::from('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => json.extend(['\\', c]),
            c if c < ' ' => {
                let _ = write!(json, "\\u{:04x}", u32::from(c));
            }
            c => json.push(c),
        }
    }
    json + "\""
}
