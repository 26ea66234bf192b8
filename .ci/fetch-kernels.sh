#!/usr/bin/env bash
# Prepares the kernel matrix (issue 12, AYA-NOTES §7): installs what `cargo xtask vm` needs when it is missing
# (qemu-system-x86 and busybox-static, with apt-get as root, like install-ebpf-toolchain.sh), and fetches the three
# Debian cloud kernels the matrix boots in QEMU:
#   5.10  linux-image-5.10.0-32-cloud-amd64       5.10.223-1   Debian 11 (bullseye)
#   6.1   linux-image-6.1.0-47-cloud-amd64        6.1.170-3    Debian 12 (bookworm)
#   6.12  linux-image-6.12.117+deb13-cloud-amd64  6.12.117-1   Debian 13 (trixie)
# Pinned to builds that boot reliably with 2 emulated vCPUs (older 6.12 builds oops there), all served by the
# suites' main archive (not -security, whose older builds disappear). A pin the archive no longer serves stops
# this script with a message saying so; pick the new build with `apt-cache policy` and check it boots.
#
# The archive is the one this machine's apt already uses: its URI is read from
# /etc/apt/sources.list.d/debian.sources (or /etc/apt/sources.list) at run time, or taken from
# AYA_ATOMIC_DEBIAN_MIRROR. apt runs on a temporary deb822 file with its own lists and cache
# (-o Dir::Etc::sourcelist=… -o Dir::State::Lists=… -o Dir::Cache=…), so the system's apt configuration and
# state stay as they were.
#
# Cache: $AYA_ATOMIC_KERNELS_DIR, default /var/cache/create-aya-atomic/kernels as root, else
# ${XDG_CACHE_HOME:-~/.cache}/create-aya-atomic/kernels. Each kernel lands in <cache>/<id>/ as
# boot/vmlinuz-<release> (plus its config) and a `package` file (id, release, package, version, Debian release).
# Idempotent: a kernel already there with the pinned version is not fetched again (no network at all when
# all three are). Prints one line per kernel: id, release, image path.
set -euo pipefail

KERNELS=(
  # id   package                                 version     suite     Debian
  "5.10  linux-image-5.10.0-32-cloud-amd64       5.10.223-1  bullseye  11"
  "6.1   linux-image-6.1.0-47-cloud-amd64        6.1.170-3   bookworm  12"
  "6.12  linux-image-6.12.117+deb13-cloud-amd64  6.12.117-1  trixie    13"
)

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
command -v busybox >/dev/null || need_apt+=(busybox-static)
if ((${#need_apt[@]})); then
  [[ $(id -u) == 0 ]] || die "missing ${need_apt[*]}: sudo apt-get install ${need_apt[*]}"
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

mkdir -p "$CACHE" || die "cannot create the cache $CACHE (set AYA_ATOMIC_KERNELS_DIR to a writable directory)"
exec 9>"$CACHE/.lock"
flock 9

present() { # id package version: the cached kernel is the pinned one
  [[ -f "$CACHE/$1/package" ]] && read -r _ _ pkg ver _ <"$CACHE/$1/package" && [[ "$pkg $ver" == "$2 $3" ]] &&
    compgen -G "$CACHE/$1/boot/vmlinuz-*" >/dev/null
}

missing=()
for k in "${KERNELS[@]}"; do
  read -r id pkg ver suite debian <<<"$k"
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
  suites=$(printf '%s\n' "${missing[@]}" | awk '{ print $4 }' | sort -u | paste -sd' ')
  cat >"$apt_dir/kernels.sources" <<EOF
Types: deb
URIs: $uri
Suites: $suites
Components: main
Targets: Packages
Signed-By: $keyring
EOF
  apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/kernels.sources" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root -qq)
  say "reading the package lists of $suites from $uri"
  apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed for $suites at $uri"

  for k in "${missing[@]}"; do
    read -r id pkg ver suite debian <<<"$k"
    served=$(apt-cache "${apt_opts[@]}" madison "$pkg" 2>/dev/null | awk -F' *[|] *' -v s="$suite" '$3 ~ "/debian " s "/" { print $2 }')
    grep -qxF "$ver" <<<"$served" || die "the pinned kernel $pkg=$ver is no longer served by $suite" \
      "(served there: ${served:-nothing of that name}). Choose another build in .ci/fetch-kernels.sh" \
      "(apt-cache policy shows them) and check it boots in QEMU with 2 vCPUs (AYA-NOTES §7)."
    tmp=$(mktemp -d "$CACHE/.fetch-$id.XXXXXX")
    say "downloading $pkg=$ver ($suite)"
    (cd "$tmp" && apt-get "${apt_opts[@]}" download "$pkg=$ver" >&2) || { rm -rf "$tmp"; die "apt-get download $pkg=$ver failed"; }
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    vmlinuz=$(compgen -G "$tmp/root/boot/vmlinuz-*" | head -n1) || { rm -rf "$tmp"; die "$pkg has no /boot/vmlinuz-*"; }
    release=${vmlinuz##*/vmlinuz-}
    rm -rf "${CACHE:?}/$id"
    mkdir -p "$CACHE/$id/boot"
    mv "$vmlinuz" "$tmp/root/boot/config-$release" "$CACHE/$id/boot/"
    echo "$id $release $pkg $ver $debian" >"$CACHE/$id/package"
    rm -rf "$tmp"
  done
  rm -rf "$apt_dir" # about 60 MB of package lists, needed again only when a pin changes
fi

for k in "${KERNELS[@]}"; do
  read -r id _ <<<"$k"
  read -r _ release _ <"$CACHE/$id/package"
  printf '%-5s %-28s %s\n' "$id" "$release" "$CACHE/$id/boot/vmlinuz-$release"
done
