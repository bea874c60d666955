/* SPDX-License-Identifier: GPL-2.0 */
/*
 * head.S - the ways into a test kernel, all ending in 64-bit C code on our
 * own GDT, stack and page tables:
 *
 *  pvh_entry     32-bit protected mode, paging off, EBX = hvm_start_info.
 *                Advertised by the Xen PVH ELF note below.
 *  entry64       ELF e_entry: already in long mode on the loader's page
 *                tables and GDT, RSI = boot_params (64-bit boot protocol).
 *  trampoline    16-bit code copied below 1 MiB, where a STARTUP IPI sends
 *                the secondary CPUs; it leads to ap_entry32.
 *
 * Nothing the loader set up is used beyond the entry instant: its GDT,
 * stack and page tables sit in low memory the kernel does not own, and
 * tests need page tables they control, so every path installs ours first.
 */
#include "layout.h"

/* ------------------------------------------------------------------ */
/* The PVH note: Xen's ELF note type 18, XEN_ELFNOTE_PHYS32_ENTRY. */

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 4				/* descsz: a 32-bit address */
	.long 18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_entry

/* ------------------------------------------------------------------ */
/* Data the entry code writes before .bss is cleared lives in .data. */

	.data
	.balign 8
	.globl mb_magic
mb_magic:
	.long 0
	.globl boot_entry
boot_entry:
	.long 0				/* BOOT_ENTRY_PVH or BOOT_ENTRY_64 */
	.balign 8
boot_info:
	.quad 0				/* start_info or boot_params address */
ap_next_stack:
	.long 0				/* next free AP stack slot */

	/*
	 * The accessed bits are preset so the CPU never needs to write the
	 * descriptors back.
	 */
	.balign 16
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* SEL_CODE32: flat 32-bit code */
	.quad 0x00af9b000000ffff	/* SEL_CODE64: 64-bit code */
	.quad 0x00cf93000000ffff	/* SEL_DATA: flat data */
gdt_end:

	/* Read as 6 bytes by a 32-bit lgdt, 10 by a 64-bit one. */
	.balign 8
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

/* ------------------------------------------------------------------ */
/* Page tables: the low 4 GiB identity mapped with 2 MiB pages. */

	.section .bss.pagetables, "aw", @nobits
	.balign PAGE_SIZE
	.globl pml4
pml4:
	.skip PAGE_SIZE
pdpt:
	.skip PAGE_SIZE
pd:
	.skip 4 * PAGE_SIZE

/* Stacks are not cleared: they sit after .bss, see guest.ld. */
	.section .stacks, "aw", @nobits
	.balign 16
bsp_stack:
	.skip BSP_STACK_SIZE
bsp_stack_top:
ap_stacks:
	.skip AP_STACK_SIZE * MAX_CPUS

/* ------------------------------------------------------------------ */

/*
 * Fill in the (already zeroed) tables.  \idx is %ecx in 32-bit code and
 * %rcx in 64-bit code; everything else assembles the same in both modes,
 * and only the low halves of the entries need writing.
 */
.macro BUILD_PAGETABLES idx
	movl $(pdpt + PTE_P + PTE_RW), pml4
	movl $(pd + PTE_P + PTE_RW), %eax
	xorl %ecx, %ecx
1:	movl %eax, pdpt(, \idx, 8)
	addl $PAGE_SIZE, %eax
	incl %ecx
	cmpl $4, %ecx
	jb 1b

	movl $(PTE_P + PTE_RW + PTE_PS), %eax
	xorl %ecx, %ecx
2:	movl %eax, pd(, \idx, 8)
	addl $0x200000, %eax
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	/* The top GiB holds the LAPIC, IOAPIC and PCI BARs: uncached. */
	movl $1536, %ecx
3:	orl $(PTE_PCD + PTE_PWT), pd(, \idx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 3b
.endm

/*
 * From 32-bit protected mode to compatibility mode on our page tables;
 * the caller's far jump to SEL_CODE64 then enters 64-bit mode.
 */
.macro ENABLE_LONG_MODE
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG + CR0_PE), %eax
	movl %eax, %cr0
.endm

.macro LOAD_DATA_SEGMENTS
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
.endm

	.text

/* ------------------------------------------------------------------ */
	.code32
	.globl pvh_entry
pvh_entry:
	cli
	cld
	/* EBX is the only thing PVH hands over: save it first. */
	movl %ebx, boot_info
	movl $BOOT_ENTRY_PVH, boot_entry
	jmp entry32

/*
 * Multiboot v1 (3.2): EAX = 0x2BADB002, EBX = the information structure,
 * 32-bit flat, paging off - like PVH but for the magic, which start.c
 * checks.  Only the Multiboot test kernels carry the header pointing
 * here (tests/guest/multiboot_header.S).
 */
	.globl multiboot_entry
multiboot_entry:
	cli
	cld
	movl %eax, mb_magic
	movl %ebx, boot_info
	movl $BOOT_ENTRY_MULTIBOOT, boot_entry

entry32:
	lgdt gdt_desc
	LOAD_DATA_SEGMENTS
	movl $bsp_stack_top, %esp
	ljmp $SEL_CODE32, $1f
1:
	/* Loaders normally clear .bss; we also need it for the tables. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	BUILD_PAGETABLES %ecx
	ENABLE_LONG_MODE
	ljmp $SEL_CODE64, $long_start

/* ------------------------------------------------------------------ */
	.code64
	.globl entry64
entry64:
	cli
	cld
	movq %rsi, boot_info(%rip)
	movl $BOOT_ENTRY_64, boot_entry(%rip)
	lgdt gdt_desc(%rip)
	LOAD_DATA_SEGMENTS
	leaq bsp_stack_top(%rip), %rsp
	/* A far return is the way to reload CS in 64-bit mode. */
	pushq $SEL_CODE64
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq

	/*
	 * The loader's tables are identity mapped too, so the switch is
	 * seamless; we want ours because tests change them and because the
	 * loader's may sit in memory we reuse.
	 */
	BUILD_PAGETABLES %rcx
	leaq pml4(%rip), %rax
	movq %rax, %cr3
	jmp long_start

/* Both BSP paths meet here: 64-bit mode, our GDT and page tables. */
long_start:
	LOAD_DATA_SEGMENTS
	leaq bsp_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	movl boot_entry(%rip), %edi
	movq boot_info(%rip), %rsi
	call rt_start
	jmp halt_forever

/* ------------------------------------------------------------------ */
/*
 * Secondary CPUs.  A STARTUP IPI with vector TRAMPOLINE_ADDR >> 12 starts
 * the AP in real mode at CS = TRAMPOLINE_ADDR >> 4, IP = 0, on a copy of
 * the code below: it may only address its own bytes relative to CS, and
 * absolute addresses of the kernel proper.
 */
	.code16
	.balign 16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdt_desc - trampoline_start
	/* Exactly PE: INIT left CD and NW set, which we do not want. */
	movl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $ap_entry32

	.balign 8
tramp_gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
	.globl trampoline_end
trampoline_end:

	.code32
ap_entry32:
	LOAD_DATA_SEGMENTS
	/* The BSP built the page tables long ago: just turn them on. */
	ENABLE_LONG_MODE
	ljmp $SEL_CODE64, $ap_long

	.code64
ap_long:
	/* No stack yet: claim a slot with one atomic instruction. */
	movl $1, %eax
	lock xaddl %eax, ap_next_stack(%rip)
	cmpl $MAX_CPUS, %eax
	jae halt_forever		/* only cli and hlt: no stack needed */
	incl %eax
	imull $AP_STACK_SIZE, %eax
	leaq ap_stacks(%rip), %rsp
	addq %rax, %rsp
	xorl %ebp, %ebp
	call ap_start
	jmp halt_forever

/* Uses no stack, so it is safe anywhere, even before one exists. */
	.globl halt_forever
halt_forever:
	cli
	hlt
	jmp halt_forever

	.section .note.GNU-stack, "", @progbits
