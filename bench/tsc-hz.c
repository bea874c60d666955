// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-hz - the host's TSC rate in Hz, measured: rdtsc against
 * CLOCK_MONOTONIC_RAW over 200 ms.
 *
 * The virtio-blk test kernel times its request loop in TSC cycles, and a
 * KVM guest's TSC runs at the host's rate unless the VMM scales it (this
 * project's lightvm does not, nor does QEMU without tsc-frequency=), so
 * bench/blk.sh turns the guest's cycles into seconds with this.  Measuring
 * beats parsing the kernel log: dmesg may be restricted or rotated.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double mono_raw(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	double t0, t1;
	uint64_t c0, c1;

	t0 = mono_raw();
	c0 = __rdtsc();
	do
		t1 = mono_raw();
	while (t1 - t0 < 0.2);
	c1 = __rdtsc();
	printf("%.0f\n", (c1 - c0) / (t1 - t0));
	return 0;
}
