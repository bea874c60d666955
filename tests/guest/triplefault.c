// SPDX-License-Identifier: GPL-2.0
/*
 * triplefault - an exception with an unusable IDT: #UD cannot be
 * delivered (#GP), nor can that (#DF), and the CPU shuts down.  On a PC
 * that is a reset; the VMM should report it.
 */
#include "runtime.h"

const char test_name[] = "triplefault";

int test_main(void)
{
	/* Limit 0: not even gate 0 fits in the table. */
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed empty = { 0, 0 };

	printf("loading an empty IDT and executing ud2\n");
	asm volatile("lidt %0; ud2" : : "m"(empty) : "memory");
	printf("FAIL: still running after ud2 with an empty IDT\n");
	return 1;
}
