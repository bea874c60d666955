// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c - QUEUE_SEL and QUEUE_NOTIFY values that name no queue.
 *
 * Legacy virtio-PCI (4.1.4.8) has no rule for a queue_select past the
 * last queue; lightvm selects nothing: QUEUE_NUM reads 0 ("A queue that
 * does not exist has size 0: the driver stops there", as Linux's legacy
 * driver expects when it probes), QUEUE_PFN 0, QUEUE_VECTOR NO_VECTOR,
 * and writes to PFN or VECTOR change nothing.  A notify naming no queue
 * matches none of the queue ioeventfds, exits to lightvm, is counted as
 * an exit and otherwise ignored.
 */
#include "ht.h"

/* The real queues still hold what ht_start gave them. */
static int queue_regs(const char *name)
{
	unsigned int i;

	for (i = 0; i < ht.nr_queues; i++) {
		uint32_t pfn;
		uint16_t num, vec;

		ht_sel(i);
		pfn = inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN);
		num = inw(ht.d.io + VIRTIO_PCI_QUEUE_NUM);
		vec = inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR);
		if (pfn != (uintptr_t)ht.d.vq[i].mem >> 12 ||
		    num != ht.d.vq[i].size || vec != 1 + i)
			return ht_fail(name, "queue %u: PFN 0x%x NUM %u vector %u",
				       i, pfn, num, vec);
	}
	return 0;
}

static const uint16_t bad_sel[] = { 2, 3, 7, 8, 0x100, 0x7fff, 0x8000,
				    0xffff };

/* Selecting a queue that does not exist: everything reads as absent. */
static int sel_read(void)
{
	const char *name = "queue_sel_out_of_range_reads";
	unsigned int i;

	for (i = 0; i < sizeof(bad_sel) / sizeof(bad_sel[0]); i++) {
		uint16_t s = bad_sel[i];

		if (s < ht.nr_queues)
			continue;
		ht_sel(s);
		if (inw(ht.d.io + VIRTIO_PCI_QUEUE_SEL) != s)
			return ht_fail(name, "QUEUE_SEL reads 0x%x after 0x%x",
				       inw(ht.d.io + VIRTIO_PCI_QUEUE_SEL), s);
		if (inw(ht.d.io + VIRTIO_PCI_QUEUE_NUM) != 0 ||
		    inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN) != 0 ||
		    inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR) !=
		    VIRTIO_MSI_NO_VECTOR)
			return ht_fail(name, "queue 0x%x: NUM %u PFN 0x%x vector 0x%x, expected 0, 0, 0xffff",
				       s, inw(ht.d.io + VIRTIO_PCI_QUEUE_NUM),
				       inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN),
				       inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR));
	}
	ht_ok(name);
	return 0;
}

/* Writes through a selector that names no queue reach no queue. */
static int sel_write(void)
{
	const char *name = "queue_sel_out_of_range_writes";
	unsigned int i;

	if (queue_regs(name))
		return -1;
	for (i = 0; i < sizeof(bad_sel) / sizeof(bad_sel[0]); i++) {
		uint16_t s = bad_sel[i];

		if (s < ht.nr_queues)
			continue;
		ht_sel(s);
		/* A ring that would be fine, one that is not (no queue to
		 * break: no NEEDS_RESET), queue off, a vector, a size. */
		outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN,
		     (uintptr_t)ht_ring_spare[0] >> 12);
		outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, 0xffffffff);
		outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, 0);
		outw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR, 0);
		outw(ht.d.io + VIRTIO_PCI_QUEUE_NUM, 16);
		if (inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN) != 0 ||
		    inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR) !=
		    VIRTIO_MSI_NO_VECTOR)
			return ht_fail(name, "queue 0x%x took a write", s);
	}
	if (queue_regs(name))
		return -1;
	if (vdev_status(&ht.d) != (VIRTIO_CONFIG_S_ACKNOWLEDGE |
				   VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_DRIVER_OK))
		return ht_fail(name, "status 0x%x", vdev_status(&ht.d));
	ht_sel(0);
	/* Still the same queues, still working: no reset needed. */
	if (ht_works(name))
		return -1;
	ht_ok(name);
	return 0;
}

/*
 * Notifies naming no queue (and 1- or 4-byte writes to QUEUE_NOTIFY,
 * which are no legacy register access at all) must not kick anything:
 * a request published without a notify stays untouched - lightvm's
 * devices only look at a queue when notified or when their backend
 * completes something, and nothing is in flight - until a real notify.
 */
static int notify_range(void)
{
	const char *name = "queue_notify_out_of_range";
	static const uint16_t bad[] = { 2, 3, 8, 0x100, 0x7fff, 0xffff };
	unsigned int q, i, r;

	q = ht_post_nokick();
	for (r = 0; r < 10; r++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (bad[i] >= ht.nr_queues)
				ht_notify(bad[i]);
		outb(ht.d.io + VIRTIO_PCI_QUEUE_NOTIFY, q);
		outl(ht.d.io + VIRTIO_PCI_QUEUE_NOTIFY, q);
		outb(ht.d.io + VIRTIO_PCI_QUEUE_NOTIFY + 1, 0);
	}
	if (ht_posted_done(HT_QUIET) != -1)
		return ht_fail(name, "queue %u ran without a valid notify", q);
	if (vdev_needs_reset(&ht.d))
		return ht_fail(name, "NEEDS_RESET set");
	ht_notify(q);
	if (ht_posted_done(HT_WAIT))
		return ht_fail(name, "queue %u: no completion after a valid notify",
			       q);
	if (ht_works(name))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_queue(void)
{
	if (ht_start(ht_default_features()))
		return -1;
	if (sel_read() || sel_write() || notify_range())
		return -1;
	return ht_recover("queue");
}
