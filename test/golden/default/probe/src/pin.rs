//! `--pin [DIR]`: the counter map and the program's links live in a BPF file system (bpffs), so
//! the count survives a restart of the loader, and events go on being counted while none runs.
//! `--unpin [DIR]` removes them. Without these options nothing here runs.

use std::{
    ffi::CString,
    fmt,
    fs::{self, File},
    io,
    mem::MaybeUninit,
    os::{fd::AsRawFd as _, unix::ffi::OsStrExt as _},
    path::{Path, PathBuf},
};

use anyhow::{Context as _, anyhow, bail};
use aya::{
    Ebpf, EbpfLoader,
    maps::{Map, MapData, MapInfo, MapType},
    programs::links::{FdLink, LinkError},
};
use aya_obj::generated::bpf_map_type;
use common::{MAP_NAME, PROGRAM_NAME};

use crate::{map, privileges::Capability};

/// Where the pins go without a DIR.
const DEFAULT_DIR: &str = concat!("/sys/fs/bpf/", env!("CARGO_PKG_NAME"));

#[derive(clap::Args)]
pub struct PinArgs {
    /// Keep the count and the attachment in DIR, on bpffs: a restart continues the count, and
    /// events are counted while no loader runs
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = DEFAULT_DIR)]
    #[arg(conflicts_with = "check")]
    #[arg(long_help = concat!(
        "Keep the count and the attachment in DIR, on bpffs: a restart continues the count, and \
         events are counted while no loader runs [DIR: /sys/fs/bpf/",
        env!("CARGO_PKG_NAME"),
        "]"
    ))]
    pin: Option<PathBuf>,
    /// Detach and remove what --pin keeps in DIR (the count with it), then exit
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = DEFAULT_DIR)]
    #[arg(exclusive = true)]
    pub unpin: Option<PathBuf>,
}

/// The pin directory, locked while this loader runs: two loaders would count twice into one map.
pub struct Pins {
    dir: PathBuf,
    _lock: File,
}

impl PinArgs {
    /// With `--pin`: the pin directory, on bpffs, made if missing, and locked.
    pub fn open(&self) -> anyhow::Result<Option<Pins>> {
        let Some(dir) = &self.pin else {
            return Ok(None);
        };
        let parent = dir.parent().unwrap_or(dir);
        on_bpffs(parent)?;
        if let Err(err) = fs::create_dir(dir) {
            if err.kind() != io::ErrorKind::AlreadyExists {
                // No search access to the parent (a bpffs mounted mode 0700, as systemd mounts
                // /sys/fs/bpf): DIR may be there already, and what is missing is the search.
                let unsearchable = fs::symlink_metadata(dir)
                    .is_err_and(|err| err.kind() == io::ErrorKind::PermissionDenied);
                let context = if unsearchable {
                    let search = Capability::DacReadSearch;
                    format!(
                        "cannot reach {} (searching {} needs {search})",
                        dir.display(),
                        parent.display()
                    )
                } else {
                    let make = format!("sudo install -d -o $(id -un) {}", dir.display());
                    format!("cannot make {} (make it with: {make})", dir.display())
                };
                return Err(err).context(context);
            }
        }
        on_bpffs(dir)?;
        Ok(Some(Pins {
            dir: dir.clone(),
            _lock: lock(dir)?,
        }))
    }
}

/// Loads the eBPF object; with pins, its counter is the pinned map (a first start pins it).
pub fn load(pins: Option<&Pins>, object: &[u8]) -> anyhow::Result<Ebpf> {
    let Some(Pins { dir, .. }) = pins else {
        return Ebpf::load(object).context("cannot load the eBPF object");
    };
    let path = dir.join(MAP_NAME);
    let earlier = path.exists();
    if earlier {
        same_layout(&path, object)?;
    }
    let ebpf = EbpfLoader::new().map_pin_path(MAP_NAME, &path).load(object);
    let ebpf =
        ebpf.with_context(|| format!("cannot load the eBPF object with {}", path.display()))?;
    if earlier {
        let total = map::total(ebpf.map(MAP_NAME).context("no counter map")?)?;
        println!(
            "pinned: continuing the count at {} ({total})",
            path.display()
        );
    } else {
        println!("pinned: the count at {}", path.display());
    }
    Ok(ebpf)
}

/// With pins: pins the program's links (replacing an earlier start's, which then detach), so
/// that the program stays attached after this loader exits. Hands back the links it does not
/// pin (all of them without pins): the program stays attached while those live.
pub fn keep<L>(pins: Option<&Pins>, links: Vec<L>) -> anyhow::Result<Vec<L>>
where
    FdLink: TryFrom<L, Error = LinkError>,
{
    let Some(Pins { dir, .. }) = pins else {
        return Ok(links);
    };
    if !aya::features().bpf_perf_link() {
        println!(
            "note: this kernel attaches {PROGRAM_NAME} without a BPF link (kernel >= 5.15 has \
             them), which cannot be pinned: the count continues at the next start, but events \
             are not counted while no loader runs"
        );
        return Ok(links);
    }
    let count = links.len();
    for (i, link) in links.into_iter().enumerate() {
        let path = dir.join(format!("{PROGRAM_NAME}_{i}"));
        // Pinned under another name (bpffs refuses dots), then renamed over the earlier start's
        // link: if this start fails before, the earlier link goes on counting.
        let new = dir.join(format!("{PROGRAM_NAME}_{i}_new"));
        remove(&new)?;
        let pinned = FdLink::try_from(link)?.pin(&new);
        pinned.with_context(|| format!("cannot pin a link at {}", new.display()))?;
        fs::rename(&new, &path).with_context(|| format!("cannot rename {}", new.display()))?;
    }
    // An earlier start may have attached at more places.
    for i in count.. {
        if !remove(&dir.join(format!("{PROGRAM_NAME}_{i}")))? {
            break;
        }
    }
    println!(
        "pinned: {PROGRAM_NAME}'s links at {}/{PROGRAM_NAME}_*: attached until --unpin",
        dir.display()
    );
    Ok(Vec::new())
}

/// `--unpin`: detaches the pinned links and removes the pinned counter (and DIR, once empty).
pub fn unpin(dir: &Path) -> anyhow::Result<()> {
    let lock = lock(dir)?;
    let path = dir.join(MAP_NAME);
    let total = MapData::from_pin(&path)
        .map_err(anyhow::Error::from)
        .and_then(|data| map::total(&Map::from_map_data(data)?));
    let mut links = 0;
    while remove(&dir.join(format!("{PROGRAM_NAME}_{links}")))? {
        links += 1;
    }
    remove(&path)?;
    drop(lock);
    // Stays when it holds anything else, or when its parent is not ours to change.
    let _ = fs::remove_dir(dir);
    match total {
        Ok(total) => println!(
            "unpinned {}: {links} link(s) detached, the count ({total}) removed",
            dir.display()
        ),
        Err(_) => println!("unpinned {}: no count was pinned there", dir.display()),
    }
    Ok(())
}

/// Removes a pin; whether there was one.
fn remove(path: &Path) -> anyhow::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err).context(format!("cannot remove {}", path.display())),
    }
}

/// An exclusive lock on `dir` (`flock`), or an error when another loader holds it.
fn lock(dir: &Path) -> anyhow::Result<File> {
    let file = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    // SAFETY: flock only takes the descriptor, which `file` keeps open.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            bail!("another loader is using {} (stop it first)", dir.display());
        }
        return Err(err).context(format!("cannot lock {}", dir.display()));
    }
    Ok(file)
}

/// Fails unless `dir` is on a BPF file system; never mounts one itself.
fn on_bpffs(dir: &Path) -> anyhow::Result<()> {
    let path = CString::new(dir.as_os_str().as_bytes())?;
    let mut stat = MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `path` is NUL-terminated, and `stat` has room for what statfs writes.
    if unsafe { libc::statfs(path.as_ptr(), stat.as_mut_ptr()) } != 0 {
        let err = io::Error::last_os_error();
        let context = if err.kind() == io::ErrorKind::PermissionDenied {
            // systemd mounts /sys/fs/bpf with mode 0700.
            let search = Capability::DacReadSearch;
            format!(
                "cannot look at {} (searching root's directories needs {search})",
                dir.display()
            )
        } else {
            format!("cannot look at {}", dir.display())
        };
        return Err(err).context(context);
    }
    // SAFETY: statfs succeeded, so it filled `stat`.
    if unsafe { stat.assume_init() }.f_type != libc::BPF_FS_MAGIC {
        bail!(
            "{} is not on a BPF file system (bpffs); mount one with: \
             sudo mount -t bpf bpf /sys/fs/bpf",
            dir.display()
        );
    }
    Ok(())
}

/// What a map holds, as the kernel sees it.
#[derive(PartialEq)]
struct Layout {
    kind: Option<MapType>,
    entries: u32,
    key: u32,
    value: u32,
    flags: u32,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            kind,
            entries,
            key,
            value,
            flags,
        } = self;
        match kind {
            Some(kind) => write!(f, "{kind:?}")?,
            None => f.write_str("a map type unknown to aya")?,
        }
        let entries = match entries {
            1 => "1 entry".to_owned(),
            n => format!("{n} entries"),
        };
        write!(
            f,
            ", {entries} of {key}-byte keys and {value}-byte values, flags {flags:#x}"
        )
    }
}

/// Fails unless the map pinned at `path` has the layout of the counter in `object`: aya would
/// reuse a map pinned by another build (before `--update --map …`, say) and read it wrongly.
fn same_layout(path: &Path, object: &[u8]) -> anyhow::Result<()> {
    let pinned =
        MapInfo::from_pin(path).with_context(|| format!("cannot open {}", path.display()))?;
    let pinned = Layout {
        kind: pinned.map_type().ok(),
        entries: pinned.max_entries(),
        key: pinned.key_size(),
        value: pinned.value_size(),
        flags: pinned.map_flags(),
    };
    let object = aya_obj::Object::parse(object).context("cannot parse the eBPF object")?;
    let counter = object
        .maps
        .get(MAP_NAME)
        .context("no counter map in the eBPF object")?;
    let kind = bpf_map_type::try_from(counter.map_type()).map_err(|_| anyhow!("unknown map type"));
    let ours = Layout {
        kind: MapType::try_from(kind?).ok(),
        entries: counter.max_entries(),
        key: counter.key_size(),
        value: counter.value_size(),
        flags: counter.map_flags(),
    };
    if pinned != ours {
        let dir = path.parent().unwrap_or(path).display();
        bail!(
            "{} was pinned by another build: {pinned}; this one's counter is {ours}. Run the build \
             that pinned it, or remove that count with --unpin {dir}",
            path.display()
        );
    }
    Ok(())
}
