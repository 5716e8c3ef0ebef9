#!/usr/bin/env bash
# Builds (once, then cached) the initramfs for vm_run.sh: busybox-static, the
# virtio + 9p modules of the given kernel, and an /init that mounts the host
# root read-only and runs the scenario chrooted into it.
#   build_initramfs.sh KERNEL_VERSION CACHE_DIR   -> prints the image path
set -euo pipefail
kver=$1
cache=$2
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
moddir=/lib/modules/$kver
# Order matters: each module's dependencies come first (no modprobe yet).
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
  netfs fscache 9pnet 9pnet_virtio 9p)
busybox=/bin/busybox
[[ -x "$busybox" ]] || { echo "build_initramfs: $busybox missing (busybox-static)" >&2; exit 1; }

paths=()
for m in "${modules[@]}"; do
  p=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -1)
  [[ -n "$p" ]] || { echo "build_initramfs: module $m not found under $moddir" >&2; exit 1; }
  paths+=("$p")
done

# The cache key covers everything that goes into the image.
key=$( { echo "$kver"; sha256sum "$here/guest_init.sh" "$busybox" "${paths[@]}"; } |
  sha256sum | cut -c1-16)
image=$cache/initramfs-$kver-$key.cpio.gz
if [[ -s "$image" ]]; then
  echo "$image"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kink-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,sbin,proc,sys,dev,host,out,lib/modules}
cp "$busybox" "$work/bin/busybox"
for applet in sh mount umount insmod mkdir cat echo chroot poweroff sleep sed cut; do
  ln -s busybox "$work/bin/$applet"
done
i=0
for p in "${paths[@]}"; do
  case "$p" in
    *.xz) xz -dc "$p" >"$work/lib/modules/$(printf %02d $i).ko" ;;
    *.zst) zstd -dc "$p" >"$work/lib/modules/$(printf %02d $i).ko" ;;
    *) cp "$p" "$work/lib/modules/$(printf %02d $i).ko" ;;
  esac
  i=$((i + 1))
done
cp "$here/guest_init.sh" "$work/init"
chmod 755 "$work/init"
# Kernel module autoloading goes through the host's modprobe and modules.
printf '#!/bin/sh\nexec chroot /host /sbin/modprobe "$@"\n' >"$work/sbin/modprobe"
chmod 755 "$work/sbin/modprobe"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$image.tmp"
mv "$image.tmp" "$image"
echo "$image"
