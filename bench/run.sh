#!/usr/bin/env bash
# bench/run.sh - every benchmark, in one run (`make bench`).
set -euo pipefail
cd "$(dirname "$0")"
if [ -n "${LIGHTVM_NESTED_HOST:-}" ]; then
	echo "== nested KVM host ($LIGHTVM_NESTED_HOST): every figure below is"
	echo "== measured inside an L1 under TCG emulation; the ratios compare VMMs"
	echo "== side by side in that same L1, absolute times are not hardware times"
fi
./boot-hello.sh
./blk.sh
./linux-boot.sh
./net.sh
./rootfs.sh
./multiboot.sh
