#!/bin/sh
# The default guest's self-test (scripts/bootstrap.sh without a terminal):
# user space runs programs, sees its CPUs, memory and devices.
echo "selftest: $(uname -sr), $(nproc) CPU(s), $(awk '/MemTotal/ {print $2}' /proc/meminfo) kB"
for d in /sys/block/vd*; do
	[ -e "$d" ] && echo "selftest: disk ${d##*/}: $(cat "$d/size") sectors"
done
ls / >/dev/null || exit 1
echo hello | grep -q hello || exit 1
[ $((6 * 7)) = 42 ] || exit 1
echo "selftest: PASS"
