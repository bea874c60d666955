#!/usr/bin/env bash
# bench/linux-boot.sh - exec -> "Run /init as init process" for each Linux
# guest and boot path, and where the time goes:
#   setup   lightvm start-up + kernel load (+ host-side decompression), from -vv
#   vmm cpu lightvm's user-space CPU time (device emulation, exit handling)
#   guest   the rest: vCPUs inside KVM_RUN (on PVM: the emulated kernel)
# The init (no syscalls) faults right after starting, so every run ends
# with the kernel panic lightvm reports as 120.
#
#   bench/linux-boot.sh            guest-config kernel: bzImage host/guest
#                                  decompression, vmlinux (PVH)
#   BENCH_DEBIAN=1 ...             also the stock Debian kernel (very slow
#                                  on PVM hosts: tens of minutes)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
LIGHTVM=${LIGHTVM:-$top/lightvm}
out=$top/build/bench
mkdir -p "$out"

KDIR=$("$top/guest-config/build-kernel.sh" | tail -n 1)
"$top/guest-config/build-initramfs.sh" spin "$out/spin.cpio" >/dev/null

# run NAME TIMEOUT lightvm-args...: one boot, one result line.
run() {
	local name=$1 timeout=$2 t0 t_init="" line rc
	shift 2
	t0=$EPOCHREALTIME
	# Console on stdout through the pipe; -vv diagnostics into a file.
	while IFS= read -r line; do
		if [ -z "$t_init" ] && [[ $line == *"Run /init as init process"* ]]; then
			t_init=$EPOCHREALTIME
		fi
	done < <(/usr/bin/time -f "cpu %U %S" -o "$out/$name.time" \
		"$LIGHTVM" run "$@" -vv --timeout "$timeout" 2>"$out/$name.err")
	wait $! 2>/dev/null && rc=0 || rc=$?
	local setup user sys guest_ms
	setup=$(sed -n 's/.*start-up and boot setup \([0-9]*\) ms.*/\1/p' "$out/$name.err")
	read -r _ user sys < <(tail -n 1 "$out/$name.time") || true
	# On VMX/SVM hosts user time includes the guest's run time: lightvm's
	# own is the rest (it says how much was the guest's with -vv).
	guest_ms=$(sed -n 's/.*cpu: user [0-9]* ms (of which guest \([0-9]*\) ms).*/\1/p' "$out/$name.err")
	user=$(echo "${user:-0} - ${guest_ms:-0} / 1000" | bc -l)
	if [ -z "$t_init" ]; then
		printf '  %-34s did not reach init (see %s)\n' "$name" "$out/$name.err"
		return
	fi
	local total
	total=$(echo "$t_init - $t0" | bc -l)
	printf '  %-34s %7.1f s   setup %6.2f s   vmm cpu %5.2f s   guest %7.1f s (%4.1f%% in lightvm)\n' \
		"$name" "$total" "$(echo "${setup:-0} / 1000" | bc -l)" "${user:-0}" \
		"$(echo "$total - ${setup:-0} / 1000 - ${user:-0}" | bc -l)" \
		"$(echo "100 * (${setup:-0} / 1000 + ${user:-0}) / $total" | bc -l)"
}

args=(-i "$out/spin.cpio" -p "rodata=off lightvm_init_exit=1")
echo "exec -> \"Run /init as init process\" (one run each)"
echo "guest-config kernel ($(basename "$KDIR")):"
run gc-bzimage-host-decompress 900 -k "$KDIR/bzImage" "${args[@]}"
# The same with anonymous guest RAM instead of the memfd (page faults of
# a booting Linux: shmem against anonymous pages).
LIGHTVM_RAM=anon run gc-bzimage-anon-ram 900 -k "$KDIR/bzImage" "${args[@]}"
run gc-vmlinux-pvh 900 -k "$KDIR/vmlinux" "${args[@]}"
run gc-bzimage-guest-decompress 1800 -k "$KDIR/bzImage" --guest-decompress "${args[@]}"

if [ "${BENCH_DEBIAN:-0}" = 1 ]; then
	DK=$("$top/guest-config/fetch-debian-kernel.sh" | tail -n 1)
	echo "stock Debian kernel ($(readlink "$DK/vmlinuz" || echo vmlinuz)):"
	# Boot-time work that takes minutes when emulated: see the file.
	dargs=(-i "$out/spin.cpio" -p "lightvm_init_exit=1 $(grep -v '^#' \
		"$top/guest-config/debian-stock.cmdline" | tr '\n' ' ')")
	run debian-host-decompress 3600 -k "$DK/vmlinuz" -m 512M "${dargs[@]}"
	run debian-guest-decompress 3600 -k "$DK/vmlinuz" -m 512M --guest-decompress "${dargs[@]}"
else
	echo "stock Debian kernel: skipped (BENCH_DEBIAN=1 to run; tens of minutes on PVM)"
fi
