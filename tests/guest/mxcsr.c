// SPDX-License-Identifier: GPL-2.0
/*
 * mxcsr - ldmxcsr/stmxcsr in ring 0 through several addressing modes.
 * PVM's instruction emulator rejects them (the stock Debian kernel's
 * kernel_fpu_begin() hits ldmxcsr), so there lightvm emulates them; on
 * VMX/SVM they run natively.  Either way the values must round-trip.
 *
 * Status: 1 the default MXCSR is not 0x1f80, 2 [rsp+disp8] round trip,
 * 3 RIP-relative, 4 base+index*scale+disp32, 5 the load did not take.
 */
#include "runtime.h"

const char test_name[] = "mxcsr";

#define CR0_EM		(1UL << 2)
#define CR0_MP		(1UL << 1)
#define CR4_OSFXSR	(1UL << 9)
#define MXCSR_DEFAULT	0x1f80
#define MXCSR_TEST	0x7f80	/* round toward zero */

/* Named from inline asm: external, so no compiler drops or renames it. */
uint32_t mxcsr_rip_slot;
static uint32_t table[8];

static void sse_enable(void)
{
	unsigned long cr0, cr4;

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	asm volatile("mov %0, %%cr0" : : "r"((cr0 & ~CR0_EM) | CR0_MP));
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR));
}

static uint32_t stmxcsr_stack(void)
{
	uint32_t v;

	/* [rsp+disp8]: the form Linux uses. */
	asm volatile("sub $16, %%rsp\n\t"
		     "stmxcsr 4(%%rsp)\n\t"
		     "mov 4(%%rsp), %0\n\t"
		     "add $16, %%rsp" : "=r"(v) : : "memory");
	return v;
}

static void ldmxcsr_stack(uint32_t v)
{
	asm volatile("sub $16, %%rsp\n\t"
		     "mov %0, 4(%%rsp)\n\t"
		     "ldmxcsr 4(%%rsp)\n\t"
		     "add $16, %%rsp" : : "r"(v) : "memory");
}

int test_main(void)
{
	uint32_t v;
	unsigned long idx = 3;

	sse_enable();
	v = stmxcsr_stack();
	if (v != MXCSR_DEFAULT) {
		printf("FAIL: default MXCSR 0x%x\n", v);
		return 1;
	}
	ldmxcsr_stack(MXCSR_TEST);
	v = stmxcsr_stack();
	if (v != MXCSR_TEST) {
		printf("FAIL: [rsp+disp8] round trip gave 0x%x\n", v);
		return 2;
	}

	mxcsr_rip_slot = 0;
	asm volatile("stmxcsr mxcsr_rip_slot(%%rip)" : : : "memory");
	if (mxcsr_rip_slot != MXCSR_TEST) {
		printf("FAIL: RIP-relative stmxcsr gave 0x%x\n", mxcsr_rip_slot);
		return 3;
	}

	table[idx + 1] = MXCSR_DEFAULT;
	asm volatile("ldmxcsr 4(%0,%1,4)" : : "r"(table), "r"(idx) : "memory");
	asm volatile("stmxcsr 8(%0,%1,4)" : : "r"(table), "r"(idx) : "memory");
	if (table[idx + 2] != MXCSR_DEFAULT) {
		printf("FAIL: base+index*4+disp gave 0x%x\n", table[idx + 2]);
		return 4;
	}
	if (stmxcsr_stack() != MXCSR_DEFAULT) {
		printf("FAIL: ldmxcsr did not take\n");
		return 5;
	}
	printf("ok: ldmxcsr/stmxcsr round trips (stack, RIP-relative, SIB)\n");
	return 0;
}
