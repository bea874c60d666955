#!/usr/bin/env bash
# scripts/install-deps.sh - install the Debian packages lightvm needs to
# build and test, only those missing (so a second run costs nothing).
# Uses sudo when not root.
set -euo pipefail

pkgs=(
	build-essential clang pkg-config make bc	# toolchain
	linux-libc-dev					# KVM + boot headers
	libaio-dev zlib1g-dev liblz4-dev libzstd-dev liblzma-dev
	check						# unit tests
	valgrind					# leak check
	busybox-static cpio				# guest initramfs
	linux-source-6.1 flex bison libelf-dev libssl-dev dwarves	# guest kernel
	xz-utils lz4 zstd e2fsprogs iproute2 iputils-ping util-linux
	qemu-system-x86					# nested test host, side-by-side benchmarks
	qemu-system-common				# virtiofsd (--share, --rootfs)
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
