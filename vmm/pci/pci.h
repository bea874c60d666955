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
#define PCI_CACHE_LINE_SIZE	0x0c
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
#define PCI_CAP_ID_VNDR		0x09	/* vendor specific */

struct pci_device;

enum pci_bar_type {
	PCI_BAR_NONE,
	PCI_BAR_IO,		/* I/O space */
	PCI_BAR_MEM32,		/* 32-bit, non-prefetchable memory */
	PCI_BAR_MEM64,		/* 64-bit, non-prefetchable: two registers */
	PCI_BAR_MEM64_HI,	/* the upper half of the BAR before it */
};

struct pci_bar {
	enum pci_bar_type type;
	uint32_t size;			/* power of two, >= 16 (I/O: >= 4) */
	io_handler_t fn;		/* offset is relative to the BAR */
	void *opaque;
	uint64_t addr;			/* current base (what the guest set) */
	bool mapped;			/* registered on the pio/mmio bus now */
	bool clash_logged;		/* said once that addr overlaps */
	bool dark;			/* to be decoded, but the range is
					 * taken: retried when one frees up */
};

/*
 * What a device tells the PCI core.  All callbacks may be NULL.  They run
 * on the vCPU thread that made the access, under the device's cfg_lock
 * (a recursive mutex: a callback may call pci_intx_set(), pci_msix_*()
 * and pci_config_*() on its own device).  A callback must not wait for
 * another thread that may itself take cfg_lock, e.g. an I/O thread in
 * pci_intx_set(); pci_msix_notify() takes no lock.
 */
struct pci_device_ops {
	/* A BAR became decoded at `addr` (mapped) or stopped being decoded:
	 * the place to (de)assign ioeventfds that live inside it. */
	void (*bar_update)(struct pci_device *dev, unsigned int bar,
			   uint64_t addr, bool mapped);
	/* The guest wrote [off, off+len) of configuration space. */
	void (*config_written)(struct pci_device *dev, unsigned int off,
			       unsigned int len);
	/* MSI-X was enabled or disabled, or the function mask or a
	 * vector's mask changed. */
	void (*msix_update)(struct pci_device *dev, bool enabled);
	/* A config access to the dword at dev->window (if set): served
	 * here instead of from cfg[], with the bus lock held but not
	 * cfg_lock, so it may reach the device's BARs' handlers. */
	void (*config_window)(struct pci_device *dev, unsigned int off,
			      uint8_t *data, unsigned int len, bool is_write);
	/* pci_destroy() is done with the device (it is unregistered and its
	 * MSI-X state freed): free it.  Devices freed by their owner before
	 * pci_destroy() must pci_device_unregister() first instead. */
	void (*release)(struct pci_device *dev);
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
	uint8_t window;			/* dword for config_window, 0: none */

	uint8_t irq_pin;		/* 1 = INTA (default), 0 = no INTx */
	uint32_t irq_gsi;		/* IOAPIC pin / GSI for INTx */
	int intx_level;			/* what the device asks for */
	bool intx_asserted;		/* what the IOAPIC pin sees now */
	struct msix msix;
};

/* Configuration space and BAR contents are little-endian byte arrays. */
static inline uint16_t pci_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void pci_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline uint32_t pci_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void pci_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* pci.c: the bus, the host bridge at 00:00.0, config mechanism #1. */
int pci_init(struct vm *vm);
void pci_destroy(struct vm *vm);

/*
 * Build a device: fill IDs and class, then add BARs and capabilities, then
 * register it (which assigns a slot, an INTx GSI, and initial BAR
 * addresses the guest may change).  pci_device_init() asks for INTA
 * (irq_pin = 1); a device without INTx sets irq_pin = 0 before
 * registering.  COMMAND starts with I/O and memory decode on, so BARs are
 * live at their initial addresses.
 */
void pci_device_init(struct pci_device *dev, struct vm *vm, const char *name,
		     uint16_t vendor, uint16_t device, uint32_t class_code,
		     uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id,
		     const struct pci_device_ops *ops, void *priv);
/* A 64-bit BAR also takes register bar + 1.  It starts below 4 GiB; the
 * guest may move it anywhere above the top of RAM too. */
int pci_bar_add(struct pci_device *dev, unsigned int bar,
		enum pci_bar_type type, uint32_t size, io_handler_t fn,
		void *opaque);
int pci_device_register(struct pci_device *dev);
void pci_device_unregister(struct pci_device *dev);

/*
 * Add a capability of `len` bytes (ID and next pointer included) to the
 * list; returns its offset in configuration space, or -1 if it does not
 * fit.  The body is read-only until the caller opens bits in dev->wmask.
 * Before registering, or under cfg_lock.
 */
int pci_cap_add(struct pci_device *dev, uint8_t id, unsigned int len);

/* Configuration space as the guest sees it (masks, side effects and all);
 * takes cfg_lock.  Out-of-range bytes read as all-ones.  A write may move
 * BARs, so its caller holds the bus lock (mechanism #1 does). */
void pci_config_read(struct pci_device *dev, unsigned int off, uint8_t *data,
		     unsigned int len);
void pci_config_write(struct pci_device *dev, unsigned int off,
		      const uint8_t *data, unsigned int len);

/* INTx: assert or deassert the device's line (KVM_IRQ_LINE). */
void pci_intx_set(struct pci_device *dev, int level);

/* msix.c: an MSI-X capability whose table (at offset 0) and PBA live in
 * BAR `bar`, which the device must not also use for anything else.  Call
 * before pci_device_register().  Every vector gets a GSI and an eventfd
 * bound to it with KVM_IRQFD; vectors start masked, MSI-X disabled. */
int pci_msix_init(struct pci_device *dev, unsigned int nr_vectors,
		  unsigned int bar);
/* Raise vector v: through its irqfd, or into the PBA while masked.  Safe
 * from any thread.  Returns false if v is out of range or MSI-X is off. */
bool pci_msix_notify(struct pci_device *dev, unsigned int v);
bool pci_msix_enabled(struct pci_device *dev);
/* The irqfd of vector v while it is deliverable (MSI-X on, neither the
 * function nor the vector masked), else -1: whoever writes it interrupts
 * the guest directly, so hand it out only while this says so - the
 * msix_update hook runs whenever the answer may have changed. */
int pci_msix_vector_fd(struct pci_device *dev, unsigned int v);
/* Unbind and free the vectors; a no-op the second time (pci_destroy()
 * calls it for every device still registered). */
void pci_msix_destroy(struct pci_device *dev);

/* pvpanic.c: the QEMU pvpanic PCI device (1b36:0011). */
int pvpanic_pci_init(struct vm *vm);

/*
 * ---- between the files of vmm/pci; device models do not use these ----
 */

/* I/O BARs are placed from PCI_IO_START, above the legacy PC ports, up
 * to the end of x86 port space; memory BARs in the 32-bit hole from
 * PCI_MMIO_START to PCI_MMIO_END (kvm.h). */
#define PCI_IO_START		0xc000u
#define PCI_IO_END		0x10000u

/* The bus behind vm->pci. */
struct pci_bus {
	struct vm *vm;
	pthread_mutex_t lock;		/* slots[] and config_address */
	uint32_t config_address;	/* the CONFIG_ADDRESS latch at 0xcf8 */
	struct pci_device *slots[PCI_MAX_DEVICES];
	struct pci_device bridge;	/* 00:00.0 */
	uint32_t next_io, next_mmio;	/* BAR allocation cursors */
};

/* bar.c; the bus lock and cfg_lock held.  pci_bars_update() (un)maps
 * every BAR as COMMAND and the BAR registers now say, and returns how
 * many BARs should be decoded but could not be mapped.  Both, when they
 * give up a range, map other devices' BARs that were dark because they
 * overlapped it (taking those devices' cfg_locks). */
int pci_bars_alloc(struct pci_bus *bus, struct pci_device *dev);
unsigned int pci_bars_update(struct pci_device *dev);
void pci_bars_unmap(struct pci_device *dev);

/* intx.c; cfg_lock held. */
int pci_intx_route(struct pci_device *dev);
void pci_intx_unroute(struct pci_device *dev);
void pci_intx_update(struct pci_device *dev);

/* msix.c; cfg_lock held: the guest wrote the MSI-X capability. */
void pci_msix_config_written(struct pci_device *dev);

#endif
