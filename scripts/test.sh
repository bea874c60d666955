#!/usr/bin/env bash
# scripts/test.sh - the README's test command, and what .ci/run calls:
# install missing Debian packages, build everything, run every test tier
# (Check unit tests plain and under ASan/UBSan, test kernels, a short run
# of every fuzzer, Linux boot tests).  The Linux guest kernel is built on
# first use and cached.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make -j"$(nproc)" all
make test
