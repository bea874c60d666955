// SPDX-License-Identifier: GPL-2.0
/*
 * pci.c - PCI bus 0: a host bridge at 00:00.0, one single-function device
 * per slot, and configuration mechanism #1 through which the guest
 * reaches them.
 *
 * Mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) is two dword registers: the
 * guest writes CONFIG_ADDRESS at 0xcf8 - enable bit 31, bus 23:16, device
 * 15:11, function 10:8, register 7:2 - then reads or writes CONFIG_DATA
 * at 0xcfc, a window onto that dword of which it may use any byte or
 * word.  A slot with no device, a function other than 0 or a bus other
 * than 0 reads as all-ones: the master abort by which software learns
 * that nothing answers.
 */
#include <stdlib.h>
#include <string.h>

#include "pci.h"

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define CONFIG_ENABLE		0x80000000u
/* "Bits 30 to 24 are reserved, read-only, and must return 0's when
 * read ... Bits 1 and 0 are read-only and must return 0's when read." */
#define CONFIG_ADDRESS_MASK	0x80fffffcu

/* The host bridge: an Intel 440FX, the PC chipset QEMU's "pc" models. */
#define BRIDGE_VENDOR		0x8086
#define BRIDGE_DEVICE		0x1237
#define BRIDGE_CLASS		0x060000	/* bridge, host */
#define BRIDGE_REVISION		0x02

static unsigned int addr_bus(uint32_t a)
{
	return (a >> 16) & 0xff;
}

static unsigned int addr_device(uint32_t a)
{
	return (a >> 11) & 0x1f;
}

static unsigned int addr_function(uint32_t a)
{
	return (a >> 8) & 0x7;
}

/*
 * "Anytime a host bridge sees a full DWORD I/O write from the host to
 * CONFIG_ADDRESS, the bridge must latch the data into its CONFIG_ADDRESS
 * register.  On full DWORD I/O reads to CONFIG_ADDRESS, the bridge must
 * return the data in CONFIG_ADDRESS.  Any other types of accesses to this
 * address (non-DWORD) have no effect on CONFIG_ADDRESS" - they are plain
 * I/O, and nothing else lives at 0xcf8-0xcfb here.
 */
static void config_address_io(void *opaque, uint64_t off, uint8_t *data,
			      unsigned int len, bool is_write)
{
	struct pci_bus *bus = opaque;
	uint32_t v;

	if (off != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	if (is_write) {
		memcpy(&v, data, 4);
		bus->config_address = v & CONFIG_ADDRESS_MASK;
	} else {
		memcpy(data, &bus->config_address, 4);
	}
	pthread_mutex_unlock(&bus->lock);
}

/* The device CONFIG_ADDRESS selects, or NULL when nothing answers. */
static struct pci_device *selected(struct pci_bus *bus, uint32_t a)
{
	if (!(a & CONFIG_ENABLE) || addr_bus(a) != 0 || addr_function(a) != 0)
		return NULL;
	return bus->slots[addr_device(a)];
}

/*
 * The window is the selected dword: the byte or word at port 0xcfc + n is
 * register + n.  io_bus only hands us accesses inside 0xcfc..0xcff, so an
 * access never spills into the next dword; the check below says so.
 */
static void config_data_io(void *opaque, uint64_t off, uint8_t *data,
			   unsigned int len, bool is_write)
{
	struct pci_bus *bus = opaque;
	struct pci_device *dev;
	unsigned int reg;

	pthread_mutex_lock(&bus->lock);
	dev = selected(bus, bus->config_address);
	if (!dev || off + len > 4) {
		if (!is_write)
			memset(data, 0xff, len);
		goto out;
	}
	reg = (bus->config_address & 0xfc) + (unsigned int)off;
	if (dev->window && (reg & ~3u) == dev->window && dev->ops &&
	    dev->ops->config_window) {
		dev->ops->config_window(dev, reg - dev->window, data, len,
					is_write);
		goto out;
	}
	if (is_write)
		pci_config_write(dev, reg, data, len);
	else
		pci_config_read(dev, reg, data, len);
out:
	pthread_mutex_unlock(&bus->lock);
}

int pci_init(struct vm *vm)
{
	struct pci_bus *bus;

	bus = calloc(1, sizeof(*bus));
	if (!bus) {
		err_set("out of memory for the PCI bus");
		return -1;
	}
	bus->vm = vm;
	bus->next_io = PCI_IO_START;
	bus->next_mmio = (uint32_t)PCI_MMIO_START;
	pthread_mutex_init(&bus->lock, NULL);
	pci_device_init(&bus->bridge, vm, "host-bridge", BRIDGE_VENDOR,
			BRIDGE_DEVICE, BRIDGE_CLASS, BRIDGE_REVISION, 0, 0,
			NULL, NULL);
	bus->bridge.irq_pin = 0;
	bus->bridge.slot = 0;
	bus->slots[0] = &bus->bridge;

	if (io_bus_register(&vm->pio, PCI_CONFIG_ADDRESS, 4, config_address_io,
			    bus, "pci-config-address") < 0)
		goto fail;
	if (io_bus_register(&vm->pio, PCI_CONFIG_DATA, 4, config_data_io, bus,
			    "pci-config-data") < 0) {
		io_bus_unregister(&vm->pio, PCI_CONFIG_ADDRESS);
		goto fail;
	}
	vm->pci = bus;
	return 0;
fail:
	pthread_mutex_destroy(&bus->bridge.cfg_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
	return -1;
}

void pci_destroy(struct vm *vm)
{
	struct pci_bus *bus = vm->pci;
	unsigned int slot;

	if (!bus)
		return;
	for (slot = 1; slot < PCI_MAX_DEVICES; slot++) {
		struct pci_device *dev = bus->slots[slot];

		if (!dev)
			continue;
		pci_device_unregister(dev);
		pci_msix_destroy(dev);
		if (dev->ops && dev->ops->release)
			dev->ops->release(dev);
	}
	io_bus_unregister(&vm->pio, PCI_CONFIG_ADDRESS);
	io_bus_unregister(&vm->pio, PCI_CONFIG_DATA);
	pthread_mutex_destroy(&bus->bridge.cfg_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
	vm->pci = NULL;
}

int pci_device_register(struct pci_device *dev)
{
	struct pci_bus *bus = dev->vm->pci;
	unsigned int slot;
	int ret = -1;

	if (!bus) {
		err_set("%s: the PCI bus does not exist", dev->name);
		return -1;
	}
	pthread_mutex_lock(&bus->lock);
	for (slot = 1; slot < PCI_MAX_DEVICES && bus->slots[slot]; slot++)
		;
	if (slot == PCI_MAX_DEVICES) {
		err_set("%s: all %d PCI slots are taken", dev->name,
			PCI_MAX_DEVICES - 1);
		goto out;
	}
	pthread_mutex_lock(&dev->cfg_lock);
	dev->slot = slot;
	if (pci_bars_alloc(bus, dev) < 0 || pci_intx_route(dev) < 0)
		goto unlock;
	/* Our own allocation cannot clash - unless a device was placed on
	 * top of a legacy range, which is a bug worth failing for. */
	if (pci_bars_update(dev)) {
		err_set("%s: a BAR overlaps another device", dev->name);
		pci_bars_unmap(dev);
		pci_intx_unroute(dev);
		goto unlock;
	}
	bus->slots[slot] = dev;
	log_debug(2, "pci 00:%02x.0: %s", slot, dev->name);
	ret = 0;
unlock:
	pthread_mutex_unlock(&dev->cfg_lock);
out:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

void pci_device_unregister(struct pci_device *dev)
{
	struct pci_bus *bus = dev->vm->pci;

	if (!bus || dev->slot == 0 || dev->slot >= PCI_MAX_DEVICES)
		return;
	pthread_mutex_lock(&bus->lock);
	if (bus->slots[dev->slot] == dev) {
		bus->slots[dev->slot] = NULL;
		pthread_mutex_lock(&dev->cfg_lock);
		pci_bars_unmap(dev);
		pci_intx_unroute(dev);
		pthread_mutex_unlock(&dev->cfg_lock);
	}
	pthread_mutex_unlock(&bus->lock);
}
