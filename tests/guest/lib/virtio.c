// SPDX-License-Identifier: GPL-2.0
/*
 * virtio.c - a virtio-PCI driver core for test kernels: find a device,
 * bring it up step by step (each step callable on its own, so a hostile
 * test can break the order), lay out split rings, publish chains, wait
 * for the used ring, reset.
 *
 * Two interfaces, one driver: the legacy I/O BAR0, or the modern one
 * (4.1.4: vendor capabilities pointing into a memory BAR) when the
 * command line says transport=modern or the device has no BAR0 (a
 * modern-only device).  Each step below speaks the one d->modern names;
 * with modern, VERSION_1 is always negotiated, FEATURES_OK set and read
 * back, and each queue gets its size, vector and three ring addresses
 * (the same memory the legacy layout uses) before queue_enable.
 *
 * Interrupts are MSI-X, one vector per source: table entry 0 is the
 * configuration change, entry 1 + i queue i, delivered to this CPU at
 * vec_base + entry (or INTx, virtio_intx.c, counted the same).  The
 * runtime's 100 Hz LAPIC timer (vtest_init) bounds every wait, so a
 * device that stops answering ends the wait instead of hanging the test.
 *
 * Legacy layout (virtio 1.x, 2.6.2 "Legacy Interfaces: A Note on
 * Virtqueue Layout"): descriptors, then the available ring, then the used
 * ring on the next 4096-byte boundary; QUEUE_PFN is the ring's address
 * divided by 4096.
 */
#include "runtime.h"

#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CLASS_REVISION	0x08
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM		0x2c
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09
#define MSIX_ENABLE		0x8000
#define MSIX_MASKALL		0x4000

/* One 3-page ring per queue of up to 256 entries. */
#define RING_PAGES		3
#define RING_SLOTS		8

static uint8_t ring_pool[RING_SLOTS][RING_PAGES * PAGE_SIZE]
	__aligned(PAGE_SIZE);
static bool ring_taken[RING_SLOTS];

volatile unsigned int vtest_ticks;
volatile unsigned int vtest_irqs[NR_VECTORS];

static void on_timer(struct trap_frame *f)
{
	(void)f;
	vtest_ticks++;
	lapic_eoi();
}

static void on_msix(struct trap_frame *f)
{
	vtest_irqs[f->vector & 0xff]++;
	lapic_eoi();
}

void vtest_init(void)
{
	trap_register(VTEST_VEC_TIMER, on_timer);
	lapic_enable();
	lapic_timer_start(VTEST_VEC_TIMER, LAPIC_TIMER_HZ / 100, true, false);
	irq_enable();
}

void vtest_sleep_ticks(unsigned int n)
{
	unsigned int start = vtest_ticks;

	while (vtest_ticks - start < n)
		irq_enable_and_halt();
}

int vdev_find(uint16_t device_id, unsigned int from)
{
	uint32_t want = (uint32_t)device_id << 16 | 0x1af4;
	/* Transitional 0x1000 + N - 1, modern-only 0x1040 + N. */
	uint32_t modern = (uint32_t)(device_id - 0x1000 + 0x1041) << 16 | 0x1af4;
	unsigned int dev;

	for (dev = from; dev < 32; dev++) {
		uint32_t id = pci_read32(0, dev, 0, 0);

		if (id == want || id == modern)
			return (int)dev;
	}
	return -1;
}

uint8_t vdev_find_cap(unsigned int slot, uint8_t id)
{
	uint8_t p;
	unsigned int n;

	if (!(pci_read16(0, slot, 0, PCI_STATUS) & 0x10))
		return 0;
	p = pci_read8(0, slot, 0, PCI_CAPABILITY_LIST) & 0xfc;
	for (n = 0; p && n < 48; n++) {
		if (pci_read8(0, slot, 0, p) == id)
			return p;
		p = pci_read8(0, slot, 0, p + 1) & 0xfc;
	}
	return 0;
}

/*
 * 4.1.2.1: a transitional device has revision 0 and the virtio type as
 * its subsystem device ID; the legacy header is in BAR0's I/O space.
 */
int vdev_check_ids(unsigned int slot, uint32_t class_rev, uint16_t id)
{
	uint32_t class = pci_read32(0, slot, 0, PCI_CLASS_REVISION);
	uint32_t sub = pci_read32(0, slot, 0, PCI_SUBSYSTEM);
	uint32_t bar0 = pci_read32(0, slot, 0, PCI_BAR0);
	bool modern_only = pci_read16(0, slot, 0, 2) >= 0x1040;

	/* A modern-only device: revision 1, no legacy BAR0, device ID
	 * 0x1040 + id; its subsystem IDs are free ("MAY reflect the PCI
	 * Vendor and Device ID of the environment", 4.1.2.1: QEMU's 0x1100). */
	if (modern_only) {
		class_rev |= 1;
		if (pci_read16(0, slot, 0, 2) == 0x1040 + id)
			sub = (uint32_t)id << 16 | 0x1af4;
	}
	if (class != class_rev || sub != ((uint32_t)id << 16 | 0x1af4) ||
	    (!modern_only && !(bar0 & 1)) || (modern_only && bar0)) {
		printf("FAIL: class/rev %08x, subsystem %08x, BAR0 %08x\n",
		       class, sub, bar0);
		return -1;
	}
	return 0;
}

/* Where the vendor capability of cfg_type points, or NULL. */
static volatile uint8_t *modern_region(unsigned int slot, uint8_t type,
				       uint32_t *cap_at)
{
	uint8_t p;
	unsigned int n;

	p = pci_read8(0, slot, 0, PCI_CAPABILITY_LIST) & 0xfc;
	for (n = 0; p && n < 48; n++) {
		if (pci_read8(0, slot, 0, p) == PCI_CAP_ID_VNDR &&
		    pci_read8(0, slot, 0, p + VIRTIO_PCI_CAP_CFG_TYPE) == type) {
			uint8_t bar = pci_read8(0, slot, 0, p + VIRTIO_PCI_CAP_BAR);
			uint32_t lo = pci_read32(0, slot, 0, PCI_BAR0 + 4 * bar);
			uint64_t base = lo & ~0xfu;

			if ((lo & 6) == 4)	/* 64-bit */
				base |= (uint64_t)pci_read32(0, slot, 0,
							      PCI_BAR0 + 4 * bar + 4) << 32;
			if (cap_at)
				*cap_at = p;
			return phys_to_virt(base +
				pci_read32(0, slot, 0, p + VIRTIO_PCI_CAP_OFFSET));
		}
		p = pci_read8(0, slot, 0, p + 1) & 0xfc;
	}
	return NULL;
}

static int modern_open(struct vdev *d)
{
	uint32_t notify_cap = 0;

	d->common = modern_region(d->slot, VIRTIO_PCI_CAP_COMMON_CFG, NULL);
	d->isr = modern_region(d->slot, VIRTIO_PCI_CAP_ISR_CFG, NULL);
	d->devcfg = modern_region(d->slot, VIRTIO_PCI_CAP_DEVICE_CFG, NULL);
	d->notify = modern_region(d->slot, VIRTIO_PCI_CAP_NOTIFY_CFG,
				  &notify_cap);
	if (!d->common || !d->isr || !d->notify) {
		printf("FAIL: 00:%02x.0: modern capabilities missing\n", d->slot);
		return -1;
	}
	d->notify_mult = pci_read32(0, d->slot, 0,
				    notify_cap + VIRTIO_PCI_NOTIFY_CAP_MULT);
	d->modern = true;
	return 0;
}

/* Claim the slot's BARs and note where MSI-X lives; no device I/O yet. */
int vdev_open(struct vdev *d, unsigned int slot, uint8_t vec_base)
{
	uint32_t bar0 = pci_read32(0, slot, 0, PCI_BAR0), tbl, bar;
	uint8_t cap = vdev_find_cap(slot, PCI_CAP_ID_MSIX);
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->slot = slot;
	d->vec_base = vec_base;
	if (!cap || (bar0 && !(bar0 & 1))) {
		printf("FAIL: 00:%02x.0: BAR0 %08x, MSI-X cap at %#x\n", slot,
		       bar0, cap);
		return -1;
	}
	d->io = (uint16_t)(bar0 & ~3u);
	if ((!bar0 || cmdline_has("transport=modern")) && modern_open(d))
		return -1;
	d->msix_cap = cap;
	d->msix_size = (pci_read16(0, slot, 0, cap + 2) & 0x7ff) + 1;
	tbl = pci_read32(0, slot, 0, cap + 4);
	bar = pci_read32(0, slot, 0, PCI_BAR0 + 4 * (tbl & 7));
	if ((bar & 1) || !(bar & ~0xfu)) {
		printf("FAIL: MSI-X table BAR %08x\n", bar);
		return -1;
	}
	d->msix_table = (bar & ~0xfu) + (tbl & ~7u);
	tbl = pci_read32(0, slot, 0, cap + 8);
	bar = pci_read32(0, slot, 0, PCI_BAR0 + 4 * (tbl & 7));
	d->msix_pba = (bar & ~0xfu) + (tbl & ~7u);
	/* I/O for BAR0, memory for the MSI-X BAR, bus mastering. */
	pci_write16(0, slot, 0, PCI_COMMAND, 0x7);
	for (i = 0; i < d->msix_size && i < VDEV_MAX_QUEUES + 1; i++)
		trap_register(vec_base + i, on_msix);
	return 0;
}

/* ---- the modern common configuration ---- */

static uint8_t c8(const struct vdev *d, unsigned int off)
{
	return *(volatile uint8_t *)(d->common + off);
}

static uint16_t c16(const struct vdev *d, unsigned int off)
{
	return *(volatile uint16_t *)(d->common + off);
}

static uint32_t c32(const struct vdev *d, unsigned int off)
{
	return *(volatile uint32_t *)(d->common + off);
}

static void w8(const struct vdev *d, unsigned int off, uint8_t v)
{
	*(volatile uint8_t *)(d->common + off) = v;
}

static void w16(const struct vdev *d, unsigned int off, uint16_t v)
{
	*(volatile uint16_t *)(d->common + off) = v;
}

static void w32(const struct vdev *d, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(d->common + off) = v;
}

/* 64-bit fields as two 32-bit halves, low first, as Linux writes them. */
static void w64(const struct vdev *d, unsigned int off, uint64_t v)
{
	w32(d, off, (uint32_t)v);
	w32(d, off + 4, (uint32_t)(v >> 32));
}

const char *vdev_transport(const struct vdev *d)
{
	return d->modern ? "modern" : "legacy";
}

uint8_t vdev_status(const struct vdev *d)
{
	if (d->modern)
		return c8(d, VIRTIO_PCI_COMMON_STATUS);
	return inb(d->io + VIRTIO_PCI_STATUS);
}

void vdev_set_status(const struct vdev *d, uint8_t s)
{
	if (d->modern)
		w8(d, VIRTIO_PCI_COMMON_STATUS, s);
	else
		outb(d->io + VIRTIO_PCI_STATUS, s);
}

uint8_t vdev_isr(const struct vdev *d)
{
	return d->modern ? *d->isr : inb(d->io + VIRTIO_PCI_ISR);
}

uint32_t vdev_config_read(const struct vdev *d, unsigned int off,
			  unsigned int len)
{
	unsigned int cfg = d->io + vdev_config_offset(d);

	if (d->modern) {
		volatile uint8_t *p = d->devcfg + off;

		return len == 1 ? *p : len == 2 ? *(volatile uint16_t *)p :
						   *(volatile uint32_t *)p;
	}
	return len == 1 ? inb(cfg + off) : len == 2 ? inw(cfg + off) :
						       inl(cfg + off);
}

bool vdev_needs_reset(const struct vdev *d)
{
	return vdev_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* Writing 0 resets; the legacy driver then reads back 0 (2.4.1). */
int vdev_reset(struct vdev *d)
{
	unsigned int i;

	vdev_set_status(d, 0);
	for (i = 0; i < d->nr_vqs; i++)
		vq_free(&d->vq[i]);
	d->nr_vqs = 0;
	if (vdev_status(d) != 0) {
		printf("FAIL: status after reset %#x\n", vdev_status(d));
		return -1;
	}
	return 0;
}

/*
 * ACKNOWLEDGE, DRIVER, then the features we want of those offered.  What
 * must be offered (need, d->offered) may be more than what we take: a
 * test may insist on a feature it does not use.
 */
/* The modern half of feature negotiation: 64 bits, VERSION_1, then
 * FEATURES_OK, which must read back (3.1.1 steps 4-6). */
static int modern_features(struct vdev *d, uint32_t want)
{
	uint32_t hi;

	w32(d, VIRTIO_PCI_COMMON_DFSELECT, 1);
	hi = c32(d, VIRTIO_PCI_COMMON_DF);
	if (!(hi & 1)) {
		printf("FAIL: modern device without VERSION_1 (high word %08x)\n",
		       hi);
		return -1;
	}
	w32(d, VIRTIO_PCI_COMMON_GFSELECT, 0);
	w32(d, VIRTIO_PCI_COMMON_GF, want);
	w32(d, VIRTIO_PCI_COMMON_GFSELECT, 1);
	w32(d, VIRTIO_PCI_COMMON_GF, 1);	/* VERSION_1 */
	w32(d, VIRTIO_PCI_COMMON_GFSELECT, 0);
	d->features = c32(d, VIRTIO_PCI_COMMON_GF);
	vdev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vdev_status(d) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		printf("FAIL: FEATURES_OK refused for %08x + VERSION_1\n", want);
		return -1;
	}
	return 0;
}

int vdev_negotiate(struct vdev *d, uint32_t want, uint32_t need)
{
	uint32_t host, must = need | d->offered;

	/* ANY_LAYOUT is a legacy feature: with VERSION_1 any message
	 * framing is allowed ("2.6.4 Message Framing"), and a modern device
	 * need not offer the bit (QEMU's does not). */
	if (d->modern)
		must &= ~(1u << VIRTIO_F_ANY_LAYOUT);

	vdev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vdev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	if (d->modern) {
		w32(d, VIRTIO_PCI_COMMON_DFSELECT, 0);
		host = c32(d, VIRTIO_PCI_COMMON_DF);
	} else {
		host = inl(d->io + VIRTIO_PCI_HOST_FEATURES);
	}
	d->host_features = host;
	if ((host & must) != must) {
		printf("FAIL: host features %08x lack %08x\n", host,
		       must & ~host);
		return -1;
	}
	want = (want | need) & host;
	if (d->modern) {
		if (modern_features(d, want))
			return -1;
	} else {
		outl(d->io + VIRTIO_PCI_GUEST_FEATURES, want);
		d->features = inl(d->io + VIRTIO_PCI_GUEST_FEATURES);
	}
	if (d->features != want) {
		printf("FAIL: guest features read back %08x, wrote %08x\n",
		       d->features, want);
		return -1;
	}
	d->event_idx = want & (1u << VIRTIO_RING_F_EVENT_IDX);
	return 0;
}

void vdev_msix_entry(const struct vdev *d, unsigned int i, uint8_t vector,
		     bool masked)
{
	volatile uint32_t *e = phys_to_virt(d->msix_table + 16 * i);

	e[0] = 0xfee00000u | lapic_id() << 12;	/* fixed, physical */
	e[1] = 0;
	e[2] = vector;				/* edge */
	e[3] = masked;
}

/* MSI-X on (entries 0..nr_queues), config vector = entry 0. */
int vdev_enable_msix(struct vdev *d, unsigned int nr_queues)
{
	uint16_t ctrl = pci_read16(0, d->slot, 0, d->msix_cap + 2);
	unsigned int i;

	if (nr_queues + 1 > d->msix_size || nr_queues > VDEV_MAX_QUEUES) {
		printf("FAIL: %u MSI-X entries for %u queues\n", d->msix_size,
		       nr_queues);
		return -1;
	}
	for (i = 0; i <= nr_queues; i++)
		vdev_msix_entry(d, i, d->vec_base + i, false);
	pci_write16(0, d->slot, 0, d->msix_cap + 2,
		    (ctrl | MSIX_ENABLE) & ~MSIX_MASKALL);
	d->msix = true;
	if (d->modern) {
		w16(d, VIRTIO_PCI_COMMON_MSIX, 0);
		if (c16(d, VIRTIO_PCI_COMMON_MSIX) != 0) {
			printf("FAIL: config vector not taken\n");
			return -1;
		}
		return 0;
	}
	outw(d->io + VIRTIO_MSI_CONFIG_VECTOR, 0);
	if (inw(d->io + VIRTIO_MSI_CONFIG_VECTOR) != 0) {
		printf("FAIL: config vector not taken\n");
		return -1;
	}
	return 0;
}

void vdev_disable_msix(struct vdev *d)
{
	uint16_t ctrl = pci_read16(0, d->slot, 0, d->msix_cap + 2);

	pci_write16(0, d->slot, 0, d->msix_cap + 2, ctrl & ~MSIX_ENABLE);
	d->msix = false;
}

unsigned int vdev_config_offset(const struct vdev *d)
{
	return VIRTIO_PCI_CONFIG_OFF(d->msix);
}

/* Ring memory from the pool, zeroed; NULL when the pool is empty. */
static uint8_t *ring_alloc(void)
{
	unsigned int i;

	for (i = 0; i < RING_SLOTS; i++) {
		if (!ring_taken[i]) {
			ring_taken[i] = true;
			memset(ring_pool[i], 0, sizeof(ring_pool[i]));
			return ring_pool[i];
		}
	}
	return NULL;
}

void vq_free(struct vq *q)
{
	unsigned int i;

	for (i = 0; i < RING_SLOTS; i++)
		if (q->mem == ring_pool[i])
			ring_taken[i] = false;
	q->mem = NULL;
}

/* The modern steps for queue i, the rings laid out as for legacy. */
static int modern_queue(struct vdev *d, struct vq *q)
{
	w16(d, VIRTIO_PCI_COMMON_Q_SELECT, q->index);
	w16(d, VIRTIO_PCI_COMMON_Q_SIZE, q->size);
	if (d->msix) {
		w16(d, VIRTIO_PCI_COMMON_Q_MSIX, 1 + q->index);
		if (c16(d, VIRTIO_PCI_COMMON_Q_MSIX) != 1 + q->index) {
			printf("FAIL: queue %u vector not taken\n", q->index);
			return -1;
		}
	}
	w64(d, VIRTIO_PCI_COMMON_Q_DESCLO, (uintptr_t)q->desc);
	w64(d, VIRTIO_PCI_COMMON_Q_AVAILLO, (uintptr_t)q->avail);
	w64(d, VIRTIO_PCI_COMMON_Q_USEDLO, (uintptr_t)q->used);
	q->notify = (volatile uint16_t *)(d->notify + d->notify_mult *
		c16(d, VIRTIO_PCI_COMMON_Q_NOFF));
	w16(d, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	if (c16(d, VIRTIO_PCI_COMMON_Q_ENABLE) != 1) {
		printf("FAIL: queue %u not enabled (status %#x)\n", q->index,
		       vdev_status(d));
		return -1;
	}
	return 0;
}

/* Lay out queue i in pool memory and hand it to the device. */
int vdev_setup_queue(struct vdev *d, unsigned int i)
{
	struct vq *q = &d->vq[i];
	uint16_t size;

	if (i >= VDEV_MAX_QUEUES)
		return -1;
	if (d->modern) {
		w16(d, VIRTIO_PCI_COMMON_Q_SELECT, i);
		size = c16(d, VIRTIO_PCI_COMMON_Q_SIZE);
		if (!size || size > VQ_MAX_SIZE || (size & (size - 1)) ||
		    c16(d, VIRTIO_PCI_COMMON_Q_ENABLE)) {
			printf("FAIL: queue %u: size %u, enabled %u\n", i, size,
			       c16(d, VIRTIO_PCI_COMMON_Q_ENABLE));
			return -1;
		}
	} else {
		outw(d->io + VIRTIO_PCI_QUEUE_SEL, i);
		size = inw(d->io + VIRTIO_PCI_QUEUE_NUM);
		if (!size || size > VQ_MAX_SIZE || (size & (size - 1)) ||
		    inl(d->io + VIRTIO_PCI_QUEUE_PFN) != 0) {
			printf("FAIL: queue %u: size %u, pfn %#x\n", i, size,
			       inl(d->io + VIRTIO_PCI_QUEUE_PFN));
			return -1;
		}
	}
	memset(q, 0, sizeof(*q));
	q->mem = ring_alloc();
	if (!q->mem) {
		printf("FAIL: out of ring memory\n");
		return -1;
	}
	q->index = i;
	q->size = size;
	q->io = d->io;
	q->event_idx = d->event_idx;
	q->vector = d->vec_base + 1 + i;
	q->desc = (struct vring_desc *)q->mem;
	q->avail = (struct vring_avail *)(q->mem + size * 16);
	q->used = (struct vring_used *)(q->mem +
		((size * 16 + 6 + 2 * size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)));
	if (d->modern) {
		if (modern_queue(d, q))
			return -1;
		if (i >= d->nr_vqs)
			d->nr_vqs = i + 1;
		return 0;
	}
	if (d->msix) {
		outw(d->io + VIRTIO_MSI_QUEUE_VECTOR, 1 + i);
		if (inw(d->io + VIRTIO_MSI_QUEUE_VECTOR) != 1 + i) {
			printf("FAIL: queue %u vector not taken\n", i);
			return -1;
		}
	}
	outl(d->io + VIRTIO_PCI_QUEUE_PFN, (uint32_t)((uintptr_t)q->mem >> 12));
	if (inl(d->io + VIRTIO_PCI_QUEUE_PFN) != (uintptr_t)q->mem >> 12) {
		printf("FAIL: queue %u PFN not taken\n", i);
		return -1;
	}
	if (i >= d->nr_vqs)
		d->nr_vqs = i + 1;
	return 0;
}

static uint8_t running_status(const struct vdev *d)
{
	return VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	       VIRTIO_CONFIG_S_DRIVER_OK |
	       (d->modern ? VIRTIO_CONFIG_S_FEATURES_OK : 0);
}

void vdev_driver_ok(const struct vdev *d)
{
	vdev_set_status(d, running_status(d));
}

/* vdev_start's steps in order: the one that failed, or VDEV_STEP_NONE. */
static enum vdev_step start_steps(struct vdev *d, uint32_t want,
				  uint32_t need, unsigned int nr_queues)
{
	unsigned int i;

	if (vdev_reset(d))
		return VDEV_STEP_STATUS;
	if (vdev_negotiate(d, want, need))
		return VDEV_STEP_FEATURES;
	if (d->intx ? vdev_enable_intx(d) : vdev_enable_msix(d, nr_queues))
		return VDEV_STEP_INTERRUPTS;
	for (i = 0; i < nr_queues; i++)
		if (vdev_setup_queue(d, i))
			return VDEV_STEP_QUEUES;
	vdev_driver_ok(d);
	if (vdev_status(d) != running_status(d)) {
		printf("FAIL: status %#x after DRIVER_OK\n", vdev_status(d));
		return VDEV_STEP_STATUS;
	}
	return VDEV_STEP_NONE;
}

int vdev_start(struct vdev *d, uint32_t want, uint32_t need,
	       unsigned int nr_queues)
{
	d->failed = start_steps(d, want, need, nr_queues);
	return d->failed ? -1 : 0;
}

void vq_set_desc(struct vring_desc *t, unsigned int i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next)
{
	t[i].addr = addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
}

void vq_kick(const struct vq *q)
{
	if (q->notify)
		*q->notify = q->index;
	else
		outw(q->io + VIRTIO_PCI_QUEUE_NOTIFY, q->index);
}

/* x86 orders everything but a store before a later load (smp_mb()). */
static inline void mb(void)
{
	asm volatile("lock addl $0, (%%rsp)" ::: "memory", "cc");
}

void vq_add_raw(struct vq *q, const uint16_t *heads, unsigned int n)
{
	uint16_t idx = vq_ld16(&q->avail->idx);
	unsigned int i;

	for (i = 0; i < n; i++)
		q->avail->ring[idx++ & (q->size - 1)] = heads[i];
	asm volatile("" ::: "memory");	/* entries before idx (x86: TSO) */
	vq_st16(&q->avail->idx, idx);
}

void vq_publish(struct vq *q, const uint16_t *heads, unsigned int n)
{
	uint16_t old = vq_ld16(&q->avail->idx);

	vq_add_raw(q, heads, n);
	mb();			/* idx before reading avail_event */
	if (q->event_idx &&
	    !vring_need_event(vq_ld16(&q->used->ring[q->size]),
			      vq_ld16(&q->avail->idx), old))
		return;
	vq_kick(q);
}

bool vq_pop(struct vq *q, struct vring_used_elem *e)
{
	return vq_pop_inline(q, e);
}

uint32_t vq_last_len(const struct vq *q)
{
	return q->used->ring[(uint16_t)(q->last_used - 1) & (q->size - 1)].len;
}

int vq_wait(struct vq *q, unsigned int ticks)
{
	return vq_wait_for(q, 1, ticks);
}

int vq_wait_for(struct vq *q, unsigned int n, unsigned int ticks)
{
	unsigned int start = vtest_ticks;

	for (;;) {
		irq_disable();
		if (q->event_idx) {
			/* Interrupt me once the nth entry is there. */
			vq_st16(&q->avail->ring[q->size],
				(uint16_t)(q->last_used + n - 1));
			mb();
		}
		if ((uint16_t)(vq_ld16(&q->used->idx) - q->last_used) >= n) {
			irq_enable();
			return 0;
		}
		if (vtest_ticks - start >= ticks) {
			irq_enable();
			return -1;
		}
		irq_enable_and_halt();
	}
}
