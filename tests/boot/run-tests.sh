#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh - tier 3: boot the guest-config Linux kernel under lightvm and
# assert on lightvm's exit code and on the console.  Every case ends on its
# own: the init either reports through the exit port (VMX/SVM hosts) or, on
# PVM hosts where guest user space cannot make system calls, spins without
# syscalls and then faults, so the kernel panics and lightvm exits 120.
#
#   tests/boot/run-tests.sh [case...]     all cases, or only those named
#
# Environment:
#   LIGHTVM             lightvm binary (default ./lightvm)
#   LIGHTVM_TIER        pvm | vmx: override the host detection
#   LIGHTVM_SLOW_TESTS  1: also boot the stock Debian kernel (minutes)
#
# The kernel is built (first run) and cached by guest-config/build-kernel.sh.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIGHTVM=${LIGHTVM:-$ROOT/lightvm}
OUT=$ROOT/build/boot
LOG_DIR=$OUT/logs
mkdir -p "$LOG_DIR" || exit 2

passed=0
failed=0
SELECTED=("$@")

selected() {
	local c

	[ ${#SELECTED[@]} -eq 0 ] && return 0
	for c in "${SELECTED[@]}"; do
		[ "$c" = "$1" ] && return 0
	done
	return 1
}

pass() {
	echo "PASS $1 ($2)"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1 ($2)"
	failed=$((failed + 1))
	if [ -f "$LOG_DIR/$1.log" ]; then
		echo "---- last 25 lines of $LOG_DIR/$1.log"
		tail -n 25 "$LOG_DIR/$1.log"
		echo "----"
	fi
}

# The tier comes from lightvm itself, which reports the host it detected.
detect_tier() {
	if [ -n "${LIGHTVM_TIER:-}" ]; then
		echo "$LIGHTVM_TIER"
		return
	fi
	if "$LIGHTVM" run -k "$ROOT/build/guest/hello.elf" -v 2>&1 >/dev/null |
	   grep -q "host: PVM"; then
		echo pvm
	else
		echo vmx
	fi
}

# boot NAME EXPECTED_EXIT TIMEOUT PATTERN... -- lightvm run options...
# Runs lightvm, keeps the console in $LOG_DIR/NAME.log, checks the exit
# code and that every PATTERN (grep -E) appears on the console.
boot() {
	local name=$1 expected=$2 timeout=$3 log=$LOG_DIR/$1.log
	local patterns=() start rc secs p
	shift 3

	selected "$name" || return 0
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		patterns+=("$1")
		shift
	done
	shift
	start=$(date +%s%3N)
	timeout -k 10 $((timeout + 60)) "$LIGHTVM" run "$@" --timeout "$timeout" \
		--console-log "$log" </dev/null >"$log.stderr" 2>&1
	rc=$?
	secs=$(( ($(date +%s%3N) - start) / 1000 ))
	cat "$log.stderr" >>"$log"
	if [ "$rc" -ne "$expected" ]; then
		fail "$name" "exit $rc after ${secs}s, expected $expected"
		return
	fi
	for p in "${patterns[@]}"; do
		if ! grep -qE "$p" "$log"; then
			fail "$name" "console lacks /$p/ (exit $rc, ${secs}s)"
			return
		fi
	done
	pass "$name" "exit $rc, ${secs}s"
}

if [ ! -x "$LIGHTVM" ]; then
	echo "lightvm not found at $LIGHTVM (run make)" >&2
	exit 2
fi

echo "== building the guest kernel (cached after the first run)"
KDIR=$("$ROOT/guest-config/build-kernel.sh" | tail -n 1) || {
	echo "guest kernel build failed"
	echo "0 passed, 1 failed"
	exit 1
}
BZ=$KDIR/bzImage
VMLINUX=$KDIR/vmlinux
"$ROOT/guest-config/build-initramfs.sh" spin "$OUT/spin.cpio" >/dev/null || exit 1

TIER=$(detect_tier)
# Kernel-level speed under emulation: no W^X page-table rework, and less
# RAM (struct page set-up and freeing cost ~20 ms per MiB when emulated).
FAST="rodata=off"
MEM=(-m 128M)
REACHED="Run /init as init process"

if [ "$TIER" = pvm ]; then
	echo "== tier: PVM host - kernel-level checks (guest user space cannot make system calls here)"
	# The init spins without syscalls, then faults: the kernel kills it.
	INIT_RAN="Attempted to kill init! exitcode=0x00000004"
	INITRD=$OUT/spin.cpio
	INIT_PARAMS="lightvm_init_exit=1 $FAST"
	INIT_EXIT=120
else
	echo "== tier: VMX/SVM host - kernel-level and user-space checks"
	"$ROOT/guest-config/build-initramfs.sh" cinit "$OUT/cinit.cpio" >/dev/null || exit 1
	INIT_RAN="cinit: RESULT test=mounts PASS"
	INITRD=$OUT/cinit.cpio
	INIT_PARAMS="lightvm.test=mounts $FAST"
	INIT_EXIT=0
fi

# Host-side decompression (the default) reaches init, and init runs; the
# PCI scan finds the host bridge and pvpanic.
PCI_SEEN="pci 0000:00:00.0: \[8086:1237\] type 00 class 0x060000"
boot linux-bzimage "$INIT_EXIT" 300 "$REACHED" "$INIT_RAN" "$PCI_SEEN" \
	"pci 0000:00:01.0: \[1b36:0011\]" -- \
	-k "$BZ" -i "$INITRD" "${MEM[@]}" -p "$INIT_PARAMS"

# The uncompressed vmlinux through its PVH entry.
boot linux-vmlinux-pvh "$INIT_EXIT" 300 "$REACHED" "$INIT_RAN" -- \
	-k "$VMLINUX" -i "$INITRD" "${MEM[@]}" -p "$INIT_PARAMS"

# Two vCPUs: Linux finds both in the MP table and starts the AP.
boot linux-smp2 "$INIT_EXIT" 400 "smp: Brought up 1 node, 2 CPUs" "$REACHED" -- \
	-k "$BZ" -i "$INITRD" "${MEM[@]}" -c 2 -p "$INIT_PARAMS"

# When init dies the kernel panics and tells pvpanic, which stops the VM
# with 120 (lightvm names the source on stderr, kept in the log).
boot linux-init-exits 120 300 "Kernel panic - not syncing: Attempted to kill init" \
	"guest kernel panicked \(pvpanic\)" -- \
	-k "$BZ" -i "$OUT/spin.cpio" "${MEM[@]}" -p "lightvm_init_exit=1 $FAST"

# virtio-blk root: an ext4 image made here, /sbin/init being the
# no-syscall init (it runs on every tier).  Linux must find the device on
# the PCI bus, size vda right and mount it; afterwards the host sees the
# mount count go up and e2fsck -n finds the image consistent.
ext4_root() {
	local name=linux-ext4-root img=$OUT/root.ext4 stage=$OUT/root.stage
	local before after

	selected "$name" || return 0
	rm -rf "$stage" "$img"
	mkdir -p "$stage/sbin" "$stage/dev"
	(cd "$stage" && cpio -i --quiet --to-stdout init <"$OUT/spin.cpio" >sbin/init) &&
		chmod 755 "$stage/sbin/init" && truncate -s 64M "$img" &&
		mkfs.ext4 -q -F -L lightvm-root -d "$stage" "$img" || {
		fail "$name" "could not build the ext4 image"
		return
	}
	before=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Mount count: *//p')
	boot "$name" 120 300 "pci 0000:00:02.0: \[1af4:1001\] type 00 class 0x018000" \
		"virtio_blk virtio0: \[vda\] 131072 512-byte logical blocks" \
		"EXT4-fs \(vda\): mounted filesystem" "Run /sbin/init as init process" \
		"guest kernel panicked \(pvpanic\)" -- \
		-k "$BZ" --disk "$img" "${MEM[@]}" \
		-p "root=/dev/vda rw rootfstype=ext4 lightvm_init_exit=1 $FAST"
	after=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Mount count: *//p')
	if [ "$after" != $((before + 1)) ]; then
		fail "$name-host" "mount count $before -> $after, expected +1"
	elif ! e2fsck -n "$img" >"$LOG_DIR/$name.e2fsck" 2>&1; then
		fail "$name-host" "e2fsck -n: $(tail -n 1 "$LOG_DIR/$name.e2fsck")"
	else
		pass "$name-host" "mount count $before -> $after, e2fsck -n clean"
	fi
}
ext4_root

# virtio-net: Linux configures eth0 statically from ip= (no user space
# needed), then the host pings it 100 times with 1400-byte payloads from
# a network namespace holding the tap (traffic stays inside it), none may
# be lost.  The init spins for ever here (no lightvm_init_exit): lightvm
# is stopped with SIGTERM once the pings are done and must exit 143.  The
# namespace goes away on every way out.
NET_NS=""
net_ns_down() {
	[ -n "$NET_NS" ] && ip netns del "$NET_NS" 2>/dev/null
	NET_NS=""
}

# net_ping NAME IP-PARAM [dhcp]: eth0 configured from ip= (static, or by
# DHCP from busybox udhcpd in the namespace), then 100 pings from there.
net_ping() {
	local name=$1 ipconf=$2 dhcp=${3:-} log=$LOG_DIR/$1.log
	local ping_log=$LOG_DIR/$1.ping
	local up="IP-Config: Complete" pid rc i start secs summary
	local ns_exec dhcpd_pid=""

	selected "$name" || return 0
	if ! command -v ping >/dev/null; then
		fail "$name" "ping not installed (iputils-ping)"
		return
	fi
	NET_NS=lvtest$$
	trap net_ns_down EXIT
	trap 'net_ns_down; exit 130' INT
	trap 'net_ns_down; exit 143' TERM
	ns_exec=(ip netns exec "$NET_NS")
	if ! { ip netns add "$NET_NS" &&
	       "${ns_exec[@]}" ip link set lo up &&
	       "${ns_exec[@]}" ip tuntap add tap0 mode tap &&
	       "${ns_exec[@]}" ip link set tap0 up &&
	       "${ns_exec[@]}" ip addr add 10.0.2.1/24 dev tap0; } 2>"$log.stderr"; then
		fail "$name" "cannot set up tap0 in a network namespace: $(tail -n 1 "$log.stderr")"
		net_ns_down
		return
	fi
	rm -f "$log" "$ping_log"
	if [ "$dhcp" = dhcp ]; then
		# One lease, for the guest; only inside this namespace.
		printf '%s\n' "start 10.0.2.15" "end 10.0.2.15" "interface tap0" \
			"lease_file $OUT/udhcpd.leases" "option subnet 255.255.255.0" \
			"option router 10.0.2.1" >"$OUT/udhcpd.conf"
		: >"$OUT/udhcpd.leases"
		"${ns_exec[@]}" busybox udhcpd -f "$OUT/udhcpd.conf" \
			>"$log.dhcpd" 2>&1 &
		dhcpd_pid=$!
	fi
	start=$(date +%s%3N)
	"${ns_exec[@]}" "$LIGHTVM" run -k "$BZ" -i "$OUT/spin.cpio" "${MEM[@]}" \
		--net tap0 -v --timeout 600 --console-log "$log" \
		-p "$ipconf $FAST" </dev/null >"$log.stderr" 2>&1 &
	pid=$!
	# Boot takes ~20 s here; eth0 is up once IP-Config says so.
	for i in $(seq 300); do
		grep -q "$up" "$log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	if grep -q "$up" "$log" 2>/dev/null; then
		"${ns_exec[@]}" ping -c 100 -s 1400 -i 0.05 -W 2 10.0.2.15 \
			>"$ping_log" 2>&1
	fi
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	secs=$(( ($(date +%s%3N) - start) / 1000 ))
	[ -n "$dhcpd_pid" ] && kill "$dhcpd_pid" 2>/dev/null && wait "$dhcpd_pid" 2>/dev/null
	net_ns_down
	trap - EXIT INT TERM
	cat "$log.stderr" >>"$log"
	summary=$(grep -E "packets transmitted" "$ping_log" 2>/dev/null)
	if ! grep -q "$up" "$log"; then
		fail "$name" "eth0 never configured (exit $rc, ${secs}s)"
	elif [ "$dhcp" = dhcp ] &&
	     ! grep -q "IP-Config: Got DHCP answer from 10.0.2.1, my address is 10.0.2.15" "$log"; then
		fail "$name" "no DHCP answer on the console"
	elif [ "$rc" -ne 143 ]; then
		fail "$name" "exit $rc after SIGTERM, expected 143"
	elif ! grep -q "^100 packets transmitted, 100 received, 0% packet loss" "$ping_log"; then
		fail "$name" "ping: ${summary:-$(tail -n 1 "$ping_log")}"
	elif ! grep -qE "virtio_net virtio[0-9]+ eth0|device=eth0, hwaddr=52:54:00:" "$log"; then
		fail "$name" "no eth0 with the default 52:54:00 MAC on the console"
	elif ! grep -qE "virtio-net tap0 at .*\(0 exited to user space\).*, 0 needs-reset" "$log"; then
		fail "$name" "-v counters: $(grep -E 'virtio-net tap0 at' "$log")"
	else
		pass "$name" "exit $rc, ${secs}s; $summary; $(grep -E 'rtt min' "$ping_log")"
	fi
}
net_ping linux-virtio-net-ping "ip=10.0.2.15::10.0.2.1:255.255.255.0::eth0:off"
net_ping linux-virtio-net-dhcp "ip=dhcp" dhcp

# The kernel's own decompressor (slow when emulated: minutes).
boot linux-guest-decompress "$INIT_EXIT" 900 "$REACHED" "$INIT_RAN" -- \
	-k "$BZ" -i "$INITRD" "${MEM[@]}" --guest-decompress -p "$INIT_PARAMS"

if [ "${LIGHTVM_SLOW_TESTS:-0}" = 1 ]; then
	DK=$("$ROOT/guest-config/fetch-debian-kernel.sh" | tail -n 1)
	if [ "$TIER" = pvm ]; then
		# Boot-time work that takes minutes when emulated: see the file.
		DEBIAN_PARAMS=$(grep -v '^#' "$ROOT/guest-config/debian-stock.cmdline" | tr '\n' ' ')
		boot debian-stock "$INIT_EXIT" 2400 "$REACHED" -- \
			-k "$DK/vmlinuz" -i "$OUT/spin.cpio" -m 512M \
			-p "lightvm_init_exit=1 $DEBIAN_PARAMS"
	else
		boot debian-stock 0 600 "virtio_blk|virtio_net|$REACHED" -- \
			-k "$DK/vmlinuz" -i "$DK/initramfs-busybox.cpio" -m 1G
	fi
else
	echo "SKIP debian-stock (slow tier: set LIGHTVM_SLOW_TESTS=1 to boot the stock Debian kernel)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
