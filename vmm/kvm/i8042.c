// SPDX-License-Identifier: GPL-2.0
/*
 * i8042.c - just enough of the PC keyboard controller for Linux's
 * `reboot=k`: the status port reports both buffers empty, so kb_wait()
 * returns at once, and the "pulse reset line" command (0xfe on port 0x64)
 * ends the VM as a guest-requested reboot.  The command byte is kept so a
 * read-back after a write sees what was written.
 */
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

#define I8042_DATA	0x60
#define I8042_CMD	0x64
#define CMD_READ_CTR	0x20
#define CMD_WRITE_CTR	0x60
#define CMD_PULSE_RESET	0xfe
#define STR_OBF		0x01	/* output buffer full */

struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t ctr;		/* controller command byte */
	uint8_t out;		/* output buffer */
	bool out_full;
	bool want_ctr;		/* next data write is the command byte */
};

static void reset_requested(struct vm *vm)
{
	/* With panic=-1 a panicking Linux reboots: report the panic. */
	vm_request_stop(vm, vm->panicked ? EXIT_GUEST_PANIC : EXIT_GUEST_OK,
			vm->panicked ? "guest panicked and rebooted" :
			"guest rebooted (i8042 reset)");
}

static void i8042_access(struct i8042 *k, bool cmd_port, uint8_t *data,
			 unsigned int len, bool is_write)
{
	pthread_mutex_lock(&k->lock);
	if (!is_write) {
		memset(data, 0, len);
		if (cmd_port) {
			data[0] = k->out_full ? STR_OBF : 0;
		} else {
			data[0] = k->out;
			k->out_full = false;
		}
	} else if (cmd_port) {
		switch (data[0]) {
		case CMD_READ_CTR:
			k->out = k->ctr;
			k->out_full = true;
			break;
		case CMD_WRITE_CTR:
			k->want_ctr = true;
			break;
		case CMD_PULSE_RESET:
			reset_requested(k->vm);
			break;
		}
	} else if (k->want_ctr) {
		k->ctr = data[0];
		k->want_ctr = false;
	}
	pthread_mutex_unlock(&k->lock);
}

static void i8042_data_io(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int len, bool is_write)
{
	(void)off;
	i8042_access(opaque, false, data, len, is_write);
}

static void i8042_cmd_io(void *opaque, uint64_t off, uint8_t *data,
			 unsigned int len, bool is_write)
{
	(void)off;
	i8042_access(opaque, true, data, len, is_write);
}

int i8042_init(struct vm *vm)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k) {
		err_set("out of memory");
		return -1;
	}
	k->vm = vm;
	pthread_mutex_init(&k->lock, NULL);
	vm->kbd = k;
	/* Ports 0x60..0x64 minus 0x61, the PIT speaker port KVM handles. */
	if (io_bus_register(&vm->pio, I8042_DATA, 1, i8042_data_io, k,
			    "i8042 data") ||
	    io_bus_register(&vm->pio, I8042_CMD, 1, i8042_cmd_io, k,
			    "i8042 command"))
		return -1;
	return 0;
}

void i8042_destroy(struct vm *vm)
{
	if (!vm->kbd)
		return;
	pthread_mutex_destroy(&vm->kbd->lock);
	free(vm->kbd);
	vm->kbd = NULL;
}
