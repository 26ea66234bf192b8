//! Booting a kernel in QEMU: the machine for its architecture, KVM when it works, else emulation.

use std::{
    fs,
    io::{self, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use crate::arch::Arch;

use super::initramfs::MARK;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    /// QEMU's emulation (TCG): slow, so trust its counts, not its timings.
    Tcg,
}

/// `--accel`: what the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccelChoice {
    /// KVM when the guest is this machine's architecture and a probe boot works.
    Auto,
    Kvm,
    Tcg,
}

/// QEMU's machine and CPU for an architecture and accelerator.
pub fn machine(arch: Arch, accel: Accel) -> &'static [&'static str] {
    match (arch, accel) {
        (Arch::X86_64, Accel::Kvm) => &["-accel", "kvm", "-cpu", "host"],
        (Arch::X86_64, Accel::Tcg) => &["-accel", "tcg", "-cpu", "max"],
        (Arch::Aarch64, Accel::Kvm) => &[
            "-M",
            "virt,gic-version=max",
            "-accel",
            "kvm",
            "-cpu",
            "host",
        ],
        // The implementation-defined pointer authentication is far cheaper to emulate than the
        // architected one (QARMA), which kernels built with pointer authentication use at every call.
        (Arch::Aarch64, Accel::Tcg) => &[
            "-M",
            "virt,gic-version=max",
            "-accel",
            "tcg",
            "-cpu",
            "max,pauth-impdef=on",
        ],
    }
}

/// The kernel's console on QEMU's default serial port.
fn console(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "ttyS0",
        Arch::Aarch64 => "ttyAMA0",
    }
}

/// QEMU for one architecture, with the initramfs its kernels boot.
pub struct Qemu {
    pub binary: PathBuf,
    pub arch: Arch,
    pub initrd: PathBuf,
    pub accel: Accel,
    /// More of the kernel's command line (`--append`).
    pub append: String,
}

/// What a boot printed on the console (QEMU's own errors too), and whether it timed out.
pub struct Boot {
    pub console: String,
    pub timed_out: bool,
}

impl Qemu {
    /// Sets the accelerator for `choice`, probing KVM with a short boot of `kernel`, and says which.
    pub fn choose_accel(&mut self, choice: AccelChoice, kernel: &Path) -> String {
        let (accel, why) = self.accel_for(choice, kernel);
        self.accel = accel;
        let cpu = machine(self.arch, accel).last().unwrap_or(&"");
        match accel {
            Accel::Kvm => format!("{}: KVM ({why})", self.arch),
            Accel::Tcg => format!("{}: emulation (TCG, -cpu {cpu}), {why}", self.arch),
        }
    }

    fn accel_for(&mut self, choice: AccelChoice, kernel: &Path) -> (Accel, String) {
        if Arch::host() != Some(self.arch) {
            return (Accel::Tcg, "not this machine's architecture".into());
        }
        let kvm = fs::File::options().read(true).write(true).open("/dev/kvm");
        match (choice, kvm) {
            (AccelChoice::Kvm, _) => (Accel::Kvm, "--accel kvm".into()),
            (AccelChoice::Tcg, _) => (Accel::Tcg, "--accel tcg".into()),
            (AccelChoice::Auto, Err(err)) => (Accel::Tcg, format!("/dev/kvm: {err}")),
            (AccelChoice::Auto, Ok(_)) => {
                self.accel = Accel::Kvm;
                let probe = self.boot(kernel, "probe", Duration::from_secs(30));
                if probe.console.contains(MARK) {
                    return (Accel::Kvm, "a probe boot worked".into());
                }
                let last = probe.console.lines().rfind(|l| !l.trim().is_empty());
                let why = last.filter(|_| !probe.timed_out).unwrap_or("it hung");
                (
                    Accel::Tcg,
                    format!("a probe boot with KVM failed: {}", why.trim()),
                )
            }
        }
    }

    /// Boots `kernel` on 2 vCPUs until it powers off or `timeout` passes.
    pub fn boot(&self, kernel: &Path, extra: &str, timeout: Duration) -> Boot {
        let mut cmd = Command::new(&self.binary);
        // nowatchdog: an emulated CPU that a busy host starves for seconds has no soft lockup.
        let append = format!(
            "console={} panic=-1 oops=panic nowatchdog loglevel=3 {} {extra}",
            console(self.arch),
            self.append
        );
        cmd.args(machine(self.arch, self.accel));
        cmd.args([
            "-m",
            "1024",
            "-smp",
            "2",
            "-nographic",
            "-no-reboot",
            "-nic",
            "none",
        ]);
        cmd.arg("-append").arg(append.trim_end());
        cmd.arg("-kernel").arg(kernel).stdin(Stdio::null());
        cmd.arg("-initrd").arg(&self.initrd);
        let spawned = io::pipe().and_then(|(reader, writer)| {
            cmd.stdout(writer.try_clone()?).stderr(writer);
            Ok((cmd.spawn()?, reader))
        });
        drop(cmd); // closes our copies of the pipe's writing end
        let (mut child, mut reader) = match spawned {
            Ok(spawned) => spawned,
            Err(err) => {
                return Boot {
                    console: format!("cannot start QEMU: {err}"),
                    timed_out: false,
                };
            }
        };
        let output = thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = reader.read_to_end(&mut bytes);
            bytes
        });
        let deadline = Instant::now() + timeout;
        let running = |child: &mut Child| child.try_wait().is_ok_and(|s| s.is_none());
        while running(&mut child) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(100));
        }
        let timed_out = running(&mut child);
        let _ = child.kill().and_then(|()| child.wait());
        let bytes = output.join().unwrap_or_default();
        let control = |c: char| c.is_control() && c != '\n';
        let console = String::from_utf8_lossy(&bytes).replace(control, "");
        Boot { console, timed_out }
    }
}
