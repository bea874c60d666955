// SPDX-License-Identifier: GPL-2.0
/*
 * msix.c - MSI-X (PCI Local Bus 3.0, 6.8.2): the capability, the vector
 * table and Pending Bit Array in a memory BAR of their own, and delivery
 * of each vector through an eventfd bound to its own KVM GSI (irqfd).
 *
 * Each vector owns an MSI route in KVM's table.  Its invariant: whenever a
 * vector can be delivered (MSI-X enabled, function and vector unmasked),
 * KVM's route holds the address and data in the vector's table entry.  So
 * the route is pushed when a vector becomes deliverable (before it does)
 * and when the guest rewrites a deliverable entry; a masked entry may be
 * rewritten freely, which is what Linux does (mask, write, unmask).
 *
 * pci_msix_notify() runs on device threads without a lock: it reads the
 * enable and mask state atomically and writes the eventfd, or sets the
 * pending bit.  A guest unmask and a notify can cross; the unmasker looks
 * at the pending bit after unmasking, the notifier at the mask after
 * setting the pending bit (both sequentially consistent), so at least one
 * of them sees the other and exactly one - the one that clears the bit -
 * fires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci.h"

/* The capability: ID, next, Message Control, Table and PBA offset/BIR. */
#define MSIX_CAP_LEN		12
#define MSIX_CTRL		2
#define MSIX_TABLE		4
#define MSIX_PBA		8
#define MSIX_CTRL_TABLE_SIZE	0x07ff	/* N - 1, read-only */
#define MSIX_CTRL_MASKALL	0x4000	/* Function Mask */
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_MAX_VECTORS	2048

/* A table entry: message address low/high, message data, vector control. */
#define ENTRY_SIZE		16
#define ENTRY_ADDR_LO		0
#define ENTRY_ADDR_HI		4
#define ENTRY_DATA		8
#define ENTRY_CTRL		12
#define ENTRY_CTRL_MASKED	0x1

/* Table and PBA share one naturally aligned 4 KiB range at least. */
#define MSIX_BAR_MIN		4096

#define ld(p)		__atomic_load_n(p, __ATOMIC_SEQ_CST)
#define st(p, v)	__atomic_store_n(p, v, __ATOMIC_SEQ_CST)

static uint32_t table_size(const struct msix *m)
{
	return m->nr * ENTRY_SIZE;
}

static uint32_t pba_size(const struct msix *m)
{
	return (m->nr + 63) / 64 * 8;	/* whole qwords */
}

/* Vector control is the one word notify() reads: always atomically.  The
 * table is calloc'ed, so every entry word is naturally aligned. */
static uint32_t *ctrl_word(struct msix *m, unsigned int v)
{
	return (uint32_t *)(void *)(m->table + v * ENTRY_SIZE + ENTRY_CTRL);
}

static bool vector_masked(struct msix *m, unsigned int v)
{
	return ld(ctrl_word(m, v)) & ENTRY_CTRL_MASKED;
}

static bool function_open(struct msix *m)
{
	return ld(&m->enabled) && !ld(&m->func_masked);
}

static bool deliverable(struct msix *m, unsigned int v)
{
	return function_open(m) && !vector_masked(m, v);
}

static void fire(struct pci_device *dev, unsigned int v)
{
	uint64_t one = 1;

	if (write(dev->msix.v[v].irqfd, &one, sizeof(one)) != sizeof(one))
		log_debug(1, "%s MSI-X vector %u: eventfd write: %s",
			  dev->name, v, strerror(errno));
}

static void fire_pending(struct pci_device *dev, unsigned int v)
{
	struct msix *m = &dev->msix;

	if (deliverable(m, v) &&
	    __atomic_exchange_n(&m->v[v].pending, false, __ATOMIC_SEQ_CST))
		fire(dev, v);
}

/* Make KVM's route for v what the table says.  A host failure here would
 * leave the vector firing at a stale address: stop the VM instead. */
static void route_sync(struct pci_device *dev, unsigned int v)
{
	const uint8_t *e = dev->msix.table + v * ENTRY_SIZE;
	uint64_t addr = (uint64_t)pci_get_le32(e + ENTRY_ADDR_HI) << 32 |
			pci_get_le32(e + ENTRY_ADDR_LO);

	if (irq_msi_route_set(dev->vm, dev->msix.v[v].gsi, addr,
			      pci_get_le32(e + ENTRY_DATA)) < 0)
		vm_request_stop(dev->vm, EXIT_VMM_ERROR,
				"%s MSI-X vector %u: %s", dev->name, v,
				err_msg());
}

bool pci_msix_notify(struct pci_device *dev, unsigned int v)
{
	struct msix *m = &dev->msix;

	if (!m->table || v >= m->nr || !ld(&m->enabled))
		return false;
	if (deliverable(m, v)) {
		fire(dev, v);
		return true;
	}
	/* Masked: the message waits as a Pending bit until unmasked. */
	st(&m->v[v].pending, true);
	fire_pending(dev, v);		/* unmasked meanwhile? */
	return true;
}

int pci_msix_vector_fd(struct pci_device *dev, unsigned int v)
{
	struct msix *m = &dev->msix;

	if (!m->table || v >= m->nr || !deliverable(m, v))
		return -1;
	return m->v[v].irqfd;
}

bool pci_msix_enabled(struct pci_device *dev)
{
	return dev->msix.table && ld(&dev->msix.enabled);
}

/* A guest dword write into the table; cfg_lock held. */
static void entry_write(struct pci_device *dev, unsigned int v,
			unsigned int word, uint32_t val)
{
	struct msix *m = &dev->msix;
	bool mask, was;

	if (word != ENTRY_CTRL) {
		pci_put_le32(m->table + v * ENTRY_SIZE + word, val);
		/* Rewriting a live entry is undefined by the spec; still,
		 * never leave KVM pointing at the old address. */
		if (deliverable(m, v))
			route_sync(dev, v);
		return;
	}
	/* Bits 31:1 are reserved: read-only 0 here. */
	mask = val & ENTRY_CTRL_MASKED;
	was = vector_masked(m, v);
	if (!mask && function_open(m))
		route_sync(dev, v);
	st(ctrl_word(m, v), mask ? ENTRY_CTRL_MASKED : 0u);
	if (!mask)
		fire_pending(dev, v);
	/* A device that handed the vector's irqfd to someone else (a
	 * vhost-user backend) must take it back while it is masked. */
	if (mask != was && dev->ops && dev->ops->msix_update)
		dev->ops->msix_update(dev, ld(&m->enabled));
}

/*
 * "For all accesses to MSI-X Table and MSI-X PBA fields, software must
 * use aligned full DWORD or aligned full QWORD transactions; otherwise,
 * the result is undefined."  Undefined here means: ignored.  A QWORD is
 * two DWORDs, low first.  The PBA is read-only.
 */
static void bar_write(struct pci_device *dev, uint64_t off,
		      const uint8_t *data, unsigned int len)
{
	struct msix *m = &dev->msix;
	unsigned int i;

	if ((len != 4 && len != 8) || off % len) {
		log_debug(2, "%s: MSI-X %u-byte write at 0x%llx ignored",
			  dev->name, len, (unsigned long long)off);
		return;
	}
	for (i = 0; i < len; i += 4) {
		uint64_t o = off + i;

		if (o >= table_size(m))
			return;
		entry_write(dev, (unsigned int)(o / ENTRY_SIZE),
			    (unsigned int)(o % ENTRY_SIZE), pci_get_le32(data + i));
	}
}

static uint8_t bar_byte(struct pci_device *dev, uint64_t o)
{
	struct msix *m = &dev->msix;
	unsigned int bit, k;
	uint8_t b = 0;

	if (o < table_size(m))
		return m->table[o];
	if (o < m->pba_offset || o >= m->pba_offset + pba_size(m))
		return 0;
	bit = (unsigned int)(o - m->pba_offset) * 8;
	for (k = 0; k < 8 && bit + k < m->nr; k++)
		if (ld(&m->v[bit + k].pending))
			b |= (uint8_t)(1u << k);
	return b;
}

static void msix_bar_io(void *opaque, uint64_t off, uint8_t *data,
			unsigned int len, bool is_write)
{
	struct pci_device *dev = opaque;
	unsigned int i;

	pthread_mutex_lock(&dev->cfg_lock);
	if (is_write)
		bar_write(dev, off, data, len);
	else
		for (i = 0; i < len; i++)
			data[i] = bar_byte(dev, off + i);
	pthread_mutex_unlock(&dev->cfg_lock);
}

void pci_msix_config_written(struct pci_device *dev)
{
	struct msix *m = &dev->msix;
	uint16_t ctrl = (uint16_t)(dev->cfg[m->cap + MSIX_CTRL] |
				   dev->cfg[m->cap + MSIX_CTRL + 1] << 8);
	bool en = ctrl & MSIX_CTRL_ENABLE, fm = ctrl & MSIX_CTRL_MASKALL;
	unsigned int v;

	if (en == m->enabled && fm == m->func_masked)
		return;
	/* Routes first: the vectors must not become live before them. */
	if (en && !fm)
		for (v = 0; v < m->nr; v++)
			if (!vector_masked(m, v))
				route_sync(dev, v);
	st(&m->enabled, en);
	st(&m->func_masked, fm);
	/* "Setting or clearing the MSI-X Function Mask bit has no effect on
	 * the state of the per-vector Mask bits"; what it held back fires. */
	for (v = 0; v < m->nr; v++)
		fire_pending(dev, v);
	pci_intx_update(dev);
	if (dev->ops && dev->ops->msix_update)
		dev->ops->msix_update(dev, en);
}

static void vectors_free(struct pci_device *dev)
{
	struct msix *m = &dev->msix;
	unsigned int v;

	for (v = 0; v < m->nr; v++) {
		struct msix_vector *mv = &m->v[v];

		if (mv->irqfd >= 0) {
			if (mv->gsi && irqfd_deassign(dev->vm, mv->irqfd,
						      mv->gsi) < 0)
				log_warn("%s: %s", dev->name, err_msg());
			close(mv->irqfd);
		}
		if (mv->gsi)
			irq_msi_gsi_free(dev->vm, mv->gsi);
	}
	free(m->v);
	free(m->table);
	m->v = NULL;
	m->table = NULL;
	m->nr = 0;
}

/* Per vector: a GSI, an eventfd, the irqfd binding; masked "after reset". */
static int vectors_alloc(struct pci_device *dev, unsigned int nr)
{
	struct msix *m = &dev->msix;
	unsigned int v;

	m->table = calloc(nr, ENTRY_SIZE);
	m->v = calloc(nr, sizeof(*m->v));
	if (!m->table || !m->v) {
		free(m->table);
		free(m->v);
		m->table = NULL;
		m->v = NULL;
		err_set("%s: out of memory for %u MSI-X vectors", dev->name,
			nr);
		return -1;
	}
	for (v = 0; v < nr; v++)
		m->v[v].irqfd = -1;
	m->nr = nr;
	for (v = 0; v < nr; v++) {
		struct msix_vector *mv = &m->v[v];

		*ctrl_word(m, v) = ENTRY_CTRL_MASKED;
		if (irq_msi_gsi_alloc(dev->vm, &mv->gsi) < 0)
			goto fail;
		mv->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (mv->irqfd < 0) {
			err_set("%s: eventfd: %s", dev->name, strerror(errno));
			goto fail;
		}
		if (irqfd_assign(dev->vm, mv->irqfd, mv->gsi, -1) < 0) {
			close(mv->irqfd);
			mv->irqfd = -1;
			goto fail;
		}
	}
	return 0;
fail:
	vectors_free(dev);
	return -1;
}

static uint32_t bar_size_for(uint32_t bytes)
{
	uint32_t size = MSIX_BAR_MIN;

	while (size < bytes)
		size <<= 1;
	return size;
}

int pci_msix_init(struct pci_device *dev, unsigned int nr_vectors,
		  unsigned int bar)
{
	struct msix *m = &dev->msix;
	uint32_t size;
	int cap;

	if (m->table) {
		err_set("%s: MSI-X is already set up", dev->name);
		return -1;
	}
	if (nr_vectors < 1 || nr_vectors > MSIX_MAX_VECTORS) {
		err_set("%s: %u MSI-X vectors (1..%d possible)", dev->name,
			nr_vectors, MSIX_MAX_VECTORS);
		return -1;
	}
	if (vectors_alloc(dev, nr_vectors) < 0)
		return -1;
	/* The PBA follows the table; entries are 16 bytes, so it is on the
	 * qword boundary the spec asks for. */
	m->bar = bar;
	m->pba_offset = table_size(m);
	size = bar_size_for(m->pba_offset + pba_size(m));
	if (pci_bar_add(dev, bar, PCI_BAR_MEM32, size, msix_bar_io, dev) < 0)
		goto fail;
	cap = pci_cap_add(dev, PCI_CAP_ID_MSIX, MSIX_CAP_LEN);
	if (cap < 0) {
		memset(&dev->bars[bar], 0, sizeof(dev->bars[bar]));
		memset(dev->cfg + PCI_BAR0 + 4 * bar, 0, 4);
		memset(dev->wmask + PCI_BAR0 + 4 * bar, 0, 4);
		goto fail;
	}
	m->cap = (uint8_t)cap;
	m->enabled = false;
	m->func_masked = false;
	dev->cfg[cap + MSIX_CTRL] =
		(uint8_t)((nr_vectors - 1) & MSIX_CTRL_TABLE_SIZE);
	dev->cfg[cap + MSIX_CTRL + 1] =
		(uint8_t)(((nr_vectors - 1) & MSIX_CTRL_TABLE_SIZE) >> 8);
	/* Only Enable and Function Mask (bits 15, 14) are the guest's. */
	dev->wmask[cap + MSIX_CTRL + 1] =
		(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
	pci_put_le32(dev->cfg + cap + MSIX_TABLE, 0 | bar);	/* offset 0, BIR */
	pci_put_le32(dev->cfg + cap + MSIX_PBA, m->pba_offset | bar);
	return 0;
fail:
	vectors_free(dev);
	return -1;
}

void pci_msix_destroy(struct pci_device *dev)
{
	pthread_mutex_lock(&dev->cfg_lock);
	if (dev->msix.table) {
		st(&dev->msix.enabled, false);
		vectors_free(dev);
	}
	pthread_mutex_unlock(&dev->cfg_lock);
}
