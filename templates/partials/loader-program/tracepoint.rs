//! Loads the tracepoint program and attaches it to a kernel tracepoint (`category/name`).

use std::path::{Path, PathBuf};

use aya::{
    Ebpf,
    programs::{ProgramError, TracePoint},
};

use crate::{Failure, exit};

/// Where to attach when `--attach` is not given: `category/name` under tracefs's `events/`.
// Written by create-aya-atomic; `rustfmt::skip` keeps the line as it is, whatever its length.
#[rustfmt::skip]
pub const DEFAULT_ATTACH: &str = "{{attach}}";

/// Where tracefs is usually mounted; the first is mounted when neither is.
const TRACEFS_MOUNTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

fn tracepoint(ebpf: &mut Ebpf) -> Result<&mut TracePoint, Failure> {
    crate::program_mut(ebpf)?
        .try_into()
        .map_err(|err: ProgramError| {
            Failure::from_error(exit::ERROR, "the program is not a tracepoint", &err)
        })
}

/// Loads the program into the kernel: the verifier judges it here.
pub fn load(ebpf: &mut Ebpf) -> Result<(), Failure> {
    tracepoint(ebpf)?.load().map_err(crate::load_failure)
}

/// Attaches to `target` (`category/name`) and says where it attached.
pub fn attach(ebpf: &mut Ebpf, target: &str) -> Result<String, Failure> {
    let is_part = |part: &str| {
        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let (category, name) = target
        .split_once('/')
        .filter(|(category, name)| is_part(category) && is_part(name))
        .ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!("`{target}` is not a tracepoint: expected `category/name`, e.g. syscalls/sys_enter_execve"),
            )
        })?;
    let tracefs = tracefs()?;
    let events = tracefs.join("events").join(category);
    if !events.join(name).is_dir() {
        return Err(Failure::new(
            exit::ATTACH,
            format!(
                "tracepoint {target} not found: no {} (list them with `ls {}`)",
                events.join(name).display(),
                events.display()
            ),
        ));
    }
    tracepoint(ebpf)?.attach(category, name).map_err(|err| {
        Failure::from_error(
            exit::ATTACH,
            &format!("cannot attach to tracepoint {target}"),
            &err,
        )
    })?;
    Ok(format!("tracepoint {target}"))
}

/// The tracefs mount, mounting it at /sys/kernel/tracing when it is not mounted anywhere.
fn tracefs() -> Result<PathBuf, Failure> {
    let mounted = |dir: &Path| dir.join("events").is_dir();
    if let Some(dir) = TRACEFS_MOUNTS
        .iter()
        .map(Path::new)
        .find(|dir| mounted(dir))
    {
        return Ok(dir.to_path_buf());
    }
    let dir = Path::new(TRACEFS_MOUNTS[0]);
    // SAFETY: all pointers are to NUL-terminated literals; a null `data` is allowed.
    let result = unsafe {
        libc::mount(
            c"tracefs".as_ptr(),
            c"/sys/kernel/tracing".as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if result == 0 && mounted(dir) {
        eprintln!("note: mounted tracefs at {}", dir.display());
        return Ok(dir.to_path_buf());
    }
    let err = std::io::Error::last_os_error();
    Err(Failure::new(
        exit::ATTACH,
        format!(
            "tracefs is not mounted and mounting it at {} failed ({err}); mount it with:\n  \
             sudo mount -t tracefs tracefs {}",
            dir.display(),
            dir.display()
        ),
    ))
}
