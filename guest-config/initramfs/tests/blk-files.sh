#!/bin/sh
# Write files on the ext4 file system of /dev/vda and print their
# checksums ("SHA <sum>  <name>"); the host reads them back from the image.
mount -t ext4 /dev/vda /mnt || { echo "blk-files: cannot mount /dev/vda"; exit 1; }
mkdir -p /mnt/lightvm || exit 1
i=0
while [ "$i" -lt 64 ]; do
	seq "$i" $((i * 97 + 1)) >"/mnt/lightvm/file-$i" || exit 1
	i=$((i + 1))
done
dd if=/dev/urandom of=/mnt/lightvm/random.bin bs=1M count=8 2>/dev/null || exit 1
(cd /mnt/lightvm && sha256sum ./*) | sed 's|^\([0-9a-f]*\)  \./|SHA \1  |'
sync
umount /mnt || { echo "blk-files: umount failed"; exit 1; }
echo "blk-files: 65 files written, file system unmounted"
