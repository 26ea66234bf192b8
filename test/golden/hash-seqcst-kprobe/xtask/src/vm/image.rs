//! A kernel image to boot: its architecture, recognised by its header, and the release it names.

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::arch::Arch;

pub struct Kernel {
    pub path: PathBuf,
    pub arch: Arch,
    /// The release the image names (the VM's `uname -r` is what counts once it boots).
    pub release: Option<String>,
}

impl Kernel {
    /// Reads `path`'s header; `arch` (from `--arch`) overrides what the header says.
    pub fn open(path: &Path, arch: Option<Arch>) -> Result<Self, String> {
        let image =
            fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let arch = arch.or_else(|| recognise(&image)).ok_or_else(|| {
            format!(
                "{} is neither an x86_64 bzImage nor an arm64 Image (by its header): give \
                 --arch x86_64 or --arch aarch64 if QEMU boots it anyway",
                path.display()
            )
        })?;
        Ok(Self {
            path: path.to_owned(),
            arch,
            release: release(&image),
        })
    }

    /// The release, else the path: how the table names a kernel that did not say.
    pub fn name(&self) -> String {
        let path = || self.path.display().to_string();
        self.release.clone().unwrap_or_else(path)
    }
}

/// The architecture an image's header says: an x86 bzImage has `HdrS` at 0x202 (the boot
/// protocol's header), an arm64 `Image` the magic `ARM\x64` at 0x38 (Debian's arm64 vmlinuz is
/// such an uncompressed Image).
pub fn recognise(image: &[u8]) -> Option<Arch> {
    if image.get(0x202..0x206) == Some(b"HdrS") {
        Some(Arch::X86_64)
    } else if image.get(0x38..0x3c) == Some(b"ARM\x64") {
        Some(Arch::Aarch64)
    } else {
        None
    }
}

/// The release an image names: a bzImage's header field `kernel_version`, else the
/// `Linux version <release>` banner of an uncompressed image.
pub fn release(image: &[u8]) -> Option<String> {
    let until_space = |text: &[u8]| {
        let end = text.iter().position(|b| *b == 0 || *b == b' ')?;
        String::from_utf8(text[..end].to_vec()).ok()
    };
    if recognise(image) == Some(Arch::X86_64) {
        let offset = u16::from_le_bytes([*image.get(0x20e)?, *image.get(0x20f)?]);
        let at = usize::from(offset) + 0x200;
        return until_space(image.get(at..at + 64)?);
    }
    let banner = b"Linux version ";
    let at = image.windows(banner.len()).position(|w| w == banner)? + banner.len();
    until_space(image.get(at..(at + 64).min(image.len()))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bz_image(release: &str) -> Vec<u8> {
        let mut image = vec![0; 0x400];
        image[0x202..0x206].copy_from_slice(b"HdrS");
        image[0x20e..0x210].copy_from_slice(&0x100u16.to_le_bytes());
        image[0x300..0x300 + release.len()].copy_from_slice(release.as_bytes());
        image[0x300 + release.len()] = b' ';
        image
    }

    fn arm64_image(release: &str) -> Vec<u8> {
        let mut image = vec![0; 0x100];
        image[..2].copy_from_slice(b"MZ");
        image[0x38..0x3c].copy_from_slice(b"ARM\x64");
        image.extend(format!("Linux version {release} (debian-kernel@lists.debian.org)").bytes());
        image
    }

    #[test]
    fn headers() {
        let x86 = bz_image("6.1.0-47-cloud-amd64");
        assert_eq!(recognise(&x86), Some(Arch::X86_64));
        assert_eq!(release(&x86).as_deref(), Some("6.1.0-47-cloud-amd64"));
        let arm = arm64_image("6.12.117+deb13-cloud-arm64");
        assert_eq!(recognise(&arm), Some(Arch::Aarch64));
        assert_eq!(release(&arm).as_deref(), Some("6.12.117+deb13-cloud-arm64"));
        // A gzip-compressed image says nothing until unpacked: --arch decides.
        assert_eq!(recognise(b"\x1f\x8b\x08\x00"), None);
        assert_eq!(release(b"\x1f\x8b\x08\x00"), None);
    }

    #[test]
    fn arch_overrides_the_header() {
        let dir = std::env::temp_dir().join(format!("xtask-vm-image-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Image.gz");
        fs::write(&path, b"\x1f\x8b\x08\x00").unwrap();
        let unknown = Kernel::open(&path, None).err().unwrap();
        assert!(unknown.contains("--arch"), "{unknown}");
        let forced = Kernel::open(&path, Some(Arch::Aarch64)).unwrap();
        assert_eq!(forced.arch, Arch::Aarch64);
        assert_eq!(forced.name(), path.display().to_string());
        fs::remove_dir_all(dir).unwrap();
    }
}
