// SPDX-License-Identifier: GPL-2.0
/*
 * pci - PCI bus 0 as a guest sees it through mechanism #1: the host bridge
 * at 00:00.0, the pvpanic device, all-ones from what is not there, BAR
 * sizing and relocation with decode following the command register, and
 * well-formed capability lists.
 *
 *   pvpanic=1   instead: write PANICKED to pvpanic's BAR 0; lightvm must
 *               stop with 120 before the next instruction
 *
 * Statuses: 1 host bridge, 2 no pvpanic device, 3 absent reads, 4 BAR
 * sizing, 5 BAR contents/MMIO, 6 decode gating or relocation, 7 capability
 * list, 8 still running after the pvpanic write.
 */
#include "runtime.h"

const char test_name[] = "pci";

#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CLASS_REVISION	0x08
#define PCI_BAR0		0x10
#define PCI_CAPABILITY_LIST	0x34
#define PCI_COMMAND_IO		0x1
#define PCI_COMMAND_MEMORY	0x2
#define PCI_STATUS_CAP_LIST	0x10

#define PVPANIC_ID		0x00111b36	/* device << 16 | vendor */
#define PVPANIC_PANICKED	1

static uint8_t mmio_read8(uint64_t addr)
{
	return *(volatile uint8_t *)phys_to_virt(addr);
}

static void mmio_write8(uint64_t addr, uint8_t v)
{
	*(volatile uint8_t *)phys_to_virt(addr) = v;
}

/* Slot of the first device with this ID on bus 0, or -1. */
static int find(uint32_t id)
{
	unsigned int dev;

	for (dev = 0; dev < 32; dev++)
		if (pci_read32(0, dev, 0, 0) == id)
			return (int)dev;
	return -1;
}

static int list_bus0(void)
{
	unsigned int dev, n = 0;

	for (dev = 0; dev < 32; dev++) {
		uint32_t id = pci_read32(0, dev, 0, 0);

		if (id == 0xffffffff)
			continue;
		printf("pci 00:%02x.0 %04x:%04x class %06x\n", dev,
		       id & 0xffff, id >> 16,
		       pci_read32(0, dev, 0, PCI_CLASS_REVISION) >> 8);
		n++;
	}
	return (int)n;
}

static int check_bridge(void)
{
	uint32_t class = pci_read32(0, 0, 0, PCI_CLASS_REVISION);

	if (pci_read32(0, 0, 0, 0) != 0x12378086 || class >> 16 != 0x0600) {
		printf("00:00.0 is %08x class %06x, not a host bridge\n",
		       pci_read32(0, 0, 0, 0), class >> 8);
		return 1;
	}
	/* the same bytes through byte and word accesses */
	if (pci_read16(0, 0, 0, 0) != 0x8086 ||
	    pci_read16(0, 0, 0, 2) != 0x1237 || pci_read8(0, 0, 0, 1) != 0x80 || pci_read8(0, 0, 0, 3) != 0x12 ||
	    pci_read8(0, 0, 0, 0x0b) != 0x06) {
		printf("host bridge: narrow reads disagree\n");
		return 1;
	}
	return 0;
}

static int check_absent(void)
{
	unsigned int dev;
	int empty = -1;

	for (dev = 1; dev < 32; dev++)
		if ((pci_read16(0, dev, 0, 0)) == 0xffff) {
			empty = (int)dev;
			break;
		}
	if (empty < 0 || pci_read32(0, (unsigned int)empty, 0, 0x3c) !=
	    0xffffffff) {
		printf("no empty slot reading all-ones\n");
		return 3;
	}
	if (pci_read32(0, 0, 1, 0) != 0xffffffff ||
	    pci_read32(0, 0, 7, 0) != 0xffffffff ||
	    pci_read32(1, 0, 0, 0) != 0xffffffff ||
	    pci_read8(2, 3, 0, 0) != 0xff) {
		printf("functions 1-7 or bus 1 do not read all-ones\n");
		return 3;
	}
	printf("slot %d, functions 1-7 and bus 1 read all-ones\n", empty);
	return 0;
}

/* The sizing dance Linux does: decode off, all-ones, read, restore. */
static int check_sizing(unsigned int dev)
{
	uint16_t cmd = pci_read16(0, dev, 0, PCI_COMMAND);
	uint32_t orig = pci_read32(0, dev, 0, PCI_BAR0), mask, size;

	pci_write16(0, dev, 0, PCI_COMMAND,
		    cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	pci_write32(0, dev, 0, PCI_BAR0, 0xffffffff);
	mask = pci_read32(0, dev, 0, PCI_BAR0);
	pci_write32(0, dev, 0, PCI_BAR0, orig);
	/* BAR 1 is unused: it reads 0 whatever is written */
	pci_write32(0, dev, 0, PCI_BAR0 + 4, 0xffffffff);
	if (pci_read32(0, dev, 0, PCI_BAR0 + 4) != 0) {
		printf("unused BAR 1 reads %08x\n",
		       pci_read32(0, dev, 0, PCI_BAR0 + 4));
		return 4;
	}
	pci_write16(0, dev, 0, PCI_COMMAND, cmd);

	size = ~(mask & ~0xfu) + 1;
	printf("BAR 0 at %08x, sizing reads %08x: %u bytes of memory\n", orig,
	       mask, size);
	if ((mask & 0xf) != 0 || size != 16) {
		printf("BAR 0: expected a 16-byte 32-bit memory BAR\n");
		return 4;
	}
	if (pci_read32(0, dev, 0, PCI_BAR0) != orig ||
	    pci_read16(0, dev, 0, PCI_COMMAND) != cmd) {
		printf("BAR 0 or COMMAND not restored\n");
		return 4;
	}
	return 0;
}

/* pvpanic's byte 0 is its capability mask (PANICKED | CRASH_LOADED). */
static int check_decode(unsigned int dev)
{
	uint16_t cmd = pci_read16(0, dev, 0, PCI_COMMAND);
	uint32_t base = pci_read32(0, dev, 0, PCI_BAR0) & ~0xfu;
	uint32_t moved = base + 0x100000;
	uint8_t v;

	if (!(cmd & PCI_COMMAND_MEMORY) || !base || mmio_read8(base) != 3) {
		printf("pvpanic BAR at %08x (command %04x) reads %02x, not 03\n",
		       base, cmd, mmio_read8(base));
		return 5;
	}
	pci_write16(0, dev, 0, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	v = mmio_read8(base);
	pci_write16(0, dev, 0, PCI_COMMAND, cmd);
	if (v != 0xff) {
		printf("memory decode off, the BAR still reads %02x\n", v);
		return 6;
	}
	pci_write32(0, dev, 0, PCI_BAR0, moved);
	if (mmio_read8(moved) != 3 || mmio_read8(base) != 0xff) {
		printf("BAR moved to %08x: new reads %02x, old %02x\n", moved,
		       mmio_read8(moved), mmio_read8(base));
		return 6;
	}
	pci_write32(0, dev, 0, PCI_BAR0, base);
	if (mmio_read8(base) != 3) {
		printf("BAR moved back: reads %02x\n", mmio_read8(base));
		return 6;
	}
	printf("BAR 0 decodes per COMMAND and follows relocation\n");
	return 0;
}

/* Every list: pointers dword-aligned above the header, no cycle. */
static int check_caps(void)
{
	unsigned int dev, n, total = 0;
	uint8_t ptr;

	for (dev = 0; dev < 32; dev++) {
		if (pci_read16(0, dev, 0, 0) == 0xffff ||
		    !(pci_read16(0, dev, 0, PCI_STATUS) & PCI_STATUS_CAP_LIST))
			continue;
		n = 0;
		for (ptr = pci_read8(0, dev, 0, PCI_CAPABILITY_LIST); ptr;
		     ptr = pci_read8(0, dev, 0, ptr + 1)) {
			if (ptr < 0x40 || (ptr & 3) || ++n > 48) {
				printf("00:%02x.0: bad capability pointer %02x\n",
				       dev, ptr);
				return 7;
			}
			printf("00:%02x.0: capability %02x at %02x\n", dev,
			       pci_read8(0, dev, 0, ptr), ptr);
		}
		total += n;
	}
	printf("%u capabilities, lists well formed\n", total);
	return 0;
}

static int pvpanic_write(unsigned int dev)
{
	uint32_t base = pci_read32(0, dev, 0, PCI_BAR0) & ~0xfu;

	printf("writing PANICKED to pvpanic at %08x\n", base);
	mmio_write8(base, PVPANIC_PANICKED);
	printf("still running after the pvpanic write\n");
	return 8;
}

int test_main(void)
{
	uint64_t pvpanic = 0;
	int dev, ret;

	printf("%d devices on bus 0\n", list_bus0());
	ret = check_bridge();
	if (ret)
		return ret;
	dev = find(PVPANIC_ID);
	if (dev < 0) {
		printf("no pvpanic device (1b36:0011)\n");
		return 2;
	}
	if (cmdline_get_uint("pvpanic", &pvpanic) && pvpanic)
		return pvpanic_write((unsigned int)dev);
	if ((ret = check_absent()) || (ret = check_sizing((unsigned int)dev)) ||
	    (ret = check_decode((unsigned int)dev)) || (ret = check_caps()))
		return ret;
	printf("pci: all checks passed\n");
	return 0;
}
