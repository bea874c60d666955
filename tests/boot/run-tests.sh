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
#   tests/boot/run-tests.sh --prepare     only build what the cases boot
#                                         (kernel, initramfs images, the
#                                         Debian kernel): on the machine,
#                                         before the cases run in the
#                                         nested KVM host
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

PREPARE=0
if [ "${1:-}" = --prepare ]; then
	PREPARE=1
	shift
fi
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

# What boot() puts in front of lightvm (net cases: ip netns exec NS).
BOOT_PREFIX=()

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
	# lightvm's own options first: with --rootfs, what follows -- in
	# "$@" is the guest's command.
	timeout -k 10 $((timeout + 60)) "${BOOT_PREFIX[@]}" "$LIGHTVM" run --timeout "$timeout" \
		--console-log "$log" "$@" </dev/null >"$log.stderr" 2>&1
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
	clean_log "$name" "$log" || return
	pass "$name" "exit $rc, ${secs}s"
}

# On VMX/SVM hosts a Linux boot must not complain about the virtual
# machine: no WARNING (a WARN_ON fired), no BUG, no XSAVE inconsistency.
clean_log() {
	local name=$1 log=$2 bad

	[ "${TIER:-}" = vmx ] || return 0
	bad=$(grep -m 1 -E "WARNING:|BUG:|XSAVE consistency problem|Oops" "$log")
	if [ -n "$bad" ]; then
		fail "$name" "the guest complained: $bad"
		return 1
	fi
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# fsck_ok NAME IMG: e2fsck -n finds IMG clean; else case NAME-host fails.
fsck_ok() {
	e2fsck -n -f "$2" >"$LOG_DIR/$1.e2fsck" 2>&1 && return 0
	fail "$1-host" "e2fsck -n: $(tail -n 1 "$LOG_DIR/$1.e2fsck")"
	return 1
}

# rebuild OUT KIND: build an initramfs unless it is newer than its sources.
initramfs() {
	local kind=$1 out=$2

	if [ -s "$out" ] && [ -z "$(find "$ROOT/guest-config/initramfs" \
	     "$ROOT/guest-config/build-initramfs.sh" -newer "$out" | head -n 1)" ]; then
		return 0
	fi
	"$ROOT/guest-config/build-initramfs.sh" "$kind" "$out" >/dev/null
}

if [ ! -x "$LIGHTVM" ]; then
	echo "lightvm not found at $LIGHTVM (run make)" >&2
	exit 2
fi

# In the nested test host everything is emulated: building the kernel
# there would take hours, so it must have been built on the machine first
# (--prepare, as `make boot-tests` and scripts/test.sh do).
if [ -n "${LIGHTVM_NESTED_HOST:-}" ] && [ "$PREPARE" = 0 ]; then
	KDIR=$("$ROOT/guest-config/build-kernel.sh" --print-dir) || {
		echo "the guest kernel is not built: run tests/boot/run-tests.sh --prepare on the machine first"
		echo "0 passed, 1 failed"
		exit 1
	}
else
	echo "== building the guest kernel (cached after the first run)"
	KDIR=$("$ROOT/guest-config/build-kernel.sh" | tail -n 1) || {
		echo "guest kernel build failed"
		echo "0 passed, 1 failed"
		exit 1
	}
fi
BZ=$KDIR/bzImage
VMLINUX=$KDIR/vmlinux
for kind in spin cinit busybox; do
	initramfs "$kind" "$OUT/$kind.cpio" || exit 1
done
# The same kernel without the legacy virtio-PCI driver: an incremental
# build of the same tree (a minute or two the first time), then cached.
if [ "$PREPARE" = 1 ] || [ -z "${LIGHTVM_NESTED_HOST:-}" ]; then
	MODERN_KDIR=$("$ROOT/guest-config/build-kernel.sh" --variant modern-only | tail -n 1) || MODERN_KDIR=""
else
	MODERN_KDIR=$("$ROOT/guest-config/build-kernel.sh" --variant modern-only --print-dir) || MODERN_KDIR=""
fi
# The stock Debian kernel: every run on VMX/SVM, the slow tier on PVM.
debian_kernel() {
	DK=$("$ROOT/guest-config/fetch-debian-kernel.sh" | tail -n 1) || DK=""
}
if [ "$PREPARE" = 1 ]; then
	debian_kernel
	echo "== prepared: $KDIR, ${MODERN_KDIR:-no modern-only variant}, $OUT/{spin,cinit,busybox}.cpio, Debian kernel ${DK:-missing}"
	[ -n "$DK" ] && [ -n "$MODERN_KDIR" ]
	exit
fi

TIER=$(detect_tier)
DK=""
if [ "$TIER" = vmx ] || [ "${LIGHTVM_SLOW_TESTS:-0}" = 1 ]; then
	debian_kernel
fi
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
# ext4_root NAME KERNEL DISK-OPTIONS DEVICE-ID INTERFACE: the above on one
# virtio-blk; -v must say which virtio-PCI interface the driver took.
ext4_root() {
	local name=$1 kernel=$2 opts=$3 id=$4 iface=$5
	local img=$OUT/$1.ext4 stage=$OUT/root.stage
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
	boot "$name" 120 300 "pci 0000:00:02.0: \[1af4:$id\] type 00 class 0x018000" \
		"virtio_blk virtio0: \[vda\] 131072 512-byte logical blocks" \
		"EXT4-fs \(vda\): mounted filesystem" "Run /sbin/init as init process" \
		"guest kernel panicked \(pvpanic\)" \
		"virtio-blk $name.ext4: the driver uses the $iface interface" -- \
		-k "$kernel" --disk "$img$opts" "${MEM[@]}" -v \
		-p "root=/dev/vda rw rootfstype=ext4 lightvm_init_exit=1 $FAST"
	after=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Mount count: *//p')
	if [ "$after" != $((before + 1)) ]; then
		fail "$name-host" "mount count $before -> $after, expected +1"
	elif fsck_ok "$name" "$img"; then
		pass "$name-host" "mount count $before -> $after, e2fsck -n clean"
	fi
}
# A transitional device (the default): Linux takes the modern interface.
ext4_root linux-ext4-root "$BZ" "" 1001 "modern \(virtio 1.x\)"
# The same kernel on a legacy-only device, and on a modern-only one.
ext4_root linux-ext4-root-legacy "$BZ" ",transport=legacy" 1001 legacy
ext4_root linux-ext4-root-modern "$BZ" ",transport=modern" 1042 "modern \(virtio 1.x\)"

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
	trap - EXIT INT TERM
}

# net_ns_up NAME: a namespace holding tap0 at 10.0.2.1/24, removed on every
# way out; NS_EXEC runs a command inside.  Fails case NAME if impossible.
net_ns_up() {
	local name=$1 err=$LOG_DIR/$1.ns

	NET_NS=lvtest$$
	trap net_ns_down EXIT
	trap 'net_ns_down; exit 130' INT
	trap 'net_ns_down; exit 143' TERM
	NS_EXEC=(ip netns exec "$NET_NS")
	if ! { ip netns add "$NET_NS" &&
	       "${NS_EXEC[@]}" ip link set lo up &&
	       "${NS_EXEC[@]}" ip tuntap add tap0 mode tap &&
	       "${NS_EXEC[@]}" ip link set tap0 up &&
	       "${NS_EXEC[@]}" ip addr add 10.0.2.1/24 dev tap0; } 2>"$err"; then
		fail "$name" "cannot set up tap0 in a network namespace: $(tail -n 1 "$err")"
		net_ns_down
		return 1
	fi
}

# net_ping NAME IP-PARAM [dhcp]: eth0 configured from ip= (static, or by
# DHCP from busybox udhcpd in the namespace), then 100 pings from there.
# NET_KERNEL, NET_BOOT (initrd and other lightvm options) and NET_PARAMS
# change what boots; NET_EXPECT lists more console patterns to require.
NET_KERNEL=""
NET_BOOT=()
NET_PARAMS=""
NET_EXPECT=()
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
	net_ns_up "$name" || return
	ns_exec=("${NS_EXEC[@]}")
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
	local boot_args=(-i "$OUT/spin.cpio")
	[ ${#NET_BOOT[@]} -gt 0 ] && boot_args=("${NET_BOOT[@]}")
	"${ns_exec[@]}" "$LIGHTVM" run -k "${NET_KERNEL:-$BZ}" "${boot_args[@]}" \
		"${MEM[@]}" --net tap0 -v --timeout 600 --console-log "$log" \
		-p "$ipconf $NET_PARAMS $FAST" </dev/null >"$log.stderr" 2>&1 &
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
	elif ! grep -qE "virtio-net tap0: the driver uses the modern \(virtio 1.x\) interface" "$log"; then
		fail "$name" "the driver did not take the modern interface"
	else
		for p in "${NET_EXPECT[@]}"; do
			if ! grep -qE "$p" "$log"; then
				fail "$name" "console lacks /$p/"
				return
			fi
		done
		clean_log "$name" "$log" &&
		pass "$name" "exit $rc, ${secs}s; $summary; $(grep -E 'rtt min' "$ping_log")"
	fi
}
net_ping linux-virtio-net-ping "ip=10.0.2.15::10.0.2.1:255.255.255.0::eth0:off"
net_ping linux-virtio-net-dhcp "ip=dhcp" dhcp

# The guest-config kernel without the legacy virtio-PCI driver
# (variant-modern-only.config): both devices bind through the modern
# interface, it mounts its ext4 root from vda and answers the pings.
modern_only() {
	local name=linux-modern-only img=$OUT/modern-only.ext4 stage=$OUT/root.stage

	selected "$name" || return 0
	if [ -z "$MODERN_KDIR" ]; then
		fail "$name" "the modern-only kernel variant is not built"
		return
	fi
	rm -rf "$stage" "$img"
	mkdir -p "$stage/sbin" "$stage/dev"
	(cd "$stage" && cpio -i --quiet --to-stdout init <"$OUT/spin.cpio" >sbin/init) &&
		chmod 755 "$stage/sbin/init" && truncate -s 64M "$img" &&
		mkfs.ext4 -q -F -d "$stage" "$img" || {
		fail "$name" "could not build the ext4 image"
		return
	}
	NET_KERNEL=$MODERN_KDIR/bzImage
	NET_BOOT=(--disk "$img")
	NET_PARAMS="root=/dev/vda rw rootfstype=ext4"
	NET_EXPECT=("EXT4-fs \(vda\): mounted filesystem" "Run /sbin/init as init process"
		    "virtio-blk modern-only.ext4: the driver uses the modern \(virtio 1.x\) interface")
	net_ping "$name" "ip=10.0.2.15::10.0.2.1:255.255.255.0::eth0:off"
	NET_KERNEL="" NET_BOOT=() NET_PARAMS="" NET_EXPECT=()
	if ! grep -qx "# CONFIG_VIRTIO_PCI_LEGACY is not set" "$MODERN_KDIR/config"; then
		fail "$name" "the variant kernel still has CONFIG_VIRTIO_PCI_LEGACY"
	fi
}
modern_only

# The kernel's own decompressor (slow when emulated: minutes).
boot linux-guest-decompress "$INIT_EXIT" 900 "$REACHED" "$INIT_RAN" -- \
	-k "$BZ" -i "$INITRD" "${MEM[@]}" --guest-decompress -p "$INIT_PARAMS"

# ---- VMX/SVM hosts: guest user space (the busybox and C inits) ----

USER_NET="ip=10.0.2.15::10.0.2.1:255.255.255.0::eth0:off"

# boot_ok NAME ...: boot(), then true if that case passed.
boot_ok() {
	local before=$failed

	boot "$@"
	[ "$failed" = "$before" ]
}


# The C init's blk and net tests: what user space sees of both devices.
user_cinit() {
	local img=$OUT/user-blk.img

	rm -f "$img"
	truncate -s 32M "$img"
	boot linux-user-blk 0 300 "cinit: RESULT test=blk PASS" "65536" -- \
		-k "$BZ" -i "$OUT/cinit.cpio" "${MEM[@]}" --disk "$img" \
		-p "lightvm.test=blk $FAST"
	selected linux-user-net || return 0
	net_ns_up linux-user-net || return 0
	BOOT_PREFIX=("${NS_EXEC[@]}")
	boot linux-user-net 0 300 "cinit: RESULT test=net PASS" "52:54:00:" -- \
		-k "$BZ" -i "$OUT/cinit.cpio" "${MEM[@]}" --net tap0 \
		-p "lightvm.test=net $FAST"
	BOOT_PREFIX=()
	net_ns_down
}

# A guest program writes 65 files on an ext4 file system on vda; the host
# reads each back from the image with debugfs (no mount) and compares the
# checksums the guest printed, then e2fsck -n must find it clean.
user_files() {
	local name=linux-user-files img=$OUT/user-files.ext4 log=$LOG_DIR/linux-user-files.log
	local n=0 bad="" sum file got tmp=$OUT/user-files.dump

	selected "$name" || return 0
	rm -f "$img"
	truncate -s 128M "$img" && mkfs.ext4 -q -F -L lightvm-files "$img" || {
		fail "$name" "mkfs.ext4 failed"
		return
	}
	boot_ok "$name" 0 300 "blk-files: 65 files written" \
		"lightvm-init: RESULT script=blk-files status=0" -- \
		-k "$BZ" -i "$OUT/busybox.cpio" -m 256M --disk "$img" \
		-p "lightvm.script=blk-files $FAST" || return
	while read -r sum file; do
		rm -f "$tmp"
		debugfs -R "dump /lightvm/$file $tmp" "$img" >/dev/null 2>&1
		got=$(sha "$tmp" 2>/dev/null)
		[ "$got" = "$sum" ] || bad="$bad $file"
		n=$((n + 1))
	done < <(tr -d '\r' <"$log" | sed -n 's/^SHA //p')
	rm -f "$tmp"
	if [ "$n" -ne 65 ] || [ -n "$bad" ]; then
		fail "$name-host" "$n checksums on the console, differing on the host:${bad:- none}"
	elif fsck_ok "$name" "$img"; then
		pass "$name-host" "65 files read back with debugfs, checksums equal, e2fsck -n clean"
	fi
}

# 10 MiB each way over TCP between guest user space (busybox nc) and the
# test's namespace; both sides compare SHA-256 sums.
user_nc() {
	local name=linux-user-nc log=$LOG_DIR/linux-user-nc.log
	local to=$OUT/nc-to-guest from=$OUT/nc-from-guest hold=$OUT/nc.hold
	local pid rc t0 t1 rx tx rx_span tx_span lpid

	selected "$name" || return 0
	net_ns_up "$name" || return
	head -c 10485760 /dev/urandom >"$to"
	rm -f "$from" "$hold" "$log"
	# A receiving busybox nc quits when its stdin ends: hold it open.
	mkfifo "$hold"
	exec 8<>"$hold"
	"${NS_EXEC[@]}" busybox nc -l -p 5001 <"$hold" >"$from" &
	lpid=$!
	"${NS_EXEC[@]}" "$LIGHTVM" run -k "$BZ" -i "$OUT/busybox.cpio" -m 256M \
		--net tap0 -vv --timeout 300 --console-log "$log" \
		-p "$USER_NET lightvm.script=nc $FAST" </dev/null >"$log.stderr" 2>&1 &
	pid=$!
	for _ in $(seq 240); do
		grep -q "nc: listening on 5000" "$log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	t0=$(date +%s%N)
	"${NS_EXEC[@]}" busybox nc 10.0.2.15 5000 <"$to"
	t1=$(date +%s%N)
	wait "$pid"
	rc=$?
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	exec 8>&-
	rm -f "$hold"
	net_ns_down
	cat "$log.stderr" >>"$log"
	rx=$(tr -d '\r' <"$log" | sed -n 's/^nc: RX \([0-9a-f]*\) 10485760 bytes.*/\1/p')
	tx=$(tr -d '\r' <"$log" | sed -n 's/^nc: TX \([0-9a-f]*\) 10485760 bytes.*/\1/p')
	rx_span=$(tr -d '\r' <"$log" | sed -n 's/^nc: RX .*, \(.*\) s$/\1/p')
	tx_span=$(tr -d '\r' <"$log" | sed -n 's/^nc: sent, \(.*\) s$/\1/p')
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit $rc, expected 0"
	elif [ "$rx" != "$(sha "$to")" ]; then
		fail "$name" "host->guest: the guest received ${rx:-nothing whole}, sent $(sha "$to")"
	elif [ "$(stat -c %s "$from")" -ne 10485760 ] || [ "$tx" != "$(sha "$from")" ]; then
		fail "$name" "guest->host: the host received $(stat -c %s "$from") bytes, $(sha "$from"), the guest sent ${tx:-?}"
	elif ! grep -qE "virtio-net tap0 at .*\(0 exited to user space\).*, 0 needs-reset" "$log"; then
		fail "$name" "-v counters: $(grep -E 'virtio-net tap0 at' "$log")"
	else
		clean_log "$name" "$log" &&
		pass "$name" "10 MiB each way, SHA-256 equal; guest uptime host->guest $rx_span s, guest->host $tx_span s; host nc sent in $(( (t1 - t0) / 1000000 )) ms"
	fi
}

# The stock Debian kernel: its initramfs (busybox) insmods the virtio
# modules; ext4 (built in) mounts vda, reads the host's file, writes one
# the host then reads back.
debian_user() {
	local name=debian-stock img=$OUT/debian.ext4 stage=$OUT/debian.stage got

	selected "$name" || return 0
	if [ -z "$DK" ]; then
		fail "$name" "could not fetch the Debian kernel"
		return
	fi
	rm -rf "$stage" "$img"
	mkdir -p "$stage"
	echo "hello from the host" >"$stage/hello.txt"
	truncate -s 64M "$img" && mkfs.ext4 -q -F -d "$stage" "$img" || {
		fail "$name" "mkfs.ext4 failed"
		return
	}
	boot_ok "$name" 0 600 "lightvm-init: loaded virtio_blk.ko" \
		"virtio_blk virtio[0-9]: \[vda\]" "EXT4-fs \(vda\): mounted filesystem" \
		"ext4-mount: hello from the host" \
		"virtio-blk debian.ext4: the driver uses the modern \(virtio 1.x\) interface" -- \
		-k "$DK/vmlinuz" -i "$DK/initramfs-busybox.cpio" -m 512M --disk "$img" -v \
		-p "lightvm.script=ext4-mount" || return
	got=$(debugfs -R "cat /guest.txt" "$img" 2>/dev/null)
	if [ "$got" != "written by the guest" ]; then
		fail "$name-host" "the host read '${got}' from /guest.txt"
	elif fsck_ok "$name" "$img"; then
		pass "$name-host" "the guest's file read back, e2fsck -n clean"
	fi
}

user_space_cases() {
	user_cinit
	user_files
	user_nc
	# Two vCPUs in user space: nproc, and a loop pinned to each.
	boot linux-user-smp2 0 300 "nproc: 2 \(want 2\)" \
		"nproc: ran a loop pinned to CPU 1" -- \
		-k "$BZ" -i "$OUT/busybox.cpio" "${MEM[@]}" -c 2 \
		-p "lightvm.script=nproc lightvm.nproc=2 $FAST"
	debian_user
	virtiofs_cases
}

# shellcheck source=tests/boot/virtiofs-cases.sh
. "$ROOT/tests/boot/virtiofs-cases.sh"

if [ "$TIER" = vmx ]; then
	user_space_cases
elif [ "${LIGHTVM_SLOW_TESTS:-0}" = 1 ]; then
	if [ -z "$DK" ]; then
		fail debian-stock "could not fetch the Debian kernel"
	else
		# Boot-time work that takes minutes when emulated: see the file.
		DEBIAN_PARAMS=$(grep -v '^#' "$ROOT/guest-config/debian-stock.cmdline" | tr '\n' ' ')
		boot debian-stock "$INIT_EXIT" 2400 "$REACHED" -- \
			-k "$DK/vmlinuz" -i "$OUT/spin.cpio" -m 512M \
			-p "lightvm_init_exit=1 $DEBIAN_PARAMS"
	fi
else
	echo "SKIP debian-stock (PVM slow tier: set LIGHTVM_SLOW_TESTS=1 to boot the stock Debian kernel, ~15 min)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
