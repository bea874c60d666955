#!/usr/bin/env bash
# build-kernel.sh — build lightvm's small test-guest kernel (bzImage + vmlinux)
# from Debian's linux-source-6.1 with the config fragment guest-config/lightvm.config.
#
# usage: build-kernel.sh [--cache DIR] [--variant NAME] [--print-dir] [-h|--help]
#
#   --cache DIR   cache root (default: ${LIGHTVM_CACHE:-$HOME/.cache/lightvm})
#   --variant NAME  also merge guest-config/variant-NAME.config after the
#                 fragment (e.g. modern-only: no legacy virtio-PCI driver);
#                 a variant shares the build tree and rebuilds incrementally
#   --print-dir   print the output directory for the current key and exit
#                 (exit 1 if that kernel has not been built yet)
#
# Outputs go to <cache>/kernel/<key>/ where key = hash(fragment, linux-source-6.1
# package version, this script): bzImage, vmlinux, vmlinux.stripped, config,
# System.map, build.log. A second run with the same key does nothing but print
# the paths. The last line printed is always the output directory.
#
# Environment: LIGHTVM_CACHE (cache root), LIGHTVM_JOBS (make -j, default nproc).
set -euo pipefail

PROG=build-kernel.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
FRAGMENT="$HERE/lightvm.config"
SRC_PKG=linux-source-6.1
SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
SRC_TOPDIR=linux-source-6.1
CACHE_ROOT=${LIGHTVM_CACHE:-$HOME/.cache/lightvm}
PRINT_DIR=0
VARIANT=""
JOBS=${LIGHTVM_JOBS:-$(nproc)}
BZIMAGE_LIMIT=$((3 * 1024 * 1024))

die() { echo "$PROG: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--cache) [ $# -ge 2 ] || die "--cache needs a directory"; CACHE_ROOT=$2; shift 2 ;;
	--cache=*) CACHE_ROOT=${1#--cache=}; shift ;;
	--print-dir) PRINT_DIR=1; shift ;;
	--variant) [ $# -ge 2 ] || die "--variant needs a name"; VARIANT=$2; shift 2 ;;
	-h|--help) sed -n '2,16s/^# \{0,1\}//p' "$SELF"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

[ -r "$FRAGMENT" ] || die "config fragment $FRAGMENT not found"
if [ -n "$VARIANT" ]; then
	EXTRA="$HERE/variant-$VARIANT.config"
	[ -r "$EXTRA" ] || die "no variant '$VARIANT' ($EXTRA not found)"
	# One fragment file: lightvm.config, then the variant's lines.
	COMBINED=$(mktemp "${TMPDIR:-/tmp}/lightvm-fragment.XXXXXX")
	trap 'rm -f "$COMBINED"' EXIT
	cat "$FRAGMENT" "$EXTRA" >"$COMBINED"
	FRAGMENT=$COMBINED
fi
if [ "$PRINT_DIR" = 0 ]; then
	mkdir -p "$CACHE_ROOT" 2>/dev/null || die "cannot create cache directory $CACHE_ROOT"
fi
CACHE_ROOT=$(cd "$CACHE_ROOT" 2>/dev/null && pwd || echo "$CACHE_ROOT")
KCACHE="$CACHE_ROOT/kernel"

T0=$(date +%s)
stage() {
	local s=$(( $(date +%s) - T0 ))
	printf '[%02d:%02d] %s\n' $((s / 60)) $((s % 60)) "$*"
}

src_version() { dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null || true; }

compute_key() {
	local ver=$1
	{
		echo "fragment:"; cat "$FRAGMENT"
		echo "source: $SRC_PKG $ver"
		echo "script: $(sha256sum < "$SELF" | cut -d' ' -f1)"
	} | sha256sum | cut -c1-16
}

artifacts_complete() {
	local d=$1 f
	for f in bzImage vmlinux vmlinux.stripped config .complete; do
		[ -s "$d/$f" ] || return 1
	done
}

print_paths() {
	local d=$1
	echo "bzImage:          $d/bzImage ($(stat -c %s "$d/bzImage") bytes)"
	echo "vmlinux:          $d/vmlinux ($(stat -c %s "$d/vmlinux") bytes)"
	echo "vmlinux.stripped: $d/vmlinux.stripped ($(stat -c %s "$d/vmlinux.stripped") bytes)"
	echo "config:           $d/config"
	echo "$d"
}

# ---------------------------------------------------------------- --print-dir
if [ "$PRINT_DIR" = 1 ]; then
	VER=$(src_version)
	[ -n "$VER" ] || { echo "$PROG: $SRC_PKG is not installed; kernel not built" >&2; exit 1; }
	OUT="$KCACHE/$(compute_key "$VER")"
	artifacts_complete "$OUT" || { echo "$PROG: kernel not built yet (would be $OUT)" >&2; exit 1; }
	echo "$OUT"
	exit 0
fi

# ---------------------------------------------------------------- tools
APT_UPDATED=0
apt_install() {
	[ "$(id -u)" = 0 ] || die "missing packages: $* (run as root or install them: apt-get install $*)"
	stage "installing missing packages: $*"
	if [ "$APT_UPDATED" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
		|| die "apt-get install $* failed"
}

ensure_tools() {
	local missing=() t
	# tool:package
	for t in make:make gcc:gcc ld:binutils flex:flex bison:bison bc:bc perl:perl \
		 xz:xz-utils zstd:zstd lz4:lz4 tar:tar flock:util-linux strip:binutils readelf:binutils \
		 file:file cpio:cpio dpkg-query:dpkg; do
		command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
	done
	[ -e /usr/include/gelf.h ] || missing+=(libelf-dev)
	[ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
	[ -e /usr/include/stdio.h ] || missing+=(libc6-dev)
	[ -r "$SRC_TARBALL" ] || missing+=("$SRC_PKG")
	if [ ${#missing[@]} -gt 0 ]; then
		# shellcheck disable=SC2207
		missing=($(printf '%s\n' "${missing[@]}" | sort -u))
		apt_install "${missing[@]}"
	fi
	[ -r "$SRC_TARBALL" ] || die "$SRC_TARBALL missing even after installing $SRC_PKG"
}

# ---------------------------------------------------------------- cache hit?
VER=$(src_version)
if [ -n "$VER" ] && [ -r "$SRC_TARBALL" ]; then
	KEY=$(compute_key "$VER")
	OUT="$KCACHE/$KEY"
	if artifacts_complete "$OUT"; then
		echo "$PROG: cached kernel (key $KEY, $SRC_PKG $VER)"
		print_paths "$OUT"
		exit 0
	fi
fi

stage "checking build tools"
ensure_tools
VER=$(src_version)
[ -n "$VER" ] || die "cannot determine the version of $SRC_PKG"
KEY=$(compute_key "$VER")
OUT="$KCACHE/$KEY"
WORK="$KCACHE/work"
SRC="$WORK/src-$VER/$SRC_TOPDIR"
# One build tree per source version, shared by all keys: a changed fragment
# rebuilds incrementally. The lock keeps two builds from using it at once.
BUILD="$WORK/build-$VER"
LOG="$WORK/build-$KEY.log"
mkdir -p "$WORK"

exec 9>"$WORK/.lock"
if ! flock -n 9; then
	stage "waiting for another build-kernel.sh run (lock $WORK/.lock)"
	flock 9
fi
if artifacts_complete "$OUT"; then   # built by whoever held the lock
	echo "$PROG: cached kernel (key $KEY, $SRC_PKG $VER)"
	print_paths "$OUT"
	exit 0
fi

echo "$PROG: building kernel key $KEY ($SRC_PKG $VER, fragment $FRAGMENT, -j$JOBS)"
echo "$PROG: log: $LOG"
: > "$LOG"

fail() {
	echo "---- last 40 lines of $LOG ----" >&2
	tail -n 40 "$LOG" >&2 || true
	echo "----" >&2
	die "$*"
}

# ---------------------------------------------------------------- extract
if [ ! -e "$SRC/.lightvm-extracted" ]; then
	stage "extracting $SRC_TARBALL"
	rm -rf "$WORK/src-$VER"
	mkdir -p "$WORK/src-$VER"
	tar -C "$WORK/src-$VER" -xf "$SRC_TARBALL" >>"$LOG" 2>&1 || fail "extracting $SRC_TARBALL failed"
	[ -d "$SRC" ] || fail "tarball did not contain $SRC_TOPDIR/"
	touch "$SRC/.lightvm-extracted"
else
	stage "source already extracted: $SRC"
fi

# ---------------------------------------------------------------- configure
export ARCH=x86_64      # plain ARCH=x86 would let allnoconfig pick a 32-bit kernel
mkdir -p "$BUILD"
stage "configuring: tinyconfig (allnoconfig mode) + $(basename "$FRAGMENT")"
rm -f "$BUILD/.config"
(
	cd "$SRC"
	scripts/kconfig/merge_config.sh -n -O "$BUILD" \
		kernel/configs/tiny-base.config kernel/configs/tiny.config \
		arch/x86/configs/tiny.config "$FRAGMENT"
) >>"$LOG" 2>&1 || fail "merge_config.sh failed"
make -C "$SRC" O="$BUILD" olddefconfig >>"$LOG" 2>&1 || fail "make olddefconfig failed"

stage "checking that every option of the fragment stuck"
bad=()
# the last line naming a symbol wins (as in merge_config.sh)
declare -A want=()
order=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) sym=${line%%=*} ;;
	"# CONFIG_"*" is not set") sym=${line#"# "}; sym=${sym%" is not set"} ;;
	*) continue ;;
	esac
	[ -n "${want[$sym]+x}" ] || order+=("$sym")
	want[$sym]=$line
done < "$FRAGMENT"
for sym in "${order[@]}"; do
	line=${want[$sym]}
	case "$line" in
	CONFIG_*=*)
		grep -qxF -- "$line" "$BUILD/.config" || {
			got=$(grep -E "^(# )?${sym}[= ]" "$BUILD/.config" || true)
			bad+=("$line  (got: ${got:-not present})")
		} ;;
	*)
		got=$(grep -E "^$sym=" "$BUILD/.config" || true)
		[ -z "$got" ] || bad+=("$line  (got: $got)") ;;
	esac
done
if [ ${#bad[@]} -gt 0 ]; then
	{
		echo "$PROG: these options of $FRAGMENT did not stick after olddefconfig:"
		printf '  %s\n' "${bad[@]}"
	} | tee -a "$LOG" >&2
	die "${#bad[@]} requested kernel option(s) did not stick (listed above)"
fi

# ---------------------------------------------------------------- build
stage "building bzImage (make -j$JOBS, output in $LOG)"
make -C "$SRC" O="$BUILD" -j"$JOBS" bzImage >>"$LOG" 2>&1 &
MAKE_PID=$!
trap 'kill $MAKE_PID 2>/dev/null || true' INT TERM
last=$(date +%s)
while kill -0 "$MAKE_PID" 2>/dev/null; do
	sleep 2
	now=$(date +%s)
	if [ $((now - last)) -ge 60 ]; then
		last=$now
		n=$(grep -cE '^\s+(CC|AS|LD|AR)\s' "$LOG" || true)
		cur=$(grep -E '^\s+(CC|AS|LD|AR|OBJCOPY|ZSTD22|ZSTD)\s' "$LOG" | tail -n1 | sed 's/^ *//' || true)
		stage "  ... $n objects so far; last: $cur"
	fi
done
wait "$MAKE_PID" || fail "kernel build failed (make bzImage)"
trap - INT TERM

# ---------------------------------------------------------------- checks + install
stage "checking the results"
BZ="$BUILD/arch/x86/boot/bzImage"
VM="$BUILD/vmlinux"
[ -s "$BZ" ] && [ -s "$VM" ] || fail "make succeeded but bzImage or vmlinux is missing"
file -b "$BZ" | grep -q "Linux kernel x86 boot executable bzImage" || fail "bzImage: unexpected file type: $(file -b "$BZ")"
# The compressed payload: setup header payload_offset (0x248) is relative to the
# protected-mode code, which starts at (setup_sects + 1) * 512.
setup_sects=$(od -An -tu1 -j 0x1f1 -N1 "$BZ" | tr -d ' ')
[ "$setup_sects" = 0 ] && setup_sects=4
payload_off=$(od -An -tu4 -j 0x248 -N4 "$BZ" | tr -d ' ')
magic=$(od -An -tx1 -j $(( (setup_sects + 1) * 512 + payload_off )) -N4 "$BZ" | tr -d ' ')
# lz4 legacy frame magic 0x184c2102, little endian (see lightvm.config).
[ "$magic" = 02214c18 ] || fail "bzImage payload is not lz4 (magic $magic)"
if grep -qx 'CONFIG_PVH=y' "$BUILD/.config"; then
	readelf -n "$VM" | grep -qi 'Xen' || fail "vmlinux has no Xen/PVH ELF note"
fi
entry=$(readelf -h "$VM" | awk '/Entry point address/ {print $4}')
[ $((entry)) -lt $((0x100000000)) ] || fail "vmlinux e_entry $entry is not a physical address"
bzsize=$(stat -c %s "$BZ")
if [ "$bzsize" -gt "$BZIMAGE_LIMIT" ]; then
	echo "$PROG: warning: bzImage is $bzsize bytes (> $BZIMAGE_LIMIT target)" >&2
fi

stage "installing into $OUT"
TMP_OUT="$KCACHE/.tmp-$KEY.$$"
rm -rf "$TMP_OUT"
mkdir -p "$TMP_OUT"
cp "$BZ" "$TMP_OUT/bzImage"
cp "$VM" "$TMP_OUT/vmlinux"
strip -o "$TMP_OUT/vmlinux.stripped" "$VM"
cp "$BUILD/.config" "$TMP_OUT/config"
cp "$BUILD/System.map" "$TMP_OUT/System.map"
cp "$LOG" "$TMP_OUT/build.log"
{
	echo "key=$KEY"
	echo "source=$SRC_PKG $VER"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "seconds=$(( $(date +%s) - T0 ))"
	echo "vmlinux_entry=$entry"
} > "$TMP_OUT/.complete"
rm -rf "$OUT"
mv "$TMP_OUT" "$OUT"
rm -f "$LOG"

stage "done in $(( $(date +%s) - T0 )) s: bzImage $bzsize bytes, $(file -b "$BZ" | sed 's/.*\(version [^ ]*\).*/\1/')"
print_paths "$OUT"
