#!/bin/sh
# /init of lightvm's busybox initramfs (VMX/SVM hosts: it needs system calls).
# Mounts proc/sys/dev, loads the modules listed in /lib/modules/lightvm.order
# (if any, for stock distribution kernels), prints a banner and runs an
# interactive shell on the console, restarting it when it exits.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

if [ -f /lib/modules/lightvm.order ]; then
	while read -r mod; do
		[ -n "$mod" ] || continue
		if insmod "/lib/modules/$mod" 2>/tmp/insmod.err; then
			echo "lightvm-init: loaded $mod"
		else
			echo "lightvm-init: insmod $mod failed: $(cat /tmp/insmod.err)"
		fi
	done < /lib/modules/lightvm.order
fi

hostname lightvm
echo
echo "=== lightvm busybox guest: $(uname -sr) on $(uname -m), $(grep -c ^processor /proc/cpuinfo) CPU(s) ==="
echo "cmdline: $(cat /proc/cmdline)"
for d in /sys/block/vd*; do
	[ -e "$d" ] && echo "block: ${d##*/} $(cat "$d/size") sectors"
done
for n in /sys/class/net/*; do
	[ -e "$n" ] && [ "${n##*/}" != lo ] && echo "net: ${n##*/} $(cat "$n/address")"
done
echo "lightvm-init: ready"

# lightvm.script=NAME: run /tests/NAME.sh instead of a shell, and end the
# VM with its status (lightvm exits with it).
script=$(sed -n 's/.*lightvm\.script=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$script" ]; then
	if [ -f "/tests/$script.sh" ]; then
		echo "lightvm-init: running /tests/$script.sh"
		sh "/tests/$script.sh"
		status=$?
	else
		echo "lightvm-init: no script /tests/$script.sh"
		status=127
	fi
	echo "lightvm-init: RESULT script=$script status=$status"
	sync
	exec lightvm-exit "$status"
fi

while :; do
	setsid cttyhack sh -l
	echo "lightvm-init: shell exited, starting a new one"
	sleep 1
done
