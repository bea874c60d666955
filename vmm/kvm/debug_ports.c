// SPDX-License-Identifier: GPL-2.0
/*
 * debug_ports.c - port 0x80 (POST codes / Linux's io_delay), which is
 * accepted and ignored, and the debug-exit port at 0xf4, whose byte ends
 * the VM with that status - the same port QEMU's isa-debug-exit uses, so
 * test kernels run under both.
 *
 * The status is the value written, at any width - an 8-bit "outb", a
 * 16-bit "outw" or a 32-bit "outl" (QEMU test kernels often use the
 * last): 0 means success and 1..119 pass through; anything above would
 * collide with lightvm's own codes, so it is reported as 119 with a
 * warning naming the real value.  (QEMU's isa-debug-exit exits with
 * (value << 1) | 1 instead: 0 written is 1 there, 0 here.)
 */
#include <string.h>

#include "kvm.h"

#define POST_PORT	0x80
#define EXIT_PORT	0xf4
#define EXIT_PORT_SIZE	4

static void post_io(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int len, bool is_write)
{
	(void)opaque;
	(void)off;
	if (!is_write)
		memset(data, 0xff, len);
}

static void exit_io(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int len, bool is_write)
{
	struct vm *vm = opaque;
	unsigned int status, i;
	uint32_t value;

	(void)off;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	for (value = 0, i = 0; i < len && i < 4; i++)
		value |= (uint32_t)data[i] << (8 * i);
	status = value;
	if (status > EXIT_GUEST_MAX) {
		log_warn("guest wrote %u to the exit port; reporting %d", value,
			 EXIT_GUEST_MAX);
		status = EXIT_GUEST_MAX;
	}
	vm_request_stop(vm, (int)status, "guest wrote %u to the exit port (%u-byte write)",
			value, len);
}

int debug_ports_init(struct vm *vm)
{
	if (io_bus_register(&vm->pio, POST_PORT, 1, post_io, vm, "post") ||
	    io_bus_register(&vm->pio, EXIT_PORT, EXIT_PORT_SIZE, exit_io, vm,
			    "debug-exit"))
		return -1;
	return 0;
}
