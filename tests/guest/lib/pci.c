// SPDX-License-Identifier: GPL-2.0
/*
 * pci.c - PCI configuration space through mechanism #1: write the address
 * to 0xcf8, then access the dword window at 0xcfc.  The two steps must not
 * interleave between CPUs, hence the lock.
 */
#include "runtime.h"

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_CONFIG_ENABLE	0x80000000u

static struct spinlock pci_lock;

static void select_reg(unsigned int bus, unsigned int dev, unsigned int fn,
		       unsigned int off)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | (bus & 0xff) << 16 |
	     (dev & 0x1f) << 11 | (fn & 0x7) << 8 | (off & 0xfc));
}

uint8_t pci_read8(unsigned int bus, unsigned int dev, unsigned int fn,
		  unsigned int off)
{
	uint8_t v;

	spin_lock(&pci_lock);
	select_reg(bus, dev, fn, off);
	v = inb(PCI_CONFIG_DATA + (off & 3));
	spin_unlock(&pci_lock);
	return v;
}

uint16_t pci_read16(unsigned int bus, unsigned int dev, unsigned int fn,
		    unsigned int off)
{
	uint16_t v;

	spin_lock(&pci_lock);
	select_reg(bus, dev, fn, off);
	v = inw(PCI_CONFIG_DATA + (off & 2));
	spin_unlock(&pci_lock);
	return v;
}

uint32_t pci_read32(unsigned int bus, unsigned int dev, unsigned int fn,
		    unsigned int off)
{
	uint32_t v;

	spin_lock(&pci_lock);
	select_reg(bus, dev, fn, off);
	v = inl(PCI_CONFIG_DATA);
	spin_unlock(&pci_lock);
	return v;
}

void pci_write8(unsigned int bus, unsigned int dev, unsigned int fn,
		unsigned int off, uint8_t v)
{
	spin_lock(&pci_lock);
	select_reg(bus, dev, fn, off);
	outb(PCI_CONFIG_DATA + (off & 3), v);
	spin_unlock(&pci_lock);
}

void pci_write16(unsigned int bus, unsigned int dev, unsigned int fn,
		 unsigned int off, uint16_t v)
{
	spin_lock(&pci_lock);
	select_reg(bus, dev, fn, off);
	outw(PCI_CONFIG_DATA + (off & 2), v);
	spin_unlock(&pci_lock);
}

void pci_write32(unsigned int bus, unsigned int dev, unsigned int fn,
		 unsigned int off, uint32_t v)
{
	spin_lock(&pci_lock);
	select_reg(bus, dev, fn, off);
	outl(PCI_CONFIG_DATA, v);
	spin_unlock(&pci_lock);
}
