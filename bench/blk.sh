#!/usr/bin/env bash
# bench/blk.sh - virtio-blk throughput, side by side in one run, with ratios:
#
#  1. the virtio_blk test kernel's bulk run (`count=N depth=32`: 4 KiB
#     requests alternating write and read over a 4 MiB range, 32 in
#     flight) under lightvm (--disk IMG,direct) and under QEMU 7.2
#     (cache=none,aio=native: also O_DIRECT + libaio), each through the
#     legacy virtio-PCI interface and through the modern one (the test
#     kernel with transport=modern; QEMU's device with the legacy
#     interface disabled, lightvm's modern-only device).  Requests/s come
#     from the guest's own TSC count of its request loop, so boot (SeaBIOS
#     under QEMU) is left out; cycles become seconds at the host's TSC rate
#     (build/bench/tsc-hz: a KVM guest's TSC runs at the host's rate, and
#     the guest's 100 Hz tick count is checked against it).  On a PVM host
#     guest ring 0 is emulated (~1.4 M instructions/s), so these figures
#     are dominated by the emulated driver, not by the VMMs' I/O paths.
#  2. the upper bound: raw libaio 4 KiB random reads at QD32 with O_DIRECT
#     on the same image (build/bench/blk-raw).
#  3. lightvm's service path without KVM (build/bench/blk-service): the
#     same load through the real virtio-blk device, I/O thread and libaio
#     backend, driven by a host-side driver on a fake guest RAM.  Ratio to
#     2, and the VMM's CPU time per request.
#
# Runs are interleaved (lightvm/QEMU, raw/service) so host noise hits both
# alike; medians are reported.  Nothing here asserts a time: the goals the
# issue states (lightvm >= 1.2x QEMU, service path >= 90% of raw) are
# printed next to the figures.
#
# Environment: RUNS (5) guest runs per VMM, COUNT (20000) requests per
# guest run, HOST_RUNS (5) and HOST_SECONDS (2) for 2 and 3, IMG
# (build/bench/blk.img, 256 MiB, created and filled once; it must be on a
# file system with O_DIRECT, which tmpfs lacks), LIGHTVM, QEMU.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
LIGHTVM=${LIGHTVM:-$top/lightvm}
QEMU=${QEMU:-qemu-system-x86_64}
KERNEL=$top/build/guest/virtio_blk.elf
BIN=$top/build/bench
IMG=${IMG:-$BIN/blk.img}
IMG_MB=256
RUNS=${RUNS:-5}
COUNT=${COUNT:-20000}
DEPTH=32
HOST_RUNS=${HOST_RUNS:-5}
HOST_SECONDS=${HOST_SECONDS:-2}
LOGS=$BIN/blk-logs

for f in "$LIGHTVM" "$BIN/blk-raw" "$BIN/blk-service" "$BIN/tsc-hz"; do
	[ -x "$f" ] || { echo "bench: $f missing (make lightvm bench-bins)"; exit 1; }
done
[ -f "$KERNEL" ] || { echo "bench: $KERNEL missing (make guest)"; exit 1; }
mkdir -p "$LOGS"
have_qemu=1
command -v "$QEMU" >/dev/null || have_qemu=0

# The image: every block written once, so reads hit allocated blocks and
# not holes the file system answers without touching the disk.
if [ ! -f "$IMG.filled" ] || [ ! -f "$IMG" ] ||
   [ "$(stat -c %s "$IMG")" -ne $((IMG_MB << 20)) ]; then
	rm -f "$IMG.filled"
	truncate -s "${IMG_MB}M" "$IMG"
	dd if=/dev/urandom of="$IMG" bs=1M count="$IMG_MB" conv=notrunc,fsync \
		status=none
	touch "$IMG.filled"
fi

# O_DIRECT on the image's file system (tmpfs has none): say so up front.
"$BIN/blk-raw" "$IMG" 1 0.01 >/dev/null ||
	{ echo "bench: $IMG: cannot read it with O_DIRECT (set IMG=)"; exit 1; }

median() {
	sort -g | awk '{ a[NR] = $1 }
		END {
			if (!NR) print 0
			else if (NR % 2) print a[(NR + 1) / 2]
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

# calc EXPR: floating-point arithmetic (comparisons give 1 or 0).  The
# parentheses keep awk from reading a ">" as output redirection.
calc() {
	awk "BEGIN { print ($1) }"
}

# key=value from a result line of blk-raw/blk-service.
field() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

tsc_hz=$("$BIN/tsc-hz")
# Two-CPU hosts are easily disturbed: a busy one shows in the figures
# (the service path's two threads suffer more than blk-raw's one).
read -r load1 _ </proc/loadavg

# ---- 1. the test kernel under lightvm and QEMU ----

params="bench count=$COUNT depth=$DEPTH"

# guest_run NAME EXPECTED-EXIT cmd...: one boot; appends "req/s wall-s
# interrupts-per-request" to $LOGS/NAME.runs.  The console goes to
# $LOGS/NAME.N.log.
guest_run() {
	local name=$1 expected=$2 log rc=0 t0 t1 line n cycles ticks secs irqs
	shift 2
	log=$LOGS/$name.$(($(wc -l <"$LOGS/$name.runs") + 1)).log
	t0=$EPOCHREALTIME
	timeout -k 5 120 "$@" </dev/null >"$log" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	line=$(tr -d '\r' <"$log" | grep -m1 '^bulk: ' || true)
	if [ "$rc" -ne "$expected" ] || [ -z "$line" ]; then
		echo "bench: $name: exit $rc (expected $expected); see $log" >&2
		tr -d '\r' <"$log" | grep -E 'FAIL|lightvm:' | tail -n 5 >&2 || true
		exit 1
	fi
	read -r _ n _ _ cycles _ <<<"$line"
	secs=$(calc "$cycles / $tsc_hz")
	# The 100 Hz LAPIC tick count of the same loop: if it disagrees, the
	# guest's TSC does not run at the host's rate and the figure is off.
	ticks=$(tr -d '\r' <"$log" | sed -n 's/^ok: .* \([0-9]*\) ticks$/\1/p')
	irqs=$(tr -d '\r' <"$log" |
	       sed -n 's/^ok: .* \([0-9]*\) interrupts, .*/\1/p')
	if [ -n "$ticks" ] &&
	   [ "$(calc "($ticks / 100 - $secs) ^ 2 > (0.05 * $secs + 0.03) ^ 2")" = 1 ]; then
		echo "bench: warning: $name: $cycles TSC cycles = $secs s, but $ticks ticks at 100 Hz" >&2
	fi
	echo "$(calc "$n / $secs") $(calc "$t1 - $t0") $(calc "${irqs:-0} / $n")" \
		>>"$LOGS/$name.runs"
}

: >"$LOGS/lightvm.runs"
: >"$LOGS/qemu.runs"
: >"$LOGS/lightvm-modern.runs"
: >"$LOGS/qemu-modern.runs"
# A warm-up run, which also gives the exact command line lightvm passes
# (defaults, PVM additions, params): QEMU's guest gets the same one.
"$LIGHTVM" run -k "$KERNEL" -m 256M --disk "$IMG,direct" -p "$params" -v \
	</dev/null >"$LOGS/lightvm.warmup.log" 2>&1 ||
	{ echo "bench: lightvm warm-up run failed; see $LOGS/lightvm.warmup.log"; exit 1; }
cmdline=$(sed -n 's/^lightvm: command line: //p' "$LOGS/lightvm.warmup.log")
counters=$(sed -n 's/^lightvm: virtio-blk .*: \([0-9]* requests, \)/\1/p' \
	   "$LOGS/lightvm.warmup.log")

# QEMU: the test kernel wants 1af4:1001 with class 0x018000 (QEMU's
# default for virtio-blk-pci is 0x010000) and a legacy device; it finds
# the device by scanning bus 0, so the slot does not matter.
# shellcheck disable=SC2054 # commas inside QEMU option values
qemu_cmd=("$QEMU" -enable-kvm -cpu "max,-arch-capabilities" -M pc -m 256M
	  -nodefaults -no-user-config -nographic -serial stdio
	  -kernel "$KERNEL" -append "$cmdline"
	  -device isa-debug-exit,iobase=0xf4,iosize=4
	  -drive "file=$IMG,if=none,id=d0,format=raw,cache=none,aio=native"
	  -device virtio-blk-pci,drive=d0,disable-modern=on,class=0x0180)
# The same, modern only (1af4:1042, revision 1): the test kernel then
# drives its capabilities.
qemu_modern_cmd=("${qemu_cmd[@]}")
qemu_modern_cmd[${#qemu_modern_cmd[@]} - 1]=virtio-blk-pci,drive=d0,disable-legacy=on,disable-modern=off,class=0x0180
for i in "${!qemu_modern_cmd[@]}"; do
	[ "${qemu_modern_cmd[$i]}" = "$cmdline" ] &&
		qemu_modern_cmd[$i]="$cmdline transport=modern"
done

for ((i = 0; i < RUNS; i++)); do
	guest_run lightvm 0 "$LIGHTVM" run -k "$KERNEL" -m 256M \
		--disk "$IMG,direct" -p "$params"
	guest_run lightvm-modern 0 "$LIGHTVM" run -k "$KERNEL" -m 256M \
		--disk "$IMG,direct,transport=modern" -p "$params transport=modern"
	# QEMU's isa-debug-exit: (status << 1) | 1, so 1 is status 0.
	if ((have_qemu)); then
		guest_run qemu 1 "${qemu_cmd[@]}"
		guest_run qemu-modern 1 "${qemu_modern_cmd[@]}"
	fi
done

# ---- 2. and 3. raw libaio and the service path, on the host ----

: >"$LOGS/raw.runs"
: >"$LOGS/service.runs"
for ((i = 0; i < HOST_RUNS; i++)); do
	"$BIN/blk-raw" "$IMG" "$DEPTH" "$HOST_SECONDS" >>"$LOGS/raw.runs"
	"$BIN/blk-service" "$IMG" "$DEPTH" "$HOST_SECONDS" >>"$LOGS/service.runs"
done

# med FILE KEY: median of KEY=value over a file of result lines.
med() {
	local line

	while read -r line; do
		field "$2" "$line"
	done <"$1" | median
}

# ---- the table ----

goal() {
	if [ "$(calc "$1 >= $2")" = 1 ]; then echo "met"; else echo "NOT met"; fi
}

runs_of() {
	cut -d' ' -f1 "$1" | awk '{ printf("%.0f ", $1) }'
}

echo "virtio-blk: image $IMG ($IMG_MB MiB), O_DIRECT + libaio in every column"
printf 'host TSC %.3f MHz (measured by tsc-hz); %d CPUs, load average %s at start%s\n\n' \
	"$(calc "$tsc_hz / 1e6")" "$(nproc)" "$load1" \
	"$( [ "$(calc "$load1 >= 0.5")" = 1 ] && echo ' (BUSY: figures are noisy)')"

echo "1. test kernel virtio_blk '$params': 4 KiB requests, write/read alternating,"
echo "   $DEPTH in flight; $RUNS runs each, interleaved, medians.  req/s from the"
echo "   guest's TSC-timed request loop (guest ring 0 is emulated on PVM hosts)"
l_rate=$(cut -d' ' -f1 "$LOGS/lightvm.runs" | median)
l_wall=$(cut -d' ' -f2 "$LOGS/lightvm.runs" | median)
l_irqs=$(cut -d' ' -f3 "$LOGS/lightvm.runs" | median)
printf '   %-22s %9s %9s %9s %12s\n' "" "req/s" "us/req" "irqs/req" \
	"whole run s"
printf '   %-22s %9.0f %9.1f %9.4f %12.2f   runs: %s\n' "lightvm" "$l_rate" \
	"$(calc "1e6 / $l_rate")" "$l_irqs" "$l_wall" \
	"$(runs_of "$LOGS/lightvm.runs")"
if ((have_qemu)); then
	q_rate=$(cut -d' ' -f1 "$LOGS/qemu.runs" | median)
	q_wall=$(cut -d' ' -f2 "$LOGS/qemu.runs" | median)
	q_irqs=$(cut -d' ' -f3 "$LOGS/qemu.runs" | median)
	printf '   %-22s %9.0f %9.1f %9.4f %12.2f   runs: %s\n' "qemu -M pc" \
		"$q_rate" "$(calc "1e6 / $q_rate")" "$q_irqs" "$q_wall" \
		"$(runs_of "$LOGS/qemu.runs")"
	ratio=$(calc "$l_rate / $q_rate")
	printf '   ratio lightvm/qemu  %.2fx   (issue goal >= 1.2x: %s)\n' \
		"$ratio" "$(goal "$ratio" 1.2)"
else
	echo "   ($QEMU not installed: no QEMU column)"
fi
m_rate=$(cut -d' ' -f1 "$LOGS/lightvm-modern.runs" | median)
printf '   %-22s %9.0f %9.1f %9.4f %12.2f   runs: %s\n' "lightvm, modern" \
	"$m_rate" "$(calc "1e6 / $m_rate")" \
	"$(cut -d' ' -f3 "$LOGS/lightvm-modern.runs" | median)" \
	"$(cut -d' ' -f2 "$LOGS/lightvm-modern.runs" | median)" \
	"$(runs_of "$LOGS/lightvm-modern.runs")"
if ((have_qemu)); then
	qm_rate=$(cut -d' ' -f1 "$LOGS/qemu-modern.runs" | median)
	printf '   %-22s %9.0f %9.1f %9.4f %12.2f   runs: %s\n' "qemu -M pc, modern" \
		"$qm_rate" "$(calc "1e6 / $qm_rate")" \
		"$(cut -d' ' -f3 "$LOGS/qemu-modern.runs" | median)" \
		"$(cut -d' ' -f2 "$LOGS/qemu-modern.runs" | median)" \
		"$(runs_of "$LOGS/qemu-modern.runs")"
	printf '   ratio lightvm/qemu, modern  %.2fx\n' "$(calc "$m_rate / $qm_rate")"
fi
printf '   ratio modern/legacy, lightvm  %.3f\n' "$(calc "$m_rate / $l_rate")"
echo "   lightvm -v (warm-up run): ${counters%%;*}"
echo

raw_iops=$(med "$LOGS/raw.runs" iops)
raw_cpu=$(med "$LOGS/raw.runs" cpu_us)
svc_iops=$(med "$LOGS/service.runs" iops)
svc_cpu=$(med "$LOGS/service.runs" cpu_us)
svc_io=$(med "$LOGS/service.runs" io_us)
svc_drv=$(med "$LOGS/service.runs" drv_us)
svc_kicks=$(med "$LOGS/service.runs" kicks)
svc_irqs=$(med "$LOGS/service.runs" irqs)
echo "2./3. on the host: 4 KiB random reads, QD$DEPTH, ${HOST_SECONDS} s per run,"
echo "   $HOST_RUNS runs each, interleaved, medians"
printf '   %-30s %9s %12s\n' "" "IOPS" "CPU us/req"
printf '   %-30s %9.0f %12.2f   runs: %s\n' "2. raw libaio (blk-raw)" \
	"$raw_iops" "$raw_cpu" \
	"$(while read -r l; do field iops "$l"; done <"$LOGS/raw.runs" | tr '\n' ' ')"
printf '   %-30s %9.0f %12.2f   runs: %s\n' "3. lightvm service path" \
	"$svc_iops" "$svc_cpu" \
	"$(while read -r l; do field iops "$l"; done <"$LOGS/service.runs" | tr '\n' ' ')"
ratio=$(calc "$svc_iops / $raw_iops")
printf '   ratio service/raw   %.3f   (issue goal >= 0.90: %s)\n' "$ratio" \
	"$(goal "$ratio" 0.9)"
printf '   VMM cost per request: I/O thread %.2f us CPU (driver thread %.2f us);\n' \
	"$svc_io" "$svc_drv"
printf '     whole process %.2f us vs raw %.2f us: %+.2f us over raw\n' \
	"$svc_cpu" "$raw_cpu" "$(calc "$svc_cpu - $raw_cpu")"
printf '   per request: %.4f kicks, %.4f interrupts\n' "$svc_kicks" "$svc_irqs"
