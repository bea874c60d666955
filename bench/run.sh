#!/usr/bin/env bash
# bench/run.sh - every benchmark, in one run (`make bench`).
set -euo pipefail
cd "$(dirname "$0")"
./boot-hello.sh
./blk.sh
./linux-boot.sh
./net.sh
