#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/crash/run.sh - crash consistency of virtio-blk: boot crash_blk
# (tests/guest/crash_blk.c), which writes numbered blocks with a FLUSH
# after each batch and prints "flushed N run R" after each completed
# FLUSH; SIGKILL lightvm at a random moment; then every block the last
# such line covers must be in the image (build/tools/crash-check).  Many
# runs, per disk mode; each run reuses the mode's image with a new run
# id, so what an earlier run left there cannot pass for this run's data.
#
#   tests/crash/run.sh [RUNS]     RUNS per mode (default CRASH_RUNS or 8)
#
# Environment:
#   CRASH_MODES    one word per mode (default "aio aio,direct sync"): aio
#                  or sync picks the engine, other comma-separated words
#                  are --disk options (direct)
#   CRASH_MIN_MS, CRASH_MAX_MS   the kill window after start (50, 2000)
#   CRASH_SEED     seed of bash's RANDOM (default: from the clock; printed)
#   LIGHTVM, GUEST_DIR, TOOLS_DIR, LOG_DIR   as in tests/guest/run-tests.sh
#
# After the runs of each mode a self-check proves the checker can fail:
# on a copy of the image, the block of the last flushed seq is zeroed,
# then one data byte of the oldest checked block is flipped, and the
# unchanged image is checked against the next run id; crash-check must
# reject all three.
#
# What a SIGKILL can and cannot show: the host kernel survives it, so
# whatever lightvm handed to the kernel (the page cache, or the device
# with `direct`) is in the image afterwards, synced or not.  The test
# therefore catches a VMM that acknowledges writes or FLUSHes it has not
# yet given to the kernel (reordering, lost completions, a FLUSH that
# overtakes writes), not a missing fdatasync; the latter needs a power
# cut (dm-log-writes or dm-flakey), which tests/guest/hostile-crash.md
# discusses.
#
# Exit 0 when every run passed, 1 otherwise.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)

abspath() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}
LIGHTVM=$(abspath "${LIGHTVM:-$ROOT/lightvm}")
GUEST_DIR=$(abspath "${GUEST_DIR:-$ROOT/build/guest}")
TOOLS_DIR=$(abspath "${TOOLS_DIR:-$ROOT/build/tools}")
LOG_DIR=$(abspath "${LOG_DIR:-$GUEST_DIR/logs}")/crash

RUNS=${1:-${CRASH_RUNS:-8}}
MODES=${CRASH_MODES:-"aio aio,direct sync"}
MIN_MS=${CRASH_MIN_MS:-50}
MAX_MS=${CRASH_MAX_MS:-2000}
SEED=${CRASH_SEED:-$(($(date +%s%N) % 1000000))}
RANDOM=$SEED

# The guest's region: 256 blocks of 4 KiB from sector 2048, in a 4 MiB
# image; batches of 8 writes.
START=2048
SLOTS=256
BATCH=8

CHECK=$TOOLS_DIR/crash-check
KERNEL=$GUEST_DIR/crash_blk.elf
bad=0

for f in "$LIGHTVM" "$CHECK" "$KERNEL"; do
	if [ ! -x "$f" ] && [ ! -f "$f" ]; then
		echo "crash: missing $f (make lightvm guest tools)"
		exit 1
	fi
done
mkdir -p "$LOG_DIR" || exit 1
# Logs of passed runs are removed as they pass; clear old failures.
rm -f "$LOG_DIR"/*.console "$LOG_DIR"/*.log "$LOG_DIR"/*.selfcheck
echo "crash: $RUNS runs per mode ($MODES), kill after $MIN_MS-$MAX_MS ms, CRASH_SEED=$SEED"

# last_flushed LOG RUN: N of the last complete "flushed N run RUN" line
# (the guest ends lines with CR LF; a line cut short by the kill lacks
# them, or the run id, and does not count).
last_flushed() {
	grep -aE "^flushed [0-9]+ run $2"$'\r'"\$" "$1" 2>/dev/null | tail -n 1 |
		awk '{ print $2 } END { if (!NR) print 0 }'
}

# self_check IMG RUN N: crash-check must catch a lost block, a flipped
# byte and another run's data.
self_check() {
	local img=$1 run=$2 n=$3 copy=$1.selfcheck slot

	slot=$(((n - 1) % SLOTS))
	cp "$img" "$copy" || return 1
	dd if=/dev/zero of="$copy" bs=4096 seek=$((START / 8 + slot)) \
		count=1 conv=notrunc status=none
	if "$CHECK" "$copy" "$run" "$n" $START $SLOTS >/dev/null; then
		echo "crash: self-check: a zeroed block $((n - 1)) passed"
		return 1
	fi
	cp "$img" "$copy" || return 1
	# Byte 100 of the oldest checked block: inside the data words.
	slot=$(((n > SLOTS ? n - SLOTS : 0) % SLOTS))
	printf '\x5a' | dd of="$copy" bs=1 \
		seek=$(((START / 8 + slot) * 4096 + 100)) conv=notrunc \
		status=none
	if cmp -s "$img" "$copy"; then
		printf '\xa5' | dd of="$copy" bs=1 \
			seek=$(((START / 8 + slot) * 4096 + 100)) \
			conv=notrunc status=none
	fi
	if "$CHECK" "$copy" "$run" "$n" $START $SLOTS >/dev/null; then
		echo "crash: self-check: a flipped byte in slot $slot passed"
		return 1
	fi
	if "$CHECK" "$img" $((run + 1)) "$n" $START $SLOTS >/dev/null; then
		echo "crash: self-check: run $run's blocks passed for run $((run + 1))"
		return 1
	fi
	rm -f "$copy"
	echo "crash: self-check ok: a zeroed block, a flipped byte and another run id are caught"
}

# one_run MODE IMG RUN: boot, kill, check.  Sets FLUSHED.
one_run() {
	local mode=$1 img=$2 run=$3 opts="" ms pid rc clog log w
	local tag=${mode//,/-}-$run

	# aio, sync: the engine; anything else is a --disk option as is.
	for w in ${mode//,/ }; do
		case $w in
		aio) ;;
		sync) opts+=,engine=sync ;;
		*) opts+=,$w ;;
		esac
	done
	clog=$LOG_DIR/$tag.console
	log=$LOG_DIR/$tag.log
	ms=$((MIN_MS + RANDOM % (MAX_MS - MIN_MS + 1)))
	"$LIGHTVM" run -k "$KERNEL" --disk "$img$opts" --console-log "$clog" \
		-p "run=$run start=$START slots=$SLOTS batch=$BATCH" \
		--timeout 60 </dev/null >"$log" 2>&1 &
	pid=$!
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	FLUSHED=$(last_flushed "$clog" "$run")
	if [ $rc -ne 137 ]; then
		echo "crash: $tag: lightvm ended with $rc before the SIGKILL at $ms ms"
		tail -n 5 "$clog" "$log"
		return 1
	fi
	if ! "$CHECK" "$img" "$run" "$FLUSHED" $START $SLOTS >>"$log"; then
		echo "crash: $tag: killed at $ms ms after 'flushed $FLUSHED': $(tail -n 1 "$log")"
		return 1
	fi
	echo "crash: $tag: killed at $ms ms, $FLUSHED blocks flushed and found"
	rm -f "$clog" "$log"
}

for mode in $MODES; do
	img=$LOG_DIR/crash-${mode//,/-}.img
	rm -f "$img"
	truncate -s 4M "$img" || exit 1
	# Run ids: a random base, one more per run.
	base=$(((RANDOM << 15 | RANDOM) + 1))
	runs_with_data=0
	last_run=0
	last_n=0
	for i in $(seq "$RUNS"); do
		run=$((base + i))
		if ! one_run "$mode" "$img" "$run"; then
			bad=$((bad + 1))
			continue
		fi
		if [ "$FLUSHED" -gt 0 ]; then
			runs_with_data=$((runs_with_data + 1))
			last_run=$run
			last_n=$FLUSHED
		fi
	done
	# Too few kills after the first FLUSH prove nothing.
	if [ $runs_with_data -lt $(((RUNS + 1) / 2)) ]; then
		echo "crash: $mode: only $runs_with_data of $RUNS runs got past a FLUSH"
		bad=$((bad + 1))
	elif ! self_check "$img" "$last_run" "$last_n"; then
		bad=$((bad + 1))
	fi
done

if [ $bad -ne 0 ]; then
	echo "crash: $bad failures (CRASH_SEED=$SEED)"
	exit 1
fi
echo "crash: all runs passed"
