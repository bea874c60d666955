#!/usr/bin/env bash
# bench/boot-hello.sh - whole-process time and peak RSS of lightvm vs
# qemu-system-x86_64 -enable-kvm booting the same hello test kernel, run
# interleaved in one invocation so host noise hits both alike.
#
# Reports medians and the ratios lightvm/QEMU, and lightvm's guest RAM
# from a memfd (the default: shareable with vhost-user backends) against
# anonymous memory (LIGHTVM_RAM=anon), interleaved the same way.  "VMM overhead" is lightvm's
# peak RSS minus the guest RAM it had resident at exit (lightvm -v reports
# that from mincore), i.e. what lightvm itself costs beyond the guest.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
LIGHTVM=${LIGHTVM:-$top/lightvm}
KERNEL=${KERNEL:-$top/build/guest/hello.elf}
RUNS=${RUNS:-20}
QEMU=${QEMU:-qemu-system-x86_64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$LIGHTVM" ] || { echo "bench: build lightvm first (make)"; exit 1; }
[ -f "$KERNEL" ] || { echo "bench: $KERNEL missing (make guest)"; exit 1; }
have_qemu=1
command -v "$QEMU" >/dev/null || have_qemu=0

# time_run FILE cmd...: append "seconds peak_kib" for one run to FILE.
time_run() {
	local out=$1 t0 t1 rc
	shift
	t0=$EPOCHREALTIME
	/usr/bin/time -f "%M" -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" && rc=0 || rc=$?
	t1=$EPOCHREALTIME
	echo "$(echo "$t1 - $t0" | bc -l) $(tail -n1 "$tmp/rss") $rc" >>"$out"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# The hello kernel prints its command line: give QEMU exactly lightvm's,
# so both guests do the same work.
cmdline=$({ "$LIGHTVM" run -k "$KERNEL" -v 2>&1 >/dev/null || true; } |
	  sed -n 's/^lightvm: command line: //p')

qemu_cmd=("$QEMU" -enable-kvm -cpu max,-arch-capabilities -M microvm
	  -m 256M -nodefaults -no-user-config -nographic -serial stdio
	  -kernel "$KERNEL" -append "$cmdline"
	  -device isa-debug-exit,iobase=0xf4,iosize=4)
qemu_pc_cmd=("$QEMU" -enable-kvm -cpu max,-arch-capabilities -M pc
	  -m 256M -nodefaults -no-user-config -nographic -serial stdio
	  -kernel "$KERNEL" -append "$cmdline"
	  -device isa-debug-exit,iobase=0xf4,iosize=4)

for ((i = 0; i < RUNS; i++)); do
	time_run "$tmp/lightvm" "$LIGHTVM" run -k "$KERNEL" -m 256M
	time_run "$tmp/anon" env LIGHTVM_RAM=anon "$LIGHTVM" run -k "$KERNEL" -m 256M
	if ((have_qemu)); then
		time_run "$tmp/qemu" "${qemu_cmd[@]}"
		time_run "$tmp/qemu_pc" "${qemu_pc_cmd[@]}"
	fi
done

# Guest RAM lightvm had resident, from one verbose run.
guest_kib=$({ "$LIGHTVM" run -k "$KERNEL" -m 256M -v 2>&1 >/dev/null || true; } |
	    sed -n 's/.*guest RAM resident: \([0-9]*\) KiB.*/\1/p')

lt=$(cut -d' ' -f1 "$tmp/lightvm" | median)
lr=$(cut -d' ' -f2 "$tmp/lightvm" | median)
lrc=$(cut -d' ' -f3 "$tmp/lightvm" | sort -u | tr '\n' ' ')
printf 'boot of %s, %d runs each, medians; same command line for both\n' \
	"$(basename "$KERNEL")" "$RUNS"
printf '  %-28s %8.1f ms  peak RSS %6d KiB  exit %s\n' lightvm \
	"$(echo "$lt * 1000" | bc -l)" "$lr" "$lrc"
printf '  %-28s guest RAM resident %d KiB -> VMM overhead %d KiB (%.2f MiB)\n' \
	"" "$guest_kib" "$((lr - guest_kib))" "$(echo "($lr - $guest_kib) / 1024" | bc -l)"
at=$(cut -d' ' -f1 "$tmp/anon" | median)
ar=$(cut -d' ' -f2 "$tmp/anon" | median)
printf '  %-28s %8.1f ms  peak RSS %6d KiB  exit %s\n' "lightvm, anonymous RAM" \
	"$(echo "$at * 1000" | bc -l)" "$ar" "$(cut -d' ' -f3 "$tmp/anon" | sort -u | tr '\n' ' ')"
printf '  ratio memfd/anonymous RAM    time %.3f  peak RSS %.3f\n' \
	"$(echo "$lt / $at" | bc -l)" "$(echo "$lr / $ar" | bc -l)"
if ((have_qemu)); then
	for q in qemu qemu_pc; do
		qt=$(cut -d' ' -f1 "$tmp/$q" | median)
		qr=$(cut -d' ' -f2 "$tmp/$q" | median)
		qrc=$(cut -d' ' -f3 "$tmp/$q" | sort -u | tr '\n' ' ')
		name="qemu -M microvm"
		[ "$q" = qemu_pc ] && name="qemu -M pc"
		printf '  %-28s %8.1f ms  peak RSS %6d KiB  exit %s\n' "$name" \
			"$(echo "$qt * 1000" | bc -l)" "$qr" "$qrc"
		printf '  ratio lightvm/%-14s time %.3f  peak RSS %.3f\n' \
			"${name#qemu }" "$(echo "$lt / $qt" | bc -l)" \
			"$(echo "$lr / $qr" | bc -l)"
	done
else
	echo "  ($QEMU not installed: no side-by-side figures)"
fi
