//! Loads the tracepoint program and attaches it to a kernel tracepoint (`category/name`). The
//! kernel's system call tracepoints (`syscalls/sys_enter_*`) see 64-bit (native) calls only: a
//! 32-bit program's execve does not fire `sys_enter_execve`. The kprobe on `auto` counts those.

use std::{fs, io, path::Path};

use anyhow::{Context as _, anyhow};
use aya::{
    Ebpf,
    programs::{TracePoint, trace_point::TracePointLink},
};

use crate::{exit::Failure, privileges::Capability};

/// Where to attach without `--attach`: `category/name` under tracefs's `events/`.
pub const DEFAULT_ATTACH: &str = "@attach@";

/// A link of the program to a tracepoint: attached while it lives.
pub type Link = TracePointLink;

/// What a tracepoint needs besides loading and perf events (`privileges.rs`).
pub const CAPABILITIES: &[(Capability, &str)] = &[(
    Capability::DacReadSearch,
    "reading tracefs, where the tracepoint is looked up: mode 0700 (root only) where mounted",
)];

/// Where the program is attached: its link, and a description.
pub struct Attached {
    pub target: String,
    /// The program stays attached while these live (or are pinned: `pin.rs`).
    pub links: Vec<Link>,
}

/// Loads the program `name`: the kernel's verifier judges it here.
pub fn load(ebpf: &mut Ebpf, name: &str) -> anyhow::Result<()> {
    let loaded = tracepoint(ebpf, name)?.load();
    loaded.map_err(|err| crate::exit::load_error(err, name))
}

/// Attaches the program `name` to `target` (`category/name`).
pub fn attach(ebpf: &mut Ebpf, name: &str, target: &str) -> anyhow::Result<Attached> {
    let events = tracefs()?.join("events");
    let Some((category, event)) = target.split_once('/') else {
        let invalid = anyhow!("{target}: not a tracepoint (category/name)");
        return Err(invalid.context(Failure::Attach));
    };
    if !events.join(target).is_dir() {
        let list = format!("ls {}", events.join(category).display());
        let missing = anyhow!("tracepoint {target} not found ({list})");
        return Err(missing.context(Failure::Attach));
    }
    let target = format!("tracepoint {target}");
    let tracepoint = tracepoint(ebpf, name)?;
    let id = tracepoint
        .attach(category, event)
        .with_context(|| target.clone())
        .context(Failure::Attach)?;
    let links = vec![tracepoint.take_link(id)?];
    Ok(Attached { target, links })
}

/// Where `--bench` attaches: the tracepoint of getppid, a cheap system call.
#[cfg(feature = "bench")]
#[expect(clippy::unnecessary_wraps, reason = "as a kprobe's, which can fail")]
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
    let unmounted = anyhow!("tracefs is not mounted; mount it with: {mount}");
    Err(unmounted.context(Failure::Attach))
}
