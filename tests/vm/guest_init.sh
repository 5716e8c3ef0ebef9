#!/bin/sh
# /init of the test VM (see vm_run.sh). Mounts the host root read-only at
# /host, the writable result folder at its host path, runs cmd.sh chrooted
# into /host, writes the exit status and powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do insmod "$m" || echo "init: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro host /host || { echo "init: no host share"; poweroff -f; }
out=$(sed -n 's/.*kink_out=\([^ ]*\).*/\1/p' /proc/cmdline)
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts 2>/dev/null; mount -t devpts devpts /host/dev/pts 2>/dev/null
mount -t tmpfs tmp /host/tmp
mount -t tmpfs run /host/run
# After the tmpfs mounts, so a result folder under /tmp stays visible.
mkdir -p "/host$out" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out "/host$out" || { echo "init: no out share"; poweroff -f; }
# A workspace under /tmp, hidden by the tmpfs above, comes as its own share.
ws=$(sed -n 's/.*kink_ws=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$ws" ]; then
  mkdir -p "/host$ws"
  mount -t 9p -o trans=virtio,version=9p2000.L,ro ws "/host$ws" || { echo "init: no workspace share"; poweroff -f; }
fi
echo /sbin/modprobe >/proc/sys/kernel/modprobe
cut -d' ' -f1 /proc/uptime >"/host$out/boot_seconds"
chroot /host /bin/sh "$out/cmd.sh" >"/host$out/scenario.log" 2>&1
echo $? >"/host$out/status"
sync
poweroff -f
