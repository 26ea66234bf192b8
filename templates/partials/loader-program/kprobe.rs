//! Loads the kprobe and attaches it to kernel functions by symbol. `@attach@` is execve's system call
//! entries, as /proc/kallsyms lists them: the native one, and where the kernel runs 32-bit
//! programs, the compat one they enter by (aya deprecated its single-prefix `syscall_prefix` for
//! missing those). `execveat` is a system call of its own, counted by neither.

use std::{fs, io};

use anyhow::{Context as _, anyhow};
use aya::{
    Ebpf,
    programs::{
        KProbe, ProgramError,
        kprobe::{KProbeError, KProbeLink},
    },
};

use crate::{exit::Failure, privileges::Capability};

/// Where to attach without `--attach`: a kernel symbol, or `auto` for execve's syscall entries.
pub const DEFAULT_ATTACH: &str = "@attach@";

/// A link of the program to a kernel function: attached while it lives.
pub type Link = KProbeLink;

/// What a kprobe needs besides loading and perf events (`privileges.rs`): nothing.
pub const CAPABILITIES: &[(Capability, &str)] = &[];

/// Where the program is attached: its links, and a description.
pub struct Attached {
    pub target: String,
    /// The program stays attached while these live (or are pinned: `pin.rs`).
    pub links: Vec<Link>,
}

/// Loads the program `name`: the kernel's verifier judges it here.
pub fn load(ebpf: &mut Ebpf, name: &str) -> anyhow::Result<()> {
    let loaded = kprobe(ebpf, name)?.load();
    loaded.map_err(|err| crate::exit::load_error(err, name))
}

/// Attaches the program `name` to `target` (`auto` or a kernel symbol).
pub fn attach(ebpf: &mut Ebpf, name: &str, target: &str) -> anyhow::Result<Attached> {
    let symbols = match target {
        "auto" => syscall_entries("execve")?,
        symbol => vec![symbol.to_owned()],
    };
    let kprobe = kprobe(ebpf, name)?;
    let mut links = Vec::new();
    for symbol in &symbols {
        match kprobe.attach(symbol, 0) {
            Ok(id) => links.push(kprobe.take_link(id)?),
            // aya reads the kprobe PMU's type from sysfs first: absent without kprobe support.
            Err(ProgramError::KProbeError(KProbeError::FileError { io_error, .. }))
                if io_error.kind() == io::ErrorKind::NotFound =>
            {
                return Err(anyhow!(NO_KPROBES).context(Failure::Attach));
            }
            Err(err) => {
                let err = anyhow!(err).context(format!("kprobe on {symbol}"));
                return Err(err.context(Failure::Attach));
            }
        }
    }
    let target = format!("kprobe on {}", symbols.join(", "));
    Ok(Attached { target, links })
}

const NO_KPROBES: &str = "this kernel has no kprobe support (CONFIG_KPROBES); --check loads the \
    program. For a tracepoint: npm create aya-atomic@latest -- --update --program tracepoint";

/// Where `--bench` attaches: getppid's native entry.
#[cfg(feature = "bench")]
pub fn bench_target() -> anyhow::Result<String> {
    let kallsyms = kallsyms()?;
    let entries = entries_in(&kallsyms, "getppid", std::env::consts::ARCH);
    entries
        .into_iter()
        .next()
        .context("no getppid in /proc/kallsyms")
}

fn kprobe<'a>(ebpf: &'a mut Ebpf, name: &str) -> anyhow::Result<&'a mut KProbe> {
    let program = ebpf.program_mut(name).context("no such program")?;
    Ok(program.try_into()?)
}

fn kallsyms() -> anyhow::Result<String> {
    fs::read_to_string("/proc/kallsyms").context("cannot read /proc/kallsyms")
}

/// A system call's entries in this kernel (aya does not add the architecture's prefix).
fn syscall_entries(syscall: &str) -> anyhow::Result<Vec<String>> {
    let entries = entries_in(&kallsyms()?, syscall, std::env::consts::ARCH);
    if entries.is_empty() {
        let missing = anyhow!("no entry for {syscall} in /proc/kallsyms; pass --attach <symbol>");
        return Err(missing.context(Failure::Attach));
    }
    Ok(entries)
}

/// The entries of `syscall` that `kallsyms` lists on `arch`: the native one first, then its
/// compat wrappers, by which 32-bit programs enter a system call whose arguments they pass
/// differently (execve's). Since 4.17 (x86-64) and 4.19 (arm64) the names carry the
/// architecture's prefix; older kernels name them `sys_…` and `compat_sys_…`.
fn entries_in(kallsyms: &str, syscall: &str, arch: &str) -> Vec<String> {
    let (native, compat): (&str, &[&str]) = match arch {
        "x86_64" => ("__x64_sys_", &["__ia32_compat_sys_", "__x32_compat_sys_"]),
        "aarch64" => ("__arm64_sys_", &["__arm64_compat_sys_"]),
        "riscv64" => ("__riscv_sys_", &["__riscv_compat_sys_"]),
        "s390x" => ("__s390x_sys_", &["__s390_compat_sys_"]),
        _ => ("sys_", &[]),
    };
    let listed = |symbol: &String| {
        kallsyms
            .lines()
            .any(|line| line.split_whitespace().nth(2) == Some(symbol.as_str()))
    };
    let prefixed = std::iter::once(&native).chain(compat);
    let mut entries: Vec<String> = prefixed
        .map(|p| format!("{p}{syscall}"))
        .filter(listed)
        .collect();
    if entries.is_empty() {
        let old = ["sys_", "compat_sys_"].map(|p| format!("{p}{syscall}"));
        entries = old.into_iter().filter(listed).collect();
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::entries_in;

    // /proc/kallsyms of x86-64 6.18 (which also lists `__ia32_sys_execve`, an entry no 32-bit
    // call takes: the 32-bit table has the compat one), and lines as other kernels list them.
    const X86_64_6_18: &str = "ffffffff81382f90 T __x64_sys_getppid\n\
        ffffffff816ea270 T __x64_sys_execve\n\
        ffffffff816ea2d0 T __ia32_sys_execve\n\
        ffffffff816ea330 T __x64_sys_execveat\n\
        ffffffff816ea410 T __ia32_compat_sys_execve\n\
        ffffffff816ea470 T __ia32_compat_sys_execveat\n\
        ffffffffc0a01000 t __x64_sys_execve_hook\t[some_module]\n";
    const X86_64_NO_IA32: &str = "ffffffff816ea270 T __x64_sys_execve\n";
    const ARM64: &str = "ffff800008321e40 T __arm64_sys_execve\n\
        ffff800008321ea0 T __arm64_compat_sys_execve\n";
    const X86_64_4_9: &str =
        "ffffffff81211f60 T sys_execve\nffffffff81212100 T compat_sys_execve\n";

    #[test]
    fn counts_the_native_and_the_compat_entries() {
        let x86 = ["__x64_sys_execve", "__ia32_compat_sys_execve"];
        assert_eq!(entries_in(X86_64_6_18, "execve", "x86_64"), x86);
        let arm = ["__arm64_sys_execve", "__arm64_compat_sys_execve"];
        assert_eq!(entries_in(ARM64, "execve", "aarch64"), arm);
    }

    #[test]
    fn counts_what_the_kernel_has() {
        // A kernel built without 32-bit support has the native entry only.
        assert_eq!(
            entries_in(X86_64_NO_IA32, "execve", "x86_64"),
            ["__x64_sys_execve"]
        );
        // Before the prefixes (x86-64 4.17, arm64 4.19).
        let old = ["sys_execve", "compat_sys_execve"];
        assert_eq!(entries_in(X86_64_4_9, "execve", "x86_64"), old);
        // `execveat` is a system call of its own; a symbol that merely starts alike is no entry.
        let execveat = ["__x64_sys_execveat", "__ia32_compat_sys_execveat"];
        assert_eq!(entries_in(X86_64_6_18, "execveat", "x86_64"), execveat);
        assert_eq!(
            entries_in(X86_64_6_18, "getppid", "x86_64"),
            ["__x64_sys_getppid"]
        );
        assert!(entries_in(ARM64, "getppid", "aarch64").is_empty());
    }
}
