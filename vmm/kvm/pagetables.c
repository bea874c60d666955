// SPDX-License-Identifier: GPL-2.0
/*
 * pagetables.c - the processor state the 64-bit boot protocol asks for:
 * "paging enabled ... the range with setup_header.init_size from start
 * address of loaded kernel and zero page and command line buffer get ident
 * mapping; a GDT must be loaded with the descriptors for selector
 * __BOOT_CS(0x10) and __BOOT_DS(0x18); both descriptors must be 4G flat
 * segment" (Documentation/x86/boot.rst).  We identity-map the low 4 GiB
 * with 2 MiB pages, which covers every address the loader uses.
 */
#include <string.h>

#include "kvm.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

void boot_pagetables_build(struct guest_mem *gm)
{
	uint64_t *pml4 = guest_ptr(gm, PML4_ADDR, 4096);
	uint64_t *pdpt = guest_ptr(gm, PDPT_ADDR, 4096);
	uint64_t *pd = guest_ptr(gm, PD_ADDR, 4 * 4096);
	unsigned int i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
}

/* Segment descriptors: base 0, limit 4 GiB (G=1), present, DPL 0. */
#define GDT_CODE32	0x00cf9b000000ffffULL	/* 32-bit exec/read */
#define GDT_CODE64	0x00af9b000000ffffULL	/* L=1 exec/read */
#define GDT_DATA	0x00cf93000000ffffULL	/* read/write */
#define GDT_TSS32	0x0000890000000067ULL	/* available 32-bit TSS */

void boot_gdt_build(struct guest_mem *gm)
{
	uint64_t *gdt = guest_ptr(gm, GDT_ADDR, 8 * sizeof(uint64_t));

	memset(gdt, 0, 8 * sizeof(uint64_t));
	gdt[1] = GDT_CODE32;	/* 0x08: PVH's 32-bit CS */
	gdt[2] = GDT_CODE64;	/* 0x10: __BOOT_CS */
	gdt[3] = GDT_DATA;	/* 0x18: __BOOT_DS */
	gdt[4] = GDT_TSS32;	/* 0x20: TR, which VMX insists is valid */
}
