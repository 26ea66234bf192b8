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

fn kprobe(ebpf: &mut Ebpf) -> Result<&mut KProbe, Failure> {
    crate::program_mut(ebpf)?
        .try_into()
        .map_err(|err: ProgramError| {
            Failure::from_error(exit::ERROR, "the program is not a kprobe", &err)
        })
}

/// Loads the program into the kernel: the verifier judges it here.
pub fn load(ebpf: &mut Ebpf) -> Result<(), Failure> {
    kprobe(ebpf)?.load().map_err(crate::load_failure)
}

/// Attaches to `target` (a kernel symbol, or `auto`) and says where it attached.
pub fn attach(ebpf: &mut Ebpf, target: &str) -> Result<String, Failure> {
    let symbol = resolve(target)?;
    kprobe(ebpf)?
        .attach(&symbol, 0)
        .map_err(|err| attach_failure(err, &symbol))?;
    Ok(format!("kprobe on {symbol}"))
}

/// The symbols execve's syscall has on the running architecture, most specific first
/// (aya does not add the architecture's prefix by itself).
fn execve_symbols() -> Vec<&'static str> {
    let prefixed = match std::env::consts::ARCH {
        "x86_64" => Some("__x64_sys_execve"),
        "x86" => Some("__ia32_sys_execve"),
        "aarch64" => Some("__arm64_sys_execve"),
        "riscv64" => Some("__riscv_sys_execve"),
        "s390x" => Some("__s390x_sys_execve"),
        _ => None,
    };
    prefixed.into_iter().chain(["sys_execve"]).collect()
}

/// Whether `/proc/kallsyms` (its text) lists `symbol`.
fn has_symbol(kallsyms: &str, symbol: &str) -> bool {
    kallsyms
        .lines()
        .any(|line| line.split_whitespace().nth(2) == Some(symbol))
}

/// `auto` → execve's symbol for this architecture; a name → itself, if the kernel has it.
fn resolve(target: &str) -> Result<String, Failure> {
    let valid = target
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && target.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !valid {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "`{target}` is not a kernel symbol name (letters, digits, `_`, `.`) nor `auto`"
            ),
        ));
    }
    let kallsyms = fs::read_to_string("/proc/kallsyms");
    if target == "auto" {
        let candidates = execve_symbols();
        let kallsyms = kallsyms.map_err(|err| {
            Failure::new(
                exit::ATTACH,
                format!(
                    "cannot read /proc/kallsyms to resolve `auto` ({err}); pass --attach <symbol>"
                ),
            )
        })?;
        return candidates
            .iter()
            .find(|symbol| has_symbol(&kallsyms, symbol))
            .map(|symbol| (*symbol).to_owned())
            .ok_or_else(|| {
                Failure::new(
                    exit::ATTACH,
                    format!(
                        "none of {} is in /proc/kallsyms; pass --attach <symbol>",
                        candidates.join(", ")
                    ),
                )
            });
    }
    match kallsyms {
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
