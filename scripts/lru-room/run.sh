#!/usr/bin/env bash
# Runs lru-room.c on each kernel image given, in QEMU with 2, 4 and 8 vCPUs (emulated: the counts
# matter, not the speed), and prints its lines. Needs gcc with a static libc, busybox-static
# and qemu-system-x86.
#   bash scripts/lru-room/run.sh /var/cache/create-aya-atomic/kernels/*/boot/vmlinuz-*
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev"
gcc -O2 -static -o "$work/root/bin/lru-room" "$here/lru-room.c"
cp "$(command -v busybox)" "$work/root/bin/busybox"
for tool in sh mount uname poweroff; do ln -s busybox "$work/root/bin/$tool"; done
cat > "$work/root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sysfs /sys

/bin/lru-room
poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | busybox cpio -o -H newc) > "$work/initrd.cpio"
for kernel in "$@"; do
  for cpus in 2 4 8; do
    timeout 600 qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp "$cpus" -nographic -no-reboot \
      -nic none -kernel "$kernel" -initrd "$work/initrd.cpio" \
      -append "console=ttyS0 panic=-1 loglevel=3 nowatchdog" </dev/null | tr -d '\r' | grep -o 'lru-room:.*' || true
  done
done
