//! Loads the tracepoint program and attaches it to a kernel tracepoint (`category/name`).

use std::{
    fs, io,
    path::{Path, PathBuf},
};

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

/// Where `--bench` attaches: the tracepoint of `getppid`, a cheap syscall the bench calls.
pub fn bench_target() -> Result<String, Failure> {
    Ok("syscalls/sys_enter_getppid".to_owned())
}

fn tracepoint<'a>(ebpf: &'a mut Ebpf, name: &str) -> Result<&'a mut TracePoint, Failure> {
    crate::program_mut(ebpf, name)?
        .try_into()
        .map_err(|err: ProgramError| {
            Failure::from_error(exit::ERROR, "the program is not a tracepoint", &err)
        })
}

/// Loads the program `name` into the kernel: the verifier judges it here.
pub fn load(ebpf: &mut Ebpf, name: &str) -> Result<(), Failure> {
    tracepoint(ebpf, name)?
        .load()
        .map_err(|err| crate::load_failure(err, name))
}

/// Checks that `target` is `category/name` (letters, digits, `_`), before anything is loaded.
pub fn check_target(target: &str) -> Result<(), Failure> {
    split_target(target).map(|_| ())
}

fn split_target(target: &str) -> Result<(&str, &str), Failure> {
    let is_part = |part: &str| {
        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    target
        .split_once('/')
        .filter(|(category, event)| is_part(category) && is_part(event))
        .ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!("`{target}` is not a tracepoint: expected `category/name`, e.g. syscalls/sys_enter_execve"),
            )
        })
}

/// Attaches the program `name` to `target` (`category/name`) and says where it attached.
pub fn attach(ebpf: &mut Ebpf, name: &str, target: &str) -> Result<String, Failure> {
    let (category, event) = split_target(target)?;
    let tracefs = tracefs()?;
    let events = tracefs.join("events").join(category);
    match fs::metadata(events.join(event)) {
        Ok(meta) if meta.is_dir() => {}
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
            let what = format!("cannot read {}", events.join(event).display());
            return Err(crate::permission_denied(&what));
        }
        _ => {
            return Err(Failure::new(
                exit::ATTACH,
                format!(
                    "tracepoint {target} not found: no {} (list them with `ls {}`)",
                    events.join(event).display(),
                    events.display()
                ),
            ));
        }
    }
    tracepoint(ebpf, name)?
        .attach(category, event)
        .map_err(|err| {
            Failure::from_error(
                exit::ATTACH,
                &format!("cannot attach to tracepoint {target}"),
                &err,
            )
        })?;
    Ok(format!("tracepoint {target}"))
}

/// Whether `/proc/self/mountinfo` (its text) lists a tracefs mounted at `dir`.
fn is_tracefs_mount(mountinfo: &str, dir: &Path) -> bool {
    mountinfo.lines().any(|line| {
        // `id parent dev root mount-point options [optional...] - fstype source super-options`
        line.split_once(" - ").is_some_and(|(mount, fs)| {
            mount.split(' ').nth(4).map(Path::new) == Some(dir)
                && fs.split(' ').next() == Some("tracefs")
        })
    })
}

/// The tracefs mount, mounting it at /sys/kernel/tracing when it is not mounted anywhere.
fn tracefs() -> Result<PathBuf, Failure> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    // An unreadable tracefs is still mounted: mountinfo says so, `events` may not.
    let mounted = |dir: &Path| is_tracefs_mount(&mountinfo, dir) || dir.join("events").is_dir();
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
    if result == 0 && dir.join("events").is_dir() {
        eprintln!("note: mounted tracefs at {}", dir.display());
        return Ok(dir.to_path_buf());
    }
    let err = io::Error::last_os_error();
    if result != 0 && matches!(err.raw_os_error(), Some(libc::EPERM | libc::EACCES)) {
        let what = format!("cannot mount tracefs at {}", dir.display());
        return Err(crate::permission_denied(&what));
    }
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
