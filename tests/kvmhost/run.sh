#!/usr/bin/env bash
# tests/kvmhost/run.sh - run a command inside the nested KVM test host: an
# L1 Linux VM under QEMU's TCG (-cpu max: AMD SVM with nested paging)
# where /dev/kvm works, for machines that have no KVM of their own.
#
# usage: run.sh [options] [--] COMMAND [ARG...]
#
#   --cwd DIR         run COMMAND in DIR (default: the current directory)
#   --share DIR       also mount DIR read-write at its own path (repeatable;
#                     the checkout holding this script and the cache
#                     directory, ${LIGHTVM_CACHE:-~/.cache/lightvm}, always
#                     are: the L1's /tmp is its own)
#   --cpus N          L1 vCPUs (default 1; see below)
#   --mem SIZE        L1 RAM, QEMU syntax (default: a quarter of the
#                     machine's RAM, 2G..8G)
#   --scratch SIZE    the L1's local ext4 scratch disk (default 32G, sparse)
#   --watchdog MIN    stop the L1 after MIN minutes without console output
#                     or heartbeat (default 5)
#   --timeout SEC     stop the L1 after SEC seconds in all (default: none)
#   --env NAME        pass the variable NAME into the L1 (repeatable;
#                     the tests' and benchmarks' knobs always are: LIGHTVM,
#                     LIGHTVM_*, QEMU, GUEST_DIR, TOOLS_DIR, BENCH_*, RUNS,
#                     COUNT, HOST_RUNS, HOST_SECONDS, and TERM)
#
# The machine's root file system is the L1's, read-only over virtio-9p;
# tmpfs holds /tmp, /run and /var/tmp; the checkout is read-write at its
# own path, and its build/ gets an overlay on a local ext4 scratch disk
# (9p breaks OFD locks and O_DIRECT), whose small files are copied back
# when the command ends.  Output is streamed live; on a terminal the
# console is interactive (QEMU's escape moves to Ctrl-], so Ctrl-A belongs
# to the guest: Ctrl-] x stops QEMU).
#
# Exit status: COMMAND's, or
#   124  the watchdog or --timeout stopped the L1
#   125  cannot start: bad usage, QEMU or the L1 kernel missing
#   126  the L1 did not come up, or /dev/kvm does not work in it (no SVM)
# each with one line on stderr saying which.
set -uo pipefail

PROG=kvmhost
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT=$(cd "$HERE/../.." && pwd)
QEMU=${QEMU:-qemu-system-x86_64}

die() { echo "$PROG: $*" >&2; exit 125; }

CWD=$PWD
SHARES=("$CHECKOUT")
# One vCPU.  With QEMU 7.2's single-threaded TCG and two or more vCPUs,
# the round-robin kick between them lands, now and then, right after
# QEMU's VMRUN has injected an interrupt into the nested guest (SVM
# EVENTINJ): QEMU leaves that vector in cs->exception_index, and the kick
# makes its main loop deliver it a second time, as an exception, while
# the guest's handler runs with IF=0.  Linux then deadlocks in the
# handler on its own lock (measured: 5 stalls in 23 boots with 2 vCPUs,
# kvm traces showing one KVM injection and two deliveries; 0 in 30 boots
# with 1 vCPU; see tests/kvmhost/README.md).  Single-threaded TCG uses one
# host core whatever the vCPU count, so one vCPU costs no speed; run one
# L1 per core instead (with-kvm.sh callers do).
CPUS=1
mem_mib=$(( $(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 4096 ))
[ "$mem_mib" -lt 2048 ] && mem_mib=2048
[ "$mem_mib" -gt 8192 ] && mem_mib=8192
MEM=${mem_mib}M
SCRATCH_SIZE=32G
WATCHDOG_MIN=5
TIMEOUT=0
PASS=()
PASS_ENV='LIGHTVM|LIGHTVM_.*|QEMU|GUEST_DIR|TOOLS_DIR|BENCH_.*|RUNS|COUNT|HOST_RUNS|HOST_SECONDS|TERM|COLUMNS|LINES'
BOOT_LIMIT=300		# seconds for the L1 to come up (TCG: ~10-30 s)
COPY_LIMIT=$((8 * 1048576))

while [ $# -gt 0 ]; do
	case "$1" in
	--cwd) CWD=$2; shift 2 ;;
	--share) SHARES+=("$(cd "$2" 2>/dev/null && pwd)") || die "--share $2: no such directory"; shift 2 ;;
	--cpus) CPUS=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--scratch) SCRATCH_SIZE=$2; shift 2 ;;
	--watchdog) WATCHDOG_MIN=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--env) PASS+=("$2"); shift 2 ;;
	-h|--help) sed -n '2,35s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "no command given (see --help)"
[[ "$CPUS" =~ ^[1-9][0-9]*$ ]] || die "--cpus $CPUS: not a count"
[[ "$WATCHDOG_MIN" =~ ^[1-9][0-9]*$ ]] || die "--watchdog $WATCHDOG_MIN: not minutes"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout $TIMEOUT: not seconds"
CWD=$(cd "$CWD" 2>/dev/null && pwd) || die "--cwd: no such directory"
CACHE=${LIGHTVM_CACHE:-$HOME/.cache/lightvm}
mkdir -p "$CACHE" && CACHE=$(cd "$CACHE" && pwd) || die "cannot create the cache directory $CACHE"
case "$CACHE/" in
"$CHECKOUT"/*) ;;
*) SHARES+=("$CACHE") ;;
esac
command -v "$QEMU" >/dev/null ||
	die "$QEMU not found (install the Debian package qemu-system-x86)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found (install e2fsprogs)"

L1=$("$HERE/prepare.sh" | tail -n 1) || exit 125
[ -s "$L1/vmlinuz" ] || exit 125

STATE=$(mktemp -d "${TMPDIR:-/tmp}/kvmhost.XXXXXX") || die "mktemp failed"
QEMU_PID=""
cleanup() {
	[ -n "$QEMU_PID" ] && kill -KILL "$QEMU_PID" 2>/dev/null
	[ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null
	rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The job for l1-stage2.sh.
BUILD=""
mkdir -p "$CHECKOUT/build" 2>/dev/null && BUILD=$CHECKOUT/build
INTERACTIVE=0
[ -t 0 ] && [ -t 1 ] && INTERACTIVE=1
{
	printf 'CWD=%q\nBUILD=%q\nINTERACTIVE=%s\nCOPY_LIMIT=%s\n' \
		"$CWD" "$BUILD" "$INTERACTIVE" "$COPY_LIMIT"
	for v in $(compgen -e | grep -xE "$PASS_ENV") "${PASS[@]}"; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	# The cache is shared at its own path: say where it is.
	printf 'export LIGHTVM_CACHE=%q\n' "$CACHE"
} >"$STATE/job"
printf '%s\0' "$@" >"$STATE/cmd"
cp "$HERE/l1-stage2.sh" "$STATE/"
: >"$STATE/shares"
virtfs=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$STATE,mount_tag=kvmhost,security_model=none,multidevs=remap")
i=0
for s in "${SHARES[@]}"; do
	virtfs+=(-virtfs "local,path=$s,mount_tag=rw$i,security_model=none,multidevs=remap")
	echo "rw$i $s" >>"$STATE/shares"
	i=$((i + 1))
done

# A fresh sparse ext4 scratch disk for each run.  Its inode tables are
# never zeroed (sparse: they read as zeros), so nothing in the L1 spends
# emulated time initialising them.
truncate -s "$SCRATCH_SIZE" "$STATE/scratch.img" &&
	mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1,nodiscard \
		-L kvmhost-scratch "$STATE/scratch.img" ||
	die "cannot make the scratch disk in $STATE"

if [ "$INTERACTIVE" = 1 ]; then
	# QEMU's mux escape moves from Ctrl-A to Ctrl-], so lightvm's Ctrl-A x
	# reaches lightvm; Ctrl-] x stops QEMU.
	# No monitor on the mux: it would take the console's focus.
	console=(-chardev stdio,id=con,mux=on,signal=off -serial chardev:con
		 -echr 0x1d)
else
	console=(-chardev stdio,id=con -serial chardev:con)
fi

# QEMU runs as a background job (the watchdog needs its PID), and a
# non-interactive shell gives background jobs /dev/null as input: hand it
# our real stdin explicitly.
exec 3<&0
echo "$PROG: L1 $(cut -d' ' -f1,2 "$L1/version") under QEMU TCG (single-threaded), $CPUS vCPUs, $MEM; running: $*" >&2
# Single-threaded TCG: with QEMU 7.2's multi-threaded TCG the L1 wedged
# (both vCPUs busy, no progress) three times in a row under nested SVM;
# thread=single ran 150 guests without a hang (../shared/notes/nested.md).
"$QEMU" -nodefaults -no-user-config -display none -no-reboot \
	-accel tcg,thread=single -cpu max -smp "$CPUS" -m "$MEM" \
	-kernel "$L1/vmlinuz" -initrd "$L1/initramfs.cpio" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off tsc=reliable rdinit=/init" \
	"${virtfs[@]}" \
	-drive "file=$STATE/scratch.img,if=virtio,format=raw,cache=unsafe,aio=threads,discard=unmap" \
	"${console[@]}" <&3 3<&- &
QEMU_PID=$!

# The watchdog: no console output and no heartbeat for WATCHDOG_MIN
# minutes, or the L1 not up within BOOT_LIMIT seconds, stops QEMU.  It
# reads QEMU's console output size from /proc (wchar of the process).
watchdog() {
	local start last_io=-1 last_change now io beat reason=""
	start=$(date +%s)
	last_change=$start
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		sleep 5
		now=$(date +%s)
		io=$(awk '/^wchar/ { print $2 }' "/proc/$QEMU_PID/io" 2>/dev/null)
		beat=$(stat -c %Y "$STATE/heartbeat" 2>/dev/null || echo 0)
		if [ "${io:-0}" != "$last_io" ]; then
			last_io=${io:-0}
			last_change=$now
		fi
		[ "$beat" -gt "$last_change" ] && last_change=$beat
		if [ ! -e "$STATE/ready" ] && [ ! -e "$STATE/error" ] &&
		   [ $((now - start)) -gt "$BOOT_LIMIT" ]; then
			reason="boot"
		elif [ $((now - last_change)) -gt $((WATCHDOG_MIN * 60)) ]; then
			reason="stall"
		elif [ "$TIMEOUT" -gt 0 ] && [ $((now - start)) -gt "$TIMEOUT" ]; then
			reason="timeout"
		fi
		if [ -n "$reason" ]; then
			echo "$reason" >"$STATE/watchdog"
			kill -KILL "$QEMU_PID" 2>/dev/null
			return
		fi
	done
}
watchdog &
WATCH_PID=$!
wait "$QEMU_PID"
qrc=$?
QEMU_PID=""
kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID" 2>/dev/null

if [ -s "$STATE/status" ]; then
	exit "$(cat "$STATE/status")"
fi
case "$(cat "$STATE/watchdog" 2>/dev/null)" in
boot)
	echo "$PROG: the L1 did not come up within ${BOOT_LIMIT}s; stopped it" >&2
	exit 126 ;;
stall)
	echo "$PROG: the L1 made no progress for $WATCHDOG_MIN min (no console output, no heartbeat); stopped it" >&2
	exit 124 ;;
timeout)
	echo "$PROG: --timeout ${TIMEOUT}s reached; stopped the L1" >&2
	exit 124 ;;
esac
if [ -s "$STATE/error" ]; then
	echo "$PROG: $(head -n 1 "$STATE/error")" >&2
	exit 126
fi
if [ -e "$STATE/ready" ]; then
	echo "$PROG: the L1 ended before the command finished (QEMU exit $qrc)" >&2
else
	echo "$PROG: the L1 ended before it came up (QEMU exit $qrc)" >&2
fi
exit 126
