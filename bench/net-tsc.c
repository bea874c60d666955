// SPDX-License-Identifier: GPL-2.0
/*
 * net-tsc - the host's TSC rate in Hz, for bench/net.sh: the virtio_net
 * test kernel times its flood in TSC cycles, and a KVM guest's TSC runs
 * at the host's rate when the VMM does not scale it (neither lightvm nor
 * QEMU without tsc-frequency= does).  rdtsc against CLOCK_MONOTONIC_RAW
 * over 250 ms, printed as one integer.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double raw_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	double t0, t1;
	uint64_t c0, c1;

	/* rdtsc inside the clock reads: both ends bracket the same span. */
	t0 = raw_seconds();
	c0 = __rdtsc();
	do
		t1 = raw_seconds();
	while (t1 - t0 < 0.25);
	c1 = __rdtsc();
	printf("%.0f\n", (double)(c1 - c0) / (t1 - t0));
	return 0;
}
