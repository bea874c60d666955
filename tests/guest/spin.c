// SPDX-License-Identifier: GPL-2.0
/*
 * spin - never exits: for the VMM's --timeout.  A busy loop rather than
 * hlt, so the vCPU is running (not blocked) when the timeout must stop it.
 */
#include "runtime.h"

const char test_name[] = "spin";

int test_main(void)
{
	printf("spinning\n");
	for (;;)
		cpu_relax();
}
