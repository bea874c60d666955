/* SPDX-License-Identifier: GPL-2.0 */
/*
 * init_blob.S - the guest's /init for --rootfs (guest/init.c, built
 * static by the Makefile), carried inside lightvm so one binary is all a
 * user needs.  INIT_PATH comes from the Makefile.
 */
	.section .rodata
	.balign 16
	.global lightvm_init_start
	.global lightvm_init_end
lightvm_init_start:
	.incbin INIT_PATH
lightvm_init_end:
	.section .note.GNU-stack,"",@progbits
