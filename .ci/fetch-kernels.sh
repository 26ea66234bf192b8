#!/usr/bin/env bash
# Prepares the kernel matrix (docs/kernels.md): installs what `cargo xtask vm` needs when it is missing (QEMU for
# x86-64 and arm64 guests, busybox-static, and for the cross-built arm64 loader the C cross compiler with its static
# C library; with apt-get as root, like install-ebpf-toolchain.sh), and fetches the Debian kernels the matrix boots
# in QEMU, and a static arm64 busybox for the arm64 VMs:
#   amd64-5.10  linux-image-5.10.0-32-cloud-amd64       5.10.223-1  Debian 11 (bullseye)
#   amd64-6.1   linux-image-6.1.0-47-cloud-amd64        6.1.170-3   Debian 12 (bookworm)
#   amd64-6.12  linux-image-6.12.117+deb13-cloud-amd64  6.12.117-1  Debian 13 (trixie)
#   arm64-5.10  linux-image-5.10.0-32-cloud-arm64       5.10.223-1  Debian 11 (bullseye)
#   arm64-6.1   linux-image-6.1.0-47-cloud-arm64        6.1.170-3   Debian 12 (bookworm)
#   arm64-6.12  linux-image-6.12.117+deb13-cloud-arm64  6.12.117-1  Debian 13 (trixie)
#   busybox-static:arm64 1:1.35.0-4+deb12u1+b1 (Debian 12), on PATH as <cache>/bin/busybox-aarch64
# Pinned to builds that boot reliably with 2 emulated vCPUs (older 6.12 builds oops there), all served by the
# suites' main archive (not -security, whose older builds disappear). A pin the archive no longer serves stops
# this script with a message saying so; pick the new build with `apt-cache policy` and check that it boots
# (docs/kernels.md, "Changing a pinned kernel").
#
# The archive is the one this machine's apt already uses: its URI is read from
# /etc/apt/sources.list.d/debian.sources (or /etc/apt/sources.list) at run time, or taken from
# AYA_ATOMIC_DEBIAN_MIRROR. apt runs on a temporary deb822 file with its own lists, cache and architectures
# (-o Dir::Etc::sourcelist=… -o Dir::State::Lists=… -o Dir::Cache=… -o APT::Architectures::=…), so the system's
# apt configuration and state stay as they were (no `dpkg --add-architecture arm64`).
#
# Cache: $AYA_ATOMIC_KERNELS_DIR, default /var/cache/create-aya-atomic/kernels as root, else
# ${XDG_CACHE_HOME:-~/.cache}/create-aya-atomic/kernels. Each kernel lands in <cache>/<id>/ as
# boot/vmlinuz-<release> (plus its config) and a `package` file (id, release, package, version, Debian release,
# Debian architecture); busybox in <cache>/busybox-arm64/bin/. Idempotent: what is already there in its pinned
# version is not fetched again (no network at all when everything is). Prints one line per kernel: id, release,
# image path; then the directory to put first on PATH, which holds busybox-aarch64.
set -euo pipefail

KERNELS=(
  # id         arch   package                                 version     suite     Debian
  "amd64-5.10  amd64  linux-image-5.10.0-32-cloud-amd64       5.10.223-1  bullseye  11"
  "amd64-6.1   amd64  linux-image-6.1.0-47-cloud-amd64        6.1.170-3   bookworm  12"
  "amd64-6.12  amd64  linux-image-6.12.117+deb13-cloud-amd64  6.12.117-1  trixie    13"
  "arm64-5.10  arm64  linux-image-5.10.0-32-cloud-arm64       5.10.223-1  bullseye  11"
  "arm64-6.1   arm64  linux-image-6.1.0-47-cloud-arm64        6.1.170-3   bookworm  12"
  "arm64-6.12  arm64  linux-image-6.12.117+deb13-cloud-arm64  6.12.117-1  trixie    13"
)
# The arm64 VMs' busybox (the host's busybox-static serves the x86-64 ones).
BUSYBOX="busybox-arm64  arm64  busybox-static  1:1.35.0-4+deb12u1+b1  bookworm  12"

if [[ -n "${AYA_ATOMIC_KERNELS_DIR:-}" ]]; then
  CACHE=$AYA_ATOMIC_KERNELS_DIR
elif [[ $(id -u) == 0 ]]; then
  CACHE=/var/cache/create-aya-atomic/kernels
else
  CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/create-aya-atomic/kernels
fi
say() { echo "fetch-kernels: $*" >&2; }
die() { say "$*"; exit 1; }

need_apt=()
command -v qemu-system-x86_64 >/dev/null || need_apt+=(qemu-system-x86)
command -v qemu-system-aarch64 >/dev/null || need_apt+=(qemu-system-arm)
command -v busybox >/dev/null || need_apt+=(busybox-static)
# `cargo xtask build --target aarch64-unknown-linux-gnu`, which `cargo xtask vm` runs for an arm64 kernel.
for pkg in gcc-aarch64-linux-gnu libc6-dev-arm64-cross; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  [[ $(id -u) == 0 ]] || die "missing ${need_apt[*]}: sudo apt-get install ${need_apt[*]}"
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

mkdir -p "$CACHE" || die "cannot create the cache $CACHE (set AYA_ATOMIC_KERNELS_DIR to a writable directory)"
exec 9>"$CACHE/.lock"
flock 9

present() { # id package version: the cached kernel (or busybox) is the pinned one
  [[ -f "$CACHE/$1/package" ]] && read -r _ _ pkg ver _ <"$CACHE/$1/package" && [[ "$pkg $ver" == "$2 $3" ]] &&
    { compgen -G "$CACHE/$1/boot/vmlinuz-*" >/dev/null || [[ -x "$CACHE/$1/bin/busybox" ]]; }
}

missing=()
for k in "${KERNELS[@]}" "$BUSYBOX"; do
  read -r id arch pkg ver suite debian <<<"$k"
  present "$id" "$pkg" "$ver" || missing+=("$k")
done

if ((${#missing[@]})); then
  for cmd in apt-get dpkg-deb; do
    command -v "$cmd" >/dev/null || die "$cmd is missing: fetching Debian's kernels needs a Debian-based machine with apt"
  done
  uri=${AYA_ATOMIC_DEBIAN_MIRROR:-}
  if [[ -z "$uri" && -f /etc/apt/sources.list.d/debian.sources ]]; then
    # The URIs of the first stanza whose Suites include a release suite (no -security/-updates suffix).
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { u = ""; s = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, w, /[ \t]+/); u = w[2] }
          if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] !~ /-/) s = 1 }
        }
        if (u != "" && s) { print u; exit } }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
      if ($(i + 1) !~ /-/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [[ -n "$uri" ]] || die "no Debian archive found in this machine's apt sources; set AYA_ATOMIC_DEBIAN_MIRROR to one"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -f $keyring ]] || die "$keyring is missing (apt-get install debian-archive-keyring)"

  apt_dir="$CACHE/.apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  suites=$(printf '%s\n' "${missing[@]}" | awk '{ print $5 }' | sort -u | paste -sd' ')
  archs=$(printf '%s\n' "${missing[@]}" | awk '{ print $2 }' | sort -u | paste -sd' ')
  cat >"$apt_dir/kernels.sources" <<EOF
Types: deb
URIs: $uri
Suites: $suites
Components: main
Architectures: $archs
Targets: Packages
Signed-By: $keyring
EOF
  apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/kernels.sources" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root -qq)
  for arch in $archs; do apt_opts+=(-o "APT::Architectures::=$arch"); done
  say "reading the package lists of $suites ($archs) from $uri"
  apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed for $suites at $uri"

  for k in "${missing[@]}"; do
    read -r id arch pkg ver suite debian <<<"$k"
    served=$(apt-cache "${apt_opts[@]}" madison "$pkg:$arch" 2>/dev/null |
      awk -F' *[|] *' -v s="$suite" -v a="$arch" '$3 ~ "/debian " s "/" && $3 ~ " " a " " { print $2 }')
    grep -qxF "$ver" <<<"$served" || die "the pinned $pkg:$arch=$ver is no longer served by $suite" \
      "(served there: ${served:-nothing of that name}). Choose another build in .ci/fetch-kernels.sh" \
      "(apt-cache policy shows them) and check that it boots in QEMU with 2 vCPUs (docs/kernels.md)."
    tmp=$(mktemp -d "$CACHE/.fetch-$id.XXXXXX")
    say "downloading $pkg:$arch=$ver ($suite)"
    (cd "$tmp" && apt-get "${apt_opts[@]}" download "$pkg:$arch=$ver" >&2) ||
      { rm -rf "$tmp"; die "apt-get download $pkg:$arch=$ver failed"; }
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    rm -rf "${CACHE:?}/$id"
    if [[ $pkg == busybox-static ]]; then
      # The binary, not usr/share/initramfs-tools/conf-hooks.d/busybox of the same name.
      [[ -x "$tmp/root/bin/busybox" ]] || { rm -rf "$tmp"; die "$pkg:$arch has no /bin/busybox"; }
      mkdir -p "$CACHE/$id/bin"
      mv "$tmp/root/bin/busybox" "$CACHE/$id/bin/"
      release=$ver
    else
      vmlinuz=$(compgen -G "$tmp/root/boot/vmlinuz-*" | head -n1) || { rm -rf "$tmp"; die "$pkg has no /boot/vmlinuz-*"; }
      release=${vmlinuz##*/vmlinuz-}
      mkdir -p "$CACHE/$id/boot"
      mv "$vmlinuz" "$tmp/root/boot/config-$release" "$CACHE/$id/boot/"
    fi
    echo "$id $release $pkg $ver $debian $arch" >"$CACHE/$id/package"
    rm -rf "$tmp"
  done
  rm -rf "$apt_dir" # about 100 MB of package lists, needed again only when a pin changes
fi

# `cargo xtask vm` finds the arm64 busybox on PATH under the name busybox-aarch64.
mkdir -p "$CACHE/bin"
ln -sfn ../busybox-arm64/bin/busybox "$CACHE/bin/busybox-aarch64"

for k in "${KERNELS[@]}"; do
  read -r id _ <<<"$k"
  read -r _ release _ <"$CACHE/$id/package"
  printf '%-11s %-28s %s\n' "$id" "$release" "$CACHE/$id/boot/vmlinuz-$release"
done
printf '%-11s %-28s %s\n' PATH busybox-aarch64 "$CACHE/bin"
