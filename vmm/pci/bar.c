// SPDX-License-Identifier: GPL-2.0
/*
 * bar.c - Base Address Registers: how a BAR answers the guest sizing it,
 * where it starts out, and whether it is decoded - registered on the
 * port or MMIO bus - right now.
 *
 * PCI Local Bus 3.0, 6.2.5.1 on sizing: "software saves the original
 * value of the Base Address register, writes 0FFFFFFFFh to the register,
 * then reads it back.  Size calculation can be done from the 32-bit value
 * read by first clearing encoding information bits (bit 0 for I/O, bits
 * 0-3 for memory), inverting all 32 bits (logical NOT), then incrementing
 * by 1."  So the address bits below the size are hardwired to 0 and the
 * encoding bits are fixed; both are simply bits outside the BAR's write
 * mask.  The same section makes every BAR "a power of two in size and
 * naturally aligned", which is how they are allocated here.
 */
#include <string.h>

#include "pci.h"

#define BAR_IO_SPACE		0x1	/* bit 0: I/O space indicator */
#define BAR_IO_ADDR_MASK	(~0x3u)	/* bit 1 reserved */
#define BAR_MEM_TYPE_32		0x0	/* bits 2:1 = 00: anywhere in 32-bit */
#define BAR_MEM_TYPE_64		0x4	/* bits 2:1 = 10: anywhere in 64-bit */
/* Where a 64-bit BAR may decode above 4 GiB: below this, which every
 * x86-64 CPU can address (Linux puts 64-bit BARs under its own limit). */
#define BAR_MEM64_LIMIT		(1ULL << 46)
#define BAR_MEM_ADDR_MASK	(~0xfu)	/* bit 3 prefetchable (0), type, 0 */
#define BAR_MEM_MIN		16	/* bits 3:0 are not address bits */
#define BAR_IO_MIN		4	/* bits 1:0 are not address bits */

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static uint32_t addr_mask(enum pci_bar_type type)
{
	return type == PCI_BAR_IO ? BAR_IO_ADDR_MASK : BAR_MEM_ADDR_MASK;
}

static uint32_t low_bits(enum pci_bar_type type)
{
	if (type == PCI_BAR_IO)
		return BAR_IO_SPACE;
	return type == PCI_BAR_MEM64 ? BAR_MEM_TYPE_64 : BAR_MEM_TYPE_32;
}

int pci_bar_add(struct pci_device *dev, unsigned int bar,
		enum pci_bar_type type, uint32_t size, io_handler_t fn,
		void *opaque)
{
	struct pci_bar *b;

	if (bar >= PCI_NUM_BARS || dev->bars[bar].type != PCI_BAR_NONE ||
	    (type == PCI_BAR_MEM64 && (bar + 1 >= PCI_NUM_BARS ||
				      dev->bars[bar + 1].type != PCI_BAR_NONE))) {
		err_set("%s: BAR %u is out of range or already in use",
			dev->name, bar);
		return -1;
	}
	if ((type != PCI_BAR_IO && type != PCI_BAR_MEM32 &&
	     type != PCI_BAR_MEM64) || !fn ||
	    !is_pow2(size) ||
	    size < (type == PCI_BAR_IO ? BAR_IO_MIN : BAR_MEM_MIN) ||
	    size > (type == PCI_BAR_IO ? PCI_IO_END - PCI_IO_START :
		    PCI_MMIO_END - PCI_MMIO_START)) {
		err_set("%s: BAR %u of %u bytes (%s) is not possible",
			dev->name, bar, size,
			type == PCI_BAR_IO ? "I/O" : "memory");
		return -1;
	}
	b = &dev->bars[bar];
	*b = (struct pci_bar){
		.type = type, .size = size, .fn = fn, .opaque = opaque,
	};
	pci_put_le32(dev->cfg + PCI_BAR0 + 4 * bar, low_bits(type));
	pci_put_le32(dev->wmask + PCI_BAR0 + 4 * bar, ~(size - 1) & addr_mask(type));
	if (type == PCI_BAR_MEM64) {
		/* The upper half: every bit is an address bit. */
		dev->bars[bar + 1] = (struct pci_bar){ .type = PCI_BAR_MEM64_HI };
		pci_put_le32(dev->cfg + PCI_BAR0 + 4 * (bar + 1), 0);
		pci_put_le32(dev->wmask + PCI_BAR0 + 4 * (bar + 1), ~0u);
	}
	return 0;
}

/* A BAR's address from its register(s), without the encoding bits. */
static uint64_t bar_addr(const struct pci_device *dev, unsigned int i)
{
	const struct pci_bar *b = &dev->bars[i];
	uint64_t addr = pci_get_le32(dev->cfg + PCI_BAR0 + 4 * i) &
			addr_mask(b->type);

	if (b->type == PCI_BAR_MEM64)
		addr |= (uint64_t)pci_get_le32(dev->cfg + PCI_BAR0 + 4 * (i + 1)) << 32;
	return addr;
}

/* Next naturally aligned [addr, addr + size) below limit, or -1. */
static int alloc(uint32_t *cursor, uint64_t limit, uint32_t size,
		 uint32_t *addr)
{
	uint64_t a = ((uint64_t)*cursor + size - 1) & ~(uint64_t)(size - 1);

	if (a + size > limit)
		return -1;
	*addr = (uint32_t)a;
	*cursor = (uint32_t)(a + size);
	return 0;
}

/*
 * Firmware would assign BARs before the OS runs; we are the firmware.
 * Linux keeps assignments that are decoded and do not conflict, so a
 * guest that never touches the BARs finds its devices here.
 */
int pci_bars_alloc(struct pci_bus *bus, struct pci_device *dev)
{
	unsigned int i;
	uint32_t addr;
	int ret;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];

		if (b->type == PCI_BAR_NONE || b->type == PCI_BAR_MEM64_HI)
			continue;
		if (b->type == PCI_BAR_IO)
			ret = alloc(&bus->next_io, PCI_IO_END, b->size, &addr);
		else
			ret = alloc(&bus->next_mmio, PCI_MMIO_END, b->size,
				    &addr);
		if (ret < 0) {
			err_set("%s: no room for BAR %u (%u bytes of %s space)",
				dev->name, i, b->size,
				b->type == PCI_BAR_IO ? "I/O" : "memory");
			return -1;
		}
		pci_put_le32(dev->cfg + PCI_BAR0 + 4 * i, addr | low_bits(b->type));
	}
	return 0;
}

static struct io_bus *bar_bus(struct pci_device *dev, const struct pci_bar *b)
{
	return b->type == PCI_BAR_IO ? &dev->vm->pio : &dev->vm->mmio;
}

/*
 * Decoded iff its space is on in COMMAND and the address can be real: 0
 * is "not assigned", and a range reaching past the port space or into
 * the IOAPIC/LAPIC/KVM pages above PCI_MMIO_END is not one we serve -
 * which also covers the all-ones a guest leaves while sizing with decode
 * on.
 */
static bool decodable(const struct pci_bar *b, uint16_t cmd, uint64_t addr)
{
	uint64_t end = addr + b->size;

	if (!addr)
		return false;
	if (b->type == PCI_BAR_IO)
		return (cmd & PCI_COMMAND_IO) && end <= PCI_IO_END;
	if (!(cmd & PCI_COMMAND_MEMORY))
		return false;
	/* A 64-bit BAR may also live above 4 GiB (over RAM, KVM never
	 * exits for it: the guest's own doing). */
	return end <= PCI_MMIO_END ||
	       (b->type == PCI_BAR_MEM64 && addr >= PCI_HOLE_END &&
		end <= BAR_MEM64_LIMIT);
}

static void bar_unmap(struct pci_device *dev, unsigned int i)
{
	struct pci_bar *b = &dev->bars[i];

	if (!b->mapped)
		return;
	if (io_bus_unregister(bar_bus(dev, b), b->addr) < 0)
		log_warn("%s BAR %u: %s", dev->name, i, err_msg());
	b->mapped = false;
	if (dev->ops && dev->ops->bar_update)
		dev->ops->bar_update(dev, i, b->addr, false);
}

/* (Un)map every BAR as COMMAND and the BAR registers say; returns how
 * many should be decoded but are not, and in *freed whether a range was
 * given up. */
static unsigned int bars_update(struct pci_device *dev, bool *freed)
{
	uint16_t cmd = (uint16_t)(dev->cfg[PCI_COMMAND] |
				  dev->cfg[PCI_COMMAND + 1] << 8);
	unsigned int i, failed = 0;

	/*
	 * Give up every range that moved or stopped first, then map: with
	 * several memory BARs (MSI-X in BAR1, the modern registers in BAR4)
	 * one BAR's new place may be where another of this device's BARs
	 * is leaving, and mapping in BAR order would leave it dark.
	 */
	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;

		if (b->type == PCI_BAR_NONE || b->type == PCI_BAR_MEM64_HI ||
		    !b->mapped)
			continue;
		addr = bar_addr(dev, i);
		if (!decodable(b, cmd, addr) || addr != b->addr) {
			bar_unmap(dev, i);
			*freed = true;
		}
	}
	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;
		bool want;

		if (b->type == PCI_BAR_NONE || b->type == PCI_BAR_MEM64_HI)
			continue;
		addr = bar_addr(dev, i);
		want = decodable(b, cmd, addr);
		b->addr = addr;
		b->dark = false;
		if (!want || b->mapped)
			continue;
		if (io_bus_register(bar_bus(dev, b), addr, b->size, b->fn,
				    b->opaque, dev->name) < 0) {
			/* The guest's choice: dark while the range is
			 * taken (see retry_dark()). */
			if (!b->clash_logged)
				log_debug(1, "%s BAR %u not decoded: %s",
					  dev->name, i, err_msg());
			b->clash_logged = true;
			b->dark = true;
			failed++;
			continue;
		}
		b->mapped = true;
		b->clash_logged = false;
		if (dev->ops && dev->ops->bar_update)
			dev->ops->bar_update(dev, i, addr, true);
	}
	return failed;
}

/*
 * dev gave up a range: a BAR of another device that was left dark because
 * it overlapped it may be decoded now.  Real devices decode their BARs
 * whatever else is there, so an overlap only lasts as long as the guest
 * keeps it - and a guest reprogramming BARs one register at a time makes
 * short ones.  Mapping never frees a range, so this does not cascade.
 * The caller holds bus->lock, so the slots cannot change, and every path
 * that holds two cfg_locks holds bus->lock first.
 */
static void retry_dark(struct pci_device *dev)
{
	struct pci_bus *bus = dev->vm->pci;
	unsigned int slot, i;
	bool freed = false;

	if (!bus)
		return;
	for (slot = 0; slot < PCI_MAX_DEVICES; slot++) {
		struct pci_device *other = bus->slots[slot];

		if (!other || other == dev)
			continue;
		for (i = 0; i < PCI_NUM_BARS && !other->bars[i].dark; i++)
			;
		if (i == PCI_NUM_BARS)
			continue;
		pthread_mutex_lock(&other->cfg_lock);
		bars_update(other, &freed);
		pthread_mutex_unlock(&other->cfg_lock);
	}
}

unsigned int pci_bars_update(struct pci_device *dev)
{
	bool freed = false;
	unsigned int failed = bars_update(dev, &freed);

	if (freed)
		retry_dark(dev);
	return failed;
}

void pci_bars_unmap(struct pci_device *dev)
{
	unsigned int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		dev->bars[i].dark = false;
		bar_unmap(dev, i);
	}
	retry_dark(dev);
}
