/* SPDX-License-Identifier: GPL-2.0 */
/*
 * multiboot_header.S - the Multiboot v1 header of the Multiboot test
 * kernels (The Multiboot Specification 0.6.96, 3.1), first in .text at
 * 1 MiB.  Built twice: plain for the ELF32 kernel (the loader follows
 * the ELF program headers), and with -DAOUT_KLUDGE for the flat binary,
 * where flags bit 16 makes the header's own addresses say where the
 * image goes: header_addr is where this header lands, load_addr the
 * image's first byte (1 MiB: the header is first), load_end_addr the end
 * of .data, bss_end_addr the end of .bss and the stacks, entry_addr the
 * 32-bit Multiboot entry in lib/head.S.
 */
#define MB_MAGIC		0x1BADB002
#define MB_PAGE_ALIGN		(1 << 0)	/* modules on page boundaries */
#define MB_MEMINFO		(1 << 1)	/* mem_* and the memory map */
#define MB_AOUT_KLUDGE		(1 << 16)

#ifdef AOUT_KLUDGE
#define MB_FLAGS		(MB_PAGE_ALIGN | MB_MEMINFO | MB_AOUT_KLUDGE)
#else
#define MB_FLAGS		(MB_PAGE_ALIGN | MB_MEMINFO)
#endif

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
	.long mb_header		/* header_addr */
	.long mb_header		/* load_addr: the image starts here */
	.long _edata		/* load_end_addr */
	.long _end		/* bss_end_addr */
	.long multiboot_entry	/* entry_addr */
#endif
	.section .note.GNU-stack, "", @progbits
