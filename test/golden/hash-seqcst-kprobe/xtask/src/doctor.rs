//! `doctor [--json]`: what building and running this project needs, each missing piece with the
//! command that installs it. QEMU and a static busybox are optional: only `cargo xtask vm` needs
//! them. JSON: `{"ok":…,"checks":[{"name","ok","detail","fix","optional"?},…]}`.

use std::{env, fs, path::Path, process::Command};

use crate::{ebpf_tool, exit, toolchain};

/// The oldest stable Rust that builds the loader (aya 0.14's rust-version).
const MIN_STABLE: (u32, u32) = (1, 87);

struct Check {
    name: &'static str,
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
    let (open, close) = ('{', '}'); // JSON braces, kept out of format strings.
    if json {
        let checks: Vec<String> = checks.iter().map(to_json).collect();
        let checks = checks.join(",");
        println!("{open}\"ok\":{ok},\"checks\":[{checks}]{close}");
    } else {
        checks.iter().for_each(print);
    }
    if ok { exit::OK } else { exit::MISSING }
}

fn checks() -> Vec<Check> {
    let toolchain = toolchain();
    let dir = toolchain.contains('/');
    let mut checks = Vec::new();
    let mut check = |name, found, fix: &str, optional| {
        let fix = fix.to_owned();
        checks.push(Check {
            name,
            found,
            fix,
            optional,
        });
    };
    if !dir {
        let rustup = output(Command::new("rustup").arg("--version"));
        let fix = "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh";
        check("rustup", rustup, fix, false);
    }
    let stable = output(Command::new("rustc").arg("--version")).and_then(|version| {
        let number = version.split([' ', '-']).nth(1).unwrap_or_default();
        let mut parts = number.split('.').map(|part| part.parse().unwrap_or(0));
        let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        let (major, minor) = MIN_STABLE;
        match found >= MIN_STABLE {
            true => Ok(version),
            false => Err(format!("{number}: the loader needs >= {major}.{minor}")),
        }
    });
    check(
        "stable",
        stable,
        "rustup update stable (or install Rust >= 1.87)",
        false,
    );

    let rustc = output(ebpf_tool("rustc").arg("--version"));
    let found = rustc.and_then(|rustc| output(ebpf_tool("cargo").arg("-V")).map(|_| rustc));
    let found = found.map(|rustc| format!("{toolchain}: {rustc}"));
    let fix = match dir {
        true => "sudo apt-get install rustc-web cargo-web rust-web-src (Debian 12)".to_owned(),
        false => format!("rustup toolchain install {toolchain} --component rust-src"),
    };
    check("toolchain", found, &fix, false);
    let sysroot = output(ebpf_tool("rustc").args(["--print", "sysroot"]));
    let src = sysroot.and_then(|sysroot| {
        let lock = Path::new(&sysroot).join("lib/rustlib/src/rust/library/Cargo.lock");
        match lock.is_file() {
            true => Ok(lock.display().to_string()),
            false => Err(format!("{} is missing", lock.display())),
        }
    });
    let fix = match dir {
        true => "sudo apt-get install rust-web-src".to_owned(),
        false => format!("rustup component add rust-src --toolchain {toolchain}"),
    };
    check("rust-src", src, &fix, false);
    // bpf-linker's LLVM must read the toolchain's bitcode: build it against the same LLVM.
    let verbose = output(ebpf_tool("rustc").arg("-vV")).unwrap_or_default();
    let llvm = verbose
        .lines()
        .find_map(|line| line.strip_prefix("LLVM version: "));
    let fix = match (dir, llvm.and_then(|version| version.split('.').next())) {
        (true, Some(n)) => format!(
            "sudo apt-get install llvm-{n}-dev libpolly-{n}-dev libzstd-dev zlib1g-dev clang && \
             LLVM_PREFIX=/usr/lib/llvm-{n} cargo install --locked bpf-linker"
        ),
        _ => "cargo install bpf-linker (or, faster: cargo binstall bpf-linker)".to_owned(),
    };
    let linker = output(Command::new("bpf-linker").arg("--version"));
    check("bpf-linker", linker, &fix, false);

    let (qemu, package) = match env::consts::ARCH {
        "x86_64" => ("qemu-system-x86_64", "qemu-system-x86"),
        "aarch64" => ("qemu-system-aarch64", "qemu-system-arm"),
        _ => ("qemu-system-riscv64", "qemu-system-misc"),
    };
    let found = output(Command::new(qemu).arg("--version"));
    check(
        "qemu",
        found,
        &format!("sudo apt-get install {package}"),
        true,
    );
    let path = env::var_os("PATH").unwrap_or_default();
    let busybox = env::split_paths(&path)
        .map(|dir| dir.join("busybox"))
        .find(|b| b.is_file());
    let busybox = match busybox {
        None => Err("not found on PATH".to_owned()),
        Some(b) if is_static(&fs::read(&b).unwrap_or_default()) => Ok(b.display().to_string()),
        Some(b) => Err(format!("{} is not linked statically", b.display())),
    };
    check(
        "busybox",
        busybox,
        "sudo apt-get install busybox-static",
        true,
    );
    checks
}

/// The first line of what `command` prints when it succeeds, or why it did not.
fn output(command: &mut Command) -> Result<String, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .map_err(|err| format!("{program}: {err}"))?;
    let (stdout, stderr) = (&output.stdout, &output.stderr);
    let text = String::from_utf8_lossy(if output.status.success() {
        stdout
    } else {
        stderr
    });
    let line = text.lines().next().unwrap_or("failed").to_owned();
    if output.status.success() {
        Ok(line)
    } else {
        Err(line)
    }
}

/// Whether a 64-bit little-endian ELF file has no PT_INTERP program header (no dynamic loader).
fn is_static(elf: &[u8]) -> bool {
    let field = |at: usize, len: usize| {
        let bytes = elf.get(at..at + len)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0, |value, byte| value << 8 | usize::from(*byte)),
        )
    };
    let (Some(table), Some(size), Some(count)) = (field(0x20, 8), field(0x36, 2), field(0x38, 2))
    else {
        return false;
    };
    elf.starts_with(b"\x7fELF") && (0..count).all(|i| field(table + i * size, 4) != Some(3))
}

fn print(check: &Check) {
    let optional = if check.optional {
        " (optional: for cargo xtask vm)"
    } else {
        ""
    };
    match &check.found {
        Ok(found) => println!("✓ {:<10} {found}", check.name),
        Err(missing) => {
            println!("✗ {:<10} {missing}{optional}", check.name);
            println!("  fix: {}", check.fix);
        }
    }
}

fn to_json(check: &Check) -> String {
    let string = |text: &str| {
        let mut out = String::from('"');
        for c in text.chars() {
            match c {
                '"' | '\\' => out.extend(['\\', c]),
                c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out + "\""
    };
    let (ok, detail) = match &check.found {
        Ok(found) => (true, found),
        Err(missing) => (false, missing),
    };
    let fix = string(if ok { "" } else { &check.fix });
    let (name, detail) = (check.name, string(detail));
    let optional = if check.optional {
        ",\"optional\":true"
    } else {
        ""
    };
    let fields = format!("\"name\":\"{name}\",\"ok\":{ok},\"detail\":{detail},\"fix\":{fix}");
    let (open, close) = ('{', '}');
    format!("{open}{fields}{optional}{close}")
}
