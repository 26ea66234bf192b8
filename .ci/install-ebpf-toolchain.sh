#!/usr/bin/env bash
# Installs what the real-build tests need (docs/testing.md, The eBPF toolchain), from Debian's packages and crates.io only:
#   - Debian's rust-web Rust 1.96 with its library source (used for the eBPF crate with RUSTC_BOOTSTRAP=1),
#   - llvm-22 (llvm-objdump for the disassembly test) and llvm-22-dev (to build bpf-linker against the same LLVM),
#   - bpf-linker from crates.io, built against that LLVM, so the bitcode rustc-web writes is always readable.
# Idempotent: each step is skipped when its result is already there. Safe to run by hand on a Debian 12 machine.
set -euo pipefail

BPF_LINKER_VERSION=0.10.4
export DEBIAN_FRONTEND=noninteractive

need_apt=()
for pkg in rustc-web cargo-web rust-web-src rustfmt-web rust-web-clippy llvm-22 llvm-22-dev clang-14 libpolly-22-dev libzstd-dev zlib1g-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  echo "install-ebpf-toolchain: apt-get install ${need_apt[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! { command -v bpf-linker >/dev/null && bpf-linker --version 2>/dev/null | grep -q "$BPF_LINKER_VERSION"; }; then
  echo "install-ebpf-toolchain: cargo install bpf-linker@$BPF_LINKER_VERSION (builds against Debian's LLVM 22)"
  # bpf-linker's own cargo configuration names `clang` as the host linker; Debian 12 ships it as clang-14.
  LLVM_PREFIX=/usr/lib/llvm-22 \
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=clang-14 \
    cargo install --locked --quiet bpf-linker --version "$BPF_LINKER_VERSION"
fi

echo "install-ebpf-toolchain: rustc $(/usr/bin/rustc --version), $(bpf-linker --version)"
