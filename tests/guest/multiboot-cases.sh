# SPDX-License-Identifier: GPL-2.0
#
# multiboot-cases.sh - the Multiboot test kernel (multiboot.c) as an ELF32
# and as an a.out-kludge flat binary, under lightvm and, side by side,
# under qemu-system-x86_64 -enable-kvm -kernel with QEMU's own
# isa-debug-exit and pc-testdev: the same checks must give the same
# verdict (QEMU reports a status s as (s << 1) | 1).  Sourced by
# run-tests.sh (check, run_case, pass, fail, selected, $GUEST_DIR).
#
#   multiboot-elf, multiboot-aout    2 CPUs, two modules, --testdev: 0
#   multiboot-smp4                   4 CPUs woken by INIT/SIPI broadcast
#   multiboot-no-testdev             without --testdev the latch reads
#                                    all-ones: status 10 (the test can fail)
#   multiboot-wrong-cpus             cpus=3 on -c 2: fw_cfg says 2, status 8
#   multiboot-qemu-elf, -aout        the same binaries under QEMU: exit 1
#                                    (status 0), or the verdicts differ

MB_FILES=$LOG_DIR/multiboot
mkdir -p "$MB_FILES"
printf 'lightvm multiboot module 0\n' >"$MB_FILES/mod0.txt"
printf 'lightvm multiboot module 1\n' >"$MB_FILES/mod1.txt"
MB_MODS=(-i "$MB_FILES/mod0.txt" --module "$MB_FILES/mod1.txt,second arg")

check multiboot-elf 0 multiboot.elf "${MB_MODS[@]}" --testdev -c 2 -m 128M \
	-p "cpus=2 mods=2"
check multiboot-aout 0 multiboot-aout.bin "${MB_MODS[@]}" --testdev -c 2 \
	-m 128M -p "cpus=2 mods=2"
check multiboot-smp4 0 multiboot.elf "${MB_MODS[@]}" --testdev -c 4 -m 128M \
	-p "cpus=4 mods=2"
check multiboot-no-testdev 10 multiboot.elf "${MB_MODS[@]}" -c 2 -m 128M \
	-p "cpus=2 mods=2"
check multiboot-wrong-cpus 8 multiboot.elf "${MB_MODS[@]}" --testdev -c 2 \
	-m 128M -p "cpus=3 mods=2"

# qemu_multiboot NAME KERNEL: QEMU must agree (status 0 -> exit 1).
qemu_multiboot() {
	local name=$1 kernel=$GUEST_DIR/$2 log=$LOG_DIR/$1.log rc
	local qemu=${QEMU:-qemu-system-x86_64}

	selected "$name" || return 0
	if ! command -v "$qemu" >/dev/null; then
		fail "$name" "$qemu not installed"
		return
	fi
	echo "# $qemu -kernel $kernel" >"$log"
	timeout -k 5 120 "$qemu" -enable-kvm -cpu max,-arch-capabilities -M pc \
		-m 128M -smp 2 -nodefaults -no-user-config -nographic \
		-serial stdio -kernel "$kernel" \
		-initrd "$MB_FILES/mod0.txt,$MB_FILES/mod1.txt second arg" \
		-append "cpus=2 mods=2" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev \
		</dev/null >>"$log" 2>&1
	rc=$?
	echo "# exit $rc" >>"$log"
	if [ "$rc" -ne 1 ]; then
		fail "$name" "QEMU exit $rc (status $(((rc - 1) / 2))), lightvm's verdict was 0"
	elif ! grep -q "multiboot: all checks passed" "$log"; then
		fail "$name" "QEMU exit 1 but the console lacks the verdict"
	else
		pass "$name"
	fi
}
qemu_multiboot multiboot-qemu-elf multiboot.elf
qemu_multiboot multiboot-qemu-aout multiboot-aout.bin
