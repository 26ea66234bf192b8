//! The CPU architectures the loader is built for and `cargo xtask vm` boots, and what each needs:
//! its Rust target, QEMU, C linker for a cross build, and how to recognise its ELF files.

use std::{env, fmt, str::FromStr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub const ALL: [Self; 2] = [Self::X86_64, Self::Aarch64];

    /// The machine this runs on, if it is one of ours.
    pub fn host() -> Option<Self> {
        env::consts::ARCH.parse().ok()
    }

    /// Rust's name (`std::env::consts::ARCH`), also the kernel's `uname -m`.
    pub fn name(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Aarch64 => "aarch64",
        }
    }

    /// Debian's name, as in `busybox-static:arm64`.
    pub fn debian(self) -> &'static str {
        match self {
            Self::X86_64 => "amd64",
            Self::Aarch64 => "arm64",
        }
    }

    pub fn target(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64-unknown-linux-gnu",
            Self::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }

    pub fn qemu(self) -> &'static str {
        match self {
            Self::X86_64 => "qemu-system-x86_64",
            Self::Aarch64 => "qemu-system-aarch64",
        }
    }

    /// The Debian package that has [`Arch::qemu`].
    pub fn qemu_package(self) -> &'static str {
        match self {
            Self::X86_64 => "qemu-system-x86",
            Self::Aarch64 => "qemu-system-arm",
        }
    }

    /// The GNU C cross compiler that links a loader for this architecture on another one.
    pub fn cross_linker(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64-linux-gnu-gcc",
            Self::Aarch64 => "aarch64-linux-gnu-gcc",
        }
    }

    /// The Debian packages of [`Arch::cross_linker`] and the C library it links statically.
    pub fn cross_linker_packages(self) -> &'static str {
        match self {
            Self::X86_64 => "gcc-x86-64-linux-gnu libc6-dev-amd64-cross",
            Self::Aarch64 => "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
        }
    }

    /// `e_machine` of this architecture's ELF files.
    fn elf_machine(self) -> u16 {
        match self {
            Self::X86_64 => 62,
            Self::Aarch64 => 183,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;

    /// Rust's, Debian's and the kernel's names: `x86_64`, `amd64`, `aarch64`, `arm64`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "x86_64" | "x86-64" | "amd64" => Ok(Self::X86_64),
            "aarch64" | "arm64" => Ok(Self::Aarch64),
            _ => Err(format!(
                "unknown architecture `{name}`: x86_64 (amd64) or aarch64 (arm64)"
            )),
        }
    }
}

/// Something a command needs for an architecture and does not find.
#[derive(Debug)]
pub struct Missing {
    pub what: String,
    /// The command that installs it.
    pub fix: String,
}

/// What the header of a 64-bit little-endian ELF file says: its architecture and whether it is
/// linked statically (no `PT_INTERP` program header, so no dynamic loader or libraries needed).
#[derive(Debug, PartialEq, Eq)]
pub struct Elf {
    pub arch: Option<Arch>,
    pub is_static: bool,
}

impl Elf {
    /// `None` unless `bytes` start like a 64-bit little-endian ELF file.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        /// The program header naming the dynamic loader.
        const PT_INTERP: usize = 3;
        if !bytes.starts_with(b"\x7fELF\x02\x01") {
            return None;
        }
        let field = |at: usize, len: usize| -> Option<usize> {
            let bytes = bytes.get(at..at + len)?;
            Some(
                bytes
                    .iter()
                    .rev()
                    .fold(0, |n, b| (n << 8) | usize::from(*b)),
            )
        };
        let machine = u16::try_from(field(0x12, 2)?).ok()?;
        let arch = Arch::ALL.into_iter().find(|a| a.elf_machine() == machine);
        let (table, size, count) = (field(0x20, 8)?, field(0x36, 2)?, field(0x38, 2)?);
        let is_static = (0..count).all(|i| field(table + i * size, 4) != Some(PT_INTERP));
        Some(Self { arch, is_static })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 0x78 bytes of an ELF file: header and one program header of type `segment`.
    fn elf(machine: u16, segment: u32) -> Vec<u8> {
        let mut bytes = vec![0; 0x78];
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[0x12..0x14].copy_from_slice(&machine.to_le_bytes());
        bytes[0x20] = 0x40; // program headers right after the header
        bytes[0x36] = 0x38; // of 0x38 bytes each
        bytes[0x38] = 1; // one of them
        bytes[0x40..0x44].copy_from_slice(&segment.to_le_bytes());
        bytes
    }

    #[test]
    fn elf_headers() {
        let arm_static = Elf::parse(&elf(183, 1)).unwrap();
        assert_eq!(arm_static.arch, Some(Arch::Aarch64));
        assert!(arm_static.is_static);
        let x86_dynamic = Elf::parse(&elf(62, 3)).unwrap();
        assert_eq!(x86_dynamic.arch, Some(Arch::X86_64));
        assert!(!x86_dynamic.is_static);
        assert_eq!(Elf::parse(&elf(243, 1)).unwrap().arch, None); // riscv
        assert_eq!(Elf::parse(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn names() {
        assert_eq!("arm64".parse(), Ok(Arch::Aarch64));
        assert_eq!("amd64".parse(), Ok(Arch::X86_64));
        assert!("riscv64".parse::<Arch>().is_err());
        assert_eq!(Arch::Aarch64.to_string(), "aarch64");
    }
}
