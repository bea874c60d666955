// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - a device's 256-byte configuration space: the type 0 header,
 * the capability list, and what a guest write may change.
 *
 * Every byte has a write mask (bits the guest may set or clear) and a
 * write-1-to-clear mask (status bits a guest 1 clears).  A write is
 *
 *	new = (old & ~wmask) | (val & wmask);  new &= ~(val & w1cmask);
 *
 * applied byte by byte, so a byte, word or dword access at any offset
 * means the same thing.  Read-only is simply wmask 0: IDs, class, header
 * type, the capability pointer and capability IDs and links.  What a
 * write then sets off (BAR decode, INTx, MSI-X) follows the new bytes.
 */
#include <string.h>

#include "pci.h"

#define PCI_STATUS_ERRORS	0xf900	/* bits 15..11 and 8: RW1C */
#define PCI_CAP_START		0x40	/* first byte after the header */
#define PCI_BAR_AREA		(PCI_NUM_BARS * 4)

/*
 * The header bits a guest may write (PCI Local Bus 3.0, 6.2).  Anything
 * not listed is read-only: vendor/device IDs, revision and class, header
 * type, BIST (not capable), CardBus CIS, subsystem IDs, the expansion ROM
 * BAR (none: it reads 0, so sizing it finds nothing), the capability
 * pointer, interrupt pin, Min_Gnt/Max_Lat.  BARs get their masks from
 * pci_bar_add(), capability bodies from their owner.
 */
static const struct {
	uint8_t off;
	uint8_t wmask;
	uint8_t w1cmask;
} header_masks[] = {
	/* COMMAND: I/O space, memory space, bus master... */
	{ PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		       PCI_COMMAND_MASTER, 0 },
	/* ...and interrupt disable (bit 10) */
	{ PCI_COMMAND + 1, PCI_COMMAND_INTX_DISABLE >> 8, 0 },
	/* STATUS: the error bits are "set by the device, cleared by writing
	 * a 1"; INTERRUPT and CAP_LIST are read-only. */
	{ PCI_STATUS, 0, PCI_STATUS_ERRORS & 0xff },
	{ PCI_STATUS + 1, 0, PCI_STATUS_ERRORS >> 8 },
	/* "This read/write register specifies the system cacheline size" */
	{ PCI_CACHE_LINE_SIZE, 0xff, 0 },
	/* Interrupt Line: scratch for software, the device ignores it. */
	{ PCI_INTERRUPT_LINE, 0xff, 0 },
};

void pci_device_init(struct pci_device *dev, struct vm *vm, const char *name,
		     uint16_t vendor, uint16_t device, uint32_t class_code,
		     uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id,
		     const struct pci_device_ops *ops, void *priv)
{
	pthread_mutexattr_t attr;
	unsigned int i;

	memset(dev, 0, sizeof(*dev));
	dev->vm = vm;
	dev->name = name;
	dev->ops = ops;
	dev->priv = priv;
	dev->irq_pin = 1;
	dev->next_cap = PCI_CAP_START;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&dev->cfg_lock, &attr);
	pthread_mutexattr_destroy(&attr);

	pci_put_le16(dev->cfg + PCI_VENDOR_ID, vendor);
	pci_put_le16(dev->cfg + PCI_DEVICE_ID, device);
	dev->cfg[PCI_REVISION_ID] = revision;
	dev->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	pci_put_le16(dev->cfg + PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
	dev->cfg[PCI_HEADER_TYPE] = 0;	/* type 0, single function */
	pci_put_le16(dev->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_put_le16(dev->cfg + PCI_SUBSYSTEM_ID, subsys_id);
	pci_put_le16(dev->cfg + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

	for (i = 0; i < sizeof(header_masks) / sizeof(header_masks[0]); i++) {
		dev->wmask[header_masks[i].off] = header_masks[i].wmask;
		dev->w1cmask[header_masks[i].off] = header_masks[i].w1cmask;
	}
}

int pci_cap_add(struct pci_device *dev, uint8_t id, unsigned int len)
{
	unsigned int off = dev->next_cap, prev, end;

	/* The low two bits of every capability pointer are reserved (6.7):
	 * capabilities start on a dword, above the header. */
	off = (off + 3) & ~3u;
	if (len < 2 || off < PCI_CAP_START || off + len > PCI_CFG_SIZE) {
		err_set("%s: no room for a %u-byte capability 0x%02x",
			dev->name, len, id);
		return -1;
	}
	memset(dev->cfg + off, 0, len);
	memset(dev->wmask + off, 0, len);
	memset(dev->w1cmask + off, 0, len);
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;		/* end of the list */

	/* Append: the list order is the order devices added them. */
	if (!dev->cfg[PCI_CAPABILITY_LIST]) {
		dev->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	} else {
		prev = dev->cfg[PCI_CAPABILITY_LIST];
		while (dev->cfg[prev + 1])
			prev = dev->cfg[prev + 1];
		dev->cfg[prev + 1] = (uint8_t)off;
	}
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	end = (off + len + 3) & ~3u;
	dev->next_cap = end < PCI_CFG_SIZE ? (uint8_t)end : 0; /* 0: full */
	return (int)off;
}

void pci_config_read(struct pci_device *dev, unsigned int off, uint8_t *data,
		     unsigned int len)
{
	unsigned int i;

	pthread_mutex_lock(&dev->cfg_lock);
	for (i = 0; i < len; i++)
		data[i] = off + i < PCI_CFG_SIZE ? dev->cfg[off + i] : 0xff;
	pthread_mutex_unlock(&dev->cfg_lock);
}

static bool overlaps(unsigned int off, unsigned int len, unsigned int start,
		     unsigned int size)
{
	return off < start + size && start < off + len;
}

void pci_config_write(struct pci_device *dev, unsigned int off,
		      const uint8_t *data, unsigned int len)
{
	uint16_t old_cmd, cmd;
	unsigned int i;

	if (off >= PCI_CFG_SIZE)
		return;
	if (len > PCI_CFG_SIZE - off)
		len = PCI_CFG_SIZE - off;

	pthread_mutex_lock(&dev->cfg_lock);
	old_cmd = pci_get_le16(dev->cfg + PCI_COMMAND);
	for (i = 0; i < len; i++) {
		uint8_t *b = &dev->cfg[off + i];
		uint8_t wm = dev->wmask[off + i];

		*b = (uint8_t)((*b & ~wm) | (data[i] & wm));
		*b &= (uint8_t)~(data[i] & dev->w1cmask[off + i]);
	}
	cmd = pci_get_le16(dev->cfg + PCI_COMMAND);

	/* COMMAND bits 0 and 1 (6.2.2): "A value of 0 disables the device
	 * response."  Decode follows COMMAND and the BAR registers. */
	if ((cmd ^ old_cmd) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY) ||
	    overlaps(off, len, PCI_BAR0, PCI_BAR_AREA))
		pci_bars_update(dev);
	if ((cmd ^ old_cmd) & PCI_COMMAND_INTX_DISABLE)
		pci_intx_update(dev);
	if (dev->msix.table && overlaps(off, len, dev->msix.cap, 4))
		pci_msix_config_written(dev);
	if (dev->ops && dev->ops->config_written)
		dev->ops->config_written(dev, off, len);
	pthread_mutex_unlock(&dev->cfg_lock);
}
