#!/bin/sh
# /init of the nested KVM test host's L1 (busybox, from prepare.sh).
#
# Loads the modules in /modules.order, checks that /dev/kvm works (QEMU's
# TCG must have given the L1 SVM), mounts the machine's root file system
# read-only over virtio-9p with tmpfs on /tmp, /run and /var/tmp, the
# checkout read-write at its own path, the run's state directory, and an
# ext4 scratch disk for what the tests write, then switch_roots into the
# machine's root and hands over to the run's stage 2 (l1-stage2.sh, copied
# into the state directory by run.sh).  Every failure is written to the
# state directory's "error" file, which run.sh prints, and ends the L1.
export PATH=/bin:/sbin
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node: open the console now.
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

STATE_TAG=kvmhost
STATE=/newroot/run/kvmhost

fail() {
	local dir=$STATE

	echo "kvmhost-l1: $*"
	# The state share may not be mounted yet: try, so run.sh can say why.
	if ! grep -q " $STATE " /proc/mounts; then
		dir=/state
		mkdir -p $dir && mount -t 9p -o trans=virtio,version=9p2000.L $STATE_TAG $dir 2>/dev/null
	fi
	echo "$*" >"$dir/error" 2>/dev/null
	sync
	poweroff -f
	sleep 60
}

while read -r m; do
	out=$(insmod "/modules/$m" 2>&1) || fail "insmod $m: $out"
done </modules.order
grep -qw svm /proc/cpuinfo ||
	fail "TCG gave the L1 no SVM: no svm flag in /proc/cpuinfo (qemu -cpu max)"
[ -c /dev/kvm ] || fail "kvm_amd loaded but there is no /dev/kvm: $(dmesg | grep -i -m1 'kvm\|svm')"

P9="trans=virtio,version=9p2000.L,msize=524288"
mount -t 9p -o "$P9,ro,cache=loose" hostroot /newroot ||
	fail "cannot mount the machine's root (9p tag hostroot)"
for d in tmp run var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs "/newroot/$d" || fail "tmpfs on /$d"
done
mkdir -p "$STATE" /newroot/run/kvmhost-scratch
mount -t 9p -o "$P9,cache=none" $STATE_TAG "$STATE" || fail "cannot mount the state share"
mount -t ext4 -o noinit_itable,nobarrier /dev/vda /newroot/run/kvmhost-scratch ||
	fail "cannot mount the scratch disk /dev/vda"
# The job names the shares to mount read-write at their own paths (made
# first: a checkout under /tmp lies under the tmpfs now).
while read -r tag path; do
	mkdir -p "/newroot$path" 2>/dev/null
	mount -t 9p -o "$P9,cache=none" "$tag" "/newroot$path" ||
		fail "cannot mount $path (9p tag $tag) read-write"
done <"$STATE/shares"
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
exec switch_root /newroot /bin/bash /run/kvmhost/l1-stage2.sh
