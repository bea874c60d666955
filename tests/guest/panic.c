// SPDX-License-Identifier: GPL-2.0
/*
 * panic - prints the line Linux prints when it panics, then spins as
 * Linux does (panic=0): the VMM is expected to recognise the line on the
 * console and stop the guest itself.
 */
#include "runtime.h"

const char test_name[] = "panic";

int test_main(void)
{
	printf("Kernel panic - not syncing: test kernel panic\n");
	for (;;)
		cpu_relax();
}
