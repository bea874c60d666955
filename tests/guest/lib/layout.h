/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layout.h - constants shared by the assembly entry code and C.  Only
 * preprocessor definitions: this file is included from .S files.
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

/* How the kernel was entered (boot_entry): see start.c. */
#define BOOT_ENTRY_PVH		1	/* 32-bit PVH entry, EBX = start_info */
#define BOOT_ENTRY_64		2	/* 64-bit entry, RSI = boot_params */
#define BOOT_ENTRY_MULTIBOOT	3	/* Multiboot v1, EBX = its info */

/* Our GDT uses the same selectors as the 64-bit boot protocol's. */
#define SEL_CODE32		0x08
#define SEL_CODE64		0x10
#define SEL_DATA		0x18

#define PAGE_SIZE		4096
#define BSP_STACK_SIZE		(16 * 1024)
#define AP_STACK_SIZE		(8 * 1024)
#define MAX_CPUS		64	/* LIGHTVM_MAX_CPUS */

/*
 * Where the AP real-mode trampoline is copied.  It must be below 1 MiB and
 * page aligned (the SIPI vector is its page number), and clear of what the
 * VMM places in low memory: GDT, page tables and boot_params at
 * 0x1000-0xefff, the command line from 0x20000, the MP table from 0x9fc00.
 */
#define TRAMPOLINE_ADDR		0x70000

/* Control registers and MSRs the entry code touches. */
#define CR0_PE			0x00000001
#define CR0_PG			0x80000000
#define CR4_PAE			0x00000020
#define MSR_EFER		0xc0000080
#define EFER_LME		0x00000100
#define MSR_APIC_BASE		0x0000001b

/* Page table entry bits. */
#define PTE_P			0x001
#define PTE_RW			0x002
#define PTE_PWT			0x008
#define PTE_PCD			0x010
#define PTE_PS			0x080

#endif
