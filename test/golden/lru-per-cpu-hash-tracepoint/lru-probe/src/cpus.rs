//! The CPUs this process may run on, and pinning a thread to one: the selftest and the bench run
//! one thread per CPU, so that the counter's add meets itself from every CPU at once.

use std::{io, mem};

/// The CPUs this process may run on (its affinity mask), in order.
pub fn allowed() -> io::Result<Vec<usize>> {
    // SAFETY: an all-zero cpu_set_t is a valid, empty set.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `set` is a live cpu_set_t of the size given; the kernel writes at most that much.
    if unsafe { libc::sched_getaffinity(0, mem::size_of_val(&set), &raw mut set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let cpus = 0..usize::try_from(libc::CPU_SETSIZE).unwrap_or_default();
    // SAFETY: every index is below CPU_SETSIZE, inside the set.
    Ok(cpus
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Pins the calling thread to `cpu`, one of `allowed`'s.
pub fn pin(cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is a valid, empty set.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `cpu` is below CPU_SETSIZE (`allowed` lists no other), inside the set.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a live cpu_set_t of the size given; 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, mem::size_of_val(&set), &raw const set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
