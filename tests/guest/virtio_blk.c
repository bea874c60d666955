// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_blk - a minimal legacy virtio-blk driver: find 1af4:1001 on bus
 * 0, bring it up the legacy way (reset, ACKNOWLEDGE|DRIVER, features,
 * MSI-X vectors, QUEUE_PFN, DRIVER_OK), then:
 *
 *   write 64 sectors from `sector` on, each filled with its own sector
 *   number as 64-bit words; FLUSH; read them back through an indirect
 *   table and compare; GET_ID; read across the end of the disk (must be
 *   IOERR).  With ro_disk, a second 1af4:1001 must offer VIRTIO_BLK_F_RO
 *   and fail a write with IOERR.  With count=N, N more 4 KiB requests
 *   (alternating write and read, from sector 4096 on) with `depth` in
 *   flight, so the VMM's -v counters show the notify and interrupt paths.
 *
 *   serial=S     GET_ID must return S (default: not checked)
 *   capacity=N   the disk must have N sectors
 *   sector=N     where the pattern goes (default 100)
 *   ro_disk      check the second disk as described
 *   count=N      the bulk run; depth=D requests in flight (default 16)
 *   noevent_idx  do not negotiate VIRTIO_RING_F_EVENT_IDX
 *   bench        accept a device without SIZE_MAX (QEMU's), for
 *                bench/blk.sh
 *   intx         leave MSI-X off: INTx through the IOAPIC pin the PCI
 *                INTERRUPT_LINE names (level, active low, as the MP
 *                table says), acknowledged by reading ISR
 *
 * The host checks the pattern in the image afterwards (run-tests.sh).
 * Interrupts are MSI-X unless intx: table entry 0 (config) to vector
 * 0x41, entry 1 (the queue) to 0x42, fixed delivery to this CPU's LAPIC.
 * A LAPIC timer at 100 Hz bounds every wait.
 *
 * Statuses: 1 no device, 2 wrong IDs or BARs, 3 status handshake, 4
 * features, 5 MSI-X, 6 queue set-up, 7 capacity, 8 write, 9 flush, 10 read
 * back, 11 GET_ID, 12 read past the end, 13 read-only disk, 14 bulk run,
 * 15 no completion within 5 s.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "runtime.h"

const char test_name[] = "virtio_blk";

#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CLASS_REVISION	0x08
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM		0x2c
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CAP_ID_MSIX		0x11
#define MSIX_ENABLE		0x8000
#define MSIX_MASKALL		0x4000

#define VEC_TIMER		0x40
#define VEC_CONFIG		0x41
#define VEC_QUEUE		0x42
#define VEC_INTX		0x43

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_REDTBL(pin)	(0x10 + 2 * (pin))
#define IOAPIC_ACTIVE_LOW	(1u << 13)
#define IOAPIC_LEVEL		(1u << 15)
#define PCI_INTERRUPT_LINE	0x3c

#define QSIZE			256
#define DEPTH_MAX		32
#define PATTERN_SECTORS		64
#define BULK_FIRST_SECTOR	4096
#define WAIT_TICKS		500	/* 5 s at 100 Hz */

#define F(bit)			(1u << (bit))
#define WANTED	(F(VIRTIO_BLK_F_SIZE_MAX) | F(VIRTIO_BLK_F_SEG_MAX) | \
		 F(VIRTIO_BLK_F_BLK_SIZE) | F(VIRTIO_BLK_F_FLUSH) | \
		 F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_RING_F_EVENT_IDX))

struct blk_dev {
	unsigned int slot;
	uint16_t io;			/* BAR0 */
	uint32_t features;
	bool event_idx;
	uint64_t capacity;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_used;
	struct virtio_blk_outhdr *hdr;	/* DEPTH_MAX */
	volatile uint8_t *status;	/* DEPTH_MAX */
};

static uint8_t ring_mem[2][3 * PAGE_SIZE] __aligned(PAGE_SIZE);
static struct virtio_blk_outhdr hdrs[2][DEPTH_MAX] __aligned(16);
static uint8_t statuses[2][DEPTH_MAX];
static uint64_t pattern[PATTERN_SECTORS * 64] __aligned(PAGE_SIZE);
static uint64_t readback[PATTERN_SECTORS * 64] __aligned(PAGE_SIZE);
static uint8_t bulk[DEPTH_MAX][4096] __aligned(PAGE_SIZE);
static struct vring_desc itable[3] __aligned(16);
static char id_buf[VIRTIO_BLK_ID_BYTES];

static volatile unsigned int ticks, queue_irqs, config_irqs, spurious;
static bool intx;
static uint16_t intx_io[2];		/* devices sharing VEC_INTX */

static void on_timer(struct trap_frame *f)
{
	(void)f;
	ticks++;
	lapic_eoi();
}

static void on_queue(struct trap_frame *f)
{
	(void)f;
	queue_irqs++;
	lapic_eoi();
}

static void on_config(struct trap_frame *f)
{
	(void)f;
	config_irqs++;
	lapic_eoi();
}

/* Level-triggered: reading ISR lowers the line before the EOI. */
static void on_intx(struct trap_frame *f)
{
	unsigned int i;
	uint8_t isr, any = 0;

	(void)f;
	for (i = 0; i < 2; i++) {
		if (!intx_io[i])
			continue;
		isr = inb(intx_io[i] + VIRTIO_PCI_ISR);
		if (isr & 1)
			queue_irqs++;
		if (isr & VIRTIO_PCI_ISR_CONFIG)
			config_irqs++;
		any |= isr;
	}
	if (!any)
		spurious++;
	lapic_eoi();
}

/* x86 orders everything but a store before a later load: that needs a
 * full barrier (what Linux's smp_mb() does on x86-64). */
static inline void mb(void)
{
	asm volatile("lock addl $0, (%%rsp)" ::: "memory", "cc");
}

static inline void barrier(void)
{
	asm volatile("" ::: "memory");
}

static uint16_t ld16(const void *p)
{
	return *(const volatile uint16_t *)p;
}

/* ---- finding and starting the device ---- */

static int find_blk(unsigned int from)
{
	unsigned int dev;

	for (dev = from; dev < 32; dev++)
		if (pci_read32(0, dev, 0, 0) == 0x10011af4)
			return (int)dev;
	return -1;
}

static int check_ids(struct blk_dev *d)
{
	uint32_t class = pci_read32(0, d->slot, 0, PCI_CLASS_REVISION);
	uint32_t sub = pci_read32(0, d->slot, 0, PCI_SUBSYSTEM);
	uint32_t bar0 = pci_read32(0, d->slot, 0, PCI_BAR0);

	if (class != 0x01800000 || sub != 0x00021af4 || !(bar0 & 1)) {
		printf("FAIL: class/rev %08x, subsystem %08x, BAR0 %08x\n",
		       class, sub, bar0);
		return 2;
	}
	d->io = (uint16_t)(bar0 & ~3u);
	/* I/O for BAR0, memory for the MSI-X BAR, bus mastering. */
	pci_write16(0, d->slot, 0, PCI_COMMAND, 0x7);
	return 0;
}

static int handshake(struct blk_dev *d)
{
	outb(d->io + VIRTIO_PCI_STATUS, 0);
	if (inb(d->io + VIRTIO_PCI_STATUS) != 0) {
		printf("FAIL: status after reset %x\n",
		       inb(d->io + VIRTIO_PCI_STATUS));
		return 3;
	}
	outb(d->io + VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	outb(d->io + VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	     VIRTIO_CONFIG_S_DRIVER);
	if (inb(d->io + VIRTIO_PCI_STATUS) != (VIRTIO_CONFIG_S_ACKNOWLEDGE |
					       VIRTIO_CONFIG_S_DRIVER))
		return 3;
	return 0;
}

static int negotiate(struct blk_dev *d, uint32_t extra)
{
	uint32_t host = inl(d->io + VIRTIO_PCI_HOST_FEATURES);
	uint32_t want = WANTED, need = WANTED | extra;

	if (cmdline_has("noevent_idx"))
		want &= ~F(VIRTIO_RING_F_EVENT_IDX);
	/*
	 * bench: the same run must work under QEMU (bench/blk.sh), whose
	 * virtio-blk does not offer SIZE_MAX.  No request here comes near
	 * a segment size limit, so it is taken only when offered.
	 */
	if (cmdline_has("bench")) {
		need &= ~F(VIRTIO_BLK_F_SIZE_MAX);
		want &= host | ~F(VIRTIO_BLK_F_SIZE_MAX);
	}
	if ((host & need) != need) {
		printf("FAIL: host features %08x lack %08x\n", host,
		       need & ~host);
		return 4;
	}
	outl(d->io + VIRTIO_PCI_GUEST_FEATURES, want);
	d->features = inl(d->io + VIRTIO_PCI_GUEST_FEATURES);
	if (d->features != want) {
		printf("FAIL: guest features read back %08x\n", d->features);
		return 4;
	}
	d->event_idx = want & F(VIRTIO_RING_F_EVENT_IDX);
	return 0;
}

static uint8_t find_cap(unsigned int slot, uint8_t id)
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

static void msix_entry(uint64_t table, unsigned int i, uint8_t vector)
{
	volatile uint32_t *e = phys_to_virt(table + 16 * i);

	e[0] = 0xfee00000u | lapic_id() << 12;	/* fixed, physical */
	e[1] = 0;
	e[2] = vector;				/* edge */
	e[3] = 0;				/* unmasked */
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	volatile uint32_t *io = phys_to_virt(IOAPIC_BASE);

	io[0] = reg;
	io[4] = v;
}

static int setup_intx(struct blk_dev *d, unsigned int n)
{
	uint8_t pin = pci_read8(0, d->slot, 0, PCI_INTERRUPT_LINE);

	if (pin < 16 || pin > 23) {
		printf("FAIL: INTERRUPT_LINE %u is not an IOAPIC PCI pin\n",
		       pin);
		return 5;
	}
	intx_io[n] = d->io;
	ioapic_write(IOAPIC_REDTBL(pin) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(pin), VEC_INTX | IOAPIC_ACTIVE_LOW |
		     IOAPIC_LEVEL);
	return 0;
}

/* MSI-X on, then the legacy vector registers (which appear at 20/22). */
static int setup_msix(struct blk_dev *d)
{
	uint8_t cap = find_cap(d->slot, PCI_CAP_ID_MSIX);
	uint32_t tbl, bar;
	uint16_t ctrl;

	if (!cap) {
		printf("FAIL: no MSI-X capability\n");
		return 5;
	}
	ctrl = pci_read16(0, d->slot, 0, cap + 2);
	tbl = pci_read32(0, d->slot, 0, cap + 4);
	bar = pci_read32(0, d->slot, 0, PCI_BAR0 + 4 * (tbl & 7));
	if ((ctrl & 0x7ff) + 1 < 2 || (bar & 1) || !(bar & ~0xfu)) {
		printf("FAIL: MSI-X ctrl %04x table %08x BAR %08x\n", ctrl,
		       tbl, bar);
		return 5;
	}
	msix_entry((bar & ~0xfu) + (tbl & ~7u), 0, VEC_CONFIG);
	msix_entry((bar & ~0xfu) + (tbl & ~7u), 1, VEC_QUEUE);
	pci_write16(0, d->slot, 0, cap + 2,
		    (ctrl | MSIX_ENABLE) & ~MSIX_MASKALL);
	outw(d->io + VIRTIO_MSI_CONFIG_VECTOR, 0);
	if (inw(d->io + VIRTIO_MSI_CONFIG_VECTOR) != 0) {
		printf("FAIL: config vector not taken\n");
		return 5;
	}
	return 0;
}

static int setup_queue(struct blk_dev *d, unsigned int n)
{
	uint8_t *ring = ring_mem[n];
	uint64_t pa = (uintptr_t)ring;

	memset(ring, 0, sizeof(ring_mem[n]));
	outw(d->io + VIRTIO_PCI_QUEUE_SEL, 0);
	if (inw(d->io + VIRTIO_PCI_QUEUE_NUM) != QSIZE ||
	    inl(d->io + VIRTIO_PCI_QUEUE_PFN) != 0) {
		printf("FAIL: queue 0 size %u pfn %x\n",
		       inw(d->io + VIRTIO_PCI_QUEUE_NUM),
		       inl(d->io + VIRTIO_PCI_QUEUE_PFN));
		return 6;
	}
	/* Legacy layout: the used ring on the next 4096 boundary. */
	d->desc = (struct vring_desc *)ring;
	d->avail = (struct vring_avail *)(ring + QSIZE * 16);
	d->used = (struct vring_used *)(ring + 2 * PAGE_SIZE);
	d->hdr = hdrs[n];
	d->status = statuses[n];
	d->last_used = 0;
	if (!intx)
		outw(d->io + VIRTIO_MSI_QUEUE_VECTOR, 1);
	if (!intx && inw(d->io + VIRTIO_MSI_QUEUE_VECTOR) != 1) {
		printf("FAIL: queue vector not taken\n");
		return 6;
	}
	outl(d->io + VIRTIO_PCI_QUEUE_PFN, (uint32_t)(pa >> 12));
	if (inl(d->io + VIRTIO_PCI_QUEUE_PFN) != pa >> 12)
		return 6;
	return 0;
}

static int start(struct blk_dev *d, unsigned int n, uint32_t extra)
{
	unsigned int cfg;
	int r = check_ids(d);

	if (!r)
		r = handshake(d);
	if (!r)
		r = negotiate(d, extra);
	if (!r)
		r = intx ? setup_intx(d, n) : setup_msix(d);
	if (!r)
		r = setup_queue(d, n);
	if (r)
		return r;
	outb(d->io + VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	/* Device config follows the header: 24 bytes with MSI-X, else 20. */
	cfg = VIRTIO_PCI_CONFIG_OFF(!intx);
	d->capacity = inl(d->io + cfg) | (uint64_t)inl(d->io + cfg + 4) << 32;
	printf("virtio-blk at 00:%02x.0, io 0x%x, features %08x, %lu sectors\n",
	       d->slot, d->io, d->features, d->capacity);
	return 0;
}

/* ---- requests ---- */

/* Make head available; kick unless EVENT_IDX says the device is busy. */
static void publish(struct blk_dev *d, const uint16_t *heads, unsigned int n)
{
	uint16_t old = ld16(&d->avail->idx), idx = old;
	unsigned int i;

	for (i = 0; i < n; i++)
		d->avail->ring[idx++ % QSIZE] = heads[i];
	barrier();		/* ring entries before idx (x86: in order) */
	*(volatile uint16_t *)&d->avail->idx = idx;
	mb();			/* idx before reading avail_event */
	if (d->event_idx &&
	    !vring_need_event(ld16(&d->used->ring[QSIZE]), idx, old))
		return;
	outw(d->io + VIRTIO_PCI_QUEUE_NOTIFY, 0);
}

/* Sleep until the used ring moves past last_used.  Returns 0 or 15. */
static int wait_used(struct blk_dev *d)
{
	unsigned int start = ticks;

	for (;;) {
		irq_disable();
		if (d->event_idx) {
			/* Interrupt me once entry last_used is used. */
			*(volatile uint16_t *)&d->avail->ring[QSIZE] =
				d->last_used;
			mb();
		}
		if (ld16(&d->used->idx) != d->last_used) {
			irq_enable();
			return 0;
		}
		if (ticks - start > WAIT_TICKS) {
			irq_enable();
			printf("FAIL: no completion within 5 s (%u queue interrupts)\n",
			       queue_irqs);
			return 15;
		}
		irq_enable_and_halt();
	}
}

static void set_desc(struct vring_desc *t, unsigned int i, const void *addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	t[i].addr = (uintptr_t)addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
}

/* One request in slot 0, waited for.  Returns the status byte, or -1. */
static int request(struct blk_dev *d, uint32_t type, uint64_t sector,
		   void *buf, uint32_t len, bool dev_writes, bool indirect)
{
	struct vring_desc *t = indirect ? itable : d->desc;
	uint16_t head = 0;
	struct vring_used_elem e;

	d->hdr[0].type = type;
	d->hdr[0].ioprio = 0;
	d->hdr[0].sector = sector;
	d->status[0] = 0xff;
	set_desc(t, 0, &d->hdr[0], 16, VRING_DESC_F_NEXT, len ? 1 : 2);
	set_desc(t, 1, buf, len, VRING_DESC_F_NEXT |
		 (dev_writes ? VRING_DESC_F_WRITE : 0), 2);
	set_desc(t, 2, (const void *)&d->status[0], 1, VRING_DESC_F_WRITE, 0);
	if (indirect)
		set_desc(d->desc, 0, itable, sizeof(itable),
			 VRING_DESC_F_INDIRECT, 0);
	publish(d, &head, 1);
	if (wait_used(d))
		return -1;
	e = d->used->ring[d->last_used++ % QSIZE];
	if (e.id != 0) {
		printf("FAIL: used id %u, expected 0\n", e.id);
		return -1;
	}
	return d->status[0];
}

/* ---- the checks ---- */

static int check_pattern(struct blk_dev *d, uint64_t first)
{
	uint32_t len = sizeof(pattern);
	unsigned int i;
	int st;

	for (i = 0; i < PATTERN_SECTORS * 64; i++)
		pattern[i] = first + i / 64;
	st = request(d, VIRTIO_BLK_T_OUT, first, pattern, len, false, false);
	if (st != VIRTIO_BLK_S_OK) {
		printf("FAIL: write of %u sectors at %lu: status %d\n",
		       PATTERN_SECTORS, first, st);
		return 8;
	}
	st = request(d, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, false);
	if (st != VIRTIO_BLK_S_OK) {
		printf("FAIL: flush: status %d\n", st);
		return 9;
	}
	memset(readback, 0, sizeof(readback));
	st = request(d, VIRTIO_BLK_T_IN, first, readback, len, true, true);
	if (st != VIRTIO_BLK_S_OK ||
	    d->used->ring[(d->last_used - 1) % QSIZE].len != len + 1 ||
	    memcmp(pattern, readback, len)) {
		printf("FAIL: read back (indirect): status %d, used len %u\n",
		       st, d->used->ring[(d->last_used - 1) % QSIZE].len);
		return 10;
	}
	printf("ok: %u sectors written at %lu, flushed, read back\n",
	       PATTERN_SECTORS, first);
	return 0;
}

/* The last "serial=" word on the command line, or NULL. */
static const char *cmdline_word(const char *key, size_t *len)
{
	const char *p = cmdline(), *found = NULL;
	size_t klen = strlen(key);

	while (*p) {
		const char *w = p;

		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) > klen && !strncmp(w, key, klen) &&
		    w[klen] == '=') {
			found = w + klen + 1;
			*len = p - found;
		}
		while (*p == ' ')
			p++;
	}
	return found;
}

static int check_get_id(struct blk_dev *d)
{
	size_t len = 0;
	const char *want = cmdline_word("serial", &len);
	int st;

	memset(id_buf, 0x5a, sizeof(id_buf));
	st = request(d, VIRTIO_BLK_T_GET_ID, 0, id_buf, sizeof(id_buf), true,
		     false);
	if (st != VIRTIO_BLK_S_OK) {
		printf("FAIL: GET_ID status %d\n", st);
		return 11;
	}
	if (want && (len > sizeof(id_buf) || memcmp(id_buf, want, len) ||
		     (len < sizeof(id_buf) && id_buf[len]))) {
		printf("FAIL: GET_ID gave '%.20s'\n", id_buf);
		return 11;
	}
	printf("ok: GET_ID '%.20s'\n", id_buf);
	return 0;
}

static int check_past_end(struct blk_dev *d)
{
	int st = request(d, VIRTIO_BLK_T_IN, d->capacity - 1, readback, 1024,
			 true, false);

	if (st != VIRTIO_BLK_S_IOERR) {
		printf("FAIL: read across the end: status %d\n", st);
		return 12;
	}
	st = request(d, VIRTIO_BLK_T_IN, ~0ull, readback, 512, true, false);
	if (st != VIRTIO_BLK_S_IOERR) {
		printf("FAIL: read at sector 2^64-1: status %d\n", st);
		return 12;
	}
	printf("ok: reads past the end fail with IOERR\n");
	return 0;
}

static int check_readonly(void)
{
	struct blk_dev ro = { 0 };
	int slot = -1, st;

	slot = find_blk(0);
	if (slot >= 0)
		slot = find_blk(slot + 1);
	if (slot < 0) {
		printf("FAIL: no second virtio-blk device\n");
		return 13;
	}
	ro.slot = slot;
	if (start(&ro, 1, F(VIRTIO_BLK_F_RO)))
		return 13;
	memset(bulk[0], 0x5a, 4096);
	st = request(&ro, VIRTIO_BLK_T_OUT, 0, bulk[0], 4096, false, false);
	if (st != VIRTIO_BLK_S_IOERR) {
		printf("FAIL: write to the read-only disk: status %d\n", st);
		return 13;
	}
	st = request(&ro, VIRTIO_BLK_T_IN, 0, bulk[0], 4096, true, false);
	if (st != VIRTIO_BLK_S_OK) {
		printf("FAIL: read from the read-only disk: status %d\n", st);
		return 13;
	}
	printf("ok: read-only disk refuses writes\n");
	return 0;
}

/* Slot s: descriptors 3s..3s+2, buffer bulk[s]; request i of the run. */
static void bulk_prepare(struct blk_dev *d, unsigned int s, uint64_t i)
{
	bool read = i & 1;

	d->hdr[s].type = read ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;
	d->hdr[s].sector = BULK_FIRST_SECTOR + (i / 2 % 1024) * 8;
	d->status[s] = 0xff;
	d->desc[3 * s + 1].flags = VRING_DESC_F_NEXT |
				   (read ? VRING_DESC_F_WRITE : 0);
}

static int bulk_run(struct blk_dev *d, uint64_t count, unsigned int depth)
{
	uint64_t submitted = 0, done = 0, tsc0;
	uint16_t heads[DEPTH_MAX];
	unsigned int s, n = 0, irqs = queue_irqs, t0 = ticks;

	if (d->capacity < BULK_FIRST_SECTOR + 8192) {
		printf("FAIL: count= needs %u sectors\n",
		       BULK_FIRST_SECTOR + 8192);
		return 14;
	}
	for (s = 0; s < depth; s++) {
		set_desc(d->desc, 3 * s, &d->hdr[s], 16, VRING_DESC_F_NEXT,
			 3 * s + 1);
		set_desc(d->desc, 3 * s + 1, bulk[s], 4096, 0, 3 * s + 2);
		set_desc(d->desc, 3 * s + 2, (const void *)&d->status[s], 1,
			 VRING_DESC_F_WRITE, 0);
		d->hdr[s].ioprio = 0;
		if (submitted < count) {
			bulk_prepare(d, s, submitted++);
			heads[n++] = 3 * s;
		}
	}
	/* The timed part: ticks are too coarse for the host's rate. */
	tsc0 = rdtsc();
	publish(d, heads, n);
	while (done < count) {
		if (wait_used(d))
			return 15;
		n = 0;
		while (ld16(&d->used->idx) != d->last_used) {
			struct vring_used_elem e =
				d->used->ring[d->last_used++ % QSIZE];

			s = e.id / 3;
			if (e.id % 3 || s >= depth ||
			    d->status[s] != VIRTIO_BLK_S_OK) {
				printf("FAIL: bulk request: id %u status %u\n",
				       e.id, s < depth ? d->status[s] : 0xff);
				return 14;
			}
			done++;
			if (submitted < count) {
				bulk_prepare(d, s, submitted++);
				heads[n++] = 3 * s;
			}
		}
		if (n)
			publish(d, heads, n);
	}
	tsc0 = rdtsc() - tsc0;
	printf("ok: %lu requests of 4 KiB, %u in flight, %u interrupts, %u ticks\n",
	       count, depth, queue_irqs - irqs, ticks - t0);
	printf("bulk: %lu requests in %lu TSC cycles\n", count, tsc0);
	return 0;
}

int test_main(void)
{
	uint64_t sector = 100, cap, count = 0, depth = 16;
	struct blk_dev d = { 0 };
	int slot, r;

	trap_register(VEC_TIMER, on_timer);
	trap_register(VEC_QUEUE, on_queue);
	trap_register(VEC_CONFIG, on_config);
	trap_register(VEC_INTX, on_intx);
	intx = cmdline_has("intx");
	lapic_enable();
	lapic_timer_start(VEC_TIMER, LAPIC_TIMER_HZ / 100, true, false);
	irq_enable();

	slot = find_blk(0);
	if (slot < 0) {
		printf("FAIL: no 1af4:1001 device on bus 0\n");
		return 1;
	}
	d.slot = slot;
	r = start(&d, 0, 0);
	if (r)
		return r;
	if (cmdline_get_uint("capacity", &cap) && cap != d.capacity) {
		printf("FAIL: capacity %lu, expected %lu\n", d.capacity, cap);
		return 7;
	}
	cmdline_get_uint("sector", &sector);
	r = check_pattern(&d, sector);
	if (!r)
		r = check_get_id(&d);
	if (!r)
		r = check_past_end(&d);
	if (!r && cmdline_has("ro_disk"))
		r = check_readonly();
	cmdline_get_uint("depth", &depth);
	if (!depth || depth > DEPTH_MAX)
		depth = 16;
	if (!r && cmdline_get_uint("count", &count) && count)
		r = bulk_run(&d, count, (unsigned int)depth);
	if (!r && config_irqs) {
		printf("FAIL: %u configuration interrupts (NEEDS_RESET?)\n",
		       config_irqs);
		r = 3;
	}
	/*
	 * Not a failure: on PVM hosts KVM was seen to deliver a level-
	 * triggered vector a second time for one assertion (the vector is
	 * pending again in the LAPIC IRR when the handler starts, before
	 * ISR is read).  Linux tolerates such unclaimed interrupts too.
	 */
	if (intx)
		printf("INTx: %u interrupts with ISR bits, %u without\n",
		       queue_irqs, spurious);
	lapic_timer_stop();
	return r;
}
