//! `cargo xtask <command>`: the tasks cargo cannot do alone (plain `cargo build` builds the eBPF
//! program and the loader). Std only. Nothing here is specific to this project: the toolchain and
//! the BPF cpu come from .cargo/config.toml ([env] `EBPF_TOOLCHAIN`, `EBPF_CPU`), the rest from
//! cargo. How the eBPF crate is built is the library's (`xtask::ebpf`), shared with build.rs.

mod arch;
mod cross;
mod doctor;
mod install;
mod verify;
mod vm;

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::{env, fs};

// For vm.rs: the BPF cpu the eBPF program is built for (`EBPF_CPU`).
use xtask::ebpf::cpu as bpf_cpu;

const HELP: &str = "\
Usage: cargo xtask <command>

  doctor [--json]   check the prerequisites; each missing one with the command that installs it
  build [--target <target>]
                    build the loader (release) and print its path; for a target (x86_64- or
                    aarch64-unknown-linux-gnu), a static executable that runs on any Linux of
                    that architecture: one artifact per architecture to ship
  verify            doctor, cargo build, clippy -D warnings (the host crates, and the eBPF crate
                    for the BPF target), then as root the loader's --check (this kernel's verifier)
  run [-- <args>]   build the loader (release) and run it, through sudo -E unless root;
                    `cargo xtask run -- --help` lists its options
  bench [--calls N] [--runs R] [--json]
                    as root: the counter's cost per event in this kernel (builds the loader with
                    its `bench` feature, which adds an empty program to compare with, and runs
                    its --bench)
  vm --kernel <image> [--kernel <image> ...] [--selftest N]
                    --check and --selftest on the kernels you deploy to, x86_64 or aarch64,
                    each booted in QEMU: the host's /boot/vmlinuz-*, or a distribution's
                    kernel package (`cargo xtask vm --help`)
  install [--destdir <dir>]
                    build the loader and install it as a systemd service with its unit,
                    systemd/<loader>.service (`cargo xtask install --help`)

The eBPF toolchain and the BPF cpu: EBPF_TOOLCHAIN and EBPF_CPU in .cargo/config.toml.
Exit codes: 0 ok, 1 error, 2 usage, 10 a prerequisite is missing, 11 a build or clippy failed,
12 vm: a kernel rejected the program or did not count exactly N, 13 vm: a VM crashed, hung or
did not boot. run, bench and verify pass on the loader's codes (3 rejected by the verifier, 4 permission
denied, 5 cannot attach, 6 selftest failed).
";

/// Exit codes, disjoint from the loader's (3 to 6), which `run`, `bench` and `verify` pass on.
mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    /// A prerequisite is missing (`cargo xtask doctor` says which, and how to install it).
    pub const MISSING: u8 = 10;
    /// cargo build or clippy failed.
    pub const BUILD: u8 = 11;
    /// `vm`: a kernel rejected the program, or the count was not exactly the selftest's runs.
    pub const VM_PROBE: u8 = 12;
    /// `vm`: a VM crashed, hung or did not boot in time.
    pub const VM_BOOT: u8 = 13;
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let code = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["doctor"] => doctor::run(false),
        ["doctor", "--json"] => doctor::run(true),
        ["build"] => build(None),
        ["build", "--target", target] => build(Some(target)),
        ["build", flag] if flag.starts_with("--target=") => build(flag.strip_prefix("--target=")),
        ["verify"] => verify::run(),
        ["run", "--", ..] => run(&[], &args[2..]),
        ["run", ..] => run(&[], &args[1..]),
        ["bench", ..] => run(&["bench"], &[&["--bench".to_owned()], &args[1..]].concat()),
        ["vm", ..] => vm::run(&args[1..]),
        ["install", ..] => install::run(&args[1..]),
        ["help" | "-h" | "--help"] => {
            print!("{HELP}");
            exit::OK
        }
        [] => {
            eprint!("{HELP}");
            exit::USAGE
        }
        _ => {
            eprint!(
                "error: unknown command or arguments: {}\n\n{HELP}",
                args.join(" ")
            );
            exit::USAGE
        }
    };
    ExitCode::from(code)
}

/// Builds the loader with `features`, then replaces this process by it (through `sudo -E` unless
/// root), so that Ctrl-C reaches the loader, which prints its final total, and its exit code is the
/// command's.
fn run(features: &[&str], args: &[String]) -> u8 {
    let loader = match build_loader(features) {
        Ok(loader) => loader,
        Err(code) => return code,
    };
    let mut command = loader_command(&loader);
    let err = command.args(args).exec();
    let program = command.get_program().to_string_lossy();
    eprintln!("xtask: cannot run {program}: {err}");
    exit::ERROR
}

/// `cargo xtask build [--target <target>]`: prints the loader's path.
fn build(target: Option<&str>) -> u8 {
    let built = match target {
        None => build_loader(&[]),
        Some(target) => {
            let Some(arch) = arch::Arch::ALL.into_iter().find(|a| a.target() == target) else {
                let targets: Vec<_> = arch::Arch::ALL.iter().map(|a| a.target()).collect();
                let targets = targets.join(", ");
                eprintln!("xtask: unknown target `{target}`: one of {targets}");
                return exit::USAGE;
            };
            match cross::Cross::find(arch) {
                Ok(cross) => cross.build(),
                Err(missing) => {
                    eprintln!("xtask: cannot build for {target}: {}", missing.what);
                    eprintln!("  fix: {}", missing.fix);
                    Err(exit::MISSING)
                }
            }
        }
    };
    match built {
        Ok(loader) => {
            println!("{}", loader.display());
            exit::OK
        }
        Err(code) => code,
    }
}

/// Whether this process runs as root (effective uid 0).
fn is_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uids = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .unwrap_or_default();
    uids.split_whitespace().nth(1) == Some("0")
}

/// The loader, through `sudo -E` unless this process runs as root.
fn loader_command(loader: &Path) -> Command {
    if is_root() {
        return Command::new(loader);
    }
    let mut sudo = Command::new("sudo");
    sudo.arg("-E").arg(loader);
    sudo
}

/// Builds the loader in release with `features` (`cargo build --release`, which builds the eBPF
/// program too), showing what cargo prints, and returns its executable; or the exit code to end
/// with.
fn build_loader(features: &[&str]) -> Result<PathBuf, u8> {
    let mut cargo = cargo();
    cargo.args(["build", "--release"]);
    if !features.is_empty() {
        cargo.arg("--features").arg(features.join(","));
    }
    built_loader(cargo)
}

/// Runs `cargo`, a `cargo build` of the loader, showing what it prints; the loader's executable.
fn built_loader(mut cargo: Command) -> Result<PathBuf, u8> {
    cargo.arg("--message-format=json-render-diagnostics");
    let output = cargo.stderr(Stdio::inherit()).output().map_err(|err| {
        eprintln!("xtask: cannot run cargo: {err}");
        exit::ERROR
    })?;
    if !output.status.success() {
        return Err(exit::BUILD);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut bins = stdout
        .lines()
        .filter(|line| line.contains("\"kind\":[\"bin\"]"));
    let loader = bins
        .find_map(|line| json_string(line, "executable"))
        .map(PathBuf::from);
    loader.ok_or_else(|| {
        eprintln!("xtask: cargo built no loader executable");
        exit::ERROR
    })
}

/// The cargo running this xtask, at the workspace root (so that it builds the default members).
fn cargo() -> Command {
    let mut cargo = Command::new(env::var_os("CARGO").unwrap_or("cargo".into()));
    cargo.current_dir(workspace_root());
    cargo
}

/// The workspace root: the parent of xtask's manifest directory (set by cargo run).
fn workspace_root() -> PathBuf {
    let xtask = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    xtask.parent().map_or(xtask.clone(), Path::to_path_buf)
}

/// The first string value of `key` in a line of JSON (enough for cargo's messages).
fn json_string(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let mut chars = json[start..].chars();
    let mut value = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

/// Runs `command` (shown first) with the terminal; its exit code.
fn status(command: &mut Command) -> u8 {
    let args: Vec<_> = command
        .get_args()
        .map(|arg| arg.to_string_lossy())
        .collect();
    eprintln!(
        "xtask: {} {}",
        command.get_program().to_string_lossy(),
        args.join(" ")
    );
    match command.status() {
        // A signal has no code: that, and codes beyond u8 (none on Linux), are errors.
        Ok(status) => status
            .code()
            .and_then(|code| u8::try_from(code).ok())
            .unwrap_or(exit::ERROR),
        Err(err) => {
            eprintln!("xtask: cannot run it: {err}");
            exit::ERROR
        }
    }
}
