//! Loads the tracepoint program and attaches it to a kernel tracepoint (`category/name`).

use std::{fs, io, path::Path};

use anyhow::{Context as _, anyhow};
use aya::{Ebpf, programs::TracePoint};

use crate::ATTACH;

/// Where to attach without `--attach`: `category/name` under tracefs's `events/`.
#[rustfmt::skip]
pub const DEFAULT_ATTACH: &str = "syscalls/sys_enter_execve";

/// Loads the program `name`: the kernel's verifier judges it here.
pub fn load(ebpf: &mut Ebpf, name: &str) -> anyhow::Result<()> {
    let loaded = tracepoint(ebpf, name)?.load();
    loaded.map_err(|err| crate::load_error(err, name))
}

/// Attaches the program `name` to `target` and says where it attached.
pub fn attach(ebpf: &mut Ebpf, name: &str, target: &str) -> anyhow::Result<String> {
    let events = tracefs()?.join("events");
    let Some((category, event)) = target.split_once('/') else {
        return Err(anyhow!("{target}: not a tracepoint (category/name)").context(ATTACH));
    };
    if !events.join(target).is_dir() {
        let list = format!("ls {}", events.join(category).display());
        return Err(anyhow!("tracepoint {target} not found ({list})").context(ATTACH));
    }
    let what = format!("tracepoint {target}");
    let attached = tracepoint(ebpf, name)?.attach(category, event);
    attached.context(what.clone()).context(ATTACH)?;
    Ok(what)
}

/// Where `--bench` attaches: the tracepoint of getppid, a cheap syscall.
pub fn bench_target() -> anyhow::Result<String> {
    Ok("syscalls/sys_enter_getppid".to_owned())
}

fn tracepoint<'a>(ebpf: &'a mut Ebpf, name: &str) -> anyhow::Result<&'a mut TracePoint> {
    let program = ebpf.program_mut(name).context("no such program")?;
    Ok(program.try_into()?)
}

/// Where tracefs is mounted, looked for as aya does. This program changes no system state: when
/// tracefs is not mounted, it says how to mount it.
fn tracefs() -> anyhow::Result<&'static Path> {
    for dir in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        match fs::read_dir(dir).map(|mut entries| entries.next().is_some()) {
            Ok(true) => return Ok(Path::new(dir)),
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
                return Err(err).context(format!("cannot read tracefs at {dir}"));
            }
            _ => {}
        }
    }
    let mount = "sudo mount -t tracefs tracefs /sys/kernel/tracing";
    Err(anyhow!("tracefs is not mounted; mount it with: {mount}").context(ATTACH))
}
