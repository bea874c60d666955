// SPDX-License-Identifier: GPL-2.0
/*
 * badinsn - jump into the 32-bit PCI hole where no device (and no RAM)
 * answers.  Fetching an instruction from MMIO is something KVM cannot
 * emulate, so the VMM sees an internal error.
 *
 *   addr=A   jump there instead (default 0xd0000000; identity mapped)
 */
#include "runtime.h"

const char test_name[] = "badinsn";

#define DEFAULT_ADDR	0xd0000000ul

int test_main(void)
{
	uint64_t addr = DEFAULT_ADDR;

	cmdline_get_uint("addr", &addr);
	printf("jumping to 0x%lx, where no RAM or device answers\n", addr);
	asm volatile("jmp *%0" : : "r"(addr) : "memory");
	/* Not reached: the compiler need not know. */
	return 1;
}
