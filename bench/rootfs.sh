#!/usr/bin/env bash
# bench/rootfs.sh - "boot my kernel on my files, run my command": exec ->
# the command's exit for `lightvm run --rootfs / -- CMD` against QEMU
# booting the same guest-config kernel the way virtme-ng does, side by
# side in one run:
#   qemu-9p        root = the host's / over virtio-9p (read-only,
#                  cache=loose), init=/bin/sh -c CMD
#   qemu-virtiofs  root = / over vhost-user-fs-pci with the same Debian
#                  virtiofsd and cache mode lightvm uses (always)
# lightvm's guest also puts its tmpfs overlay over the root and runs its
# own init; QEMU's guests run CMD as init and end by the kernel's panic
# and reboot (-no-reboot), the cheapest way out there is.
#
# Commands: `true`; `find /usr -type f | wc -l` (FIND_DIR; /usr/include in
# the nested host); reading 200 MiB of files
# (a fixed list from /usr, made here first).  RUNS runs each (default 3),
# interleaved; medians and the ratios lightvm/QEMU.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
LIGHTVM=${LIGHTVM:-$top/lightvm}
QEMU=${QEMU:-qemu-system-x86_64}
VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
RUNS=${RUNS:-3}
# The tree `find` walks: /usr (134k files here) takes many minutes per
# run when every request is emulated, so the nested host walks a smaller
# one by default; the figure says which.
if [ -n "${LIGHTVM_NESTED_HOST:-}" ]; then
	FIND_DIR=${FIND_DIR:-/usr/include}
else
	FIND_DIR=${FIND_DIR:-/usr}
fi
# Logs stay in build/bench/rootfs (what each guest printed, for a look
# when a figure is odd); the run's timings start fresh.
tmp=$top/build/bench/rootfs
rm -rf "$tmp"
mkdir -p "$tmp"
vfsd_pid=""
cleanup() {
	[ -n "$vfsd_pid" ] && kill "$vfsd_pid" 2>/dev/null
	rm -rf "$tmp/root"
}
trap cleanup EXIT

if [ -n "${LIGHTVM_NESTED_HOST:-}" ]; then
	KDIR=$("$top/guest-config/build-kernel.sh" --print-dir)
else
	KDIR=$("$top/guest-config/build-kernel.sh" | tail -n 1)
fi
BZ=$KDIR/bzImage
for t in "$QEMU" "$VIRTIOFSD"; do
	command -v "$t" >/dev/null || { echo "bench/rootfs: $t missing"; exit 1; }
done

# 200 MiB of regular files from /usr, the same list for every guest; it
# lives in /var/tmp, which no guest mounts over.
list=/var/tmp/lightvm-bench-200m.list
find /usr/lib /usr/share -xdev -type f -size +64k -readable -printf '%s %p\n' 2>/dev/null |
	sort -k2 | awk 'BEGIN { t = 0 } t < 200 * 1048576 { t += $1; print $2 }' >"$list"
read_cmd="xargs cat <$list | wc -c"

base="console=ttyS0 reboot=k panic=-1 pci=conf1 rodata=off quiet"
qemu_common=("$QEMU" -enable-kvm -cpu max,-arch-capabilities -M pc -m 256M
	     -nodefaults -no-user-config -nographic -serial stdio -no-reboot
	     -kernel "$BZ")

# time_run FILE OUTFILE cmd...: seconds of one run appended to FILE.
time_run() {
	local out=$1 log=$2 t0 t1
	shift 2
	t0=$EPOCHREALTIME
	timeout -k 5 "${RUN_TIMEOUT:-300}" "$@" </dev/null >>"$log" 2>&1 || true
	t1=$EPOCHREALTIME
	echo "$t1 - $t0" | bc -l >>"$out"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# virtiofsd's namespace sandbox cannot pivot_root into / itself: serve a
# bind mount of / from a mount namespace of its own, as lightvm does.
start_virtiofsd() {
	rm -f "$tmp/vfsd.sock"
	mkdir -p "$tmp/root"
	unshare -m sh -c 'mount --make-rprivate / && mount --rbind / "$1" && shift && exec "$@"' \
		sh "$tmp/root" "$VIRTIOFSD" --socket-path="$tmp/vfsd.sock" \
		-o source="$tmp/root" -o cache=always -o log_level=err 2>"$tmp/vfsd.err" &
	vfsd_pid=$!
	for _ in $(seq 1 500); do
		[ -S "$tmp/vfsd.sock" ] && return 0
		sleep 0.01
	done
	echo "bench/rootfs: virtiofsd did not start: $(cat "$tmp/vfsd.err")"
	exit 1
}

# bench NAME CMD: every VMM, RUNS times interleaved.
bench() {
	local name=$1 cmd="$2; echo bench-done" i q
	local quoted=${cmd//\"/\\\"}

	for ((i = 0; i < RUNS; i++)); do
		time_run "$tmp/$name.lightvm" "$tmp/$name.lightvm.log" \
			"$LIGHTVM" run -k "$BZ" --rootfs / -m 256M -p rodata=off \
			--timeout 600 -- sh -c "$cmd"
		# The same without the tmpfs overlay: what the overlay costs.
		time_run "$tmp/$name.rw" "$tmp/$name.rw.log" \
			"$LIGHTVM" run -k "$BZ" --rootfs / --rw -m 256M -p rodata=off \
			--timeout 600 -- sh -c "$cmd"
		time_run "$tmp/$name.9p" "$tmp/$name.9p.log" "${qemu_common[@]}" \
			-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
			-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
			-append "$base root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro init=/bin/sh -- -c \"$quoted\""
		start_virtiofsd
		time_run "$tmp/$name.vfs" "$tmp/$name.vfs.log" "${qemu_common[@]}" \
			-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
			-chardev socket,id=vfs,path="$tmp/vfsd.sock" \
			-device vhost-user-fs-pci,chardev=vfs,tag=rootfs \
			-append "$base root=rootfs rootfstype=virtiofs ro init=/bin/sh -- -c \"$quoted\""
		kill "$vfsd_pid" 2>/dev/null || true
		wait "$vfsd_pid" 2>/dev/null || true
		vfsd_pid=""
	done
	local l n v w
	l=$(median <"$tmp/$name.lightvm")
	w=$(median <"$tmp/$name.rw")
	n=$(median <"$tmp/$name.9p")
	v=$(median <"$tmp/$name.vfs")
	printf '  %-22s lightvm %7.2f s   qemu-9p %7.2f s (%.2fx)   qemu-virtiofs %7.2f s (%.2fx)\n' \
		"$name" "$l" "$n" "$(echo "$l / $n" | bc -l)" "$v" "$(echo "$l / $v" | bc -l)"
	printf '  %-22s lightvm --rw (no overlay) %7.2f s (%.2fx qemu-virtiofs)\n' \
		"" "$w" "$(echo "$w / $v" | bc -l)"
	# What each guest printed (SeaBIOS's escape sequences removed): the
	# same answer, and every run finished
	# its command, or the figures are void.
	for q in lightvm rw 9p vfs; do
		printf '  %-22s   %-8s printed: %-12s runs finished: %s of %s\n' "" "$q" \
			"$(sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$tmp/$name.$q.log" |
			   tr -d '\r' | grep -E '^[0-9]+\s*$' | tail -n 1)" \
			"$(grep -c bench-done "$tmp/$name.$q.log")" "$RUNS"
		if [ "$(grep -c bench-done "$tmp/$name.$q.log")" != "$RUNS" ]; then
			echo "  VOID: $q did not finish every run; its log ends:"
			tail -n 5 "$tmp/$name.$q.log" | sed 's/^/      /'
		fi
	done
}

echo "--rootfs: exec -> command exit, $RUNS runs each, medians (ratio lightvm/QEMU; below 1: lightvm faster)"
echo "  kernel $(basename "$KDIR"), 256M, same command line options; list of $(wc -l <"$list") files for the 200 MiB read"
bench true "true"
bench "find-${FIND_DIR//\//_}" "find $FIND_DIR -type f | wc -l"
bench read-200MiB "$read_cmd"
