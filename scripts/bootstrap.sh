#!/usr/bin/env bash
# scripts/bootstrap.sh - the README's first command: install the Debian
# packages lightvm needs, build lightvm, the test kernels and the guest
# kernel (cached after the first build), then boot the default guest.
#
# Default guest: the guest-config kernel with a busybox shell on the
# console (Ctrl-A x quits).  On a PVM host guest user space cannot make
# system calls, so there the kernel boots to a no-syscall init instead,
# which spins briefly and then faults on purpose: the kernel panics and
# lightvm exits 120, the expected end of that demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
make -j"$(nproc)" all
KDIR=$(guest-config/build-kernel.sh | tail -n 1)
mkdir -p build

if ./lightvm run -k build/guest/hello.elf -v 2>&1 >/dev/null | grep -q "host: PVM"; then
	cat <<'MSG'
bootstrap: this host's /dev/kvm is PVM: guest ring-0 code is emulated and
bootstrap: guest user space cannot make system calls, so no shell can run.
bootstrap: Booting the guest kernel to a no-syscall init instead (about a
bootstrap: minute); it ends with an intended init fault -> panic -> exit 120.
MSG
	guest-config/build-initramfs.sh spin build/spin.cpio >/dev/null
	set +e
	./lightvm run -k "$KDIR/bzImage" -i build/spin.cpio -v --timeout 600 \
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

if [ -t 0 ]; then
	guest-config/build-initramfs.sh busybox build/busybox.cpio >/dev/null
	echo "bootstrap: booting the default guest (busybox shell); Ctrl-A x quits"
	exec ./lightvm run -k "$KDIR/bzImage" -i build/busybox.cpio -m 512M -c 2
fi
# No terminal to type into: run the init's self-test instead of a shell.
guest-config/build-initramfs.sh cinit build/cinit.cpio >/dev/null
exec ./lightvm run -k "$KDIR/bzImage" -i build/cinit.cpio --timeout 300 \
	-p "lightvm.test=mounts"
