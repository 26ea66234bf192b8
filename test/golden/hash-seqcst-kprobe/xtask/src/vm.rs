//! `cargo xtask vm`: the probe's `--check` and `--selftest` on other kernels, x86-64 or arm64,
//! each booted in QEMU from an initramfs written here (busybox, the loader and an `/init`).
//! image.rs reads a kernel's header, initramfs.rs writes what the VM runs, qemu.rs boots it and
//! judge.rs turns what it printed into the table's row.

mod image;
mod initramfs;
mod judge;
mod qemu;
mod service;

use std::{
    collections::BTreeMap,
    env,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use crate::arch::{Arch, Missing};
use crate::{cross::Cross, exit};
use image::Kernel;
use judge::{Expected, Jit, Verdict};
use qemu::{Accel, AccelChoice, Qemu};

pub use initramfs::busybox;

const HELP: &str = "\
Usage: cargo xtask vm --kernel <image>... [--selftest <n>] [--timeout <s>]
                      [--accel auto|kvm|tcg] [--arch x86_64|aarch64] [--append <args>]
                      [--service]

Builds the loader, boots each kernel image in QEMU with 2 vCPUs and runs the loader's --check,
--selftest <n> (1000) and its watch mode there, each boot within --timeout seconds (300).
Images: an x86_64 bzImage or an arm64 Image (/boot/vmlinuz-*, or the one in a distribution's
kernel package), recognised by their header; --arch names the architecture of every image
instead. A kernel of another architecture than this machine's gets a static loader built for
it (see `cargo xtask build --target`) and is emulated; one of this machine's uses KVM when a
probe boot works (--accel). --append adds to the kernels' command line, e.g.
sysctl.net.core.bpf_jit_enable=0 to run the program in the kernel's interpreter.
--service adds the loader as a service, in a second table: `pin`, whether a count pinned by one
start goes on at the next with the events while no loader ran (continued; count-kept where the
kernel has no BPF links for it, before 5.15), and `least`, the selftest as uid 65534 holding
only the capabilities the README's \"Least privilege\" gives for the kernel, and refused holding
none (util-linux's setpriv, for kernels of this machine's architecture).

One row per kernel: its architecture, the verdict (counted, rejected, failed, vm-crashed,
timed-out), the expected and observed count (exactly n: nothing else runs execve in the VM),
whether the kernel compiled the program to machine code (jit), and where it attached, or the
verifier's reason and whether the BPF cpu explains it (v3 needs kernel >= 5.12). Emulated
timings mean nothing; counts and verdicts do. `cargo xtask doctor` lists what each architecture
needs (QEMU, a static busybox, and for a cross build a C linker and Rust's standard library).
Exit codes: 0 every kernel counted exactly n, 2 usage, 10 a prerequisite missing, 11 build
failed, 12 a kernel rejected the program or counted wrong, 13 (unless 12) a VM crashed or hung.
";

/// The command line.
struct Options {
    kernels: Vec<PathBuf>,
    runs: u64,
    timeout: Duration,
    accel: AccelChoice,
    arch: Option<Arch>,
    append: String,
    service: bool,
}

/// One row of the table.
struct Row {
    kernel: String,
    arch: Arch,
    verdict: Verdict,
    observed: Option<u64>,
    jit: Option<Jit>,
    detail: String,
    /// With `--service`, once the selftest counted.
    service: Option<service::Service>,
}

pub fn run(args: &[String]) -> u8 {
    let options = match Options::parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => return exit::OK,
        Err(msg) => return fail(exit::USAGE, &format!("{msg}\n\n{HELP}")),
    };
    let kernels: Result<Vec<Kernel>, String> = options
        .kernels
        .iter()
        .map(|path| Kernel::open(path, options.arch))
        .collect();
    let kernels = match kernels {
        Ok(kernels) => kernels,
        Err(msg) => return fail(exit::USAGE, &msg),
    };
    let archs: Vec<Arch> = Arch::ALL
        .into_iter()
        .filter(|arch| kernels.iter().any(|k| k.arch == *arch))
        .collect();
    let tools = match preflight(env::consts::ARCH, &archs, find_tools) {
        Ok(tools) => tools,
        Err(Preflight::Host(msg)) => return fail(exit::ERROR, &msg),
        Err(Preflight::Missing(missing)) => {
            for Missing { what, fix } in &missing {
                eprintln!("xtask vm: {what}\n  fix: {fix}");
            }
            return exit::MISSING;
        }
    };
    let mut steps = initramfs::steps(options.runs);
    if options.service {
        steps.extend(service::steps());
    }
    let mut vms = BTreeMap::new();
    for (arch, tools) in tools {
        let first = kernels.iter().find(|k| k.arch == arch);
        let first = &first.expect("a kernel of this arch").path;
        match prepare(arch, tools, &options, &steps, first) {
            Ok(qemu) => vms.insert(arch, qemu),
            Err(code) => return code,
        };
    }
    let expected = |arch| Expected {
        runs: options.runs,
        arch,
        cpu_v3: crate::bpf_cpu() == "v3",
    };
    let mut rows = Vec::new();
    for kernel in &kernels {
        let started = Instant::now();
        let boot = vms[&kernel.arch].boot(&kernel.path, "", options.timeout);
        let judged = judge::judge(&boot.console, boot.timed_out, &expected(kernel.arch));
        let name = judged.release.unwrap_or_else(|| kernel.name());
        let took = started.elapsed().as_secs();
        eprintln!(
            "vm: {}: {} ({took} s)",
            kernel.path.display(),
            judged.verdict
        );
        if !judged.log.is_empty() {
            eprintln!("--- {name}\n{}\n---", judged.log);
        }
        let counted = judged.verdict == Verdict::Counted;
        let service = (options.service && counted).then(|| service::judge(&boot.console));
        rows.push(Row {
            kernel: name,
            arch: kernel.arch,
            verdict: judged.verdict,
            observed: judged.observed,
            jit: judged.jit,
            detail: judged.detail,
            service,
        });
    }
    print_table(&rows, options.runs);
    if options.service {
        print_service_table(&rows);
    }
    let service_failed = rows
        .iter()
        .flat_map(|row| &row.service)
        .any(service::Service::failed);
    if service_failed || rows.iter().any(|row| row.verdict.blames_the_program()) {
        exit::VM_PROBE
    } else if rows.iter().any(|row| row.verdict != Verdict::Counted) {
        exit::VM_BOOT
    } else {
        exit::OK
    }
}

fn print_table(rows: &[Row], runs: u64) {
    println!(
        "{:<30} {:<8} {:<10} {:>8} {:>8} {:<3}  detail",
        "kernel", "arch", "verdict", "expected", "observed", "jit"
    );
    for row in rows {
        let observed = row.observed.map_or("-".into(), |n| n.to_string());
        let jit = row.jit.map_or("-".into(), |jit| jit.to_string());
        println!(
            "{:<30} {:<8} {:<10} {runs:>8} {observed:>8} {jit:<3}  {}",
            row.kernel,
            row.arch.name(),
            row.verdict.to_string(),
            row.detail
        );
    }
}

/// QEMU for the kernels of `arch`, with an initramfs of a loader built for it and `steps`; the
/// accelerator chosen with a probe boot of `first`.
fn prepare(
    arch: Arch,
    tools: Tools,
    options: &Options,
    steps: &[initramfs::Step],
    first: &Path,
) -> Result<Qemu, u8> {
    let loader = if Arch::host() == Some(arch) {
        crate::build_loader(&[])?
    } else {
        cross_build(arch)?
    };
    let initrd = loader.with_file_name(format!("vm-initramfs-{arch}.cpio"));
    let extra = if options.service {
        service::programs(arch).map_err(|Missing { what, fix }| {
            eprintln!("xtask vm: {what}\n  fix: {fix}");
            exit::MISSING
        })?
    } else {
        Vec::new()
    };
    if let Err(err) = initramfs::write(&initrd, &loader, &tools.busybox, steps, &extra) {
        return Err(fail(
            exit::ERROR,
            &format!("cannot write the initramfs: {err}"),
        ));
    }
    let mut qemu = Qemu {
        binary: tools.qemu,
        arch,
        initrd,
        accel: Accel::Tcg,
        append: options.append.clone(),
    };
    let how = qemu.choose_accel(options.accel, first);
    eprintln!("vm: {how}");
    Ok(qemu)
}

/// `--service`'s table: one row per kernel whose selftest counted.
fn print_service_table(rows: &[Row]) {
    println!();
    println!("{:<30} {:<8} {:<10} least", "kernel", "arch", "pin");
    for row in rows {
        if let Some(service) = &row.service {
            let pin = service.pin.to_string();
            let arch = row.arch.name();
            println!("{:<30} {arch:<8} {pin:<10} {}", row.kernel, service.least);
        }
    }
}

fn fail(code: u8, msg: &str) -> u8 {
    eprintln!("xtask vm: {msg}");
    code
}

/// A static loader for a kernel of another architecture than this machine's.
fn cross_build(arch: Arch) -> Result<PathBuf, u8> {
    match Cross::find(arch) {
        Ok(cross) => cross.build(),
        Err(Missing { what, fix }) => {
            eprintln!("xtask vm: cannot build the loader for {arch}: {what}\n  fix: {fix}");
            Err(exit::MISSING)
        }
    }
}

/// What boots the kernels of one architecture.
#[derive(Debug, PartialEq, Eq)]
struct Tools {
    qemu: PathBuf,
    busybox: PathBuf,
}

/// Why a run stops before it builds anything.
#[derive(Debug)]
enum Preflight {
    /// This machine is not one `vm` knows how to use.
    Host(String),
    /// QEMU or busybox missing, each with the command that installs it.
    Missing(Vec<Missing>),
}

/// The tools for each architecture the kernels need, found by `find`; first of all, whether
/// this machine (`host`, as `std::env::consts::ARCH` names it) is one `vm` runs on.
fn preflight(
    host: &str,
    archs: &[Arch],
    find: impl Fn(Arch) -> Result<Tools, Vec<Missing>>,
) -> Result<BTreeMap<Arch, Tools>, Preflight> {
    if host.parse::<Arch>().is_err() {
        let hosts: Vec<&str> = Arch::ALL.iter().map(|arch| arch.name()).collect();
        let hosts = hosts.join(" and ");
        return Err(Preflight::Host(format!(
            "runs on {hosts} machines, not on {host}"
        )));
    }
    let mut tools = BTreeMap::new();
    let mut missing = Vec::new();
    for arch in archs {
        match find(*arch) {
            Ok(found) => {
                tools.insert(*arch, found);
            }
            Err(more) => missing.extend(more),
        }
    }
    if missing.is_empty() {
        Ok(tools)
    } else {
        Err(Preflight::Missing(missing))
    }
}

/// QEMU and a static busybox for `arch`, on PATH.
fn find_tools(arch: Arch) -> Result<Tools, Vec<Missing>> {
    let qemu = on_path(arch.qemu()).ok_or_else(|| Missing {
        what: format!("{} is not on PATH", arch.qemu()),
        fix: format!("sudo apt-get install {}", arch.qemu_package()),
    });
    match (qemu, busybox(arch)) {
        (Ok(qemu), Ok(busybox)) => Ok(Tools { qemu, busybox }),
        (qemu, busybox) => Err([qemu.err(), busybox.err()].into_iter().flatten().collect()),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    let mut paths = env::split_paths(&path).map(|dir| dir.join(name));
    paths.find(|path| path.is_file())
}

impl Options {
    fn parse(args: &[String]) -> Result<Option<Self>, String> {
        let mut options = Self {
            kernels: Vec::new(),
            runs: 1000,
            timeout: Duration::from_secs(300),
            accel: AccelChoice::Auto,
            arch: None,
            append: String::new(),
            service: false,
        };
        let mut args = args.iter().map(String::as_str);
        while let Some(arg) = args.next() {
            if matches!(arg, "-h" | "--help") {
                print!("{HELP}");
                return Ok(None);
            }
            if arg == "--service" {
                options.service = true;
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag, Some(value)),
                None => (arg, None),
            };
            let known = [
                "--kernel",
                "--selftest",
                "--timeout",
                "--accel",
                "--arch",
                "--append",
            ];
            if !known.contains(&flag) {
                return Err(format!("unknown argument: {arg}"));
            }
            let value = inline.or_else(|| args.next()).unwrap_or_default();
            let invalid = |valid: &str| format!("invalid value for {flag}: `{value}` ({valid})");
            let positive = || value.parse().ok().filter(|n| *n > 0);
            match flag {
                "--kernel" if Path::new(value).is_file() => options.kernels.push(value.into()),
                "--kernel" => return Err(format!("no kernel image at `{value}`")),
                "--selftest" => options.runs = positive().ok_or(invalid("a number > 0"))?,
                "--timeout" => {
                    let seconds = positive().ok_or(invalid("seconds > 0"))?;
                    options.timeout = Duration::from_secs(seconds);
                }
                "--accel" => {
                    options.accel = match value {
                        "auto" => AccelChoice::Auto,
                        "kvm" => AccelChoice::Kvm,
                        "tcg" => AccelChoice::Tcg,
                        _ => return Err(invalid("auto, kvm or tcg")),
                    };
                }
                "--arch" => options.arch = Some(value.parse()?),
                _ => value.clone_into(&mut options.append),
            }
        }
        if options.kernels.is_empty() {
            return Err("give at least one --kernel <image>".into());
        }
        Ok(Some(options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(arch: Arch) -> Result<Tools, Vec<Missing>> {
        Err(vec![Missing {
            what: format!("{} is not on PATH", arch.qemu()),
            fix: format!("sudo apt-get install {}", arch.qemu_package()),
        }])
    }

    #[test]
    fn the_host_is_checked_before_any_tool() {
        let refused = preflight("riscv64", &[Arch::X86_64], none);
        let Err(Preflight::Host(msg)) = refused else {
            panic!("expected the host refused first, got {refused:?}");
        };
        assert_eq!(msg, "runs on x86_64 and aarch64 machines, not on riscv64");
    }

    #[test]
    fn every_missing_tool_of_every_architecture_is_named() {
        let refused = preflight("x86_64", &[Arch::X86_64, Arch::Aarch64], none);
        let Err(Preflight::Missing(missing)) = refused else {
            panic!("expected missing tools, got {refused:?}");
        };
        let fixes: Vec<&str> = missing.iter().map(|m| m.fix.as_str()).collect();
        assert_eq!(
            fixes,
            [
                "sudo apt-get install qemu-system-x86",
                "sudo apt-get install qemu-system-arm"
            ]
        );
    }

    #[test]
    fn an_arm64_host_boots_x86_64_kernels_too() {
        let found = |arch: Arch| {
            Ok(Tools {
                qemu: arch.qemu().into(),
                busybox: format!("busybox-{arch}").into(),
            })
        };
        let tools = preflight("aarch64", &[Arch::X86_64], found).unwrap();
        assert_eq!(
            tools[&Arch::X86_64].qemu,
            PathBuf::from("qemu-system-x86_64")
        );
    }

    #[test]
    fn options() {
        let args = |line: &str| line.split(' ').map(String::from).collect::<Vec<_>>();
        let kernel = env::current_exe().unwrap();
        let kernel = kernel.display();
        let parsed = Options::parse(&args(&format!(
            "--kernel {kernel} --arch=arm64 --selftest 20 --append sysctl.net.core.bpf_jit_enable=0"
        )))
        .unwrap()
        .unwrap();
        assert_eq!(parsed.arch, Some(Arch::Aarch64));
        assert_eq!(parsed.runs, 20);
        assert_eq!(parsed.append, "sysctl.net.core.bpf_jit_enable=0");
        let bad = |line: &str| Options::parse(&args(line)).err().unwrap();
        assert_eq!(
            bad(&format!("--kernel {kernel} --selftest 0")),
            "invalid value for --selftest: `0` (a number > 0)"
        );
        assert!(bad(&format!("--kernel {kernel} --arch riscv64")).contains("unknown architecture"));
        assert_eq!(bad("--selftest 5"), "give at least one --kernel <image>");
        assert_eq!(
            bad("--kernel /no/such/image"),
            "no kernel image at `/no/such/image`"
        );
    }
}
