/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pci.h - interface of vmm/pci: a PCI host bridge on bus 0 reached through
 * configuration mechanism #1 (0xcf8/0xcfc), devices with a 256-byte
 * configuration space guarded by per-byte write masks, BARs that the guest
 * sizes and moves (decode gated by the command register), INTx routed
 * through the MP table to IOAPIC pins, and MSI-X routed into KVM.
 */
#ifndef LIGHTVM_PCI_H
#define LIGHTVM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../kvm/kvm.h"

#define PCI_MAX_DEVICES		32	/* bus 0, one function per slot */
#define PCI_CFG_SIZE		256
#define PCI_NUM_BARS		6

/* Standard header offsets (PCI Local Bus Spec 3.0, 6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CLASS_DEVICE	0x0a
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		0x1
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST	0x10
#define PCI_STATUS_INTERRUPT	0x08

#define PCI_CAP_ID_MSIX		0x11

struct pci_device;

enum pci_bar_type {
	PCI_BAR_NONE,
	PCI_BAR_IO,		/* I/O space */
	PCI_BAR_MEM32,		/* 32-bit, non-prefetchable memory */
};

struct pci_bar {
	enum pci_bar_type type;
	uint32_t size;			/* power of two, >= 16 (I/O: >= 4) */
	io_handler_t fn;		/* offset is relative to the BAR */
	void *opaque;
	uint32_t addr;			/* current base (what the guest set) */
	bool mapped;			/* registered on the pio/mmio bus now */
};

/*
 * What a device tells the PCI core.  All callbacks may be NULL.  They run
 * on the vCPU thread that made the access, under the device's cfg_lock.
 */
struct pci_device_ops {
	/* A BAR became decoded at `addr` (mapped) or stopped being decoded:
	 * the place to (de)assign ioeventfds that live inside it. */
	void (*bar_update)(struct pci_device *dev, unsigned int bar,
			   uint32_t addr, bool mapped);
	/* The guest wrote [off, off+len) of configuration space. */
	void (*config_written)(struct pci_device *dev, unsigned int off,
			       unsigned int len);
	/* MSI-X was enabled or disabled, or the function mask changed. */
	void (*msix_update)(struct pci_device *dev, bool enabled);
};

struct msix_vector {
	uint32_t gsi;			/* KVM GSI carrying this vector */
	int irqfd;			/* eventfd bound to gsi with KVM_IRQFD */
	bool pending;			/* PBA bit: fired while masked */
};

struct msix {
	unsigned int nr;		/* table size, 1..2048 */
	unsigned int bar;		/* BAR holding table (offset 0) + PBA */
	uint32_t pba_offset;		/* within the BAR */
	uint8_t cap;			/* config offset of the capability */
	uint8_t *table;			/* nr * 16 bytes, guest-visible */
	struct msix_vector *v;
	bool enabled, func_masked;
};

struct pci_device {
	struct vm *vm;
	const char *name;
	const struct pci_device_ops *ops;
	void *priv;			/* the device model's own state */
	unsigned int slot;		/* bus 0, function 0 */

	pthread_mutex_t cfg_lock;	/* config space, BARs, MSI-X state */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE];	/* bits a guest 1 clears (status) */
	struct pci_bar bars[PCI_NUM_BARS];
	uint8_t next_cap;		/* where the next capability goes */

	uint8_t irq_pin;		/* 1 = INTA */
	uint32_t irq_gsi;		/* IOAPIC pin / GSI for INTx */
	int intx_level;
	struct msix msix;
};

/* pci.c: the bus, the host bridge at 00:00.0, config mechanism #1. */
int pci_init(struct vm *vm);
void pci_destroy(struct vm *vm);

/*
 * Build a device: fill IDs and class, then add BARs and capabilities, then
 * register it (which assigns a slot, an INTx GSI, and initial BAR
 * addresses the guest may change).
 */
void pci_device_init(struct pci_device *dev, struct vm *vm, const char *name,
		     uint16_t vendor, uint16_t device, uint32_t class_code,
		     uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id,
		     const struct pci_device_ops *ops, void *priv);
int pci_bar_add(struct pci_device *dev, unsigned int bar,
		enum pci_bar_type type, uint32_t size, io_handler_t fn,
		void *opaque);
int pci_device_register(struct pci_device *dev);
void pci_device_unregister(struct pci_device *dev);

/* INTx: assert or deassert the device's line (KVM_IRQ_LINE). */
void pci_intx_set(struct pci_device *dev, int level);

/* msix.c: an MSI-X capability whose table (at offset 0) and PBA live in
 * BAR `bar`, which the device must not also use for anything else. */
int pci_msix_init(struct pci_device *dev, unsigned int nr_vectors,
		  unsigned int bar);
/* Raise vector v: through its irqfd, or into the PBA while masked.  Safe
 * from any thread.  Returns false if v is out of range or MSI-X is off. */
bool pci_msix_notify(struct pci_device *dev, unsigned int v);
bool pci_msix_enabled(struct pci_device *dev);
void pci_msix_destroy(struct pci_device *dev);

/* pvpanic.c: the QEMU pvpanic PCI device (1b36:0011). */
int pvpanic_pci_init(struct vm *vm);

#endif
