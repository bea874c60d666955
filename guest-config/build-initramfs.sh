#!/usr/bin/env bash
# build-initramfs.sh — build an UNCOMPRESSED newc cpio initramfs for lightvm guests.
#
# usage: build-initramfs.sh <kind> <out.cpio> [--insmod FILE.ko[.xz|.zst]]... [--keep-staging]
#
# kinds:
#   spin     /init is a static freestanding binary that makes no system call at
#            all (a pause loop). For PVM hosts, where guest user space cannot
#            make system calls: the test is the kernel reaching init.
#   cinit    /init is a tiny freestanding C program: mounts proc/sys/devtmpfs,
#            runs the test named by lightvm.test=NAME on the kernel command line
#            (ok, mounts, blk, net) and reports through port 0xf4 (0 pass, 1 fail).
#            VMX/SVM hosts only.
#   busybox  /bin/busybox (Debian busybox-static) + applet symlinks, /init is a
#            shell script that mounts proc/sys/dev, prints a banner and runs
#            `setsid cttyhack sh` on the console, or with lightvm.script=NAME
#            on the command line runs /tests/NAME.sh (initramfs/tests/) and
#            ends the VM with its status through /bin/lightvm-exit.
#            VMX/SVM hosts only.
#
# --insmod FILE   (busybox only) copy the module into /lib/modules/ (decompressed)
#                 and have /init insmod it; repeat in load order.
# --keep-staging  keep the staging directory and print its path.
#
# Every archive has /dev/console (char 5:1): the kernel opens it for init's
# stdio before anything mounts devtmpfs.
set -euo pipefail

PROG=build-initramfs.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR="$HERE/initramfs"

die() { echo "$PROG: error: $*" >&2; exit 1; }
usage() { sed -n '2,26s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

KIND=
OUT=
KEEP=0
MODULES=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	--insmod) [ $# -ge 2 ] || die "--insmod needs a file"; MODULES+=("$2"); shift 2 ;;
	--keep-staging) KEEP=1; shift ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*)
		if [ -z "$KIND" ]; then KIND=$1
		elif [ -z "$OUT" ]; then OUT=$1
		else die "unexpected argument '$1'"
		fi
		shift ;;
	esac
done
[ -n "$KIND" ] && [ -n "$OUT" ] || { usage >&2; die "need <kind> and <out.cpio>"; }
case "$KIND" in spin|cinit|busybox) ;; *) die "unknown kind '$KIND' (spin, cinit, busybox)" ;; esac
[ ${#MODULES[@]} -eq 0 ] || [ "$KIND" = busybox ] || die "--insmod only works with the busybox kind"

# ---------------------------------------------------------------- tools
APT_UPDATED=0
need_pkgs() {
	[ $# -gt 0 ] || return 0
	[ "$(id -u)" = 0 ] || die "missing packages: $* (install them: apt-get install $*)"
	echo "$PROG: installing missing packages: $*" >&2
	if [ "$APT_UPDATED" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
		|| die "apt-get install $* failed"
}
missing=()
command -v cpio >/dev/null || missing+=(cpio)
case "$KIND" in
spin|cinit)
	command -v gcc >/dev/null || missing+=(gcc)
	[ -e /usr/include/stdio.h ] || missing+=(libc6-dev) ;;   # crt headers for gcc driver
busybox)
	file_out=$(file -bL /bin/busybox 2>/dev/null || true)
	case "$file_out" in *statically*|*static-pie*) ;; *) missing+=(busybox-static) ;; esac
	command -v file >/dev/null || missing+=(file) ;;
esac
for m in "${MODULES[@]}"; do
	case "$m" in
	*.xz) command -v xz >/dev/null || missing+=(xz-utils) ;;
	*.zst) command -v zstd >/dev/null || missing+=(zstd) ;;
	esac
done
need_pkgs "${missing[@]}"

# ---------------------------------------------------------------- staging
OUT_DIR=$(dirname -- "$OUT")
mkdir -p -- "$OUT_DIR" || die "cannot create $OUT_DIR"
OUT=$(cd "$OUT_DIR" && pwd)/$(basename -- "$OUT")
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/lightvm-initramfs.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$STAGE"; }
trap cleanup EXIT
mkdir -p "$STAGE"/{dev,proc,sys,tmp,run,root,mnt}

# shellcheck disable=SC2054  # the commas belong to -Wl options
CFLAGS_FREESTANDING=(-Os -static -no-pie -nostdlib -ffreestanding -fno-builtin
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none
	-Wall -Wextra -Werror -Wl,--build-id=none -Wl,-z,norelro -Wl,-z,noseparate-code -s)

case "$KIND" in
spin|cinit)
	gcc "${CFLAGS_FREESTANDING[@]}" -o "$STAGE/init" "$SRCDIR/$KIND.c" \
		|| die "compiling $SRCDIR/$KIND.c failed"
	if [ "$KIND" = spin ] && objdump -d "$STAGE/init" 2>/dev/null | grep -qwE 'syscall|int|sysenter'; then
		die "spin init contains a system call instruction"
	fi
	;;
busybox)
	mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc,lib/modules}
	cp /bin/busybox "$STAGE/bin/busybox"
	# the equivalent of `busybox --install -s`, done on the host into the staging dir
	/bin/busybox --list-full | while read -r applet; do
		[ "$applet" = bin/busybox ] && continue
		mkdir -p "$STAGE/$(dirname "$applet")"
		ln -sf /bin/busybox "$STAGE/$applet"
	done
	[ -L "$STAGE/bin/sh" ] || die "busybox has no sh applet"
	gcc "${CFLAGS_FREESTANDING[@]}" -o "$STAGE/bin/lightvm-exit" "$SRCDIR/lightvm-exit.c" \
		|| die "compiling $SRCDIR/lightvm-exit.c failed"
	mkdir -p "$STAGE/tests"
	install -m 0755 "$SRCDIR"/tests/*.sh "$STAGE/tests/"
	install -m 0755 "$SRCDIR/busybox-init.sh" "$STAGE/init"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$STAGE/etc/passwd"
	echo 'root:x:0:' > "$STAGE/etc/group"
	printf 'export PS1="lightvm# "\nexport PATH=/bin:/sbin:/usr/bin:/usr/sbin\n' > "$STAGE/etc/profile"
	: > "$STAGE/lib/modules/lightvm.order"
	for m in "${MODULES[@]}"; do
		[ -r "$m" ] || die "module $m not found"
		base=$(basename -- "$m")
		case "$base" in
		*.ko.xz)  name=${base%.xz};  xz -dc -- "$m" > "$STAGE/lib/modules/$name" ;;
		*.ko.zst) name=${base%.zst}; zstd -qdc -- "$m" > "$STAGE/lib/modules/$name" ;;
		*.ko)     name=$base;        cp -- "$m" "$STAGE/lib/modules/$name" ;;
		*) die "not a kernel module: $m" ;;
		esac || die "cannot unpack module $m"
		echo "$name" >> "$STAGE/lib/modules/lightvm.order"
	done
	;;
esac

# ---------------------------------------------------------------- archive
# newc header for one entry, written with printf: used to append /dev/console
# as a second (concatenated) archive when mknod is not allowed. The kernel
# unpacks concatenated cpio archives in order.
newc_entry() {   # name mode nlink rdevmajor rdevminor
	local name=$1 mode=$2 nlink=$3 rmaj=$4 rmin=$5 namesize hdrlen pad
	namesize=$(( ${#name} + 1 ))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "$mode" 0 0 "$nlink" 0 0 0 0 "$rmaj" "$rmin" "$namesize" 0
	printf '%s\0' "$name"
	hdrlen=$(( 110 + namesize ))
	pad=$(( (4 - hdrlen % 4) % 4 ))
	[ "$pad" = 0 ] || printf '%*s' "$pad" '' | tr ' ' '\0'
}

CONSOLE_NODE=0
if mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null; then
	CONSOLE_NODE=1
fi
find "$STAGE" -exec touch -h -d @0 {} + 2>/dev/null || true
TMP_OUT="$OUT.tmp.$$"
(
	cd "$STAGE"
	find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible
) > "$TMP_OUT" || { rm -f "$TMP_OUT"; die "cpio failed"; }
if [ "$CONSOLE_NODE" = 0 ]; then
	{
		newc_entry dev/console $((0020600)) 1 5 1
		newc_entry TRAILER!!! 0 1 0 0
		# pad the archive to a multiple of 512 like cpio does
	} >> "$TMP_OUT"
	size=$(stat -c %s "$TMP_OUT")
	pad=$(( (512 - size % 512) % 512 ))
	[ "$pad" = 0 ] || head -c "$pad" /dev/zero >> "$TMP_OUT"
fi
mv -f "$TMP_OUT" "$OUT"

echo "$PROG: $KIND initramfs: $OUT ($(stat -c %s "$OUT") bytes, uncompressed newc$([ "$CONSOLE_NODE" = 1 ] || echo ', /dev/console appended'))"
[ "$KEEP" = 0 ] || echo "$PROG: staging directory: $STAGE"
