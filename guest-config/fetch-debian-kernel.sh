#!/usr/bin/env bash
# fetch-debian-kernel.sh — fetch Debian's stock cloud kernel (linux-image-cloud-amd64)
# for lightvm's "real distribution kernel" boot checks, and build initramfs images for it.
#
# usage: fetch-debian-kernel.sh [--cache DIR] [--print-dir] [-h|--help]
#
# Resolves the metapackage linux-image-cloud-amd64 to the real versioned package
# (linux-image-<abi>-cloud-amd64) with apt-cache depends, `apt-get download`s it
# and unpacks it with `dpkg -x`, into
#   <cache>/debian-kernel/<package>_<version>/
#       vmlinuz                 -> root/boot/vmlinuz-<kver>   (bzImage)
#       modules/                -> root/lib/modules/<kver>
#       virtio-modules.txt      virtio modules in load order (those not built in)
#       initramfs-spin.cpio     spin init (no system calls; PVM hosts)
#       initramfs-busybox.cpio  busybox init that insmods the virtio modules (VMX/SVM)
#       <package>_<version>.deb, root/ (the unpacked package)
# The cache root is --cache DIR or ${LIGHTVM_CACHE:-$HOME/.cache/lightvm}. A second
# run is instant. The last line printed is the cache directory. --print-dir prints
# the directory of the newest cached copy without fetching (exit 1 if none).
set -euo pipefail

PROG=fetch-debian-kernel.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
META=linux-image-cloud-amd64
CACHE_ROOT=${LIGHTVM_CACHE:-$HOME/.cache/lightvm}
PRINT_DIR=0
# what lightvm's devices need, in load order; dependencies are added from modules.dep
# (kmod's modprobe --show-depends adds their dependencies, in load order)
WANTED_MODULES=(virtio_pci virtio_blk virtio_net pvpanic_pci ext4)

die() { echo "$PROG: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--cache) [ $# -ge 2 ] || die "--cache needs a directory"; CACHE_ROOT=$2; shift 2 ;;
	--cache=*) CACHE_ROOT=${1#--cache=}; shift ;;
	--print-dir) PRINT_DIR=1; shift ;;
	-h|--help) sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
mkdir -p "$CACHE_ROOT" 2>/dev/null || die "cannot create cache directory $CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd)
DCACHE="$CACHE_ROOT/debian-kernel"

complete() { [ -e "$1/.complete" ] && [ -e "$1/vmlinuz" ] && [ -d "$1/modules" ]; }

newest_cached() {
	local d best=
	for d in "$DCACHE"/*/; do
		d=${d%/}
		complete "$d" || continue
		if [ -z "$best" ] || [ "$d/.complete" -nt "$best/.complete" ]; then best=$d; fi
	done
	[ -n "$best" ] && echo "$best"
}

print_paths() {
	local d=$1
	echo "vmlinuz:   $d/vmlinuz -> $(readlink "$d/vmlinuz")"
	echo "modules:   $d/modules -> $(readlink "$d/modules")"
	echo "virtio modules (load order): $(tr '\n' ' ' < "$d/virtio-modules.txt")"
	echo "initramfs: $d/initramfs-spin.cpio (PVM hosts)"
	echo "initramfs: $d/initramfs-busybox.cpio (VMX/SVM hosts, loads the virtio modules)"
	echo "$d"
}

if [ "$PRINT_DIR" = 1 ]; then
	d=$(newest_cached) || { echo "$PROG: no Debian kernel fetched yet (under $DCACHE)" >&2; exit 1; }
	echo "$d"
	exit 0
fi

# ---------------------------------------------------------------- resolve
APT_UPDATED=0
apt_update() {
	[ "$APT_UPDATED" = 0 ] || return 0
	[ "$(id -u)" = 0 ] || die "apt lists are missing and we are not root to run apt-get update"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
	APT_UPDATED=1
}
missing=()
for t in apt-get:apt dpkg-deb:dpkg depmod:kmod xz:xz-utils zstd:zstd cpio:cpio gcc:gcc file:file; do
	command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
done
case "$(file -bL /bin/busybox 2>/dev/null || true)" in *statically*|*static-pie*) ;; *) missing+=(busybox-static) ;; esac
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
		|| die "apt-get install ${missing[*]} failed"
fi

resolve() {
	apt-cache depends "$META" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | grep -v unsigned | head -n1
}
PKG=$(resolve || true)
if [ -z "$PKG" ]; then
	apt_update
	PKG=$(resolve || true)
fi
if [ -z "$PKG" ]; then
	d=$(newest_cached) || die "cannot resolve $META to a linux-image-*-cloud-amd64 package (apt-cache depends)"
	echo "$PROG: warning: cannot resolve $META now; using the cached copy" >&2
	print_paths "$d"
	exit 0
fi
VER=$(apt-cache policy "$PKG" | sed -n 's/^ *Candidate: //p')
[ -n "$VER" ] && [ "$VER" != "(none)" ] || die "no candidate version for $PKG"
OUT="$DCACHE/${PKG}_${VER}"

# The initramfs images are rebuilt when what goes into them changed.
images_fresh() {
	[ -s "$1/initramfs-busybox.cpio" ] && [ -s "$1/initramfs-spin.cpio" ] &&
		[ -z "$(find "$HERE/initramfs" "$HERE/build-initramfs.sh" "${BASH_SOURCE[0]}" \
			-newer "$1/initramfs-busybox.cpio" 2>/dev/null | head -n 1)" ]
}
if complete "$OUT" && images_fresh "$OUT"; then
	echo "$PROG: cached $PKG $VER"
	print_paths "$OUT"
	exit 0
fi

# ---------------------------------------------------------------- fetch + unpack
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
echo "$PROG: fetching $PKG $VER (from $META)"
if ! ls "$OUT"/"${PKG}"_*.deb >/dev/null 2>&1; then
	( cd "$OUT" && apt-get download -q "$PKG=$VER" ) >"$OUT/download.log" 2>&1 || {
		tail -n 5 "$OUT/download.log" >&2
		die "apt-get download $PKG=$VER failed"
	}
fi
DEB=$(ls "$OUT"/"${PKG}"_*.deb | head -n1)
echo "$PROG: unpacking $(basename "$DEB")"
rm -rf "$OUT/root"
dpkg -x "$DEB" "$OUT/root" || die "dpkg -x $DEB failed"
VMLINUZ=$(ls "$OUT"/root/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$VMLINUZ" ] || die "$DEB has no /boot/vmlinuz-*"
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR="$OUT/root/lib/modules/$KVER"
[ -d "$MODDIR" ] || die "$DEB has no /lib/modules/$KVER"
# the package ships no modules.dep (depmod runs at install time): make it here
if [ ! -s "$MODDIR/modules.dep" ]; then
	depmod -b "$OUT/root" "$KVER" 2>"$OUT/depmod.log" || die "depmod -b $OUT/root $KVER failed"
fi
ln -sfn "root/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
ln -sfn "root/lib/modules/$KVER" "$OUT/modules"

# ---------------------------------------------------------------- modules
# What each wanted module needs, in load order, from kmod itself (built-in
# modules need nothing).
ORDER=()
: > "$OUT/virtio-modules.txt"
{
	echo "# $PKG $VER ($KVER): lightvm device modules"
	for m in "${WANTED_MODULES[@]}"; do
		if ! deps=$(modprobe -d "$OUT/root" -S "$KVER" --show-depends "$m" 2>&1); then
			echo "# $m: not available in this kernel ($deps)"
			continue
		fi
		while read -r kind path _; do
			if [ "$kind" = builtin ]; then
				echo "# $m: $path built in"
				continue
			fi
			[ "$kind" = insmod ] || continue
			rel=${path#"$MODDIR/"}
			case " ${ORDER[*]-} " in *" $rel "*) continue ;; esac
			echo "# $m: module $rel"
			ORDER+=("$rel")
		done <<<"$deps"
	done
} > "$OUT/virtio-modules.status"
printf '%s\n' "${ORDER[@]}" > "$OUT/virtio-modules.txt"

echo "$PROG: building initramfs images"
"$HERE/build-initramfs.sh" spin "$OUT/initramfs-spin.cpio" >/dev/null || die "building the spin initramfs failed"
INSMOD_ARGS=()
for rel in "${ORDER[@]}"; do INSMOD_ARGS+=(--insmod "$MODDIR/$rel"); done
"$HERE/build-initramfs.sh" busybox "$OUT/initramfs-busybox.cpio" "${INSMOD_ARGS[@]}" >/dev/null \
	|| die "building the busybox initramfs failed"

{ echo "package=$PKG"; echo "version=$VER"; echo "kernel=$KVER"; } > "$OUT/.complete"
cat "$OUT/virtio-modules.status"
print_paths "$OUT"
