#!/usr/bin/env bash
# scripts/test.sh - the README's test command, and what .ci/run calls:
# install missing Debian packages, build everything, then run every tier:
#   tier 1  Check unit tests, plain and under ASan/UBSan (here)
#   tier 2  test kernels                      } where KVM works: here, or
#   tier 3  Linux boot tests (kernel cached)  } the nested KVM test host
#   fuzz    a short run of every fuzzer (here)
# Two lanes run side by side, one per core (the nested host's single-
# threaded TCG fills one): the guest kernel build, tier 3 and the fuzzers
# on one; tier 1 and tier 2 on the other.  Each lane's lines carry its
# tier's name; a summary with the time of each tier ends the run.
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
scripts/install-deps.sh
make -j"$(nproc)" all
echo "== setup (packages, build): $(( $(date +%s) - T0 )) s"

LOGS=build/test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"

# lane NAME COMMAND...: run, prefix each line with [NAME], record status
# and seconds in $LOGS/NAME.{rc,secs}.
lane() {
	local name=$1 start rc
	shift
	start=$(date +%s)
	set +e
	"$@" 2>&1 | sed -u "s/^/[$name] /"
	rc=${PIPESTATUS[0]}
	set -e
	echo "$rc" >"$LOGS/$name.rc"
	echo $(( $(date +%s) - start )) >"$LOGS/$name.secs"
	echo "[$name] == exit $rc after $(cat "$LOGS/$name.secs") s"
}

# Tier 1 alone first: seconds, and Check's summary lines stay unprefixed.
start=$(date +%s)
set +e
make -j"$(nproc)" build/unit-tests build/unit-tests-san >/dev/null &&
	make unit unit-san
echo $? >"$LOGS/tier1.rc"
set -e
echo $(( $(date +%s) - start )) >"$LOGS/tier1.secs"

(
	lane kernel tests/boot/run-tests.sh --prepare
	if [ "$(cat "$LOGS/kernel.rc")" = 0 ]; then
		lane tier3 tests/kvmhost/with-kvm.sh "tier 3 (Linux boot tests)" \
			tests/boot/run-tests.sh
	fi
	lane fuzz make fuzz-smoke
) &
B=$!
lane tier2 tests/kvmhost/with-kvm.sh "tier 2 (test kernels)" tests/guest/run-tests.sh
wait "$B" || true

echo "== summary (wall seconds; the two lanes overlap)"
status=0
for t in tier1 kernel tier2 tier3 fuzz; do
	rc=$(cat "$LOGS/$t.rc" 2>/dev/null || echo "not run")
	printf '   %-7s %-10s %5s s\n' "$t" "$([ "$rc" = 0 ] && echo passed || echo "FAILED ($rc)")" \
		"$(cat "$LOGS/$t.secs" 2>/dev/null || echo -)"
	[ "$rc" = 0 ] || status=1
done
echo "== total $(( $(date +%s) - T0 )) s"
exit "$status"
