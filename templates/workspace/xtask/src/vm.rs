//! `cargo xtask vm`: the probe's `--check` and `--selftest` on other kernels, each booted in QEMU
//! from an initramfs written here (busybox, the loader and its libraries, and an `/init` script).

use std::{
    env, fs,
    io::{self, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use crate::exit;

const HELP: &str = "\
Usage: cargo xtask vm --kernel <image>... [--selftest <n>] [--timeout <s>] [--accel auto|kvm|tcg]

Builds the loader, boots each kernel image (a bzImage: /boot/vmlinuz-*, or the one in a kernel
package) in QEMU with 2 vCPUs (KVM when a probe boot works, else emulation: trust its counts, not
its timings) and runs the loader's --check, then --selftest <n> (1000), each boot within --timeout
seconds (300). One row per kernel: verdict (counted, rejected, failed, vm-crashed, timed-out),
expected and observed count, and where it attached, or the verifier's reason and whether the BPF
cpu explains it (v3 needs kernel >= 5.12). Needs QEMU and busybox (see `cargo xtask doctor`).
Exit codes: 0 every kernel counted n or more, 2 usage, 10 QEMU or busybox missing, 11 build failed,
12 a kernel rejected the program or counted too few, 13 (unless 12) a VM crashed or hung.
";
/// Marks the lines `/init` prints, apart from the kernel's own.
const MARK: &str = "@@aya-vm";
/// What a kernel prints when it crashes (`oops=panic` turns an oops into a panic, which ends QEMU).
const CRASH: [&str; 4] = ["Kernel panic", "Oops:", "BUG:", "general protection"];
type Accel = &'static [&'static str];
const KVM: Accel = &["-accel", "kvm", "-cpu", "host"];
const TCG: Accel = &["-accel", "tcg", "-cpu", "max"];

/// The kernels, the selftest's runs, the timeout of a boot, and the accelerator asked for.
type Options = (Vec<PathBuf>, u64, Duration, String);
/// What one kernel did: release, verdict, observed count, detail, and the output to show.
type Row = (String, &'static str, Option<u64>, String, String);

pub fn run(args: &[String]) -> u8 {
    let (kernels, runs, timeout, accel) = match parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => return exit::OK,
        Err(msg) => return fail(exit::USAGE, &format!("{msg}\n\n{HELP}")),
    };
    let (Some(qemu), Some(busybox)) = (on_path("qemu-system-x86_64"), on_path("busybox")) else {
        let install = "sudo apt-get install qemu-system-x86 busybox-static";
        return fail(exit::MISSING, &format!("needs QEMU and busybox: {install}"));
    };
    if env::consts::ARCH != "x86_64" {
        return fail(exit::ERROR, "runs on x86_64 hosts only");
    }
    let loader = match crate::build_loader(&[]) {
        Ok(path) => path,
        Err(code) => return code,
    };
    let initrd = loader.with_file_name("vm-initramfs.cpio");
    if let Err(err) = write_initramfs(&initrd, &loader, &busybox, runs) {
        return fail(exit::ERROR, &format!("cannot write the initramfs: {err}"));
    }
    let vm = Vm { qemu, initrd };
    let (accel, how) = vm.accel(&accel, &kernels[0]);
    eprintln!("vm: {how}");
    let mut rows = Vec::new();
    for kernel in &kernels {
        let started = Instant::now();
        let (console, timed_out) = vm.boot(accel, kernel, "", timeout);
        let row = judge(&console, timed_out, kernel, runs);
        let took = started.elapsed().as_secs();
        eprintln!("vm: {}: {} ({took} s)", kernel.display(), row.1);
        if !row.4.is_empty() {
            eprintln!("--- {}\n{}\n---", row.0, row.4);
        }
        rows.push(row);
    }
    println!("kernel                         verdict    expected observed  detail");
    for (release, verdict, observed, detail, _) in &rows {
        let observed = observed.map_or("-".into(), |n| n.to_string());
        println!("{release:<30} {verdict:<10} {runs:>8} {observed:>8}  {detail}");
    }
    let any = |verdicts: [&str; 2]| rows.iter().any(|row| verdicts.contains(&row.1));
    match () {
        () if any(["rejected", "failed"]) => exit::VM_PROBE,
        () if any(["vm-crashed", "timed-out"]) => exit::VM_BOOT,
        () => exit::OK,
    }
}

fn fail(code: u8, msg: &str) -> u8 {
    eprintln!("xtask vm: {msg}");
    code
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let (mut kernels, mut runs, mut timeout, mut accel) = (vec![], 1000, 300, "auto");
    let mut args = args.iter().map(String::as_str);
    while let Some(arg) = args.next() {
        let flag = arg.split('=').next().unwrap_or(arg);
        let inline = arg.split_once('=').map(|(_, value)| value);
        let known = ["--kernel", "--selftest", "--timeout", "--accel"].contains(&flag);
        if matches!(flag, "-h" | "--help") {
            print!("{HELP}");
            return Ok(None);
        }
        let value = inline.or_else(|| args.next()).unwrap_or_default();
        let number = value.parse().ok().filter(|n| *n > 0);
        match (flag, number) {
            ("--kernel", _) if Path::new(value).is_file() => kernels.push(value.into()),
            ("--selftest", Some(n)) => runs = n,
            ("--timeout", Some(n)) => timeout = n,
            ("--accel", _) if ["auto", "kvm", "tcg"].contains(&value) => accel = value,
            ("--kernel", _) => return Err(format!("no kernel image at `{value}`")),
            _ if known => return Err(format!("invalid value for {flag}: `{value}`")),
            _ => return Err(format!("unknown argument: {arg}")),
        }
    }
    if kernels.is_empty() {
        return Err("give at least one --kernel <image>".into());
    }
    let timeout = Duration::from_secs(timeout);
    Ok(Some((kernels, runs, timeout, accel.into())))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    let mut paths = env::split_paths(&path).map(|dir| dir.join(name));
    paths.find(|path| path.is_file())
}

/// QEMU and the initramfs every boot uses.
struct Vm {
    qemu: PathBuf,
    initrd: PathBuf,
}

impl Vm {
    /// KVM when asked, or when /dev/kvm opens and a probe boot of `kernel` reaches `/init`.
    fn accel(&self, asked: &str, kernel: &Path) -> (Accel, String) {
        let kvm = fs::File::options().read(true).write(true).open("/dev/kvm");
        let why = match (asked, kvm) {
            ("kvm", _) => return (KVM, "KVM (--accel kvm)".into()),
            ("tcg", _) => "--accel tcg".to_owned(),
            (_, Err(err)) => format!("/dev/kvm: {err}"),
            (_, Ok(_)) => {
                let (console, hung) = self.boot(KVM, kernel, "probe", Duration::from_secs(30));
                if console.contains(MARK) {
                    return (KVM, "KVM (a probe boot worked)".into());
                }
                let last = console.lines().rfind(|l| !l.trim().is_empty());
                let why = last.filter(|_| !hung).unwrap_or("it hung");
                format!("a probe boot with KVM failed: {}", why.trim())
            }
        };
        (TCG, format!("emulation (TCG, -cpu max), {why}"))
    }

    /// Boots `kernel` on 2 vCPUs: its console (with QEMU's errors), and whether it timed out.
    fn boot(&self, accel: Accel, kernel: &Path, extra: &str, timeout: Duration) -> (String, bool) {
        let mut cmd = Command::new(&self.qemu);
        // nowatchdog: an emulated CPU that a busy host starves for seconds has no soft lockup.
        let append = format!("console=ttyS0 panic=-1 oops=panic nowatchdog loglevel=3 {extra}");
        let args = "-m 1024 -smp 2 -nographic -no-reboot -nic none -append";
        cmd.args(accel).args(args.split(' ')).arg(append);
        cmd.arg("-kernel").arg(kernel).stdin(Stdio::null());
        cmd.arg("-initrd").arg(&self.initrd);
        let spawned = io::pipe().and_then(|(reader, writer)| {
            cmd.stdout(writer.try_clone()?).stderr(writer);
            Ok((cmd.spawn()?, reader))
        });
        drop(cmd); // closes our copies of the pipe's writing end
        let (mut child, mut reader) = match spawned {
            Ok(spawned) => spawned,
            Err(err) => return (format!("cannot start QEMU: {err}"), false),
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
        (console, timed_out)
    }
}

/// The verdict for one kernel, from its console.
fn judge(console: &str, timed_out: bool, kernel: &Path, runs: u64) -> Row {
    let (check, selftest) = (marked(console, "check: "), marked(console, "selftest: "));
    let booted: Option<String> = value(console, "release ");
    let release = booted.clone().or_else(|| image_release(kernel));
    let release = release.unwrap_or_else(|| kernel.display().to_string());
    let observed = value(console, "selftest: observed: ");
    let enough = observed >= Some(runs);
    let checked = value(console, "check-exit ");
    let tested = value(console, "selftest-exit ");
    let last = |lines: &[&str]| lines.last().unwrap_or(&"no output").to_string();
    let lines: Vec<_> = console.lines().filter(|l| !l.trim().is_empty()).collect();
    let (verdict, detail) = match (console.lines().find_map(crash), checked, tested) {
        (Some(crash), ..) => ("vm-crashed", crash.trim().to_owned()),
        _ if timed_out => ("timed-out", "no power-off in time".into()),
        (_, None, _) if booted.is_none() => ("vm-crashed", format!("no /init: {}", last(&lines))),
        (_, None, _) | (_, Some(0), None) => ("vm-crashed", "the VM stopped too early".into()),
        (_, Some(3), _) => ("rejected", rejection(&check, &release)),
        (_, Some(0), Some(0)) if enough => ("counted", selftest[0].replace("selftest: ", "")),
        (_, Some(0), Some(c)) => ("failed", format!("--selftest: {c}: {}", last(&selftest))),
        (_, Some(c), _) => ("failed", format!("--check: {c}: {}", last(&check))),
    };
    let log = match verdict {
        "rejected" | "failed" => [check, selftest].concat().join("\n"),
        "vm-crashed" | "timed-out" => lines[lines.len().saturating_sub(40)..].join("\n"),
        _ => String::new(),
    };
    (release, verdict, observed, detail, log)
}

/// What a console line says of a crash, from its pattern on.
fn crash(line: &str) -> Option<&str> {
    CRASH.iter().find_map(|c| Some(&line[line.find(c)?..]))
}

/// The rest of each console line marked `@@aya-vm <key>`, trimmed.
fn marked<'a>(console: &'a str, key: &str) -> Vec<&'a str> {
    let rest = |line: &'a str| line.strip_prefix(MARK)?.trim_start().strip_prefix(key);
    console.lines().filter_map(rest).map(str::trim).collect()
}

fn value<T: std::str::FromStr>(console: &str, key: &str) -> Option<T> {
    marked(console, key).first()?.parse().ok()
}

/// A rejection's key line (the verifier log's line before its statistics and the loader's note),
/// and whether the BPF cpu's minimum kernel explains it.
fn rejection(check: &[&str], release: &str) -> String {
    let stats = "verification time|stack depth|processed |note:";
    let stat = |line: &&str| stats.split('|').any(|s| line.starts_with(s));
    let key = check[..check.iter().position(stat).unwrap_or(check.len())].last();
    let mut numbers = release.split(['.', '-']).map(|n| n.parse::<u32>().ok());
    let old = (numbers.next().flatten(), numbers.next().flatten()) < (Some(5), Some(12));
    let why = match (crate::bpf_cpu() == "v3", old) {
        (true, true) => "explained: BPF cpu v3 needs kernel >= 5.12",
        (true, false) => "not explained: BPF cpu v3 needs kernel >= 5.12, this one is newer",
        (false, _) => "not explained by the BPF cpu (generic)",
    };
    format!("{} ({why})", key.unwrap_or(&"no verifier log"))
}

/// The release a bzImage names in its header (field kernel_version), e.g. `6.1.0-47-cloud-amd64`.
fn image_release(image: &Path) -> Option<String> {
    let bytes = fs::read(image).ok()?;
    (bytes.get(0x202..0x206)? == b"HdrS").then_some(())?;
    let at = usize::from(u16::from_le_bytes([*bytes.get(0x20e)?, *bytes.get(0x20f)?])) + 0x200;
    let text = bytes.get(at..at + 64)?;
    let end = text.iter().position(|b| *b == 0 || *b == b' ')?;
    String::from_utf8(text[..end].to_vec()).ok()
}

/// Writes an initramfs (a cpio "newc" archive, uncompressed: the kernel unpacks it as fast):
/// busybox with its links, the loader as `/loader` with the shared libraries `ldd` lists at their
/// own paths, `/dev/console`, and `/init`, which prints each step's output and exit code marked.
fn write_initramfs(path: &Path, loader: &Path, busybox: &Path, runs: u64) -> io::Result<()> {
    let init = format!(
        "#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing; export PATH=/bin
echo; echo \"{MARK} release $(uname -r)\"
grep -qw probe /proc/cmdline && poweroff -f
step() (/loader \"--$1\" $2 >/log 2>&1; c=$?; sed \"s/^/{MARK} $1: /\" /log
  echo \"{MARK} $1-exit $c\"; exit $c)
step check && step selftest {runs}
poweroff -f
"
    );
    let mut cpio = Cpio::default();
    cpio.add("init", 0o100_755, init.as_bytes())?;
    cpio.add("dev/console", 0o020_600, &[])?;
    for dir in ["proc", "sys", "tmp"] {
        cpio.add(dir, 0o040_755, &[])?;
    }
    for link in ["sh", "mount", "uname", "grep", "sed", "true", "poweroff"] {
        cpio.add(&format!("bin/{link}"), 0o120_777, b"busybox")?;
    }
    cpio.add("bin/busybox", 0o100_755, &fs::read(busybox)?)?;
    cpio.add("loader", 0o100_755, &fs::read(loader)?)?;
    for file in [loader, busybox] {
        let ldd = Command::new("ldd").arg(file).output()?.stdout;
        let ldd = String::from_utf8_lossy(&ldd);
        for lib in ldd.split_whitespace().filter(|word| word.starts_with('/')) {
            cpio.add(lib, 0o100_755, &fs::read(lib)?)?;
        }
    }
    cpio.add("TRAILER!!!", 0, &[])?;
    fs::write(path, cpio.bytes)
}

#[derive(Default)]
struct Cpio {
    bytes: Vec<u8>,
    names: Vec<String>,
}

impl Cpio {
    /// Adds `name` after its parent directories, once; `dev/console` is the character device 5:1.
    fn add(&mut self, name: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        let name = name.trim_start_matches('/');
        if let Some((parent, _)) = name.rsplit_once('/') {
            self.add(parent, 0o040_755, &[])?;
        }
        if self.names.iter().any(|n| n == name) {
            return Ok(());
        }
        self.names.push(name.to_owned());
        let (ino, size) = (self.names.len() as u32, data.len() as u32);
        let (nlink, len) = (1 + u32::from(mode & 0o040_000 != 0), name.len() as u32 + 1);
        let minor = u32::from(name == "dev/console");
        let major = 5 * minor;
        let fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, major, minor, len, 0];
        let header: String = fields.iter().map(|field| format!("{field:08x}")).collect();
        let header = format!("070701{header}{name}\0");
        self.bytes.extend(header.as_bytes());
        for data in [&[][..], data] {
            self.bytes.extend(data);
            self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
        }
        Ok(())
    }
}
