//! Loads the kprobe and attaches it to a kernel function, by symbol.

use std::fs;

use anyhow::{Context as _, anyhow};
use aya::{Ebpf, programs::KProbe};

use crate::ATTACH;

/// Where to attach without `--attach`: a kernel symbol, or `auto` for execve's syscall symbol.
#[rustfmt::skip]
pub const DEFAULT_ATTACH: &str = "auto";

/// Loads the program `name`: the kernel's verifier judges it here.
pub fn load(ebpf: &mut Ebpf, name: &str) -> anyhow::Result<()> {
    let loaded = kprobe(ebpf, name)?.load();
    loaded.map_err(|err| crate::load_error(err, name))
}

/// Attaches the program `name` to `target` (`auto` or a kernel symbol) and says where.
pub fn attach(ebpf: &mut Ebpf, name: &str, target: &str) -> anyhow::Result<String> {
    let symbol = match target {
        "auto" => syscall_symbol("execve")?,
        symbol => symbol.to_owned(),
    };
    match kprobe(ebpf, name)?.attach(&symbol, 0) {
        Ok(_) => Ok(format!("kprobe on {symbol}")),
        // aya reads /sys/bus/event_source/devices/kprobe/type first: absent without kprobes.
        Err(err) if err.to_string().contains("kprobe/type") => Err(anyhow!(NO_KPROBES)),
        Err(err) => Err(anyhow!(err).context(format!("kprobe on {symbol}"))),
    }
    .context(ATTACH)
}

const NO_KPROBES: &str = "this kernel has no kprobe support (CONFIG_KPROBES); --check loads the \
    program. For a tracepoint: npm create aya-atomic@latest -- --update --program tracepoint";

/// Where `--bench` attaches: getppid's syscall symbol.
pub fn bench_target() -> anyhow::Result<String> {
    syscall_symbol("getppid")
}

fn kprobe<'a>(ebpf: &'a mut Ebpf, name: &str) -> anyhow::Result<&'a mut KProbe> {
    let program = ebpf.program_mut(name).context("no such program")?;
    Ok(program.try_into()?)
}

/// A syscall's kernel symbol (aya does not add the architecture's prefix), from /proc/kallsyms.
fn syscall_symbol(syscall: &str) -> anyhow::Result<String> {
    let prefix = match std::env::consts::ARCH {
        "x86_64" => "__x64_sys_",
        "aarch64" => "__arm64_sys_",
        "riscv64" => "__riscv_sys_",
        "s390x" => "__s390x_sys_",
        _ => "sys_",
    };
    let kallsyms = fs::read_to_string("/proc/kallsyms").context("cannot read /proc/kallsyms")?;
    let listed = |symbol: &String| kallsyms.contains(&format!(" {symbol}\n"));
    let symbols = [format!("{prefix}{syscall}"), format!("sys_{syscall}")];
    let found = symbols.into_iter().find(listed);
    let missing = || format!("no symbol for {syscall} in /proc/kallsyms; pass --attach <symbol>");
    found.with_context(missing).context(ATTACH)
}
