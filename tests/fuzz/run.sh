#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/fuzz/run.sh SECONDS NAME... - run each libFuzzer harness
# build/fuzz/NAME for SECONDS on a fresh copy of its seed corpus
# (tests/fuzz/corpus/NAME), one after another, and print one line per
# fuzzer: executions, time, crashes.  Fails if any fuzzer failed.
#
# What a run finds stays under build/fuzz/work/NAME/: the grown corpus in
# corpus/, the log, and crash-*/leak-*/timeout-* inputs (libFuzzer stops
# at the first).  Reproduce one with `build/fuzz/NAME FILE`; once fixed,
# its minimised input goes to tests/fuzz/corpus/NAME/crash-WHAT.bin.
#
# FUZZ_RUNS=N stops each fuzzer after N executions instead of SECONDS
# (SECONDS is then only an upper bound); FUZZ_FLAGS adds libFuzzer flags.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS NAME..." >&2
	exit 2
fi
secs=$1
shift
runs=${FUZZ_RUNS:--1}
failed=0

for name in "$@"; do
	bin=build/fuzz/$name
	work=build/fuzz/work/$name
	rm -rf "$work"
	mkdir -p "$work/corpus"
	cp tests/fuzz/corpus/"$name"/* "$work/corpus/"
	start=$(date +%s)
	# -close_fd_mask=2: the VMM's own warnings (each INTx toggle without
	# KVM logs one) would swamp the log; sanitizer reports and the
	# harnesses' messages still get through (see fuzz.h).
	"$bin" -max_total_time="$secs" -runs="$runs" -timeout=30 \
		-print_final_stats=1 -close_fd_mask=2 \
		-artifact_prefix="$work/" ${FUZZ_FLAGS:-} \
		"$work/corpus" >"$work/log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	crashes=$(ls "$work" | grep -cE '^(crash|leak|timeout|oom)-')
	printf 'fuzz %-8s %12s execs %6s s %3s crashes' "$name" \
		"${execs:-?}" "$took" "$crashes"
	if [ "$rc" -ne 0 ]; then
		failed=1
		printf '  FAILED (exit %d, see %s/log)\n' "$rc" "$work"
		grep -m1 -E 'ERROR|invariant' "$work/log" | sed 's/^/    /'
	else
		printf '\n'
	fi
done
exit $failed
