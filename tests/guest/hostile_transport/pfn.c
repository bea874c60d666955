// SPDX-License-Identifier: GPL-2.0
/*
 * pfn.c - QUEUE_PFN values whose ring is not (all) guest RAM.
 *
 * A legacy ring of 256 entries is 10246 bytes (2.6.2: descriptors,
 * available ring, padding to 4096, used ring): three pages from the PFN.
 * lightvm checks the whole ring against guest RAM when QUEUE_PFN is
 * written (virtq.c, invariant 1): a ring that does not lie entirely in
 * one RAM region - beyond the end of RAM, across it, in the 32-bit PCI
 * hole (MMIO BARs, LAPIC) or across either of its edges - is refused
 * right there: the queue stays disabled (PFN reads 0) and the device is
 * marked NEEDS_RESET.  Before DRIVER_OK no configuration interrupt is
 * due ("If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the
 * device MUST send a device configuration change notification", 2.1.2);
 * after it, one must arrive.  NEEDS_RESET stays until a reset, even
 * when the driver then writes a good PFN and DRIVER_OK.  The tightest
 * ring that fits - its last page the last page of RAM - must work.
 *
 * With ram= above 3 GiB (-m 4G in run-tests.sh) low RAM ends at the
 * PCI hole and high RAM runs from 4 GiB; both ends are tried then.
 */
#include "ht.h"

#define GIB		(1ULL << 30)
#define HOLE_START	(3 * GIB)
#define HOLE_END	(4 * GIB)
#define RING_PAGES	3

struct place {
	const char *name;
	uint64_t base;
	bool fits;
};

static struct place places[16];
static unsigned int nr_places;

static void add(const char *name, uint64_t base, bool fits)
{
	places[nr_places++] = (struct place){ name, base, fits };
}

static void build_places(void)
{
	uint64_t low_end = ht.ram < HOLE_START ? ht.ram : HOLE_START;
	uint64_t high = ht.ram > HOLE_START ? ht.ram - HOLE_START : 0;
	uint64_t high_end = HOLE_END + high;

	nr_places = 0;
	add("pfn_end_of_low_ram_fits", low_end - RING_PAGES * PAGE_SIZE,
	    true);
	add("pfn_across_end_of_low_ram", low_end - 2 * PAGE_SIZE, false);
	add("pfn_at_end_of_low_ram", low_end, false);
	add("pfn_in_pci_hole", 0xd0000000, false);
	add("pfn_on_msix_bar", ht.d.msix_table & ~0xfffULL, false);
	add("pfn_on_lapic", 0xfee00000, false);
	add("pfn_across_4g", HOLE_END - PAGE_SIZE, false);
	/* The runtime maps up to 4 GiB, ht_map_high the next GiB. */
	add("pfn_at_4g", HOLE_END, high != 0);
	if (high && high <= GIB)
		add("pfn_end_of_high_ram_fits",
		    high_end - RING_PAGES * PAGE_SIZE, true);
	if (high) {
		add("pfn_across_end_of_high_ram", high_end - 2 * PAGE_SIZE,
		    false);
		add("pfn_at_end_of_high_ram", high_end, false);
	}
	add("pfn_max", 0xffffffffULL << 12, false);
	add("pfn_far", 0x80000000ULL << 12, false);
}

/* Queue 0 at p->base from the first write of its PFN; others normal. */
static int try_place(const struct place *p)
{
	uint32_t pfn = (uint32_t)(p->base >> 12), got;
	unsigned int irqs;

	if (ht_begin(ht_default_features()))
		return -1;
	if (ht.net && vdev_setup_queue(&ht.d, 1))
		return -1;
	if (p->fits)
		ht_queue_at(0, phys_to_virt(p->base));
	ht_sel(0);
	outw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR, 1);
	irqs = ht_config_irqs();
	outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, pfn);
	got = inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN);
	if (p->fits) {
		if (got != pfn || vdev_needs_reset(&ht.d))
			return ht_fail(p->name, "ring at 0x%lx refused: PFN reads 0x%x, status 0x%x",
				       p->base, got, vdev_status(&ht.d));
		ht_finish();
		if (ht_works(p->name))
			return -1;
		ht_ok(p->name);
		return ht_recover(p->name);
	}
	if (!vdev_needs_reset(&ht.d))
		return ht_fail(p->name, "ring at 0x%lx: no NEEDS_RESET (status 0x%x)",
			       p->base, vdev_status(&ht.d));
	ht_expect_needs_reset(1);
	if (got != 0 || inw(ht.d.io + VIRTIO_PCI_QUEUE_NUM) != VQ_MAX_SIZE)
		return ht_fail(p->name, "PFN reads 0x%x, NUM %u", got,
			       inw(ht.d.io + VIRTIO_PCI_QUEUE_NUM));
	vtest_sleep_ticks(HT_QUIET);
	if (ht_config_irqs() != irqs)
		return ht_fail(p->name, "config interrupt before DRIVER_OK");
	/* A good ring and DRIVER_OK now: NEEDS_RESET stays. */
	if (vdev_setup_queue(&ht.d, 0))
		return ht_fail(p->name, "a good PFN after the refusal failed");
	vdev_driver_ok(&ht.d);
	if (vdev_status(&ht.d) != (VIRTIO_CONFIG_S_NEEDS_RESET |
				   VIRTIO_CONFIG_S_ACKNOWLEDGE |
				   VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_DRIVER_OK))
		return ht_fail(p->name, "status 0x%x after DRIVER_OK, expected 0x47",
			       vdev_status(&ht.d));
	if (ht_recover(p->name))
		return -1;
	ht_ok(p->name);
	return 0;
}

/* A running queue moved outside RAM: NEEDS_RESET and a config IRQ. */
static int bad_pfn_live(void)
{
	const char *name = "pfn_outside_ram_after_driver_ok";
	unsigned int irqs;

	if (ht_start(ht_default_features()) || ht_works(name))
		return -1;
	irqs = ht_config_irqs();
	ht_sel(0);
	outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, ht_bad_pfn());
	if (!vdev_needs_reset(&ht.d))
		return ht_fail(name, "no NEEDS_RESET (status 0x%x)",
			       vdev_status(&ht.d));
	ht_expect_needs_reset(1);
	if (inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN) != 0)
		return ht_fail(name, "PFN reads 0x%x",
			       inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN));
	if (!ht_wait_config_irq(irqs, HT_WAIT))
		return ht_fail(name, "no configuration interrupt");
	/* The queue is gone: nothing completes on the old ring. */
	if (!ht.net && vblk_request(&ht.d.vq[0], VIRTIO_BLK_T_IN, 1,
				    ht_ring_spare[1], 512, HT_QUIET) !=
		       VBLK_TIMEOUT)
		return ht_fail(name, "a request completed on the dropped ring");
	if (ht_recover(name))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_pfn(void)
{
	unsigned int i;

	if (ht.ram > HOLE_START)
		ht_map_high();
	build_places();
	for (i = 0; i < nr_places; i++)
		if (try_place(&places[i]))
			return -1;
	return bad_pfn_live();
}
