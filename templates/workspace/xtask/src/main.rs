//! Build tasks for {{crate}}: `cargo xtask <command>` (the alias is in `.cargo/config.toml`).
//!
//! The eBPF crate needs a toolchain with nightly features and the library source
//! (`-Z build-std=core` for the BPF target) plus `bpf-linker`; the loader builds with the stable
//! toolchain. Which toolchain and which BPF cpu are chosen here, in one place (below), not in a
//! `rust-toolchain.toml`, so that plain cargo commands at the root keep using stable.
//!
//! Run `cargo xtask help` for the commands and exit codes.

use std::{
    env,
    ffi::OsStr,
    fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

// ---------------------------------------------------------------------------------------------
// The one place to choose how the eBPF crate is built.
// ---------------------------------------------------------------------------------------------

/// The toolchain that builds the eBPF crate: either a rustup toolchain name (`nightly`; a team can
/// pin a dated nightly here, e.g. `nightly-2026-05-19`, whose LLVM matches its bpf-linker), or an
/// absolute directory holding `cargo` and `rustc` of a Rust packaged with its library source (e.g.
/// Debian's rust-web packages in `/usr/bin`), which is used with `RUSTC_BOOTSTRAP=1`.
/// (`rustfmt::skip` keeps a long directory on one line.)
#[rustfmt::skip]
const TOOLCHAIN: &str = "{{toolchain}}";

/// The BPF cpu the eBPF crate is built for: `generic`, or `v3` so that an atomic add with an
/// ordering other than Relaxed becomes the fully ordered `atomic_fetch_add` (kernel >= 5.12).
/// bpf-linker accepts generic, probe, v1, v2 and v3. Keep `BPF_CPU` in the loader's main.rs equal.
const BPF_CPU: &str = "{{cpu}}";

/// The loader's package; the eBPF crate is `{CRATE}-ebpf`.
const CRATE: &str = "{{crate}}";

/// The oldest stable Rust that builds the loader (aya 0.14's rust-version).
const MIN_STABLE: (u32, u32) = (1, 87);

// ---------------------------------------------------------------------------------------------

/// Exit codes of xtask.
mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// `doctor`: a prerequisite is missing. Other commands: an unexpected error.
    pub const FAILED: u8 = 1;
    /// Bad command line.
    pub const USAGE: u8 = 2;
    /// `build-ebpf`, `build`, `run`, `verify`, `clippy`, `bench`: a prerequisite is missing (see
    /// `cargo xtask doctor`).
    pub const MISSING: u8 = 4;
    /// `build-ebpf`, `build`, `run`, `verify`, `clippy`, `bench`: cargo failed.
    pub const BUILD: u8 = 5;
}

const HELP: &str = "\
Build tasks for {{crate}}.

Usage: cargo xtask <command> [--offline] [options]

Commands:
  doctor [--json]      check the prerequisites; each missing one with the command that fixes it
  build-ebpf           build the eBPF program ({{crate}}-ebpf) with the eBPF toolchain
  build                build-ebpf, then the loader ({{crate}}) with the stable toolchain
  run [-- <args>]      build, then run the loader (through `sudo -E` when not root);
                       `cargo xtask run -- --help` lists the loader's options
  verify               doctor, build, and (as root) the loader's --check: the kernel's verifier
  clippy               clippy -D warnings on the eBPF crate (eBPF toolchain), the loader and xtask
  bench [--calls <n>] [--runs <r>] [--json]
                       build, then measure the counter's cost per event in the kernel, alone
                       and contended, and count lost updates (as root, through `sudo -E`)
  help [<command>]     print this help, or a command's

Every command accepts --offline (passed to each cargo it runs) and --help.
CARGO_TARGET_DIR is honoured; the eBPF object lands in <target dir>/<bpf target>/release/.

Exit codes:
  0  success
  1  doctor: a prerequisite is missing; other commands: an unexpected error
  2  usage error
  4  a prerequisite is missing (build-ebpf, build, run, verify, clippy, bench)
  5  cargo failed (build-ebpf, build, run, verify, clippy, bench)
  run, verify and bench otherwise exit with the loader's code (3: rejected by the verifier,
  4: not root, 5: cannot attach, ...)
";

const HELP_DOCTOR: &str = "\
Usage: cargo xtask doctor [--json]

Checks what building this project needs: rustup (unless the eBPF toolchain is a directory),
stable Rust >= 1.87, the eBPF toolchain, rust-src for it, and bpf-linker on PATH.
Each check is shown as present or missing, with the command that fixes a missing one.

--json  print one line: {\"ok\":…,\"checks\":[{\"name\",\"ok\",\"detail\",\"fix\"}, …]}
        (fix is \"\" for a present prerequisite)

Exit code: 0 when everything is present, 1 otherwise.
";

const HELP_BUILD_EBPF: &str = "\
Usage: cargo xtask build-ebpf [--offline]

Builds {{crate}}-ebpf with the eBPF toolchain (TOOLCHAIN in xtask/src/main.rs):
  cargo build --package {{crate}}-ebpf --release --target bpfel-unknown-none -Z build-std=core
(bpfeb-unknown-none on a big-endian host), with the rustflags --cfg=bpf_target_arch=\"<arch>\",
-Cdebuginfo=2, -Clink-arg=--btf, and -Ctarget-cpu=<cpu> unless BPF_CPU is generic.

Exit codes: 0 built, 4 a prerequisite is missing, 5 cargo failed.
";

const HELP_BUILD: &str = "\
Usage: cargo xtask build [--offline]

Runs build-ebpf, then builds the loader, which embeds the eBPF object:
  cargo build --package {{crate}} --release
The loader is <target dir>/release/{{crate}}.

Exit codes: 0 built, 4 a prerequisite is missing, 5 cargo failed.
";

const HELP_RUN: &str = "\
Usage: cargo xtask run [--offline] [-- <loader arguments>]

Builds, then runs the loader with the arguments after `--`, through `sudo -E` when not root
(loading eBPF programs needs root, or CAP_BPF and CAP_PERFMON). Examples:
  cargo xtask run                      count and print every second until Ctrl-C
  cargo xtask run -- --check           let the kernel's verifier judge the program
  cargo xtask run -- --selftest 1000   check the counter sees 1000 runs of /bin/true

Exit codes: 4 a prerequisite is missing, 5 cargo failed, else the loader's exit code.
";

const HELP_VERIFY: &str = "\
Usage: cargo xtask verify [--offline]

Runs doctor, then build; as root, then the loader's --check, so the running kernel's verifier
judges the program (otherwise it prints the command to do that).

Exit codes: 0 ok, 4 a prerequisite is missing, 5 cargo failed, else the loader's exit code
(3: rejected by the kernel's verifier).
";

const HELP_CLIPPY: &str = "\
Usage: cargo xtask clippy [--offline]

Runs clippy with -D warnings where each part really builds: the eBPF crate with the eBPF
toolchain for the BPF target (same flags as build-ebpf), then the loader and the common crate
with the stable toolchain (after build-ebpf: the loader embeds the object), then xtask itself.

Exit codes: 0 clean, 4 a prerequisite is missing, 5 clippy found something or cargo failed.
";

const HELP_BENCH: &str = "\
Usage: cargo xtask bench [--offline] [--calls <n>] [--runs <r>] [--json]

Builds, then runs the loader's --bench (through `sudo -E` when not root): what the counter
costs per event in the kernel. The loader attaches {{crate}}'s program and an empty one
(`baseline`) to getppid (tracepoint syscalls/sys_enter_getppid, or a kprobe on getppid's
syscall symbol), turns on the kernel's BPF run-time statistics for the measurement only,
and calls getppid n times from one thread pinned to the first CPU (alone), then from one
pinned thread per CPU (contended), r runs each. It prints the program's ns per event minus
the empty program's (median, min to max), and the counter's growth against the calls made
and the program's runs: fewer than the runs means lost updates.

--calls <n>  getppid calls per thread and run (default 1000000)
--runs <r>   runs, alone and contended each (default 9)
--json       print one JSON line instead of the table

Needs kernel >= 5.1 (BPF statistics) and, for a kprobe program, kprobe support.
Exit codes: 0 measured, 2 usage error, 4 a prerequisite is missing, 5 cargo failed, else the
loader's exit code (4: not root, 5: cannot attach).
";

/// The options every command accepts, and what is left.
struct Options {
    offline: bool,
    help: bool,
    json: bool,
    /// Arguments after `--` (for `run`); the loader's bench options (for `bench`).
    rest: Vec<String>,
}

fn parse_options(command: &str, args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        offline: false,
        help: false,
        json: false,
        rest: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--offline" => options.offline = true,
            "-h" | "--help" => options.help = true,
            "--json" if command == "doctor" => options.json = true,
            "--json" if command == "bench" => options.rest.push(arg.clone()),
            "--calls" | "--runs" if command == "bench" => {
                let value = args
                    .next()
                    .filter(|value| value.parse::<u64>().is_ok_and(|n| n > 0))
                    .ok_or_else(|| format!("{arg} needs a positive count"))?;
                options.rest.extend([arg.clone(), value.clone()]);
            }
            // `--calls=N` / `--runs=N`: passed on as they are; the loader checks N.
            joined
                if command == "bench"
                    && (joined.starts_with("--calls=") || joined.starts_with("--runs=")) =>
            {
                options.rest.push(arg.clone());
            }
            "--" if command == "run" => {
                options.rest = args.cloned().collect();
                break;
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` for `cargo xtask {command}`"
                ));
            }
        }
    }
    Ok(options)
}

fn help_for(command: &str) -> Option<&'static str> {
    Some(match command {
        "doctor" => HELP_DOCTOR,
        "build-ebpf" => HELP_BUILD_EBPF,
        "build" => HELP_BUILD,
        "run" => HELP_RUN,
        "verify" => HELP_VERIFY,
        "clippy" => HELP_CLIPPY,
        "bench" => HELP_BENCH,
        "help" => HELP,
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some(command) = args.first().map(String::as_str) else {
        eprint!("{HELP}");
        return ExitCode::from(exit::USAGE);
    };
    if matches!(command, "help" | "-h" | "--help") {
        return match args.get(1).map(String::as_str) {
            None => {
                print!("{HELP}");
                ExitCode::from(exit::OK)
            }
            Some(topic) => match help_for(topic) {
                Some(text) => {
                    print!("{text}");
                    ExitCode::from(exit::OK)
                }
                None => usage(&format!("unknown command `{topic}`")),
            },
        };
    }
    let Some(help) = help_for(command) else {
        return usage(&format!("unknown command `{command}`"));
    };
    let options = match parse_options(command, &args[1..]) {
        Ok(options) => options,
        Err(message) => return usage(&message),
    };
    if options.help {
        print!("{help}");
        return ExitCode::from(exit::OK);
    }
    let code = match command {
        "doctor" => doctor(options.json),
        "build-ebpf" => build_ebpf(options.offline),
        "build" => build(options.offline),
        "run" => run(options.offline, &options.rest),
        "verify" => verify(options.offline),
        "clippy" => clippy(options.offline),
        "bench" => bench(options.offline, &options.rest),
        _ => unreachable!("help_for knows every command"),
    };
    ExitCode::from(code)
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}\nRun `cargo xtask help` for the commands.");
    ExitCode::from(exit::USAGE)
}

// ---------------------------------------------------------------------------------------------
// Toolchains and paths
// ---------------------------------------------------------------------------------------------

/// The eBPF toolchain as configured: a directory (it holds a `/`) or a rustup toolchain name.
fn toolchain_dir() -> Option<&'static Path> {
    TOOLCHAIN.contains('/').then(|| Path::new(TOOLCHAIN))
}

/// Variables an outer cargo, rustup or the user may have set that would make the eBPF build use
/// the wrong compiler, wrapper or flags.
const EBPF_ENV_REMOVE: [&str; 10] = [
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_RUSTC",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_TARGET",
    "RUSTUP_TOOLCHAIN",
];

/// `tool` (`cargo` or `rustc`) of the eBPF toolchain, with a clean environment.
fn ebpf_tool(tool: &str) -> Command {
    let mut command = match toolchain_dir() {
        Some(dir) => {
            let mut command = Command::new(dir.join(tool));
            command.env("RUSTC_BOOTSTRAP", "1");
            // So that `cargo clippy` and `cargo fmt` find this toolchain's tools, not rustup's.
            let mut path = vec![dir.to_path_buf()];
            path.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
            if let Ok(joined) = env::join_paths(path) {
                command.env("PATH", joined);
            }
            command
        }
        None => {
            let mut command = Command::new("rustup");
            command.args(["run", TOOLCHAIN, tool]);
            // Never download a toolchain behind the user's back.
            command.env("RUSTUP_AUTO_INSTALL", "0");
            command
        }
    };
    for name in EBPF_ENV_REMOVE {
        command.env_remove(name);
    }
    if let Some(dir) = toolchain_dir() {
        command.env("RUSTC", dir.join("rustc"));
    }
    command
}

/// The cargo that runs xtask (so the loader builds with the same, stable toolchain).
fn host_cargo() -> Command {
    Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The workspace root: the parent of xtask's manifest directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

/// `CARGO_TARGET_DIR` (made absolute against the current directory, as cargo does), else the
/// workspace's `target`.
fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => env::current_dir().unwrap_or_default().join(dir),
        None => workspace_root().join("target"),
    }
}

fn bpf_target() -> &'static str {
    if cfg!(target_endian = "big") {
        "bpfeb-unknown-none"
    } else {
        "bpfel-unknown-none"
    }
}

fn loader_path() -> PathBuf {
    target_dir().join("release").join(CRATE)
}

/// Runs `command` and returns its trimmed stdout when it succeeds.
fn output_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Runs `command` with inherited stdio; its exit code, or None when it could not start.
fn status_of(command: &mut Command, what: &str) -> Option<i32> {
    match command.status() {
        Ok(status) => Some(status.code().unwrap_or(128)),
        Err(err) => {
            eprintln!("xtask: cannot run {what}: {err}");
            None
        }
    }
}

/// Whether this process runs as root (effective uid 0, from /proc/self/status).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|uids| uids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// doctor
// ---------------------------------------------------------------------------------------------

struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
    fix: String,
}

impl Check {
    fn present(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            ok: true,
            detail: detail.into(),
            fix: String::new(),
        }
    }

    fn missing(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            ok: false,
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

/// `major.minor` from `rustc --version` output (`rustc 1.95.0 (…)`, `rustc 1.97.0-nightly (…)`).
fn rustc_version(version: &str) -> Option<(u32, u32)> {
    let number = version.split_whitespace().nth(1)?;
    let mut parts = number.split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The LLVM major version the eBPF toolchain's rustc uses (`rustc -vV`), if known.
fn ebpf_llvm_major() -> Option<String> {
    let verbose = output_of(ebpf_tool("rustc").arg("-vV"))?;
    let version = verbose
        .lines()
        .find_map(|line| line.strip_prefix("LLVM version: "))?;
    version.split('.').next().map(str::to_owned)
}

fn check_rustup() -> Check {
    match output_of(Command::new("rustup").arg("--version")) {
        Some(version) => Check::present("rustup", version.lines().next().unwrap_or_default()),
        None => Check::missing(
            "rustup",
            "not found on PATH",
            "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh",
        ),
    }
}

fn check_stable() -> Check {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let fix = if toolchain_dir().is_some() {
        "apt-get install rustc-web cargo-web (Debian 12), or install Rust >= 1.87 with rustup"
    } else {
        "rustup toolchain install stable && rustup default stable"
    };
    let Some(version) = output_of(Command::new(&rustc).arg("--version")) else {
        return Check::missing(
            "stable",
            format!("{} not found", rustc.to_string_lossy()),
            fix,
        );
    };
    match rustc_version(&version) {
        Some(found) if found >= MIN_STABLE => Check::present("stable", version),
        _ => Check::missing(
            "stable",
            format!(
                "{version}: the loader needs >= {}.{}",
                MIN_STABLE.0, MIN_STABLE.1
            ),
            if toolchain_dir().is_some() {
                fix
            } else {
                "rustup update stable"
            },
        ),
    }
}

fn check_toolchain() -> Check {
    match toolchain_dir() {
        Some(dir) => {
            let cargo = output_of(ebpf_tool("cargo").arg("--version"));
            let rustc = output_of(ebpf_tool("rustc").arg("--version"));
            match (cargo, rustc) {
                (Some(_), Some(rustc)) => {
                    Check::present("toolchain", format!("{} ({rustc})", dir.display()))
                }
                _ => Check::missing(
                    "toolchain",
                    format!("{} does not hold a working cargo and rustc", dir.display()),
                    "apt-get install rustc-web cargo-web rust-web-src (Debian 12), or set TOOLCHAIN in xtask/src/main.rs",
                ),
            }
        }
        None => match output_of(ebpf_tool("rustc").arg("--version")) {
            Some(version) => Check::present("toolchain", format!("{TOOLCHAIN} ({version})")),
            None => Check::missing(
                "toolchain",
                format!("rustup toolchain {TOOLCHAIN} is not installed"),
                format!("rustup toolchain install {TOOLCHAIN} --component rust-src"),
            ),
        },
    }
}

fn check_rust_src() -> Check {
    let fix = match toolchain_dir() {
        Some(_) => {
            "apt-get install rust-web-src (Debian 12: the library source of rustc-web)".to_owned()
        }
        None => format!("rustup component add rust-src --toolchain {TOOLCHAIN}"),
    };
    let Some(sysroot) = output_of(ebpf_tool("rustc").args(["--print", "sysroot"])) else {
        return Check::missing(
            "rust-src",
            format!("cannot ask the {TOOLCHAIN} toolchain's rustc for its sysroot"),
            fix,
        );
    };
    let lock = Path::new(&sysroot).join("lib/rustlib/src/rust/library/Cargo.lock");
    if lock.is_file() {
        Check::present("rust-src", format!("{}", lock.display()))
    } else {
        Check::missing("rust-src", format!("{} is missing", lock.display()), fix)
    }
}

fn check_bpf_linker() -> Check {
    match output_of(Command::new("bpf-linker").arg("--version")) {
        Some(version) => Check::present("bpf-linker", version),
        None => {
            let fix = match (toolchain_dir(), ebpf_llvm_major()) {
                (Some(_), Some(llvm)) => format!(
                    "LLVM_PREFIX=/usr/lib/llvm-{llvm} cargo install --locked bpf-linker \
                     (first: apt-get install llvm-{llvm}-dev libpolly-{llvm}-dev libzstd-dev zlib1g-dev clang)"
                ),
                _ => "cargo install bpf-linker (or, faster: cargo binstall bpf-linker)".to_owned(),
            };
            Check::missing("bpf-linker", "not found on PATH", fix)
        }
    }
}

/// Every check, in a fixed order; `rustup` only when the eBPF toolchain is a rustup name.
fn checks() -> Vec<Check> {
    let mut checks = Vec::new();
    if toolchain_dir().is_none() {
        checks.push(check_rustup());
    }
    checks.push(check_stable());
    checks.push(check_toolchain());
    checks.push(check_rust_src());
    checks.push(check_bpf_linker());
    checks
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn checks_json(checks: &[Check]) -> String {
    let ok = checks.iter().all(|check| check.ok);
    let items: Vec<String> = checks
        .iter()
        .map(|check| {
            let mut item = String::from('{');
            item.push_str(&format!(
                "\"name\":{},\"ok\":{},\"detail\":{},\"fix\":{}",
                json_string(check.name),
                check.ok,
                json_string(&check.detail),
                json_string(&check.fix)
            ));
            item.push('}');
            item
        })
        .collect();
    let mut json = String::from('{');
    json.push_str(&format!("\"ok\":{ok},\"checks\":[{}]", items.join(",")));
    json.push('}');
    json
}

fn print_checks(checks: &[Check]) {
    for check in checks {
        let mark = if check.ok { "✓" } else { "✗" };
        println!("{mark} {:<11} {}", check.name, check.detail);
        if !check.ok {
            println!("  fix: {}", check.fix);
        }
    }
}

fn doctor(json: bool) -> u8 {
    let checks = checks();
    let ok = checks.iter().all(|check| check.ok);
    if json {
        println!("{}", checks_json(&checks));
    } else {
        print_checks(&checks);
        if ok {
            println!("all prerequisites are present");
        } else {
            let missing = checks.iter().filter(|check| !check.ok).count();
            println!("{missing} prerequisite(s) missing");
        }
    }
    if ok { exit::OK } else { exit::FAILED }
}

/// Before a build: the checks `names` must pass; prints the missing ones.
fn require(names: &[&str]) -> bool {
    let missing: Vec<Check> = checks()
        .into_iter()
        .filter(|check| !check.ok && names.contains(&check.name))
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!("xtask: missing prerequisites:");
    for check in &missing {
        eprintln!(
            "✗ {:<11} {}\n  fix: {}",
            check.name, check.detail, check.fix
        );
    }
    false
}

// ---------------------------------------------------------------------------------------------
// build-ebpf, build, run, verify
// ---------------------------------------------------------------------------------------------

fn with_offline(args: &mut Vec<&str>, offline: bool) {
    if offline {
        args.push("--offline");
    }
}

/// The eBPF toolchain's cargo running `subcommand` (build or clippy) on the eBPF crate for the BPF
/// target, with the flags aya-build uses, so clippy checks exactly what is built.
fn ebpf_cargo(subcommand: &str, offline: bool) -> Command {
    let package = format!("{CRATE}-ebpf");
    let mut args = vec![
        subcommand,
        "--package",
        &package,
        "--release",
        "--target",
        bpf_target(),
        "-Z",
        "build-std=core",
    ];
    with_offline(&mut args, offline);
    let mut rustflags = vec![
        format!("--cfg=bpf_target_arch=\"{}\"", env::consts::ARCH),
        "-Cdebuginfo=2".to_owned(),
        "-Clink-arg=--btf".to_owned(),
    ];
    if BPF_CPU != "generic" {
        rustflags.push(format!("-Ctarget-cpu={BPF_CPU}"));
    }
    let mut command = ebpf_tool("cargo");
    command
        .args(&args)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\x1f"));
    command
}

fn build_ebpf(offline: bool) -> u8 {
    if !require(&["rustup", "toolchain", "rust-src", "bpf-linker"]) {
        return exit::MISSING;
    }
    let package = format!("{CRATE}-ebpf");
    eprintln!(
        "xtask: building {package} for {} (BPF cpu {BPF_CPU}) with toolchain {TOOLCHAIN}",
        bpf_target()
    );
    match status_of(
        &mut ebpf_cargo("build", offline),
        "the eBPF toolchain's cargo",
    ) {
        Some(0) => {
            let object = target_dir()
                .join(bpf_target())
                .join("release")
                .join(&package);
            eprintln!("xtask: eBPF object: {}", object.display());
            exit::OK
        }
        Some(_) => exit::BUILD,
        None => exit::FAILED,
    }
}

fn build_loader(offline: bool) -> u8 {
    let mut args = vec!["build", "--package", CRATE, "--release"];
    with_offline(&mut args, offline);
    eprintln!("xtask: building {CRATE} (the loader)");
    let target_dir = target_dir();
    let mut command = host_cargo();
    command
        .args(&args)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("EBPF_TARGET_DIR", &target_dir);
    match status_of(&mut command, "cargo") {
        Some(0) => {
            eprintln!("xtask: loader: {}", loader_path().display());
            exit::OK
        }
        Some(_) => exit::BUILD,
        None => exit::FAILED,
    }
}

fn build(offline: bool) -> u8 {
    if !require(&["stable"]) {
        return exit::MISSING;
    }
    match build_ebpf(offline) {
        exit::OK => build_loader(offline),
        code => code,
    }
}

/// The loader, through `sudo -E` unless this process is root.
fn loader_command<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> Command {
    if is_root() {
        let mut command = Command::new(loader_path());
        command.args(args);
        command
    } else {
        let mut command = Command::new("sudo");
        command.arg("-E").arg(loader_path()).args(args);
        command
    }
}

fn run(offline: bool, args: &[String]) -> u8 {
    match build(offline) {
        exit::OK => {}
        code => return code,
    }
    exec(loader_command(args))
}

/// Replaces xtask by `command`, so Ctrl-C reaches only the loader (which prints the final total)
/// and the loader's exit code is the command's.
#[cfg(unix)]
fn exec(mut command: Command) -> u8 {
    use std::os::unix::process::CommandExt as _;
    let err = command.exec();
    eprintln!("xtask: cannot run {}: {err}", loader_path().display());
    exit::FAILED
}

#[cfg(not(unix))]
fn exec(mut command: Command) -> u8 {
    match status_of(&mut command, "the loader") {
        Some(code) => u8::try_from(code).unwrap_or(exit::FAILED),
        None => exit::FAILED,
    }
}

/// Builds, then replaces xtask by the loader's `--bench` with `args` (`--calls`, `--runs`, `--json`).
fn bench(offline: bool, args: &[String]) -> u8 {
    match build(offline) {
        exit::OK => {}
        code => return code,
    }
    let mut loader = vec!["--bench".to_owned()];
    loader.extend_from_slice(args);
    exec(loader_command(loader))
}

fn clippy(offline: bool) -> u8 {
    // The loader's build script needs the eBPF object, so build it first.
    match build_ebpf(offline) {
        exit::OK => {}
        code => return code,
    }
    let target_dir = target_dir();
    let mut ebpf = ebpf_cargo("clippy", offline);
    ebpf.args(["--", "-D", "warnings"]);
    let mut loader = host_cargo();
    loader
        .args(["clippy", "--package", CRATE, "--package"])
        .arg(format!("{CRATE}-common"))
        .arg("--all-targets")
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("EBPF_TARGET_DIR", &target_dir);
    let mut xtask = host_cargo();
    xtask
        .args([
            "clippy",
            "--manifest-path",
            "xtask/Cargo.toml",
            "--all-targets",
        ])
        .args(["--target-dir", "xtask/target"])
        .current_dir(workspace_root())
        .env_remove("CARGO_TARGET_DIR");
    for command in [&mut loader, &mut xtask] {
        if offline {
            command.arg("--offline");
        }
        command.args(["--", "-D", "warnings"]);
    }
    for (command, what) in [
        (&mut ebpf, "the eBPF toolchain's cargo"),
        (&mut loader, "cargo"),
        (&mut xtask, "cargo"),
    ] {
        match status_of(command, what) {
            Some(0) => {}
            Some(_) => return exit::BUILD,
            None => return exit::FAILED,
        }
    }
    eprintln!("xtask: clippy found nothing to warn about");
    exit::OK
}

fn verify(offline: bool) -> u8 {
    let checks = checks();
    print_checks(&checks);
    if checks.iter().any(|check| !check.ok) {
        return exit::MISSING;
    }
    match build(offline) {
        exit::OK => {}
        code => return code,
    }
    if !is_root() {
        println!(
            "built; to let the running kernel's verifier judge the program, run:\n  sudo -E {} --check",
            loader_path().display()
        );
        return exit::OK;
    }
    match status_of(&mut loader_command(["--check"]), "the loader") {
        Some(code) => u8::try_from(code).unwrap_or(exit::FAILED),
        None => exit::FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rustc_versions() {
        assert_eq!(
            rustc_version("rustc 1.95.0 (59807616e 2026-04-14)"),
            Some((1, 95))
        );
        assert_eq!(
            rustc_version("rustc 1.97.0-nightly (e50aa6fba 2026-05-19)"),
            Some((1, 97))
        );
        assert_eq!(rustc_version("nonsense"), None);
    }

    #[test]
    fn escapes_json() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        let checks = [Check::missing(
            "bpf-linker",
            "not found on PATH",
            "cargo install bpf-linker",
        )];
        assert_eq!(
            checks_json(&checks),
            "{\"ok\":false,\"checks\":[{\"name\":\"bpf-linker\",\"ok\":false,\"detail\":\"not found on PATH\",\"fix\":\"cargo install bpf-linker\"}]}"
        );
    }

    #[test]
    fn parses_options() {
        let args: Vec<String> = ["--offline", "--", "--check"].map(String::from).to_vec();
        let options = parse_options("run", &args).unwrap();
        assert!(options.offline);
        assert_eq!(options.rest, ["--check"]);
        assert!(parse_options("build", &["--json".to_owned()]).is_err());
        let args: Vec<String> = ["--calls", "10", "--json"].map(String::from).to_vec();
        assert_eq!(parse_options("bench", &args).unwrap().rest, args);
        for bad in [&["--calls"][..], &["--runs", "0"], &["--calls", "x"]] {
            let bad: Vec<String> = bad.iter().map(|arg| (*arg).to_owned()).collect();
            assert!(parse_options("bench", &bad).is_err(), "{bad:?}");
        }
    }
}
