//! How the eBPF crate is built. The loader's build script builds it with this; `cargo xtask verify`
//! lints it for the BPF target with the same flags; `cargo xtask doctor` checks what it needs.
//!
//! The toolchain and the BPF cpu come from `EBPF_TOOLCHAIN` and `EBPF_CPU` ([env] in
//! .cargo/config.toml; a variable in the environment wins).

use std::{
    env,
    ffi::OsStr,
    fmt, fs, io,
    os::unix::fs::symlink,
    path::{Path, PathBuf},
    process::Command,
};

/// The toolchain that builds the eBPF crate, `EBPF_TOOLCHAIN`.
pub enum Toolchain {
    /// A rustup toolchain name (`nightly`, or a dated nightly), run through `rustup run`.
    Rustup(String),
    /// A directory holding `cargo` and `rustc` of a Rust packaged with its library source (such as
    /// Debian's rust-web packages in `/usr/bin`), used with `RUSTC_BOOTSTRAP=1` for `-Z build-std`.
    Dir(PathBuf),
}

impl Toolchain {
    /// `EBPF_TOOLCHAIN`, `nightly` when unset: a directory when it holds a `/`, else a rustup name.
    #[must_use]
    pub fn from_env() -> Self {
        match var("EBPF_TOOLCHAIN") {
            Some(dir) if dir.contains('/') => Self::Dir(dir.into()),
            Some(name) => Self::Rustup(name),
            None => Self::Rustup("nightly".to_owned()),
        }
    }

    /// `tool` (`cargo`, `rustc`) of this toolchain, without the choices the outer cargo passes to
    /// a build script in its environment: its compiler, wrappers, flags and target directory.
    #[must_use]
    pub fn command(&self, tool: &str) -> Command {
        let mut command = match self {
            Self::Rustup(_) => Command::new("rustup"),
            Self::Dir(dir) => Command::new(dir.join(tool)),
        };
        for (name, _) in env::vars_os() {
            if is_outer_choice(&name) {
                command.env_remove(name);
            }
        }
        match self {
            Self::Rustup(name) => {
                command.args(["run", name, tool]);
                // A missing toolchain is a prerequisite to report, not something to download.
                command.env("RUSTUP_AUTO_INSTALL", "0");
            }
            Self::Dir(dir) => {
                command.env("RUSTC", dir.join("rustc"));
                command.env("RUSTC_BOOTSTRAP", "1");
            }
        }
        command
    }

    /// The toolchain's rustc version (`rustc --version`).
    ///
    /// # Errors
    /// When its rustc does not run: the toolchain or rustup is missing.
    pub fn version(&self) -> Result<String, String> {
        first_line(self.command("rustc").arg("--version"))
    }

    /// The version of the LLVM its rustc writes bitcode with (`LLVM version:` in `rustc -vV`).
    ///
    /// # Errors
    /// When its rustc does not run or does not say.
    pub fn llvm_version(&self) -> Result<String, String> {
        let verbose = stdout(self.command("rustc").arg("-vV"))?;
        let version = verbose
            .lines()
            .find_map(|line| line.strip_prefix("LLVM version: "));
        version
            .map(str::to_owned)
            .ok_or("rustc -vV names no LLVM version".to_owned())
    }

    /// The `libLLVM` shared library its rustc loads, as the dynamic loader resolves it (`ldd`).
    ///
    /// # Errors
    /// When its rustc cannot be found or links no `libLLVM` (a rustup proxy, not a toolchain).
    pub fn llvm_library(&self) -> Result<PathBuf, String> {
        let rustc = match self {
            Self::Rustup(name) => {
                let mut which = Command::new("rustup");
                which.args(["which", "rustc", "--toolchain", name]);
                PathBuf::from(stdout(&mut which)?.trim())
            }
            Self::Dir(dir) => dir.join("rustc"),
        };
        let ldd = stdout(Command::new("ldd").arg(&rustc))?;
        let library = llvm_in_ldd(&ldd).ok_or(format!("{} links no libLLVM", rustc.display()))?;
        Ok(fs::canonicalize(&library).unwrap_or(library))
    }
}

impl fmt::Display for Toolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rustup(name) => f.write_str(name),
            Self::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// Variables the outer cargo sets for its own build, which the eBPF build must not inherit.
fn is_outer_choice(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    let outer = [
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTUP_TOOLCHAIN",
        "CARGO_TARGET_DIR",
    ];
    outer.contains(&name.as_ref())
        || name.starts_with("CARGO_BUILD_")
        || name.starts_with("CARGO_PROFILE_")
}

/// The BPF cpu (`EBPF_CPU`, `generic` when unset): `v3` makes an ordering other than relaxed take
/// effect (a fully ordered `atomic_fetch_add`, kernel >= 5.12).
#[must_use]
pub fn cpu() -> String {
    var("EBPF_CPU").unwrap_or_else(|| "generic".to_owned())
}

/// Whether `AYA_BUILD_SKIP` asks to skip the eBPF build (`1` or `true`, as aya-build reads it).
#[must_use]
pub fn skip() -> bool {
    var("AYA_BUILD_SKIP").is_some_and(|skip| skip == "1" || skip.eq_ignore_ascii_case("true"))
}

/// One build of the eBPF crate for BPF.
pub struct Build<'a> {
    /// The eBPF crate's `Cargo.toml`.
    pub manifest: &'a Path,
    /// Its target directory: `<target dir>/ebpf`, shared by every profile of the loader.
    pub target_dir: &'a Path,
    /// The architecture of the loader's target (`bpf_target_arch` in aya-ebpf).
    pub arch: &'a str,
    /// The byte order of the loader's target: `bpfeb` for a big-endian one, else `bpfel`.
    pub big_endian: bool,
    /// Cargo features of the eBPF crate.
    pub features: &'a [&'a str],
}

impl Build<'_> {
    /// The BPF target of the loader's byte order.
    #[must_use]
    pub fn target(&self) -> &'static str {
        if self.big_endian {
            "bpfeb-unknown-none"
        } else {
            "bpfel-unknown-none"
        }
    }

    /// `cargo <subcommand>` (`build`, `clippy`) of the eBPF crate with `toolchain`: release,
    /// `core` built from source for the BPF target (`-Z build-std`: there is no prebuilt one), and
    /// aya-build's flags plus the BPF cpu (`-C target-cpu`, which rustc passes on to bpf-linker).
    #[must_use]
    pub fn cargo(&self, toolchain: &Toolchain, subcommand: &str) -> Command {
        let mut cargo = toolchain.command("cargo");
        cargo.args([
            subcommand,
            "--release",
            "-Zbuild-std=core",
            "--target",
            self.target(),
        ]);
        cargo.arg("--manifest-path").arg(self.manifest);
        cargo.arg("--target-dir").arg(self.target_dir);
        if !self.features.is_empty() {
            cargo.arg("--features").arg(self.features.join(","));
        }
        cargo.env("CARGO_ENCODED_RUSTFLAGS", rustflags(self.arch, &cpu()));
        cargo
    }

    /// Where `cargo build` writes the program `name`.
    #[must_use]
    pub fn object(&self, name: &str) -> PathBuf {
        self.target_dir
            .join(self.target())
            .join("release")
            .join(name)
    }
}

/// The eBPF crate's rustflags, `\x1f`-separated as `CARGO_ENCODED_RUSTFLAGS` wants them.
fn rustflags(arch: &str, cpu: &str) -> String {
    let flags = [
        format!("--cfg=bpf_target_arch=\"{arch}\""),
        format!("-Ctarget-cpu={cpu}"),
        "-Cdebuginfo=2".to_owned(),
        "-Clink-arg=--btf".to_owned(),
    ];
    flags.join("\x1f")
}

/// Hands bpf-linker `library`, the eBPF rustc's LLVM: returns the directory to put first in
/// `LD_LIBRARY_PATH`, holding one link, `libLLVM.so`, to `library`.
///
/// bpf-linker has no LLVM of its own: it loads one at run time, the first file named `libLLVM*` in
/// the directories of `LD_LIBRARY_PATH`, then in each `PATH` entry's `../lib`. What is there is the
/// outer cargo's doing: rustup's cargo puts its own toolchain's `libLLVM` first, which reads the
/// eBPF toolchain's bitcode only while both LLVMs share a major version; Debian's cargo puts
/// nothing, and bpf-linker stops with "unable to find LLVM shared lib". A library's own directory
/// will not do either: Debian's (`/usr/lib/x86_64-linux-gnu`) holds the libLLVM of every LLVM
/// installed, in no set order.
///
/// # Errors
/// When the directory or the link cannot be written.
pub fn llvm_dir(library: &Path, parent: &Path) -> io::Result<PathBuf> {
    let name = library.file_name().unwrap_or(library.as_os_str());
    let dir = parent.join(name);
    let link = dir.join("libLLVM.so");
    if fs::read_link(&link).is_ok_and(|target| target == library) {
        return Ok(dir);
    }
    fs::create_dir_all(&dir)?;
    // Made aside and renamed over the old link: another build may be reading the directory.
    let made = dir.join(format!(".libLLVM.so.{}", std::process::id()));
    let _ = fs::remove_file(&made);
    symlink(library, &made)?;
    fs::rename(&made, &link)?;
    Ok(dir)
}

/// `dir`, then the directories of `LD_LIBRARY_PATH`.
///
/// # Errors
/// When a directory holds the path separator `:`.
pub fn ld_library_path(dir: &Path) -> Result<std::ffi::OsString, env::JoinPathsError> {
    let current = env::var_os("LD_LIBRARY_PATH").unwrap_or_default();
    env::join_paths(
        [dir.to_path_buf()]
            .into_iter()
            .chain(env::split_paths(&current)),
    )
}

/// The library `ldd` resolved for a name starting with `libLLVM`, from lines such as
/// `libLLVM.so.22.1 => /lib/x86_64-linux-gnu/libLLVM.so.22.1 (0x00007f…)`.
fn llvm_in_ldd(ldd: &str) -> Option<PathBuf> {
    ldd.lines().find_map(|line| {
        let (name, resolved) = line.trim().split_once(" => ")?;
        let path = resolved.split(" (").next()?;
        (name.starts_with("libLLVM") && path.starts_with('/')).then(|| PathBuf::from(path))
    })
}

/// The major version in an LLVM version (`22.1.8`) or library name (`libLLVM.so.22.1`,
/// `libLLVM-22-rust-1.95.0-stable.so`, `libLLVM.so.22.1-rust-1.97.0-nightly`).
#[must_use]
pub fn llvm_major(text: &str) -> Option<u32> {
    let digits = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty())?;
    digits.parse().ok()
}

/// A variable of the environment (or of .cargo/config.toml's [env]), unless empty.
fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.is_empty())
}

/// What `command` prints on stdout when it succeeds; else why it did not.
fn stdout(command: &mut Command) -> Result<String, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .map_err(|err| format!("{program}: {err}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(stderr.lines().next().unwrap_or("failed").to_owned())
    }
}

/// The first line of what `command` prints when it succeeds; else why it did not.
///
/// # Errors
/// When the command cannot run or fails: the first line of its stderr.
pub fn first_line(command: &mut Command) -> Result<String, String> {
    let out = stdout(command)?;
    Ok(out.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_llvm_that_ldd_resolved() {
        let debian = "\tlinux-vdso.so.1 (0x00007ffd)\n\
            \tlibrustc_driver-ea0e99b3.so => /lib/x86_64-linux-gnu/librustc_driver-ea0e99b3.so (0x7f38)\n\
            \tlibLLVM.so.22.1 => /lib/x86_64-linux-gnu/libLLVM.so.22.1 (0x00007f3828200000)\n";
        let library = PathBuf::from("/lib/x86_64-linux-gnu/libLLVM.so.22.1");
        assert_eq!(llvm_in_ldd(debian), Some(library));
        let rustup = "\tlibLLVM.so.22.1-rust-1.97.0-nightly => \
            /root/.rustup/toolchains/nightly/lib/libLLVM.so.22.1-rust-1.97.0-nightly (0x7f)\n";
        let library = "/root/.rustup/toolchains/nightly/lib/libLLVM.so.22.1-rust-1.97.0-nightly";
        assert_eq!(llvm_in_ldd(rustup), Some(PathBuf::from(library)));
        // A rustup proxy links no LLVM; a library ldd could not find has no path.
        assert_eq!(llvm_in_ldd("\tlibc.so.6 => /lib/libc.so.6 (0x7f)\n"), None);
        assert_eq!(llvm_in_ldd("\tlibLLVM.so.22.1 => not found\n"), None);
    }

    #[test]
    fn reads_llvm_major_versions() {
        assert_eq!(llvm_major("22.1.8"), Some(22));
        assert_eq!(llvm_major("libLLVM.so.22.1"), Some(22));
        assert_eq!(llvm_major("libLLVM-21-rust-1.95.0-stable.so"), Some(21));
        assert_eq!(llvm_major("libLLVM.so"), None);
    }

    #[test]
    fn hands_bpf_linker_one_llvm() {
        let parent = env::temp_dir().join(format!("xtask-llvm-dir-{}", std::process::id()));
        let library = Path::new("/lib/x86_64-linux-gnu/libLLVM.so.22.1");
        let dir = llvm_dir(library, &parent).unwrap();
        // Again, as a second build would: the same directory, still one entry.
        assert_eq!(llvm_dir(library, &parent).unwrap(), dir);
        let entries: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries, [dir.join("libLLVM.so")]);
        assert_eq!(fs::read_link(dir.join("libLLVM.so")).unwrap(), library);
        fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn flags_name_the_arch_and_the_cpu() {
        let flags = rustflags("x86_64", "v3");
        let flags: Vec<_> = flags.split('\x1f').collect();
        let expected = [
            "--cfg=bpf_target_arch=\"x86_64\"",
            "-Ctarget-cpu=v3",
            "-Cdebuginfo=2",
            "-Clink-arg=--btf",
        ];
        assert_eq!(flags, expected);
    }
}
