//! The VM's initramfs: busybox, the loader, and an `/init` that runs the steps below one after
//! another and prints each one's output and exit code marked, for judge.rs to read.

use std::{
    env,
    fmt::Write as _,
    fs, io,
    path::{Path, PathBuf},
    process::Command,
};

use crate::arch::{Arch, Elf, Missing};

/// Marks the lines `/init` prints, apart from the kernel's own.
pub const MARK: &str = "@@aya-vm";

/// One step of `/init`: a busybox `sh` script, with the loader at `/loader` and busybox's commands
/// in `/bin`. Its output comes back as `@@aya-vm <name>: <line>`, then `@@aya-vm <name>-exit <code>`.
pub struct Step {
    pub name: &'static str,
    pub script: String,
}

/// What `/init` runs, in order. The first step (`check`) gates the others: a program the
/// kernel rejects runs nowhere. To add a scenario, add a step here and read it in judge.rs.
pub fn steps(runs: u64) -> Vec<Step> {
    vec![
        Step {
            name: "check",
            script: "exec /loader --check".into(),
        },
        Step {
            name: "selftest",
            script: format!("exec /loader --selftest {runs} --exact"),
        },
        Step {
            name: "jit",
            script: JIT.into(),
        },
    ]
}

/// Whether the kernel compiled the program to machine code: the loader's watch mode keeps it
/// loaded, and the kernel's description of a program's file descriptor says `prog_jited: 1`
/// (compiled) or `0` (interpreted). The loader is stopped with Ctrl-C's signal once it counts.
const JIT: &str = r#"/loader >/watch.log 2>&1 &
pid=$!
i=0
while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
  [ -s /watch.log ] && jited=$(grep -h prog_jited /proc/$pid/fdinfo/* 2>/dev/null) && break
  sleep 0.1
  i=$((i + 1))
done
kill -INT $pid 2>/dev/null
wait $pid
code=$?
echo "$jited"
cat /watch.log
exit $code
"#;

/// Mounts what the loader needs, runs the steps (the rest only when the first succeeds), and
/// powers off. With `probe` on the kernel's command line it powers off at once: a boot test.
fn init(steps: &[Step]) -> String {
    let names: Vec<&str> = steps.iter().map(|step| step.name).collect();
    let (first, rest) = names
        .split_first()
        .map_or(("true", &[][..]), |(f, r)| (*f, r));
    let rest = rest.join(" ");
    format!(
        r#"#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; mount -t bpf bpf /sys/fs/bpf
export PATH=/bin
echo; echo "{MARK} release $(uname -r)"
grep -qw probe /proc/cmdline && poweroff -f
step() (
  sh "/steps/$1" >/log 2>&1
  code=$?
  sed "s/^/{MARK} $1: /" /log
  echo "{MARK} $1-exit $code"
  exit $code
)
step {first} && for name in {rest}; do step "$name"; done
poweroff -f
"#
    )
}

/// Writes the initramfs (a cpio "newc" archive, uncompressed: the kernel unpacks it as fast):
/// busybox with its links, the loader as `/loader` (with the shared libraries `ldd` lists, at
/// their own paths, unless it is static), the steps in `/steps/`, `/dev/console`, and `/init`;
/// and each of `extra`'s programs of this machine at its path in the VM, with its libraries.
pub fn write(
    path: &Path,
    loader: &Path,
    busybox: &Path,
    steps: &[Step],
    extra: &[(PathBuf, &str)],
) -> io::Result<()> {
    let mut cpio = Cpio::default();
    cpio.add("init", 0o100_755, init(steps).as_bytes())?;
    for step in steps {
        cpio.add(
            &format!("steps/{}", step.name),
            0o100_644,
            step.script.as_bytes(),
        )?;
    }
    cpio.add("dev/console", 0o020_600, &[])?;
    for dir in ["proc", "sys", "tmp"] {
        cpio.add(dir, 0o040_755, &[])?;
    }
    let links = [
        "sh", "mount", "uname", "grep", "sed", "cat", "sleep", "true", "poweroff",
    ];
    for link in links {
        cpio.add(&format!("bin/{link}"), 0o120_777, b"busybox")?;
    }
    cpio.add("bin/busybox", 0o100_755, &fs::read(busybox)?)?;
    let programs = [(loader.to_path_buf(), "loader")].into_iter();
    for (program, at) in programs.chain(extra.iter().cloned()) {
        let bytes = fs::read(&program)?;
        let is_static = Elf::parse(&bytes).is_some_and(|elf| elf.is_static);
        cpio.add(at, 0o100_755, &bytes)?;
        if !is_static {
            let ldd = Command::new("ldd").arg(&program).output()?.stdout;
            let ldd = String::from_utf8_lossy(&ldd);
            for lib in ldd.split_whitespace().filter(|word| word.starts_with('/')) {
                cpio.add(lib, 0o100_755, &fs::read(lib)?)?;
            }
        }
    }
    cpio.add("TRAILER!!!", 0, &[])?;
    fs::write(path, cpio.bytes)
}

/// A static busybox for `arch`: `busybox-<arch>` on PATH (e.g. `busybox-aarch64`), else
/// `busybox` when it is one for `arch`.
pub fn busybox(arch: Arch) -> Result<PathBuf, Missing> {
    let path = env::var_os("PATH").unwrap_or_default();
    let named = format!("busybox-{arch}");
    let mut found = Vec::new();
    for name in [named.as_str(), "busybox"] {
        let on_path = env::split_paths(&path).map(|dir| dir.join(name));
        let Some(busybox) = on_path.into_iter().find(|file| file.is_file()) else {
            continue;
        };
        match Elf::parse(&fs::read(&busybox).unwrap_or_default()) {
            Some(Elf {
                arch: Some(a),
                is_static: true,
            }) if a == arch => return Ok(busybox),
            Some(Elf { arch: Some(a), .. }) if a != arch => {
                found.push(format!("{} is for {a}", busybox.display()));
            }
            _ => found.push(format!("{} is not linked statically", busybox.display())),
        }
    }
    let what = if found.is_empty() {
        format!("no static {arch} busybox on PATH ({named} or busybox)")
    } else {
        format!("no static {arch} busybox on PATH: {}", found.join(", "))
    };
    let fix = if Arch::host() == Some(arch) {
        "sudo apt-get install busybox-static".to_owned()
    } else {
        let debian = arch.debian();
        format!(
            "sudo dpkg --add-architecture {debian} && sudo apt-get update && \
             apt-get download busybox-static:{debian} && \
             dpkg-deb -x busybox-static_*_{debian}.deb busybox-{debian} && \
             sudo install busybox-{debian}/bin/busybox /usr/local/bin/{named}"
        )
    };
    Err(Missing { what, fix })
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
        let too_big = |_| io::Error::other(format!("{name} is too big for a cpio archive"));
        let size = u32::try_from(data.len()).map_err(too_big)?;
        let ino = u32::try_from(self.names.len()).map_err(too_big)?;
        let nlink = if mode & 0o040_000 != 0 { 2 } else { 1 };
        let name_size = u32::try_from(name.len() + 1).map_err(too_big)?;
        let (major, minor) = if name == "dev/console" {
            (5, 1)
        } else {
            (0, 0)
        };
        let fields = [
            ino, mode, 0, 0, nlink, 0, size, 0, 0, major, minor, name_size, 0,
        ];
        let mut header = String::from("070701");
        for field in fields {
            write!(header, "{field:08x}").expect("a String takes any text");
        }
        header.push_str(name);
        header.push('\0');
        self.bytes.extend(header.as_bytes());
        for data in [&[][..], data] {
            self.bytes.extend(data);
            self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_runs_the_first_step_then_the_rest() {
        let init = init(&steps(10));
        assert!(init.contains("step check && for name in selftest jit; do step \"$name\"; done"));
        assert!(init.starts_with("#!/bin/sh\n"));
    }

    #[test]
    fn cpio_entries_are_padded_and_parents_come_first() {
        let mut cpio = Cpio::default();
        cpio.add("steps/check", 0o100_644, b"exec /loader --check")
            .unwrap();
        assert_eq!(cpio.names, ["steps", "steps/check"]);
        assert_eq!(cpio.bytes.len() % 4, 0);
        assert!(cpio.bytes.starts_with(b"070701"));
    }
}
