#!/usr/bin/env bash
# Runs one scenario script inside a throwaway VM booting Debian's kernel under
# qemu (TCG), with the host root shared read-only over 9p. The scenario runs
# chrooted into the host root, so it uses the host's binaries, libraries and
# Bazel outputs by their absolute paths. Prints the scenario's log and exits
# with the scenario's exit status (124 on timeout, 125 on harness failure).
#
#   vm_run.sh [--timeout SECONDS] [--memory MIB] SCRIPT [ARGS...]
#
# Environment: KINK_VM_KERNEL (default: newest /boot/vmlinuz-*), KINK_VM_CACHE
# (initramfs cache folder, default /var/tmp/kink-vm-cache), KINK_VM_ENV (space
# separated NAME=VALUE pairs exported to the scenario).
set -euo pipefail

timeout_s=300
memory_mib=1024
while (($#)); do
  case "$1" in
    --timeout) timeout_s="$2"; shift 2 ;;
    --memory) memory_mib="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "vm_run: unknown option $1" >&2; exit 125 ;;
    *) break ;;
  esac
done
if (($# < 1)); then
  echo "usage: vm_run.sh [--timeout S] [--memory MIB] SCRIPT [ARGS...]" >&2
  exit 125
fi
script=$(readlink -f "$1"); shift
[[ -r "$script" ]] || { echo "vm_run: cannot read $script" >&2; exit 125; }
# The guest mounts a fresh tmpfs on /tmp, hiding the host's. A workspace
# under /tmp (a CI clone, say) is shared on its own, read-only, at the same
# path, so the scenario and what it sources stay visible.
ws_dir=""
ws_args=()
case "$script" in /tmp/*)
  ws_dir=$(dirname "$script")
  while [[ "$ws_dir" != /tmp && ! -e "$ws_dir/WORKSPACE" ]]; do
    ws_dir=$(dirname "$ws_dir")
  done
  [[ "$ws_dir" == /tmp ]] && ws_dir=$(dirname "$script")
  case "$ws_dir" in *[[:space:]]*)
    echo "vm_run: $ws_dir has spaces; the guest cannot mount it" >&2; exit 125 ;;
  esac
  ws_args=(-fsdev "local,id=w,path=$ws_dir,security_model=none,readonly=on"
           -device virtio-9p-pci,fsdev=w,mount_tag=ws)
  ;;
esac

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
kernel=${KINK_VM_KERNEL:-$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)}
[[ -r "$kernel" ]] || { echo "vm_run: no kernel in /boot (install linux-image-amd64)" >&2; exit 125; }
kver=${kernel##*/vmlinuz-}
for tool in qemu-system-x86_64 cpio gzip; do
  command -v "$tool" >/dev/null || { echo "vm_run: $tool missing (scripts/setup.sh)" >&2; exit 125; }
done

# Not under $HOME: Bazel points HOME at a fresh folder for every test.
cache=${KINK_VM_CACHE:-/var/tmp/kink-vm-cache}
mkdir -p "$cache"
initramfs=$("$here/build_initramfs.sh" "$kver" "$cache")

# The shared folder is the only writable way out of the VM; it is mounted at
# the same absolute path inside the guest.
out=$(mktemp -d "${TMPDIR:-/tmp}/kink-vm.XXXXXX")
qemu_pid=""
cleanup() {
  if [[ -n "$qemu_pid" ]] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
  printf 'export KINK_VM=1\n'
  for kv in ${KINK_VM_ENV:-}; do printf 'export %q\n' "$kv"; done
  printf 'cd %q\n' "$PWD"
  printf 'exec %q' "$script"
  for a in "$@"; do printf ' %q' "$a"; done
  printf '\n'
} >"$out/cmd.sh"

start=$(date +%s.%N)
qemu-system-x86_64 -accel tcg -m "$memory_mib" -smp 1 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$initramfs" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 kink_out=$out${ws_dir:+ kink_ws=$ws_dir}" \
  -fsdev local,id=h,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=h,mount_tag=host \
  -fsdev local,id=o,path="$out",security_model=none \
  -device virtio-9p-pci,fsdev=o,mount_tag=out \
  "${ws_args[@]}" \
  -nic none </dev/null >"$out/console.log" 2>&1 &
qemu_pid=$!

deadline=$((SECONDS + timeout_s))
while kill -0 "$qemu_pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    echo "vm_run: timeout after ${timeout_s}s; console:" >&2
    tail -50 "$out/console.log" >&2
    exit 124
  fi
  sleep 0.2
done
wait "$qemu_pid" || true
qemu_pid=""
end=$(date +%s.%N)

[[ -f "$out/scenario.log" ]] && cat "$out/scenario.log"
if [[ ! -f "$out/status" ]]; then
  echo "vm_run: scenario did not finish; console:" >&2
  cat "$out/console.log" >&2
  exit 125
fi
status=$(cat "$out/status")
boot=$(cat "$out/boot_seconds" 2>/dev/null || echo "?")
awk -v k="$kver" -v b="$boot" -v s="$start" -v e="$end" -v st="$status" 'BEGIN {
  printf "vm_run: kernel %s, guest uptime at scenario start %ss, wall %.1fs, status %s\n", k, b, e - s, st }' 
exit "$status"
