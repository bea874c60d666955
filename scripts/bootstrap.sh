#!/usr/bin/env bash
# scripts/bootstrap.sh - the README's first command: install the Debian
# packages lightvm needs, build lightvm, the test kernels and the guest
# kernel (cached after the first build), then boot the default guest: the
# guest-config kernel with a busybox shell on the console (Ctrl-A x
# quits), or, without a terminal, the same guest running its self-test
# (lightvm exits with its status).
#
# Where it boots depends on the KVM this machine has:
#   VMX/SVM /dev/kvm   here.
#   none               inside the nested KVM test host (tests/kvmhost: an
#                      L1 Linux under QEMU's TCG with SVM), ~15 s longer.
#                      Its QEMU's escape key is Ctrl-], so Ctrl-A x still
#                      reaches lightvm.
#   PVM /dev/kvm       here, but guest user space cannot make system calls
#                      there: the kernel boots to a no-syscall init that
#                      ends in an intended panic (exit 120).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
make -j"$(nproc)" all
tests/boot/run-tests.sh --prepare >/dev/null
KDIR=$(guest-config/build-kernel.sh | tail -n 1)
BUSYBOX=build/boot/busybox.cpio

kvm=$(build/tools/kvm-probe || true)
case "${LIGHTVM_KVM:-auto}:$kvm" in
nested:*|auto:none*) where=nested ;;
*:pvm) where=pvm ;;
*) where=here ;;
esac

if [ "$where" = pvm ] && [ "${LIGHTVM_KVM:-auto}" != native ]; then
	cat <<'MSG'
bootstrap: this host's /dev/kvm is PVM: guest ring-0 code is emulated and
bootstrap: guest user space cannot make system calls, so no shell can run.
bootstrap: Booting the guest kernel to a no-syscall init instead (about a
bootstrap: minute); it ends with an intended init fault -> panic -> exit 120.
MSG
	set +e
	./lightvm run -k "$KDIR/bzImage" -i build/boot/spin.cpio -v --timeout 600 \
		-p "rodata=off lightvm_init_exit=1" | tee build/bootstrap-console.log
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" -eq 120 ] && grep -q "Run /init as init process" build/bootstrap-console.log; then
		echo "bootstrap: OK - the guest kernel booted to init under lightvm"
		exit 0
	fi
	echo "bootstrap: FAILED - lightvm exit $rc (console in build/bootstrap-console.log)"
	exit 1
fi

run=()
if [ "$where" = nested ]; then
	echo "bootstrap: no usable /dev/kvm here (${kvm#none: }): booting inside the nested KVM test host"
	echo "bootstrap: (an L1 Linux under QEMU TCG with SVM, tests/kvmhost; Ctrl-] x stops QEMU)"
	run=(tests/kvmhost/run.sh --)
fi
if [ -t 0 ] && [ -t 1 ]; then
	echo "bootstrap: booting the default guest (busybox shell, 2 vCPUs); Ctrl-A x quits"
	exec "${run[@]}" ./lightvm run -k "$KDIR/bzImage" -i "$BUSYBOX" -m 512M -c 2
fi
# No terminal to type into: the guest runs its self-test instead of a shell.
echo "bootstrap: no terminal: the default guest runs its self-test"
set +e
"${run[@]}" ./lightvm run -k "$KDIR/bzImage" -i "$BUSYBOX" -m 512M -c 2 --timeout 300 \
	-p "lightvm.script=selftest"
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
	echo "bootstrap: OK - the default guest booted and its self-test passed"
else
	echo "bootstrap: FAILED - exit $rc"
fi
exit "$rc"
