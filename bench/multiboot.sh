#!/usr/bin/env bash
# bench/multiboot.sh - whole-process time and peak RSS of one Multiboot
# boot: the Multiboot test kernel (build/guest/multiboot.elf, an ELF32,
# and multiboot-aout.bin) with one CPU and two modules, doing all its
# checks (fw_cfg, the info, pc-testdev) and exiting through port 0xf4,
# under lightvm and under `qemu-system-x86_64 -enable-kvm -kernel` (with
# isa-debug-exit and pc-testdev; -M pc, since QEMU's Multiboot loader
# runs as an option ROM under SeaBIOS), interleaved, medians and ratios.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
LIGHTVM=${LIGHTVM:-$top/lightvm}
QEMU=${QEMU:-qemu-system-x86_64}
RUNS=${RUNS:-20}
g=$top/build/guest
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for k in multiboot.elf multiboot-aout.bin; do
	[ -f "$g/$k" ] || { echo "bench/multiboot: $g/$k missing (make guest)"; exit 1; }
done
command -v "$QEMU" >/dev/null || { echo "bench/multiboot: $QEMU missing"; exit 1; }
printf 'lightvm multiboot module 0\n' >"$tmp/mod0.txt"
printf 'lightvm multiboot module 1\n' >"$tmp/mod1.txt"

# time_run FILE cmd...: "seconds peak_kib exit" of one run, appended.
time_run() {
	local out=$1 t0 t1 rc
	shift
	t0=$EPOCHREALTIME
	/usr/bin/time -f "%M" -o "$tmp/rss" "$@" </dev/null >"$tmp/out" 2>&1 && rc=0 || rc=$?
	t1=$EPOCHREALTIME
	echo "$(echo "$t1 - $t0" | bc -l) $(tail -n1 "$tmp/rss") $rc" >>"$out"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for k in multiboot.elf multiboot-aout.bin; do
	for ((i = 0; i < RUNS; i++)); do
		time_run "$tmp/l-$k" "$LIGHTVM" run -k "$g/$k" -m 128M --testdev \
			-i "$tmp/mod0.txt" --module "$tmp/mod1.txt,second arg" \
			-p "cpus=1 mods=2" --timeout 60
		time_run "$tmp/q-$k" "$QEMU" -enable-kvm -cpu max,-arch-capabilities \
			-M pc -m 128M -nodefaults -no-user-config -nographic \
			-serial stdio -kernel "$g/$k" \
			-initrd "$tmp/mod0.txt,$tmp/mod1.txt second arg" \
			-append "cpus=1 mods=2" \
			-device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev
	done
done

echo "Multiboot test kernel, all checks, 1 CPU, 2 modules: $RUNS runs each, interleaved, medians"
for k in multiboot.elf multiboot-aout.bin; do
	lt=$(cut -d' ' -f1 "$tmp/l-$k" | median)
	lr=$(cut -d' ' -f2 "$tmp/l-$k" | median)
	qt=$(cut -d' ' -f1 "$tmp/q-$k" | median)
	qr=$(cut -d' ' -f2 "$tmp/q-$k" | median)
	printf '  %-20s lightvm %7.1f ms %6d KiB (exit %s)   qemu -M pc %7.1f ms %6d KiB (exit %s)   ratio time %.3f  RSS %.3f\n' \
		"$k" "$(echo "$lt * 1000" | bc -l)" "$lr" \
		"$(cut -d' ' -f3 "$tmp/l-$k" | sort -u | tr '\n' ' ')" \
		"$(echo "$qt * 1000" | bc -l)" "$qr" \
		"$(cut -d' ' -f3 "$tmp/q-$k" | sort -u | tr '\n' ' ')" \
		"$(echo "$lt / $qt" | bc -l)" "$(echo "$lr / $qr" | bc -l)"
done
echo "  (lightvm exit 0 and QEMU exit 1 both mean status 0: QEMU reports (status << 1) | 1)"
