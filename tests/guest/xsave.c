// SPDX-License-Identifier: GPL-2.0
/*
 * xsave - the XSAVE state the vCPU offers holds together across VM exits.
 *
 * Linux checks at boot that CPUID 0xD.0 EBX ("the size required by XSAVE
 * for the components currently set in XCR0", SDM vol. 2A, CPUID leaf 0DH)
 * matches the layout the sub-leaves describe, and then relies on XCR0
 * keeping the value it set: XSAVE saves only the components in XCR0, so a
 * lost XCR0 bit silently drops that register state on every context
 * switch.  KVM tracks the guest's XCR0 through the XSETBV intercept and
 * reloads it on every VM entry; a hypervisor beneath KVM that never
 * delivers that intercept (QEMU's TCG SVM, which the nested test host
 * runs on) makes the guest's XCR0 revert at the next VM exit.  lightvm
 * must then not offer XSAVE at all, and the guest falls back to FXSAVE.
 *
 * Either XSAVE is absent together with everything that needs it (AVX and
 * friends, OSXSAVE), or it works: XCR0 survives exits to the VMM, EBX
 * follows XCR0, and XSAVE stores XMM0.
 *
 * Status: 1 AVX/FMA/F16C or leaf 0xD offered without XSAVE, 2 EBX wrong
 * for the XCR0 set, 3 XCR0 changed across VM exits, 4 XSAVE lost XMM0.
 */
#include "runtime.h"

const char test_name[] = "xsave";

#define CPUID1_ECX_FMA		(1U << 12)
#define CPUID1_ECX_XSAVE	(1U << 26)
#define CPUID1_ECX_OSXSAVE	(1U << 27)
#define CPUID1_ECX_AVX		(1U << 28)
#define CPUID1_ECX_F16C		(1U << 29)
#define CPUID7_EBX_AVX2		(1U << 5)

#define CR0_EM			(1UL << 2)
#define CR0_MP			(1UL << 1)
#define CR4_OSFXSR		(1UL << 9)
#define CR4_OSXSAVE		(1UL << 18)

#define XFEATURE_X87		(1ULL << 0)
#define XFEATURE_SSE		(1ULL << 1)
#define XFEATURE_AVX		(1ULL << 2)
/* Legacy region (512) + XSAVE header (64): x87 and SSE live in the former. */
#define XSAVE_LEGACY_SIZE	576
#define XSAVE_XMM0		160	/* byte offset of XMM0 in the legacy region */

struct regs4 {
	uint32_t a, b, c, d;
};

static struct regs4 cpuid(uint32_t leaf, uint32_t sub)
{
	struct regs4 r;

	asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
		     : "a"(leaf), "c"(sub));
	return r;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static void xsetbv0(uint64_t v)
{
	asm volatile("xsetbv" : : "a"((uint32_t)v), "d"((uint32_t)(v >> 32)),
		     "c"(0));
}

static uint8_t area[4096] __aligned(64);
static const uint8_t pattern[16] __aligned(16) = {
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x0f,
};

/* The kernel itself uses no vector registers: XMM0 is ours. */
static bool xsave_keeps_xmm0(void)
{
	unsigned int i;

	memset(area, 0x5a, sizeof(area));
	memset(area + 512, 0, 64);	/* XSAVE header: must start clean */
	asm volatile("movdqa %0, %%xmm0" : : "m"(pattern));
	asm volatile("xsave %0" : "+m"(area) : "a"(~0U), "d"(~0U));
	for (i = 0; i < sizeof(pattern); i++)
		if (area[XSAVE_XMM0 + i] != pattern[i])
			return false;
	return true;
}

/* Exits to lightvm: every serial byte is an I/O exit to user space. */
static void leave_guest_a_while(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		printf("xsave: VM exits to the VMM, round %u\n", i);
}

int test_main(void)
{
	struct regs4 l1 = cpuid(1, 0), l0 = cpuid(0, 0), d0, d2;
	uint32_t needs_xsave = CPUID1_ECX_AVX | CPUID1_ECX_FMA |
			       CPUID1_ECX_F16C | CPUID1_ECX_OSXSAVE;
	uint64_t mask, got, cr0, cr4;
	uint32_t expect;

	if (!(l1.c & CPUID1_ECX_XSAVE)) {
		uint32_t avx2 = l0.a >= 7 ? cpuid(7, 0).b & CPUID7_EBX_AVX2 : 0;
		uint32_t d0a = l0.a >= 0xd ? cpuid(0xd, 0).a : 0;

		printf("xsave: not offered (leaf 1 ECX %08x)\n", l1.c);
		if ((l1.c & needs_xsave) || avx2 || d0a) {
			printf("FAIL: without XSAVE the vCPU still offers "
			       "leaf 1 ECX %08x, AVX2 %x, leaf 0xD EAX %x\n",
			       l1.c & needs_xsave, avx2, d0a);
			return 1;
		}
		return 0;
	}

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	asm volatile("mov %0, %%cr0" : : "r"((cr0 & ~CR0_EM) | CR0_MP));
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR | CR4_OSXSAVE));

	d0 = cpuid(0xd, 0);
	mask = d0.a & (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX);
	if ((mask & XFEATURE_AVX) && !(mask & XFEATURE_SSE))
		mask &= ~XFEATURE_AVX;
	xsetbv0(mask);
	expect = XSAVE_LEGACY_SIZE;
	if (mask & XFEATURE_AVX) {
		d2 = cpuid(0xd, 2);	/* EAX size, EBX offset of AVX state */
		expect = d2.b + d2.a;
	}
	d0 = cpuid(0xd, 0);
	printf("xsave: offered, leaf 0xD EAX %08x; XCR0 set to %llx, "
	       "EBX %u (expected %u), ECX %u\n", d0.a,
	       (unsigned long long)mask, d0.b, expect, d0.c);
	if (d0.b != expect) {
		printf("FAIL: CPUID 0xD.0 EBX %u with XCR0 %llx, layout says %u\n",
		       d0.b, (unsigned long long)mask, expect);
		return 2;
	}

	leave_guest_a_while();
	got = xgetbv0();
	if (got != mask) {
		printf("FAIL: XCR0 %llx after VM exits, set to %llx: the "
		       "hypervisor below lost the guest's XSETBV\n",
		       (unsigned long long)got, (unsigned long long)mask);
		return 3;
	}
	if (!xsave_keeps_xmm0()) {
		leave_guest_a_while();
		printf("FAIL: XSAVE did not store XMM0 (XCR0 now %llx)\n",
		       (unsigned long long)xgetbv0());
		return 4;
	}
	printf("xsave: XCR0 %llx held across VM exits, XSAVE stored XMM0\n",
	       (unsigned long long)got);
	return 0;
}
