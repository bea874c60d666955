// SPDX-License-Identifier: GPL-2.0
/*
 * pvpanic.c - QEMU's "pvpanic-pci" (1b36:0011): one byte in a 16-byte
 * memory BAR through which a guest says it panicked.
 *
 * Linux's driver (drivers/misc/pvpanic/pvpanic-pci.c, pvpanic.c) maps BAR
 * 0, reads the byte at offset 0 as the events the host supports, and
 * from its panic notifier writes the one event that applies to offset 0.
 * That notifier runs after the panic message and backtrace are printed,
 * so PANICKED stops the VM at once; nothing the console scanner waits
 * for would add to it.  CRASH_LOADED means a kdump kernel takes over and
 * the guest carries on: only logged.
 */
#include <stdlib.h>
#include <string.h>

#include "pci.h"

#define PVPANIC_VENDOR		0x1b36	/* Red Hat, QEMU's devices */
#define PVPANIC_DEVICE		0x0011
#define PVPANIC_CLASS		0x088000	/* system peripheral, other */
#define PVPANIC_REVISION	0x01
#define PVPANIC_SUBSYS_VENDOR	0x1af4	/* what QEMU reports */
#define PVPANIC_SUBSYS_ID	0x1100
#define PVPANIC_BAR_SIZE	16

#define PVPANIC_PANICKED	(1 << 0)
#define PVPANIC_CRASH_LOADED	(1 << 1)
#define PVPANIC_EVENTS		(PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

static void pvpanic_io(void *opaque, uint64_t off, uint8_t *data,
		       unsigned int len, bool is_write)
{
	struct vm *vm = opaque;

	if (!is_write) {
		memset(data, 0, len);
		if (off == 0)
			data[0] = PVPANIC_EVENTS;
		return;
	}
	if (off != 0)
		return;
	if (data[0] & PVPANIC_PANICKED) {
		__atomic_store_n(&vm->panicked, true, __ATOMIC_SEQ_CST);
		vm_request_stop(vm, EXIT_GUEST_PANIC,
				"guest kernel panicked (pvpanic)");
	} else if (data[0] & PVPANIC_CRASH_LOADED) {
		log_msg("guest panicked with a crash kernel loaded (pvpanic); it goes on");
	}
}

static void pvpanic_release(struct pci_device *dev)
{
	pthread_mutex_destroy(&dev->cfg_lock);
	free(dev);
}

static const struct pci_device_ops pvpanic_ops = {
	.release = pvpanic_release,
};

int pvpanic_pci_init(struct vm *vm)
{
	struct pci_device *dev;

	dev = malloc(sizeof(*dev));
	if (!dev) {
		err_set("out of memory for pvpanic");
		return -1;
	}
	pci_device_init(dev, vm, "pvpanic", PVPANIC_VENDOR, PVPANIC_DEVICE,
			PVPANIC_CLASS, PVPANIC_REVISION, PVPANIC_SUBSYS_VENDOR,
			PVPANIC_SUBSYS_ID, &pvpanic_ops, NULL);
	dev->irq_pin = 0;	/* it never interrupts */
	if (pci_bar_add(dev, 0, PCI_BAR_MEM32, PVPANIC_BAR_SIZE, pvpanic_io,
			vm) < 0 || pci_device_register(dev) < 0) {
		free(dev);
		return -1;
	}
	return 0;
}
