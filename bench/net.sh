#!/usr/bin/env bash
# bench/net.sh - virtio-net throughput and round trips, side by side in
# one run, with ratios; nothing here asserts a figure.
#
#  1. frames/s and bytes/s both ways for the virtio_net test kernel's
#     flood=N run (tests/guest/virtio_net.c: N frames of SIZE bytes to the
#     host, then N frames of SIZE bytes from the host, which
#     build/bench/net-peer sends into the tap on request, never more than
#     256 ahead of the reader so the tap drops nothing) under lightvm
#     (--net tap0) and under QEMU 7.2 (-netdev tap, vhost=off; and
#     vhost=on when /dev/vhost-net exists).  Each half is timed by the
#     guest in TSC cycles, so boot (SeaBIOS under QEMU) is left out;
#     cycles become seconds at the host's TSC rate (build/bench/tsc-hz),
#     checked against the guest's 100 Hz tick count.  On a PVM host guest
#     ring 0 is emulated (~1.4 M instructions/s): these figures are
#     dominated by the emulated driver, not by the VMMs' tap paths.
#  2. the limit: build/bench/net-raw moves frames of the same sizes
#     through a tap with no VM, playing the VMM's part on the tap fd -
#     tx: one writev per frame into the host's receive path; rx: a packet
#     socket queues batches of 64 frames on the tap and one readv per
#     frame takes them back (both ends on one thread; the reads alone are
#     timed apart).
#  3. round trips/s from the host to the guest-config Linux kernel
#     (configured by ip=, an init that spins without system calls):
#     `ping -A` (adaptive: about one request outstanding, so round trips
#     back to back) and `ping -f` for a fixed time (replies/s with the
#     guest saturated).  Not under QEMU: on a PVM host QEMU 7.2 cannot
#     boot Linux (a KVM internal error on int3, which it does not handle;
#     ../shared/notes/pvm.md).
#
# Frame sizes are whole Ethernet frames without FCS (60 = the minimum,
# 1514 = a full 1500-byte MTU frame); bytes/s count those bytes, not the
# virtio header.  Runs are interleaved (lightvm/QEMU per size) so host
# noise hits both alike; medians are reported.
#
# Everything runs in a network namespace of its own (lvbench$$, deleted
# on every way out): tap0 = 10.0.2.1/24 for the guests, rawtap0 for 2;
# no frame leaves it.  Needs root (namespaces, taps).
#
# Environment: RUNS (3) guest and raw runs per size, FRAMES (20000) per
# direction per guest run, SIZES ("60 1514"), RAW_SECONDS (1), PINGS (300)
# adaptive pings, PING_FLOOD_SECONDS (6), NET_LINUX=0 skips 3, LIGHTVM,
# QEMU, CC.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
LIGHTVM=${LIGHTVM:-$top/lightvm}
QEMU=${QEMU:-qemu-system-x86_64}
KERNEL=$top/build/guest/virtio_net.elf
BIN=$top/build/bench
LOGS=$BIN/net-logs
RUNS=${RUNS:-3}
FRAMES=${FRAMES:-20000}
SIZES=${SIZES:-60 1514}
RAW_SECONDS=${RAW_SECONDS:-1}
PINGS=${PINGS:-300}
PING_FLOOD_SECONDS=${PING_FLOOD_SECONDS:-6}
NET_LINUX=${NET_LINUX:-1}
GUEST_MAC=52:54:00:12:34:56
GUEST_IP=10.0.2.15

[ -x "$LIGHTVM" ] || { echo "bench: $LIGHTVM missing (make lightvm)"; exit 1; }
[ -f "$KERNEL" ] || { echo "bench: $KERNEL missing (make guest)"; exit 1; }
mkdir -p "$BIN" "$LOGS"
make -s -C "$top" bench-bins	# net-peer, net-raw, tsc-hz
have_qemu=1
command -v "$QEMU" >/dev/null || have_qemu=0

# ---- the namespace, and everything started in the background ----

NS=lvbench$$
NS_UP=0
BG_PIDS=()

cleanup() {
	local p

	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=()
	if ((NS_UP)); then
		ip netns del "$NS" 2>/dev/null || true
		NS_UP=0
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! ip netns add "$NS"; then
	echo "bench: cannot create a network namespace (not root?)"
	exit 1
fi
NS_UP=1
IN_NS=(ip netns exec "$NS")
# No IPv6 chatter (router solicitations, MLD) on the taps: the frames on
# the wire are the benchmark's own.
"${IN_NS[@]}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
"${IN_NS[@]}" ip link set lo up
for t in tap0 rawtap0; do
	"${IN_NS[@]}" ip tuntap add "$t" mode tap
	"${IN_NS[@]}" ip link set "$t" up
done
"${IN_NS[@]}" ip addr add 10.0.2.1/24 dev tap0

# ---- helpers ----

median() {
	sort -g | awk '{ a[NR] = $1 }
		END {
			if (!NR) print 0
			else if (NR % 2) print a[(NR + 1) / 2]
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

# calc EXPR: floating-point arithmetic (comparisons give 1 or 0).
calc() {
	awk "BEGIN { print ($1) }"
}

# key=value from a result line of net-raw/net-peer.
field() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

# bg_forget PID: no longer ours to kill.
bg_forget() {
	local p keep=()

	for p in "${BG_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

tsc_hz=$("$BIN/tsc-hz")

# ---- 1. the test kernel's flood under lightvm and QEMU ----

# flood_half LOG DIR: "frames cycles interrupts ticks" from the guest's
# "flood: DIR ..." line, or nothing.
flood_half() {
	tr -d '\r' <"$1" | sed -n "s/^flood: $2 \\([0-9]*\\) of [0-9]* frames of [0-9]* bytes in \\([0-9]*\\) TSC cycles, \\([0-9]*\\) interrupts, \\([0-9]*\\) ticks.*/\\1 \\2 \\3 \\4/p"
}

# guest_run NAME SIZE EXPECTED-EXIT cmd...: one boot with a net-peer
# beside it; appends "tx-fps rx-fps tx-irqs/frame rx-irqs/frame rx-frames
# peer-dropped wall-s" to $LOGS/NAME-SIZE.runs; the console goes to
# $LOGS/NAME-SIZE.N.log, N the run number (r + 1).  Returns 1 (and says
# why) when the run gave no figures.
guest_run() {
	local name=$1 size=$2 expected=$3 runs log peer rc=0 t0 t1
	local half dir frames cycles irqs ticks secs out=() got="" dropped
	shift 3
	runs=$LOGS/$name-$size.runs
	log=$LOGS/$name-$size.$((r + 1)).log
	"${IN_NS[@]}" "$BIN/net-peer" tap0 60 >"$log.peer" 2>&1 &
	peer=$!
	BG_PIDS+=("$peer")
	for _ in $(seq 100); do
		grep -q '^ready' "$log.peer" && break
		sleep 0.05
	done
	t0=$EPOCHREALTIME
	timeout -k 5 120 "${IN_NS[@]}" "$@" </dev/null >"$log" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	# The peer is done once the guest's request was served; if the run
	# never asked, there is nothing more to wait for.
	for _ in $(seq 100); do
		kill -0 "$peer" 2>/dev/null || break
		sleep 0.05
	done
	kill "$peer" 2>/dev/null || true
	wait "$peer" 2>/dev/null || true
	bg_forget "$peer"
	for dir in tx rx; do
		half=$(flood_half "$log" "$dir")
		[ -n "$half" ] || break
		read -r frames cycles irqs ticks <<<"$half"
		secs=$(calc "$cycles / $tsc_hz")
		# The guest's 100 Hz tick count over the same span: if it
		# disagrees, its TSC does not run at the host's rate.
		if [ "$(calc "($ticks / 100 - $secs) ^ 2 > (0.05 * $secs + 0.03) ^ 2")" = 1 ]; then
			echo "bench: warning: $name $dir: $cycles TSC cycles = $secs s, but $ticks ticks at 100 Hz" >&2
		fi
		out+=("$(calc "$frames / $secs")")
		irqs_per[$dir]=$(calc "$irqs / $frames")
		[ "$dir" = rx ] && got=$frames
	done
	if [ "$rc" -ne "$expected" ] || [ ${#out[@]} -ne 2 ]; then
		echo "bench: $name size $size: exit $rc (expected $expected), no figures; see $log" >&2
		tr -d '\r' <"$log" | grep -E 'FAIL|lightvm:|qemu' | tail -n 3 >&2 || true
		return 1
	fi
	dropped=$(field dropped "$(grep '^peer:' "$log.peer" || true)")
	echo "${out[0]} ${out[1]} ${irqs_per[tx]} ${irqs_per[rx]} $got ${dropped:-?} $(calc "$t1 - $t0")" \
		>>"$runs"
}
declare -A irqs_per

# Each VMM through the legacy virtio-PCI interface and the modern one
# (the test kernel with transport=modern; lightvm's modern-only device,
# QEMU's with the legacy interface disabled).
vmms=(lightvm lightvm-modern)
((have_qemu)) && vmms+=(qemu qemu-modern)
vhost_note=""
if ((have_qemu)); then
	if [ ! -e /dev/vhost-net ]; then
		vhost_note=$(modprobe vhost_net 2>&1 | tail -n 1) || true
	fi
	if [ -e /dev/vhost-net ]; then
		vmms+=(qemu-vhost)
	else
		vhost_note=${vhost_note#modprobe: }
		vhost_note="no /dev/vhost-net (modprobe vhost_net: ${vhost_note:-no error, but no device})"
	fi
fi
for vmm in "${vmms[@]}"; do
	for size in $SIZES; do
		: >"$LOGS/$vmm-$size.runs"
	done
done

# A warm-up run, which also gives the exact command line lightvm passes
# (defaults, PVM additions): QEMU's guest gets the same one.
first_size=${SIZES%% *}
params="flood=$FRAMES size=$first_size"
warm=$LOGS/lightvm.warmup.log
"${IN_NS[@]}" "$BIN/net-peer" tap0 60 >"$warm.peer" 2>&1 &
BG_PIDS+=("$!")
sleep 0.2
if ! timeout -k 5 120 "${IN_NS[@]}" "$LIGHTVM" run -k "$KERNEL" -m 256M \
	--net "tap0,mac=$GUEST_MAC" -p "$params" -v </dev/null >"$warm" 2>&1; then
	echo "bench: lightvm warm-up run failed; see $warm"
	exit 1
fi
wait "${BG_PIDS[-1]}" 2>/dev/null || true
bg_forget "${BG_PIDS[-1]}"
cmdline=$(sed -n 's/^lightvm: command line: //p' "$warm")
base=${cmdline%" $params"}
if [ -z "$cmdline" ] || [ "$base" = "$cmdline" ]; then
	echo "bench: no command line in $warm"
	exit 1
fi
counters=$(grep -m1 '^lightvm: virtio-net tap0 at' "$warm" |
	   sed 's/^lightvm: virtio-net tap0 at [0-9a-f:.]*: //')

# qemu_cmd VHOST SIZE: the QEMU command for one run (in qcmd).  The test
# kernel scans bus 0 for 1af4:1000, so the slot does not matter; romfile=
# keeps iPXE's option ROM out (boot time only: the test kernel is the
# first to drive the NIC either way).
# MODERN "" or "modern" picks the interface.
qemu_cmd() {
	local dev="disable-modern=on" extra=""

	if [ "${3:-}" = modern ]; then
		dev="disable-legacy=on,disable-modern=off"
		extra=" transport=modern"
	fi
	# shellcheck disable=SC2054 # commas inside QEMU option values
	qcmd=("$QEMU" -enable-kvm -cpu "max,-arch-capabilities" -M pc -m 256M
	      -nodefaults -no-user-config -nographic -serial stdio
	      -kernel "$KERNEL" -append "$base flood=$FRAMES size=$2$extra"
	      -device isa-debug-exit,iobase=0xf4,iosize=4
	      -netdev "tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=$1"
	      -device "virtio-net-pci,netdev=n0,$dev,mac=$GUEST_MAC,romfile=")
}

for ((r = 0; r < RUNS; r++)); do
	for size in $SIZES; do
		guest_run lightvm "$size" 0 "$LIGHTVM" run -k "$KERNEL" \
			-m 256M --net "tap0,mac=$GUEST_MAC" \
			-p "flood=$FRAMES size=$size" || true
		guest_run lightvm-modern "$size" 0 "$LIGHTVM" run -k "$KERNEL" \
			-m 256M --net "tap0,mac=$GUEST_MAC,transport=modern" \
			-p "flood=$FRAMES size=$size transport=modern" || true
		# QEMU's isa-debug-exit: (status << 1) | 1, so 1 is status 0.
		for vmm in "${vmms[@]:2}"; do
			case $vmm in
			qemu) qemu_cmd off "$size" ;;
			qemu-modern) qemu_cmd off "$size" modern ;;
			*) qemu_cmd on "$size" ;;
			esac
			guest_run "$vmm" "$size" 1 "${qcmd[@]}" || true
		done
	done
done

# ---- 2. the raw tap ----

for size in $SIZES; do
	: >"$LOGS/raw-tx-$size.runs"
	: >"$LOGS/raw-rx-$size.runs"
done
for ((r = 0; r < RUNS; r++)); do
	for size in $SIZES; do
		for dir in tx rx; do
			"${IN_NS[@]}" "$BIN/net-raw" rawtap0 "$size" \
				"$RAW_SECONDS" "$dir" >>"$LOGS/raw-$dir-$size.runs"
		done
	done
done

# ---- 3. ping the Linux guest ----

# ping_summary FILE: "transmitted received time-ms rtt-avg-ms".
ping_summary() {
	local tx rx ms avg

	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1")
	ms=$(sed -n 's/.*, time \([0-9]*\)ms.*/\1/p' "$1")
	avg=$(sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p' "$1")
	echo "${tx:-0} ${rx:-0} ${ms:-0} ${avg:-?}"
}

linux_note=""
ping_a="" ping_f="" linux_counters=""
linux_ping() {
	local kdir log=$LOGS/linux.log up="IP-Config: Complete" pid rc=0
	local t0 boot_s

	if ! command -v ping >/dev/null; then
		linux_note="ping not installed (iputils-ping)"
		return
	fi
	if ! kdir=$("$top/guest-config/build-kernel.sh" | tail -n 1); then
		linux_note="guest kernel build failed"
		return
	fi
	"$top/guest-config/build-initramfs.sh" spin "$LOGS/spin.cpio" >/dev/null
	rm -f "$log"
	t0=$EPOCHREALTIME
	# The same guest as tests/boot's ping case: eth0 from ip=, an init
	# that spins without system calls (no lightvm_init_exit: it stays up).
	"${IN_NS[@]}" "$LIGHTVM" run -k "$kdir/bzImage" -i "$LOGS/spin.cpio" \
		-m 128M --net tap0 -v --timeout 600 --console-log "$log" \
		-p "ip=$GUEST_IP::10.0.2.1:255.255.255.0::eth0:off rodata=off" \
		</dev/null >"$log.stderr" 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	for _ in $(seq 1200); do
		grep -q "$up" "$log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	boot_s=$(calc "$EPOCHREALTIME - $t0")
	if grep -q "$up" "$log" 2>/dev/null; then
		# The kernel is still finishing its boot for a second or two:
		# a few round trips first, not counted.
		"${IN_NS[@]}" ping -A -c 20 -W 5 -w 30 "$GUEST_IP" \
			>"$LOGS/ping-warmup.out" 2>&1 || true
		"${IN_NS[@]}" ping -A -c "$PINGS" -s 56 -W 5 -w 120 "$GUEST_IP" \
			>"$LOGS/ping-adaptive.out" 2>&1 || true
		if ! "${IN_NS[@]}" ping -f -s 56 -w "$PING_FLOOD_SECONDS" \
			"$GUEST_IP" >"$LOGS/ping-flood.out" 2>&1 &&
		   grep -q 'flood' "$LOGS/ping-flood.out"; then
			# -f refused: 1 ms apart comes to the same here.
			"${IN_NS[@]}" ping -i 0.001 -s 56 -w "$PING_FLOOD_SECONDS" \
				"$GUEST_IP" >"$LOGS/ping-flood.out" 2>&1 || true
		fi
		ping_a=$(ping_summary "$LOGS/ping-adaptive.out")
		ping_f=$(ping_summary "$LOGS/ping-flood.out")
	else
		linux_note="eth0 never came up within $(printf '%.0f' "$boot_s") s; see $log"
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	bg_forget "$pid"
	[ "$rc" -eq 143 ] || linux_note+="${linux_note:+; }lightvm exit $rc after SIGTERM (expected 143)"
	linux_boot_s=$boot_s
	linux_counters=$(grep -m1 'virtio-net tap0 at' "$log.stderr" |
			 sed 's/^lightvm: virtio-net tap0 at [0-9a-f:.]*: //' || true)
}
linux_boot_s=0
if [ "$NET_LINUX" = 1 ]; then
	linux_ping
else
	linux_note="skipped (NET_LINUX=0)"
fi

# ---- the table ----

# col FILE N: median of column N over a .runs file.
col() {
	cut -d' ' -f"$2" "$1" | median
}

runs_of() {
	cut -d' ' -f"$2" "$1" | awk '{ printf("%.0f ", $1) }'
}

label() {
	case $1 in
	lightvm) echo "lightvm" ;;
	lightvm-modern) echo "lightvm, modern" ;;
	qemu) echo "qemu vhost=off" ;;
	qemu-modern) echo "qemu vhost=off, modern" ;;
	qemu-vhost) echo "qemu vhost=on" ;;
	esac
}

row() {
	printf '     %-26s %10.0f %9.2f %s\n' "$1" "$2" "$(calc "$2 * $3 / 1e6")" "$4"
}

echo "virtio-net: test kernel virtio_net 'flood=$FRAMES size=S' (each way), $RUNS runs"
echo "per VMM and size, interleaved, medians; frames/s from the guest's TSC-timed"
printf 'loops at the host TSC rate (%.3f MHz, tsc-hz).  Guest ring 0 is emulated on\n' \
	"$(calc "$tsc_hz / 1e6")"
echo "PVM hosts (~1.4 M instr/s): these figures are bound by the emulated driver."
echo "MB/s = Ethernet frame bytes (no virtio header) per second / 1e6."
for d in tx rx; do
	echo
	if [ "$d" = tx ]; then
		echo "1./2. guest -> host (guest TX)       frames/s      MB/s"
	else
		echo "1./2. host -> guest (guest RX)       frames/s      MB/s"
	fi
	[ "$d" = tx ] && c=1 || c=2
	[ "$d" = tx ] && ic=3 || ic=4
	for size in $SIZES; do
		echo "   size $size"
		l_fps="" lm_fps=""
		for vmm in "${vmms[@]}"; do
			f=$LOGS/$vmm-$size.runs
			if [ ! -s "$f" ]; then
				printf '     %-26s   no successful run (see %s)\n' \
					"$(label "$vmm")" "$LOGS"
				continue
			fi
			fps=$(col "$f" "$c")
			[ "$vmm" = lightvm ] && l_fps=$fps
			[ "$vmm" = lightvm-modern ] && lm_fps=$fps
			extra="$(printf '%.3f irq/frame  runs: %s' "$(col "$f" "$ic")" "$(runs_of "$f" "$c")")"
			case $vmm in
			lightvm-modern)
				[ -n "$l_fps" ] &&
					extra+="  modern/legacy $(printf '%.3f' "$(calc "$fps / $l_fps")")" ;;
			qemu-modern)
				[ -n "$lm_fps" ] &&
					extra+="  lightvm/qemu $(printf '%.2f' "$(calc "$lm_fps / $fps")")x" ;;
			qemu*)
				[ -n "$l_fps" ] &&
					extra+="  lightvm/qemu $(printf '%.2f' "$(calc "$l_fps / $fps")")x" ;;
			esac
			row "$(label "$vmm")" "$fps" "$size" "$extra"
		done
		f=$LOGS/raw-$d-$size.runs
		fps=$(while read -r l; do field fps "$l"; done <"$f" | median)
		extra="runs: $(while read -r l; do field fps "$l"; done <"$f" | tr '\n' ' ')"
		if [ -n "$l_fps" ]; then
			extra+=" lightvm/raw $(printf '%.3f' "$(calc "$l_fps / $fps")")"
		fi
		if [ "$d" = tx ]; then
			row "raw tap write (limit)" "$fps" "$size" "$extra"
		else
			row "raw tap send+read (limit)" "$fps" "$size" "$extra"
			rfps=$(while read -r l; do field read_fps "$l"; done <"$f" | median)
			row "  of which tap reads alone" "$rfps" "$size" ""
		fi
	done
done
((have_qemu)) || echo "   ($QEMU not installed: no QEMU rows)"
if ((have_qemu)) && [ -n "$vhost_note" ]; then
	echo "   qemu vhost=on: not measured, $vhost_note"
fi

# Anything lost on the way is worth a line (the peer keeps the tap from
# dropping, so it should not happen).
lost=""
for vmm in "${vmms[@]}"; do
	for size in $SIZES; do
		f=$LOGS/$vmm-$size.runs
		[ -s "$f" ] || continue
		while read -r _ _ _ _ got dropped _; do
			if [ "$got" != "$FRAMES" ] || [ "$dropped" != 0 ]; then
				lost+=" $vmm/$size: $got of $FRAMES received, tap dropped $dropped;"
			fi
		done <"$f"
	done
done
echo
echo "   frames lost:${lost:- none (every RX run got all $FRAMES, the tap dropped none)}"
echo "   lightvm -v (warm-up run, size $first_size): ${counters%%; dropped*}"
if [ -s "$LOGS/lightvm-${first_size}.runs" ] && ((have_qemu)) &&
   [ -s "$LOGS/qemu-${first_size}.runs" ]; then
	printf '   whole run incl. boot, size %s: lightvm %.2f s, qemu %.2f s (median wall)\n' \
		"$first_size" "$(col "$LOGS/lightvm-$first_size.runs" 7)" \
		"$(col "$LOGS/qemu-$first_size.runs" 7)"
fi

echo
echo "3. host -> Linux guest (guest-config kernel, ip=, spinning init) ICMP echo,"
echo "   56-byte payload, under lightvm"
if [ -n "$ping_a" ]; then
	printf '   eth0 up (IP-Config: Complete) %.1f s after start\n' "$linux_boot_s"
	read -r tx rx ms avg <<<"$ping_a"
	printf '   %-32s %8.1f round trips/s  (%s of %s answered in %s ms, rtt avg %s ms)\n' \
		"ping -A (one in flight)" "$(calc "$ms ? $rx * 1000 / $ms : 0")" \
		"$rx" "$tx" "$ms" "$avg"
	read -r tx rx ms avg <<<"$ping_f"
	printf '   %-32s %8.1f round trips/s  (%s of %s answered in %s ms, rtt avg %s ms)\n' \
		"ping -f for ${PING_FLOOD_SECONDS} s (saturated)" \
		"$(calc "$ms ? $rx * 1000 / $ms : 0")" "$rx" "$tx" "$ms" "$avg"
	echo "   (ping -f sends at least 100/s; a guest slower than that falls behind,"
	echo "   so a fixed count like -c 2000 would mostly measure the backlog)"
	echo "   lightvm -v: ${linux_counters%%; dropped*}"
fi
[ -z "$linux_note" ] || echo "   $linux_note"
if grep -q "host: PVM" "$warm"; then
	echo "   QEMU: not measured - QEMU 7.2 cannot boot Linux on this PVM host (it"
	echo "   stops with a KVM internal error on int3, which it does not handle)"
else
	echo "   QEMU: not measured (this script boots Linux under lightvm only)"
fi
