//! Loads the kprobe and attaches it to a kernel function, by symbol.

use std::fs;

use aya::{
    Ebpf,
    programs::{KProbe, ProgramError, kprobe::KProbeError},
};

use crate::{Failure, exit};

/// Where to attach when `--attach` is not given: a kernel symbol, or `auto` for execve's syscall
/// symbol on the running architecture.
// Written by create-aya-atomic; `rustfmt::skip` keeps the line as it is, whatever its length.
#[rustfmt::skip]
pub const DEFAULT_ATTACH: &str = "{{attach}}";

/// Where `--bench` attaches: the symbol of `getppid` (a cheap syscall the bench calls) on the
/// running architecture.
pub fn bench_target() -> Result<String, Failure> {
    syscall_symbol("getppid")
}

fn kprobe<'a>(ebpf: &'a mut Ebpf, name: &str) -> Result<&'a mut KProbe, Failure> {
    crate::program_mut(ebpf, name)?
        .try_into()
        .map_err(|err: ProgramError| {
            Failure::from_error(exit::ERROR, "the program is not a kprobe", &err)
        })
}

/// Loads the program `name` into the kernel: the verifier judges it here.
pub fn load(ebpf: &mut Ebpf, name: &str) -> Result<(), Failure> {
    kprobe(ebpf, name)?
        .load()
        .map_err(|err| crate::load_failure(err, name))
}

/// Attaches the program `name` to `target` (a kernel symbol, or `auto`) and says where it attached.
pub fn attach(ebpf: &mut Ebpf, name: &str, target: &str) -> Result<String, Failure> {
    let symbol = resolve(target)?;
    kprobe(ebpf, name)?
        .attach(&symbol, 0)
        .map_err(|err| attach_failure(err, &symbol))?;
    Ok(format!("kprobe on {symbol}"))
}

/// The symbols the syscall `name` has on the running architecture, most specific first
/// (aya does not add the architecture's prefix by itself).
fn syscall_symbols(name: &str) -> Vec<String> {
    let prefix = match std::env::consts::ARCH {
        "x86_64" => Some("__x64_sys_"),
        "x86" => Some("__ia32_sys_"),
        "aarch64" => Some("__arm64_sys_"),
        "riscv64" => Some("__riscv_sys_"),
        "s390x" => Some("__s390x_sys_"),
        _ => None,
    };
    prefix
        .into_iter()
        .chain(["sys_"])
        .map(|prefix| format!("{prefix}{name}"))
        .collect()
}

/// The symbol of the syscall `name` on the running architecture, looked up in /proc/kallsyms.
fn syscall_symbol(name: &str) -> Result<String, Failure> {
    let candidates = syscall_symbols(name);
    let kallsyms = fs::read_to_string("/proc/kallsyms").map_err(|err| {
        Failure::new(
            exit::ATTACH,
            format!("cannot read /proc/kallsyms to find {name}'s symbol ({err})"),
        )
    })?;
    candidates
        .iter()
        .find(|symbol| has_symbol(&kallsyms, symbol))
        .cloned()
        .ok_or_else(|| {
            Failure::new(
                exit::ATTACH,
                format!("none of {} is in /proc/kallsyms", candidates.join(", ")),
            )
        })
}

/// Whether `/proc/kallsyms` (its text) lists `symbol`.
fn has_symbol(kallsyms: &str, symbol: &str) -> bool {
    kallsyms
        .lines()
        .any(|line| line.split_whitespace().nth(2) == Some(symbol))
}

/// Longest kernel symbol name (`KSYM_NAME_LEN` is 512 since Linux 6.1, for Rust symbols).
const MAX_SYMBOL_LEN: usize = 511;

/// Checks that `target` is `auto` or a kernel symbol name, before anything is loaded.
pub fn check_target(target: &str) -> Result<(), Failure> {
    let valid = target.len() <= MAX_SYMBOL_LEN
        && target.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && target
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if valid {
        return Ok(());
    }
    Err(Failure::new(
        exit::USAGE,
        format!(
            "`{target}` is not `auto` nor a kernel symbol name (a letter or `_`, then letters, \
             digits, `_`, `.`; at most {MAX_SYMBOL_LEN} characters)"
        ),
    ))
}

/// `auto` → execve's symbol for this architecture; a name → itself, if the kernel has it.
fn resolve(target: &str) -> Result<String, Failure> {
    check_target(target)?;
    if target == "auto" {
        return syscall_symbol("execve").map_err(|failure| {
            Failure::new(
                failure.code,
                format!("{}; pass --attach <symbol>", failure.message),
            )
        });
    }
    match fs::read_to_string("/proc/kallsyms") {
        Ok(kallsyms) if !has_symbol(&kallsyms, target) => Err(Failure::new(
            exit::ATTACH,
            format!(
                "kernel symbol `{target}` is not in /proc/kallsyms: not in this kernel, renamed, or inlined \
                 (grep the file for a similar name and pass it with --attach)"
            ),
        )),
        // Unreadable kallsyms: let the attach judge the name.
        _ => Ok(target.to_owned()),
    }
}

/// A clear message for a failed attach; a kernel without kprobe support is the common case.
fn attach_failure(err: ProgramError, symbol: &str) -> Failure {
    if let ProgramError::KProbeError(KProbeError::FileError { filename, io_error }) = &err {
        if filename.starts_with("/sys/bus/event_source/devices/kprobe")
            && io_error.kind() == std::io::ErrorKind::NotFound
        {
            return Failure::new(
                exit::ATTACH,
                format!(
                    "cannot attach to {symbol}: this kernel has no kprobe support \
                     ({} does not exist; the kernel was built without CONFIG_KPROBES).\n\
                     The program itself is fine (`--check` loads it). A tracepoint works on such \
                     kernels: generate the project with `--program tracepoint` \
                     (npm create aya-atomic@latest <dir> -- --program tracepoint).",
                    filename.display()
                ),
            );
        }
    }
    Failure::from_error(exit::ATTACH, &format!("cannot attach to {symbol}"), &err)
}
