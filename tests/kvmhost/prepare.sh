#!/usr/bin/env bash
# tests/kvmhost/prepare.sh - prepare the nested KVM test host's L1 Linux:
# Debian's stock kernel (linux-image-amd64, fetched with `apt-get download`,
# never built) and a small initramfs holding busybox, the modules the L1
# needs (resolved with kmod's `modprobe --show-depends`) and l1-init.sh.
#
# usage: prepare.sh [--cache DIR] [--print-dir]
#
# Output, cached under <cache>/kvmhost/<package>_<version>-<hash of this
# folder's L1 scripts>/:
#   vmlinuz          the L1 kernel
#   initramfs.cpio   uncompressed newc (unpacking costs nothing under TCG)
#   modules.order    what /init loads, in order
# A second run with the same key prints the directory and does nothing else.
# The last line printed is always that directory.  Progress goes to stderr.
# Exit: 0, or 125 with one line (no network for apt-get, kmod missing, ...).
set -euo pipefail

PROG=kvmhost-prepare
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
META=linux-image-amd64
CACHE_ROOT=${LIGHTVM_CACHE:-$HOME/.cache/lightvm}
PRINT_DIR=0
# What the L1 needs: virtio-pci for its devices, 9p for the machine's root
# and the checkout, virtio-blk + ext4 + overlay for the local scratch file
# system, kvm-amd for /dev/kvm (QEMU's TCG emulates AMD SVM with nested
# paging), tun and veth for the network tests, loop for image tests,
# vhost_net for QEMU's vhost=on beside lightvm in the benchmarks.
MODULES=(virtio_pci virtio_blk 9pnet_virtio 9p ext4 overlay kvm_amd tun veth loop vhost_net)

die() { echo "$PROG: $*" >&2; exit 125; }
say() { echo "$PROG: $*" >&2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--cache) [ $# -ge 2 ] || die "--cache needs a directory"; CACHE_ROOT=$2; shift 2 ;;
	--print-dir) PRINT_DIR=1; shift ;;
	-h|--help) sed -n '2,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

for t in apt-cache:apt apt-get:apt dpkg-deb:dpkg depmod:kmod modprobe:kmod \
	 cpio:cpio busybox:busybox-static; do
	command -v "${t%%:*}" >/dev/null ||
		die "${t%%:*} not found (install the Debian package ${t#*:})"
done

# The versioned package behind the metapackage, e.g. linux-image-6.1.0-57-amd64.
resolve() {
	apt-cache depends "$META" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1
}
PKG=$(resolve)
if [ -z "$PKG" ] && [ "$(id -u)" = 0 ]; then
	say "apt lists do not know $META yet: apt-get update"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 ||
		die "apt-get update failed (no network?)"
	PKG=$(resolve)
fi
[ -n "$PKG" ] || die "cannot resolve $META to a kernel package (apt-get update?)"
VER=$(apt-cache show --no-all-versions "$PKG" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$VER" ] || die "apt-cache knows no version of $PKG"
SCRIPTS_HASH=$(cat "$HERE/prepare.sh" "$HERE/l1-init.sh" | sha256sum | cut -c1-12)
OUT=$CACHE_ROOT/kvmhost/${PKG}_${VER}-$SCRIPTS_HASH

complete() { [ -e "$OUT/.complete" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio" ]; }
if complete; then
	echo "$OUT"
	exit 0
fi
[ "$PRINT_DIR" = 0 ] || { say "not prepared yet (would be $OUT)"; exit 1; }

mkdir -p "$OUT" || die "cannot create $OUT"
# Two test lanes may start at once: one prepares, the other waits.
exec 9>"$OUT/.lock"
flock 9
if complete; then
	echo "$OUT"
	exit 0
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kvmhost-prepare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
T0=$(date +%s)
step() { say "[$(( $(date +%s) - T0 ))s] $*"; }

# The package itself is kept by version: a change to the L1 scripts
# rebuilds the initramfs without fetching it again.
DEBS=$CACHE_ROOT/kvmhost/debs
mkdir -p "$DEBS"
DEB=$(ls "$DEBS/${PKG}_"*.deb 2>/dev/null | grep -F "_${VER//:/%3a}_" | head -n 1 || true)
if [ -z "$DEB" ]; then
	step "fetching $PKG $VER with apt-get download"
	(cd "$DEBS" && apt-get download "$PKG=$VER" >"$WORK/download.log" 2>&1) ||
		die "apt-get download $PKG=$VER failed: $(tail -n 1 "$WORK/download.log")"
	DEB=$(ls "$DEBS/${PKG}_"*.deb | grep -F "_${VER//:/%3a}_" | head -n 1)
fi
step "unpacking $(basename "$DEB") ($(( $(stat -c %s "$DEB") / 1048576 )) MiB)"
dpkg-deb -x "$DEB" "$WORK/root" || die "dpkg-deb -x $DEB failed"
KVER=$(ls "$WORK/root/lib/modules")
[ -n "$KVER" ] && [ -s "$WORK/root/boot/vmlinuz-$KVER" ] || die "$DEB holds no kernel"

step "resolving modules for $KVER: ${MODULES[*]}"
depmod -b "$WORK/root" "$KVER" || die "depmod failed"
order=()
for m in "${MODULES[@]}"; do
	deps=$(modprobe -d "$WORK/root" -S "$KVER" --show-depends "$m" 2>&1) ||
		die "modprobe --show-depends $m: $deps"
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue	# "builtin NAME" needs nothing
		path=${path#"$WORK/root"}
		case " ${order[*]-} " in *" $path "*) ;; *) order+=("$path") ;; esac
	done <<<"$deps"
done

step "building the initramfs (busybox, ${#order[@]} modules, l1-init.sh)"
stage=$WORK/initramfs
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,newroot,modules}
cp "$(command -v busybox)" "$stage/bin/busybox"
file -L "$stage/bin/busybox" 2>/dev/null | grep -q static ||
	die "busybox is not static (install busybox-static)"
for a in sh mount umount mkdir insmod switch_root cat grep sleep echo poweroff \
	 sync ls modprobe dmesg stty mknod sed tr; do
	ln -s busybox "$stage/bin/$a"
done
: >"$stage/modules.order"
for p in "${order[@]}"; do
	cp "$WORK/root$p" "$stage/modules/"
	basename "$p" >>"$stage/modules.order"
done
install -m 0755 "$HERE/l1-init.sh" "$stage/init"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
	>"$OUT/initramfs.cpio" || die "cpio failed"
cp "$WORK/root/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp "$stage/modules.order" "$OUT/modules.order"
echo "$PKG $VER $KVER" >"$OUT/version"
touch "$OUT/.complete"
# Earlier builds for this package (older L1 scripts) are of no more use.
for d in "$CACHE_ROOT/kvmhost/${PKG}_"*; do
	[ "$d" = "$OUT" ] || rm -rf "$d"
done
step "ready: $OUT ($(( $(stat -c %s "$OUT/initramfs.cpio") / 1024 )) KiB initramfs)"
echo "$OUT"
