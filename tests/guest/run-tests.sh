#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh - tier 2: boot each test kernel under lightvm and check the
# exit code it ends with (lightvm's exit-code contract: 0-119 the guest's
# status on port 0xf4, 120 panic, 121 triple fault/reset, 122 KVM internal
# error, 124 --timeout).
#
#   tests/guest/run-tests.sh [case...]     all cases, or only those named
#
# Environment: LIGHTVM (default ./lightvm), GUEST_DIR (default build/guest),
# both relative to the repository root unless absolute.  Each run's
# console output is kept in $GUEST_DIR/logs/<case>.log.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# Resolve user-given paths against the caller's directory, defaults
# against the repository root.
abspath() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$2/$1" ;;
	esac
}
if [ -n "${LIGHTVM:-}" ]; then
	LIGHTVM=$(abspath "$LIGHTVM" "$PWD")
else
	LIGHTVM=$ROOT/lightvm
fi
if [ -n "${GUEST_DIR:-}" ]; then
	GUEST_DIR=$(abspath "$GUEST_DIR" "$PWD")
else
	GUEST_DIR=$ROOT/build/guest
fi
LOG_DIR=$GUEST_DIR/logs

TIMEOUT=20		# --timeout for every case but spin
SPIN_TIMEOUT=2		# spin's --timeout...
SPIN_WALL_MS=4000	# ...and how long lightvm may take to honour it
# A hung lightvm is killed this long after its own --timeout.
GUARD_EXTRA=30

passed=0
failed=0

now_ms() {
	date +%s%3N
}

# Whether case $1 was asked for on the command line (all when none were).
selected() {
	local c

	[ ${#SELECTED[@]} -eq 0 ] && return 0
	for c in "${SELECTED[@]}"; do
		[ "$c" = "$1" ] && return 0
	done
	return 1
}

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

fail() {
	local name=$1 why=$2

	echo "FAIL $name ($why)"
	failed=$((failed + 1))
	if [ -f "$LOG_DIR/$name.log" ]; then
		echo "---- last 20 lines of $LOG_DIR/$name.log"
		tail -n 20 "$LOG_DIR/$name.log"
		echo "----"
	fi
}

# Commands run_case puts in front of lightvm (the virtio-net cases run it
# inside their network namespace).
IN_NS=()

# run_case NAME EXPECTED TIMEOUT KERNEL [lightvm run options...]
# Sets ELAPSED_MS.  Returns 0 if lightvm exited with EXPECTED.
run_case() {
	local name=$1 expected=$2 timeout=$3 kernel=$4
	local elf=$GUEST_DIR/$kernel.elf log=$LOG_DIR/$name.log
	# A name with a dot is a file name as it is (multiboot-aout.bin).
	case $kernel in *.*) elf=$GUEST_DIR/$kernel ;; esac
	local guard=$((timeout + GUARD_EXTRA)) start rc
	shift 4

	local cmd=("${IN_NS[@]}" "$LIGHTVM" run -k "$elf" "$@" --timeout "$timeout")
	echo "# ${cmd[*]}" >"$log"
	if [ ! -f "$elf" ]; then
		echo "missing kernel $elf (make guest)" >>"$log"
		fail "$name" "missing $kernel.elf"
		return 1
	fi
	start=$(now_ms)
	timeout -k 5 "$guard" "${cmd[@]}" </dev/null >>"$log" 2>&1
	rc=$?
	ELAPSED_MS=$(($(now_ms) - start))
	echo "# exit $rc after $ELAPSED_MS ms" >>"$log"
	if [ "$ELAPSED_MS" -ge $((guard * 1000)) ]; then
		fail "$name" "hung: killed after $guard s, expected exit $expected"
		return 1
	fi
	if [ "$rc" -ne "$expected" ]; then
		fail "$name" "exit $rc, expected $expected"
		return 1
	fi
	return 0
}

# check NAME EXPECTED KERNEL [options...]: the common case.
check() {
	local name=$1 expected=$2 kernel=$3
	shift 3

	selected "$name" || return 0
	run_case "$name" "$expected" "$TIMEOUT" "$kernel" "$@" && pass "$name"
}

# spin must be stopped by --timeout, and promptly.
check_spin() {
	local name=spin-timeout secs

	selected "$name" || return 0
	run_case "$name" 124 "$SPIN_TIMEOUT" spin || return 0
	secs=$(printf '%d.%03d' $((ELAPSED_MS / 1000)) $((ELAPSED_MS % 1000)))
	if [ "$ELAPSED_MS" -gt "$SPIN_WALL_MS" ]; then
		fail "$name" \
			"took $secs s for --timeout $SPIN_TIMEOUT, limit $((SPIN_WALL_MS / 1000)) s"
		return 0
	fi
	# Where the guest was: in its spin loop, "pause; jmp" (f3 90 eb fc).
	if ! grep -Eq "timeout: vCPU 0 was at RIP 0x[0-9a-f]*, bytes (f3 90|eb fc)" \
		"$LOG_DIR/$name.log"; then
		fail "$name" "no vCPU position reported at the timeout"
		return 0
	fi
	pass "$name"
}

# --console-log: the console lands in the file, nothing on stdout.
check_console_log() {
	local name=console-log clog=$LOG_DIR/console-log.console

	selected "$name" || return 0
	rm -f "$clog"
	run_case "$name" 0 "$TIMEOUT" hello --console-log "$clog" || return 0
	if ! grep -q "hello from lightvm test kernel" "$clog" 2>/dev/null; then
		fail "$name" "console text missing from $clog"
	elif grep -q "hello from lightvm test kernel" "$LOG_DIR/$name.log"; then
		fail "$name" "console text also went to stdout"
	else
		pass "$name"
	fi
}

# Console input: the line piped to lightvm's stdin reaches the guest's
# UART by interrupt (serial_input exits 0 on an exact match, 2 otherwise).
check_serial_input() {
	local name=$1 input=$2 expected=$3 log rc

	selected "$name" || return 0
	log=$LOG_DIR/$name.log
	printf '%s\n' "$input" | timeout -k 5 $((TIMEOUT + GUARD_EXTRA)) \
		"$LIGHTVM" run -k "$GUEST_DIR/serial_input.elf" \
		--timeout "$TIMEOUT" >"$log" 2>&1
	rc=$?
	if [ $rc -ne "$expected" ]; then
		fail "$name" "exit $rc, expected $expected"
	else
		pass "$name"
	fi
}

# On a terminal lightvm switches it to raw mode; every way out must put it
# back.  script(1) gives lightvm a pty; the pty's settings (stty -g) are
# compared before and after.  INPUT is typed into the pty.
check_tty() {
	local name=$1 expected=$2 input=$3 inner=$4 log rc
	local cmd="stty -g >'$LOG_DIR/$name.before'; $inner; rc=\$?; stty -g >'$LOG_DIR/$name.after'; exit \$rc"

	selected "$name" || return 0
	log=$LOG_DIR/$name.log
	if ! command -v script >/dev/null; then
		fail "$name" "script(1) not installed"
		return 0
	fi
	printf "$input" | timeout -k 5 $((TIMEOUT + GUARD_EXTRA)) \
		script -qec "$cmd" /dev/null >"$log" 2>&1
	rc=$?
	if [ $rc -ne "$expected" ]; then
		fail "$name" "exit $rc, expected $expected"
	elif ! cmp -s "$LOG_DIR/$name.before" "$LOG_DIR/$name.after"; then
		fail "$name" "terminal settings not restored"
	else
		pass "$name"
	fi
}

# valgrind NAME KERNEL [options...]: memcheck finds no error and no leak.
check_valgrind() {
	local name=$1 kernel=$2 log
	shift 2

	selected "$name" || return 0
	log=$LOG_DIR/$name.log
	if ! command -v valgrind >/dev/null; then
		fail "$name" "valgrind not installed"
		return 0
	fi
	"${IN_NS[@]}" valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=all \
		"$LIGHTVM" run -k "$GUEST_DIR/$kernel.elf" "$@" --timeout 60 \
		</dev/null >"$log" 2>&1
	local rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name" "valgrind/lightvm exit $rc"
	else
		pass "$name"
	fi
}

# ---- virtio-blk: the test kernel writes, the host checks the images ----

# pattern_ok IMG FIRST COUNT: sectors FIRST..FIRST+COUNT-1 of IMG hold
# their own sector number in every 64-bit (little-endian) word.
pattern_ok() {
	od -A n -t u8 -v -j $(($2 * 512)) -N $(($3 * 512)) "$1" |
		awk -v first="$2" -v words=$(($3 * 64)) '
			{ for (i = 1; i <= NF; i++) {
				if ($i != first + int(n / 64)) bad++
				n++ } }
			END { exit !(n == words && !bad) }'
}

# An 8 MiB image of zeroes, and a read-only one full of random bytes
# (with a copy to compare against).
make_images() {
	mkdir -p "$LOG_DIR/images" || return 1
	IMG=$LOG_DIR/images/$1.img
	RO_IMG=$LOG_DIR/images/$1-ro.img
	rm -f "$IMG" "$RO_IMG" "$RO_IMG.orig"
	truncate -s 8M "$IMG" &&
		head -c 8M /dev/urandom >"$RO_IMG" &&
		cp "$RO_IMG" "$RO_IMG.orig"
}

# check_virtio_blk NAME DISK-OPTIONS GUEST-PARAMS [lightvm options...]:
# pattern, FLUSH, read back, GET_ID, read past the end, the read-only
# second disk; then the pattern must be in the image, nothing before it
# written, and the read-only image unchanged.
check_virtio_blk() {
	local name=$1 opts=$2 params=$3 serial=lightvm-disk-0
	shift 3

	selected "$name" || return 0
	make_images "$name" || { fail "$name" "cannot create images"; return 0; }
	run_case "$name" 0 "$TIMEOUT" virtio_blk \
		--disk "$IMG,serial=$serial$opts" --disk "$RO_IMG,ro" \
		-p "serial=$serial capacity=16384 ro_disk $params" "$@" ||
		return 0
	if ! pattern_ok "$IMG" 100 64; then
		fail "$name" "sectors 100-163 of the image do not hold the pattern"
	elif ! cmp -s -n $((100 * 512)) "$IMG" /dev/zero; then
		fail "$name" "sectors before the pattern were written"
	elif ! cmp -s "$RO_IMG" "$RO_IMG.orig"; then
		fail "$name" "the read-only image changed"
	elif ! transport_ok "$name" "$params"; then
		:
	else
		pass "$name"
	fi
}

# transport_ok NAME GUEST-PARAMS: with transport=modern the test kernel
# must have driven the device through the modern interface (it says which
# on its first line).
transport_ok() {
	local want=legacy

	[[ "$2" == *transport=modern* ]] && want=modern
	if ! grep -Eq "^virtio-(blk|net) at 00:[0-9a-f]{2}\.0, $want," "$LOG_DIR/$1.log"; then
		fail "$1" "the test kernel did not use the $want interface"
		return 1
	fi
}

# 10,000 requests: -v must show that no notify exited to user space and
# that no interrupt needed an ioctl (MSI-X through irqfd).
check_virtio_blk_count() {
	local name=$1 log

	selected "$name" || return 0
	make_images "$name" || { fail "$name" "cannot create images"; return 0; }
	log=$LOG_DIR/$name.log
	run_case "$name" 0 "$TIMEOUT" virtio_blk --disk "$IMG$2" \
		-p "count=10000 $3" -v || return 0
	if ! grep -q "ok: 10000 requests" "$log"; then
		fail "$name" "the bulk run did not report"
	elif ! grep -Eq "virtio-blk .*: 100[0-9]{2} requests, [0-9]+ notifies \(0 exited to user space\), [0-9]+ interrupts \([0-9]+ suppressed, 0 INTx ioctls\), 0 needs-reset" "$log"; then
		fail "$name" "-v counters: $(grep -E 'virtio-blk .* requests' "$log")"
	elif ! pattern_ok "$IMG" 100 64; then
		fail "$name" "pattern lost"
	else
		grep -E "virtio-blk .* requests" "$log" | sed 's/^/    /'
		pass "$name"
	fi
}

# A second VM may not open an image the first one holds (exit 125 with
# one line naming the file); a read-only user is refused too.
check_virtio_blk_locked() {
	local name=virtio-blk-locked holder i ok=1

	selected "$name" || return 0
	make_images "$name" || { fail "$name" "cannot create images"; return 0; }
	"$LIGHTVM" run -k "$GUEST_DIR/spin.elf" --disk "$IMG" --timeout 10 \
		</dev/null >"$LOG_DIR/$name-holder.log" 2>&1 &
	holder=$!
	# It holds the lock once its guest runs.
	for i in $(seq 50); do
		grep -q spinning "$LOG_DIR/$name-holder.log" && break
		sleep 0.1
	done
	run_case "$name" 125 "$TIMEOUT" hello --disk "$IMG" || ok=0
	if [ $ok = 1 ] &&
	   ! grep -q "disk $IMG: locked by another process" "$LOG_DIR/$name.log"; then
		fail "$name" "no 'locked by another process' line naming the image"
		ok=0
	fi
	[ $ok = 1 ] && { run_case "$name-ro" 125 "$TIMEOUT" hello \
				--disk "$IMG,ro" || ok=0; }
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	# Released with the holder: usable again.
	[ $ok = 1 ] && { run_case "$name-after" 0 "$TIMEOUT" hello \
				--disk "$IMG" || ok=0; }
	[ $ok = 1 ] && pass "$name"
}

# memcheck over the I/O threads, libaio and the drain at exit.
check_virtio_blk_valgrind() {
	local name=valgrind-virtio-blk

	selected "$name" || return 0
	make_images "$name" || { fail "$name" "cannot create images"; return 0; }
	check_valgrind "$name" virtio_blk --disk "$IMG" --disk "$RO_IMG,ro" \
		-p "ro_disk count=300"
}

# ---- virtio-net: the test kernel talks to the host kernel over a tap ----

# Each case gets a network namespace of its own holding tap0 as
# 10.0.2.1/24: the guest's traffic never leaves it.  lightvm runs inside
# (IN_NS).  The namespace goes on every way out of the script too.
NET_NS=""

net_down() {
	[ -n "$NET_NS" ] && ip netns del "$NET_NS" 2>/dev/null
	NET_NS=""
	IN_NS=()
}

trap net_down EXIT
trap 'net_down; exit 130' INT
trap 'net_down; exit 143' TERM

# net_up NAME: the namespace, or SKIP NAME and fail (not root, no tun).
net_up() {
	NET_NS=lvtest$$
	if ! ip netns add "$NET_NS" 2>/dev/null; then
		NET_NS=""
		echo "SKIP $1 (cannot create a network namespace: not root?)"
		return 1
	fi
	IN_NS=(ip netns exec "$NET_NS")
	if ! { "${IN_NS[@]}" ip link set lo up &&
	       "${IN_NS[@]}" ip tuntap add tap0 mode tap &&
	       "${IN_NS[@]}" ip link set tap0 up &&
	       "${IN_NS[@]}" ip addr add 10.0.2.1/24 dev tap0; } 2>/dev/null; then
		net_down
		echo "SKIP $1 (cannot set up tap0 in a namespace: no tun?)"
		return 1
	fi
}

# check_virtio_net NAME GUEST-PARAMS [lightvm options...]: ARP and echo
# replies from the host kernel, checked by the test kernel byte for byte
# (exit 0); then -v must show no notify exit, no NEEDS_RESET, the one
# short frame it sent dropped and counted, and the RX ring running dry
# once (the test sends before it posts RX buffers).
check_virtio_net() {
	local name=$1 params=$2 log
	shift 2

	selected "$name" || return 0
	net_up "$name" || return 0
	log=$LOG_DIR/$name.log
	run_case "$name" 0 "$TIMEOUT" virtio_net -v -p "$params" "$@"
	local rc=$?
	net_down
	[ $rc -eq 0 ] || return 0
	if ! grep -Eq "virtio-net tap0 at 00:[0-9a-f]{2}\.0: [0-9]+ requests, [0-9]+ notifies \(0 exited to user space\), [0-9]+ interrupts \([0-9]+ suppressed, [0-9]+ INTx ioctls\), 0 needs-reset" "$log"; then
		fail "$name" "-v counters: $(grep -E 'virtio-net tap0 at' "$log")"
	elif ! grep -Eq "virtio-net tap0 at .*dropped rx 0 too big, 0 short, 0 errors; tx 1 short, 0 too big, 0 refused, 0 no link; rx waited for buffers [1-9]" "$log"; then
		fail "$name" "drop counters: $(grep -E 'virtio-net tap0 at' "$log")"
	elif transport_ok "$name" "$params"; then
		pass "$name"
	fi
}

# check_virtio_net_msg NAME EXPECTED MESSAGE HOW [lightvm options...]:
# the hello kernel with a --net option; lightvm must exit EXPECTED with
# MESSAGE on stderr.  HOW: "" as is; nocap without CAP_NET_ADMIN (it
# cannot create a tap then); notun with no /dev/net/tun (an empty tmpfs
# over /dev/net in a mount namespace of its own).
check_virtio_net_msg() {
	local name=$1 expected=$2 msg=$3 how=$4 ok=0
	shift 4

	selected "$name" || return 0
	net_up "$name" || return 0
	case $how in
	nocap) IN_NS+=(setpriv --bounding-set=-net_admin) ;;
	notun) IN_NS+=(unshare -m sh -c 'mount -t tmpfs none /dev/net && exec "$0" "$@"') ;;
	esac
	if run_case "$name" "$expected" "$TIMEOUT" hello "$@"; then
		if grep -qF -- "$msg" "$LOG_DIR/$name.log"; then
			ok=1
		else
			fail "$name" "no '$msg' on stderr"
		fi
	fi
	net_down
	[ $ok = 1 ] && pass "$name"
}

# A tap carries one NIC: a second VM on tap0 gets exit 125.
check_virtio_net_busy() {
	local name=virtio-net-busy holder i ok=0
	local msg="--net tap0: the tap device is in use by another process"

	selected "$name" || return 0
	net_up "$name" || return 0
	"${IN_NS[@]}" "$LIGHTVM" run -k "$GUEST_DIR/spin.elf" --net tap0 \
		--timeout 10 </dev/null >"$LOG_DIR/$name-holder.log" 2>&1 &
	holder=$!
	for i in $(seq 50); do
		grep -q spinning "$LOG_DIR/$name-holder.log" && break
		sleep 0.1
	done
	if run_case "$name" 125 "$TIMEOUT" hello --net tap0; then
		if grep -qF -- "$msg" "$LOG_DIR/$name.log"; then
			ok=1
		else
			fail "$name" "no '$msg' on stderr"
		fi
	fi
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	net_down
	[ $ok = 1 ] && pass "$name"
}

# memcheck over the net I/O thread, the tap and the teardown.
check_virtio_net_valgrind() {
	local name=valgrind-virtio-net

	selected "$name" || return 0
	net_up "$name" || return 0
	check_valgrind "$name" virtio_net --net tap0 -p "count=20"
	net_down
}

SELECTED=("$@")

if [ ! -x "$LIGHTVM" ]; then
	echo "lightvm not found at $LIGHTVM (build it, or set LIGHTVM)" >&2
	exit 2
fi
mkdir -p "$LOG_DIR" || exit 2

check hello		0	hello
check hello-exit7	7	hello		-p exit=7
check exceptions	0	exceptions
check timer		0	timer
check smp-1		0	smp		-c 1 -p cpus=1
check smp-2		0	smp		-c 2 -p cpus=2
check smp-4		0	smp		-c 4 -p cpus=4
check_spin
check triplefault	121	triplefault
check badinsn		122	badinsn
check panic		120	panic
check pci		0	pci
# pvpanic: the guest's PANICKED write stops the VM with 120.
check pci-pvpanic	120	pci		-p pvpanic=1
# ldmxcsr/stmxcsr: emulated by lightvm on PVM hosts, native elsewhere.
check mxcsr		0	mxcsr
# XSAVE offered only where XCR0 survives VM exits (never under QEMU TCG's SVM).
check xsave		0	xsave

# The same kernels through the 64-bit entry instead of PVH.
check hello-entry64	0	hello		--elf-entry 64
check exceptions-entry64 0	exceptions	--elf-entry 64
check smp-2-entry64	0	smp		--elf-entry 64 -c 2 -p cpus=2
# A wrong CPU count must fail (status 3): the smp test can fail.
check smp-wrong-count	3	smp		-c 2 -p cpus=3
# Statuses that would collide with lightvm's own codes read as 119.
check hello-exit200	119	hello		-p exit=200
check_console_log
spin_cmd="'$LIGHTVM' run -k '$GUEST_DIR/spin.elf'"
check_tty tty-timeout	124 ''		"$spin_cmd --timeout 1"
check_tty tty-ctrl-a-x	130 '\001x'	"$spin_cmd --timeout $TIMEOUT"
check_tty tty-sigterm	143 ''		"$spin_cmd --timeout $TIMEOUT & sleep 1; kill -TERM \$!; wait \$!"
check_serial_input serial-input		ping-from-host	0
check_serial_input serial-input-wrong	ping-from-hosX	2
check_virtio_blk virtio-blk		''		''
check_virtio_blk virtio-blk-sync	',engine=sync'	''
check_virtio_blk virtio-blk-direct	',direct'	''
check_virtio_blk virtio-blk-intx	''		intx
check_virtio_blk virtio-blk-no-event-idx ''		noevent_idx
check_virtio_blk virtio-blk-smp		''		'' -c 2
check_virtio_blk virtio-blk-entry64	''		'' --elf-entry 64
check_virtio_blk_count virtio-blk-count '' ''
# The same through the modern interface: a transitional device driven by
# the modern driver, and a modern-only device (0x1042, no BAR0).
check_virtio_blk virtio-blk-modern	''		transport=modern
check_virtio_blk virtio-blk-modern-dev	',transport=modern' transport=modern
check_virtio_blk virtio-blk-modern-intx	''		'transport=modern intx'
check_virtio_blk virtio-blk-modern-no-event-idx '' 'transport=modern noevent_idx'
check_virtio_blk virtio-blk-modern-smp	''		transport=modern -c 2
check_virtio_blk_count virtio-blk-modern-count ',transport=modern' transport=modern
check_virtio_blk_locked
check virtio-blk-missing 125	hello		--disk /nonexistent/lightvm.img
check virtio-blk-bad-option 125	hello		--disk "$LOG_DIR/x.img,rw"
check_virtio_net virtio-net		'mac=0x525400123456 count=50' \
	--net tap0,mac=52:54:00:12:34:56
check_virtio_net virtio-net-nomrg	'nomrg count=20'	--net tap0
check_virtio_net virtio-net-small-bufs	'rxbuf=256 count=20'	--net tap0
check_virtio_net virtio-net-tiny-bufs	'rxbuf=64 count=5'	--net tap0
check_virtio_net virtio-net-intx	'intx count=20'		--net tap0
check_virtio_net virtio-net-no-event-idx 'noevent_idx count=20' --net tap0
check_virtio_net virtio-net-smp		'count=20'		--net tap0 -c 2
check_virtio_net virtio-net-modern	'transport=modern count=50' --net tap0
check_virtio_net virtio-net-modern-dev	'transport=modern count=50' \
	--net tap0,transport=modern
check_virtio_net virtio-net-modern-nomrg 'transport=modern nomrg count=20' --net tap0
check_virtio_net virtio-net-modern-small-bufs 'transport=modern rxbuf=256 count=20' --net tap0
check_virtio_net virtio-net-modern-intx	'transport=modern intx count=20' --net tap0
check_virtio_net virtio-net-modern-smp	'transport=modern count=20' --net tap0 -c 2
check_virtio_net_busy
check_virtio_net_msg virtio-net-created 0 \
	"--net tapnew: created the tap device; it stays down until configured" \
	'' --net tapnew
check_virtio_net_msg virtio-net-no-tap 125 \
	"--net tap9: no such tap device (create it with \`ip tuntap add tap9 mode tap\`)" \
	nocap --net tap9
check_virtio_net_msg virtio-net-not-a-tap 125 \
	"--net lo: not a single-queue tap device" '' --net lo
check_virtio_net_msg virtio-net-no-tun 125 \
	"--net tap0: /dev/net/tun: No such file or directory" notun --net tap0
check_virtio_net_msg virtio-net-multicast-mac 125 \
	"is a multicast address" '' --net tap0,mac=01:00:5e:00:00:01
check_virtio_net_msg virtio-net-bad-mac 125 \
	"--net tap0: bad MAC address" '' --net tap0,mac=52:54:00:12:34
check_valgrind valgrind-hello	hello
check_valgrind valgrind-smp-4	smp		-c 4 -p cpus=4
check_virtio_blk_valgrind
check_virtio_net_valgrind

# ---- hostile guests: net, and crash consistency of blk ----
# (tests/guest/hostile-net.md and hostile-crash.md map every case to its
# kernel and check.)

if [ -n "${TOOLS_DIR:-}" ]; then
	TOOLS_DIR=$(abspath "$TOOLS_DIR" "$PWD")
else
	TOOLS_DIR=$ROOT/build/tools
fi

# The -v counter line of the NIC on tap0.
nic_line() {
	grep -E "virtio-net tap0 at 00:" "$1"
}

# check_hostile_net NAME CASE NEEDS-RESET DROPS-REGEX: hostile_net's
# case=CASE must pass (exit 0) with NEEDS-RESET NEEDS_RESET events and
# drop counters matching DROPS-REGEX in lightvm's -v line.
check_hostile_net() {
	local name=$1 hcase=$2 nr=$3 drops=$4 log line

	selected "$name" || return 0
	net_up "$name" || return 0
	log=$LOG_DIR/$name.log
	run_case "$name" 0 "$TIMEOUT" hostile_net --net tap0 -v \
		-p "case=$hcase"
	local rc=$?
	net_down
	[ $rc -eq 0 ] || return 0
	line=$(nic_line "$log")
	if ! grep -Eq ", $nr needs-reset, " <<<"$line"; then
		fail "$name" "expected $nr needs-reset: $line"
	elif ! grep -Eq "$drops" <<<"$line"; then
		fail "$name" "drop counters do not match '$drops': $line"
	else
		pass "$name"
	fi
}

# utime + stime of every thread of process $1, in clock ticks (fields 14
# and 15 of /proc/PID/stat, counted after the parenthesised name).
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# The host floods tap0 for FLOOD_SECONDS while the guest has no receive
# buffers and sleeps in hlt (hostile_net case=flood, waiting for a byte
# on the console input).  lightvm must not spin: with the guest halted
# it may use a quarter of the wall time at most, and during the flood at
# most a tenth of the wall time more than that; its resident memory may
# grow by 1 MiB at most.  lightvm's CPU time also counts KVM's work for
# the halted guest's timer: on PVM hosts the guest's emulated ring 0, in
# the nested test host 5-11 % (emulated VM entries and exits), hence the
# baseline.  A lightvm that kept the tap in epoll with no buffers spins
# at 75-100 % (measured with that mutation in the nested host: 1240 ms of
# CPU in 1614 ms before the flood even started).  Then the
# guest posts buffers, must get the frames that waited in the tap and a
# ping round trip (its exit status), and -v must show the parked ring.
FLOOD_SECONDS=2
FLOOD_MAC=52:54:00:4c:56:46
check_hostile_net_flood() {
	local name=hostile-net-flood log fifo in pid i hz rc=0 why=""
	local c0 c1 c2 r0 r1 t0 t1 t2 idle_ms flood_ms wall_ms extra_ms

	selected "$name" || return 0
	if [ ! -x "$TOOLS_DIR/net-flood" ]; then
		fail "$name" "missing $TOOLS_DIR/net-flood (make tools)"
		return 0
	fi
	net_up "$name" || return 0
	log=$LOG_DIR/$name.log
	fifo=$LOG_DIR/$name.stdin
	rm -f "$fifo"
	mkfifo "$fifo" || { fail "$name" "mkfifo"; net_down; return 0; }
	exec {in}<>"$fifo"
	echo "# flood: ${IN_NS[*]} $LIGHTVM run ... case=flood" >"$log"
	"${IN_NS[@]}" "$LIGHTVM" run -k "$GUEST_DIR/hostile_net.elf" \
		--net "tap0,mac=$FLOOD_MAC" -v -p case=flood \
		--timeout "$TIMEOUT" <"$fifo" >>"$log" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -q "rx-flood: waiting" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q "rx-flood: waiting" "$log"; then
		why="the guest never got to wait"
	else
		hz=$(getconf CLK_TCK)
		# A second of the guest alone, for the log...
		c0=$(cpu_ticks "$pid") t0=$(now_ms)
		sleep 1
		c1=$(cpu_ticks "$pid") r0=$(rss_kb "$pid") t1=$(now_ms)
		# ...then the flood.
		"${IN_NS[@]}" "$TOOLS_DIR/net-flood" tap0 "$FLOOD_MAC" \
			"$FLOOD_SECONDS" >>"$log" 2>&1 || why="net-flood failed"
		c2=$(cpu_ticks "$pid") r1=$(rss_kb "$pid") t2=$(now_ms)
		idle_ms=$(((c1 - c0) * 1000 / hz))
		flood_ms=$(((c2 - c1) * 1000 / hz))
		wall_ms=$((t2 - t1))
		# What the flood added over the halted guest's rate.
		extra_ms=$((flood_ms - idle_ms * wall_ms / (t1 - t0)))
		echo "# lightvm CPU: ${idle_ms} ms in $((t1 - t0)) ms idle, ${flood_ms} ms in ${wall_ms} ms of flood (${extra_ms} ms more than idle); RSS ${r0} -> ${r1} KiB" >>"$log"
		if [ -z "$why" ] && [ $((idle_ms * 4)) -gt $((t1 - t0)) ]; then
			why="lightvm used $idle_ms ms of CPU in $((t1 - t0)) ms with the guest halted"
		elif [ -z "$why" ] && [ $((extra_ms * 10)) -gt "$wall_ms" ]; then
			why="lightvm used $flood_ms ms of CPU in $wall_ms ms of flood, $extra_ms ms more than with the guest alone"
		elif [ -z "$why" ] && [ $((r1 - r0)) -gt 1024 ]; then
			why="lightvm's RSS grew from $r0 to $r1 KiB in the flood"
		fi
	fi
	echo go >&"$in"
	wait "$pid"
	rc=$?
	exec {in}>&-
	rm -f "$fifo"
	net_down
	if [ -n "$why" ]; then
		fail "$name" "$why"
	elif [ $rc -ne 0 ]; then
		fail "$name" "exit $rc, expected 0"
	elif ! nic_line "$log" | grep -Eq "rx waited for buffers [1-9]"; then
		fail "$name" "-v: the RX ring never ran dry: $(nic_line "$log")"
	else
		grep "^# lightvm CPU" "$log" | sed 's/^# /    /'
		pass "$name"
	fi
}

check_hostile_net_valgrind() {
	local name=valgrind-hostile-net

	selected "$name" || return 0
	net_up "$name" || return 0
	check_valgrind "$name" hostile_net --net tap0
	net_down
}

# tests/crash/run.sh: SIGKILL lightvm under crash_blk, CRASH_RUNS runs per
# disk mode (default 8), and check the flushed blocks in the image.
check_crash_blk() {
	local name=crash-blk log=$LOG_DIR/crash-blk.log

	selected "$name" || return 0
	if LIGHTVM=$LIGHTVM GUEST_DIR=$GUEST_DIR TOOLS_DIR=$TOOLS_DIR \
	   LOG_DIR=$LOG_DIR "$ROOT/tests/crash/run.sh" >"$log" 2>&1; then
		grep -E "self-check|all runs" "$log" | sed 's/^/    /'
		pass "$name"
	else
		fail "$name" "$(grep -E 'crash: .*(lost|failures|ended|only|self-check:|missing)' "$log" | head -n 3)"
	fi
}

# tx: 3 short chains and 2 over 64 KiB dropped; the two 64 KiB ones sent
# (or refused by the tap), the 2 with bad headers refused by the tap; 2
# zero-length chains NEEDS_RESET.
check_hostile_net hostile-net-tx tx 2 \
	"tx 3 short, 2 too big, [2-4] refused, 0 no link"
# rx: 5 bad chains NEEDS_RESET; frames too big for the 10- and 100-byte
# buffers dropped (at least the two we provoke).
check_hostile_net hostile-net-rx rx 5 \
	"dropped rx ([2-9]|[1-9][0-9]+) too big, 0 short, 0 errors"
check_hostile_net_flood
check_hostile_net_valgrind
check_crash_blk

# ---- hostile guests, group ring+blk: the split-ring walker and virtio-blk
# requests attacked end to end (tests/guest/hostile-ring+blk.md maps each
# case).  The kernels print "hostile diskN: C cases, 0 failed, R
# needs-reset, S resets"; lightvm -v must count the same NEEDS_RESET
# events and resets for that disk, and the images must hold exactly what
# the good requests wrote: zeroes elsewhere.

HOSTILE_SERIAL=hostile-blk-serial20

# hostile_counts LOG DISK IMG: the kernel's counters for DISK (disk0,
# disk1) equal lightvm's -v line for the image file IMG.
hostile_counts() {
	local mine vmm

	mine=$(grep -Eo "hostile $2: [0-9]+ cases, 0 failed, [0-9]+ needs-reset, [0-9]+ resets" "$1" |
		grep -Eo "[0-9]+ needs-reset, [0-9]+ resets")
	vmm=$(grep -E "virtio-blk $(basename "$3") at " "$1" |
		grep -Eo "[0-9]+ needs-reset, [0-9]+ resets")
	if [ -z "$mine" ] || [ "$mine" != "$vmm" ]; then
		echo "$2: kernel '${mine:-no report}', lightvm '${vmm:-no counters}'"
		return 1
	fi
}

# zero_gaps IMG A B C D ...: sectors [A,B), [C,D), ... are all zero.
zero_gaps() {
	local img=$1

	shift
	while [ $# -ge 2 ]; do
		if ! cmp -s -i $(($1 * 512)):0 -n $((($2 - $1) * 512)) \
			"$img" /dev/zero; then
			echo "sectors $1-$(($2 - 1)) are not zero"
			return 1
		fi
		shift 2
	done
}

# old_or_new IMG FIRST COUNT: each sector is whole: all zero (old) or
# every 64-bit word = its sector number + 1 (new).
old_or_new() {
	od -A n -t u8 -v -j $(($2 * 512)) -N $(($3 * 512)) "$1" |
		awk -v first="$2" -v words=$(($3 * 64)) '
			{ for (i = 1; i <= NF; i++) {
				s = first + int(n / 64)
				if (n % 64 == 0) v = $i
				if ($i != v || (v != 0 && v != s + 1)) bad++
				n++ } }
			END { exit !(n == words && !bad) }'
}

# What each kernel leaves on disk 0 (recovery writes at 2048-2055 are
# anything): "" if right, else why not.
hostile_image() {
	case $2 in
	hostile_ring|hostile_desc)
		pattern_ok "$1" 4096 512 ||
			{ echo "numbered sectors 4096-4607 changed"; return 1; }
		zero_gaps "$1" 0 2048 2056 4096 4608 16384 ;;
	hostile_race)
		zero_gaps "$1" 0 2048 2056 16384 ;;
	hostile_blk)
		pattern_ok "$1" 4096 64 ||
			{ echo "numbered sectors 4096-4159 changed"; return 1; }
		zero_gaps "$1" 0 2048 2056 4096 4160 16384 ;;
	hostile_reset)
		pattern_ok "$1" 12288 2560 ||
			{ echo "read area (sectors 12288-14847) changed"; return 1; }
		old_or_new "$1" 8192 2560 ||
			{ echo "write area (sectors 8192-10751): a sector neither old nor new"; return 1; }
		zero_gaps "$1" 0 2048 2056 8192 10752 12288 14848 16384 ;;
	esac
}

# check_hostile NAME KERNEL DISK-OPTIONS [lightvm options...]: exit 0,
# counters equal, disk 0 as the kernel left it; with a second disk (the
# read-only one) its counters too and its image unchanged.
check_hostile() {
	local name=$1 kernel=$2 opts=$3 log why ro=0
	shift 3

	selected "$name" || return 0
	make_images "$name" || { fail "$name" "cannot create images"; return 0; }
	log=$LOG_DIR/$name.log
	[ "$kernel" = hostile_blk ] && ro=1
	if [ $ro = 1 ]; then
		set -- "$@" --disk "$RO_IMG,ro"
	fi
	run_case "$name" 0 "$TIMEOUT" "$kernel" -v --disk "$IMG$opts" "$@" ||
		return 0
	if ! why=$(hostile_counts "$log" disk0 "$IMG"); then
		fail "$name" "$why"
	elif [ $ro = 1 ] && ! why=$(hostile_counts "$log" disk1 "$RO_IMG"); then
		fail "$name" "$why"
	elif [ $ro = 1 ] && ! cmp -s "$RO_IMG" "$RO_IMG.orig"; then
		fail "$name" "the read-only image changed"
	elif ! why=$(hostile_image "$IMG" "$kernel"); then
		fail "$name" "$why"
	else
		grep -E "^ok: race" "$log" | sed 's/^/    /'
		pass "$name"
	fi
}

# memcheck while the guest breaks the walker's every rule (and sends
# 65536 segments through the iovec arena).
check_hostile_valgrind() {
	local name=valgrind-hostile-ring

	selected "$name" || return 0
	make_images "$name" || { fail "$name" "cannot create images"; return 0; }
	check_valgrind "$name" hostile_ring --disk "$IMG"
}

check_hostile hostile-ring	hostile_ring	''
check_hostile hostile-desc	hostile_desc	''	-m 256M
check_hostile hostile-race	hostile_race	''
check_hostile hostile-blk	hostile_blk	",serial=$HOSTILE_SERIAL"
check_hostile hostile-reset-aio	hostile_reset	''
# The sync engine runs a whole batch under the device lock, so the reset
# never finds I/O in flight: fewer rounds.
check_hostile hostile-reset-sync hostile_reset	',engine=sync' -p rounds=5
# O_DIRECT: requests really are in flight when STATUS = 0 comes.
check_hostile hostile-reset-direct hostile_reset ',direct'
check_hostile_valgrind
# ---- end of hostile ring+blk

# ---- hostile guests: the virtio-PCI transport (group "transport") ----
#
# tests/guest/hostile_transport attacks what surrounds the rings of the
# blk and net devices: QUEUE_SEL/QUEUE_NOTIFY/QUEUE_PFN, features,
# every width at every BAR0 offset, MSI-X vectors and table, notify and
# ISR storms, PCI configuration space (case map:
# tests/guest/hostile-transport.md).  Each case checks the outcome in the
# guest, then a reset and re-init must give a working device.  The kernel
# ends with "expect: N needs-reset, M resets, E notify exits": lightvm's
# -v counters must say exactly that, so a violation lightvm did not flag
# (or flagged twice), or a stray reset, fails the case.

HT_MAC=52:54:00:12:34:56

# ht_counters NAME: the -v line of the one virtio device against the
# kernel's expectations.
ht_counters() {
	local name=$1 log=$LOG_DIR/$1.log exp n r e

	exp=$(grep -Eo "^expect: [0-9]+ needs-reset, [0-9]+ resets, [0-9]+ notify exits" "$log")
	if [ -z "$exp" ]; then
		fail "$name" "the kernel printed no expectations"
		return 1
	fi
	read -r n r e <<<"$(echo "$exp" | tr -dc '0-9 ' | xargs)"
	if ! grep -Eq "virtio-(blk|net) .* notifies \($e exited to user space\), .* $n needs-reset, $r resets" "$log"; then
		fail "$name" "-v counters: $(grep -E 'virtio-(blk|net) .* needs-reset' "$log"), $exp"
		return 1
	fi
}

# check_hostile_transport NAME blk|net GUEST-PARAMS [lightvm options...]
check_hostile_transport() {
	local name=$1 kind=$2 params=$3 rc
	shift 3

	selected "$name" || return 0
	if [ "$kind" = net ]; then
		net_up "$name" || return 0
		run_case "$name" 0 "$TIMEOUT" hostile_transport -v \
			--net "tap0,mac=$HT_MAC" \
			-p "net mac=0x${HT_MAC//:/} $params" "$@"
		rc=$?
		net_down
	else
		make_images "$name" ||
			{ fail "$name" "cannot create images"; return 0; }
		run_case "$name" 0 "$TIMEOUT" hostile_transport -v \
			--disk "$IMG${HT_DISK_OPTS:-}" -p "capacity=16384 $params" "$@"
		rc=$?
	fi
	[ $rc -eq 0 ] || return 0
	ht_counters "$name" && pass "$name"
}

# memcheck over all of it on the blk device (about 5 s): no invalid
# access, no leak in lightvm.  (The net device passes the same; it is
# left out to keep the suite short - the transport code is shared.)
check_hostile_transport_valgrind() {
	local name=valgrind-hostile-transport-blk

	selected "$name" || return 0
	make_images "$name" ||
		{ fail "$name" "cannot create images"; return 0; }
	check_valgrind "$name" hostile_transport --disk "$IMG" \
		-p "capacity=16384"
}

check_hostile_transport hostile-transport-blk	blk	''
check_hostile_transport hostile-transport-net	net	''
# The modern interface's groups (hostile_transport/modern.c), on a
# transitional device and, for blk, a modern-only one.
check_hostile_transport hostile-modern-blk	blk	transport=modern
check_hostile_transport hostile-modern-net	net	transport=modern
HT_DISK_OPTS=",transport=modern" \
check_hostile_transport hostile-modern-blk-dev	blk	transport=modern
# Guest RAM split around the PCI hole: both ends of low and high RAM.
check_hostile_transport hostile-transport-blk-4g blk \
	'case=pfn ram=0x100000000' -m 4G
check_hostile_transport_valgrind

# shellcheck source=tests/guest/multiboot-cases.sh
. "$(dirname "$0")/multiboot-cases.sh"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
