#!/bin/sh
# The stock Debian kernel: its virtio and ext4 modules (loaded by /init
# from /lib/modules/lightvm.order) serve an ext4 file system on vda.
grep -qw ext4 /proc/filesystems || { echo "ext4-mount: no ext4 in /proc/filesystems"; exit 1; }
[ -b /dev/vda ] || { echo "ext4-mount: no /dev/vda"; exit 1; }
mount -t ext4 /dev/vda /mnt || { echo "ext4-mount: mount failed"; exit 1; }
echo "ext4-mount: $(cat /mnt/hello.txt)"
[ "$(cat /mnt/hello.txt)" = "hello from the host" ] || exit 1
echo "written by the guest" >/mnt/guest.txt && sync && umount /mnt || exit 1
