#!/usr/bin/env bash
# tests/kvmhost/with-kvm.sh - run a command that needs KVM where a working
# KVM is: on this machine when /dev/kvm works here, else inside the nested
# KVM test host (run.sh).  Says which, on one line, before it starts.
#
# usage: with-kvm.sh WHAT COMMAND [ARG...]
#   WHAT   what the command is, for that line (e.g. "tier 2")
#
# Environment: LIGHTVM_KVM=auto (default) | native | nested forces either
# way; KVMHOST_OPTS adds options for run.sh (e.g. "--watchdog 10").
# Exit status: the command's (see run.sh for the nested host's own codes).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PROBE=$ROOT/build/tools/kvm-probe

[ $# -ge 2 ] || { echo "usage: with-kvm.sh WHAT COMMAND [ARG...]" >&2; exit 125; }
what=$1
shift
[ -x "$PROBE" ] || { echo "with-kvm: $PROBE missing (run make)" >&2; exit 125; }

found=$("$PROBE")
case "${LIGHTVM_KVM:-auto}" in
auto)
	case "$found" in
	vmx-svm) where=native kind="VMX/SVM" ;;
	pvm) where=native kind="PVM" ;;
	*) where=nested ;;
	esac ;;
native) where=native kind="${found} (forced by LIGHTVM_KVM=native)" ;;
nested) where=nested found="$found; nested forced by LIGHTVM_KVM=nested" ;;
*) echo "with-kvm: LIGHTVM_KVM=${LIGHTVM_KVM}: use auto, native or nested" >&2; exit 125 ;;
esac

if [ "$where" = native ]; then
	echo "== KVM: /dev/kvm on this machine is $kind; $what runs here"
	exec "$@"
fi
echo "== KVM: none usable on this machine (${found#none: }); $what runs in a nested SVM host under QEMU TCG"
# shellcheck disable=SC2086  # KVMHOST_OPTS is a list of options
exec "$HERE/run.sh" ${KVMHOST_OPTS:-} -- "$@"
