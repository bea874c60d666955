/* SPDX-License-Identifier: GPL-2.0 */
/*
 * isr.S - one 16-byte stub per IDT vector and the common entry they jump
 * to.  Every stub leaves the same frame (struct trap_frame in runtime.h):
 * the CPU's five words, an error code (a 0 pushed by the stub when the CPU
 * pushes none), the vector, then the general registers.  The C dispatcher
 * may change any of it, RIP included, before the iretq.
 */
#include "layout.h"

	.text
	.code64

	.balign 16
	.globl isr_stubs
isr_stubs:
	/*
	 * Exceptions for which the CPU pushes an error code itself: #DF (8),
	 * #TS..#PF (10-14), #AC (17), #CP (21), #VC (29), #SX (30).
	 */
	.set errcode_mask, 0x60227d00
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec < 32) && ((errcode_mask >> (vec & 31)) & 1)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	/*
	 * The CPU aligned RSP to 16 before its 5 words; with our 17 the
	 * call below sees the alignment the ABI promises.
	 */
	movq %rsp, %rdi
	cld
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp			/* vector and error code */
	iretq

	.section .note.GNU-stack, "", @progbits
