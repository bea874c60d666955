// SPDX-License-Identifier: GPL-2.0
/*
 * vectors.c - MSI-X vector numbers in CONFIG_VECTOR and QUEUE_VECTOR that
 * name no table entry.
 *
 * "Writing a valid MSI-X Table entry number, 0 to 0x7FF, ... maps
 * interrupts ... to the corresponding MSI-X vector.  To disable
 * interrupts for an event type, the driver unmaps this event by writing
 * a special NO_VECTOR value" and "the device MUST return vector mapped
 * to a given event, (NO_VECTOR if unmapped) on read" (4.1.4.8, 4.1.5.1.2
 * in the legacy notes).  An entry past the device's table cannot be
 * mapped: it reads back NO_VECTOR, which is how a driver learns that the
 * mapping failed - and the event then has no interrupt at all: the
 * request still completes (we poll the used ring), the configuration
 * change still sets NEEDS_RESET, but no vector fires and no Pending bit
 * is set.  Valid entries may be shared ("Devices MUST support mapping
 * any event type to any valid vector"): queue 0 on entry 0, the config
 * entry, must interrupt there.
 */
#include "ht.h"

#define NO_VECTOR	VIRTIO_MSI_NO_VECTOR

static uint32_t pba(void)
{
	return *(volatile uint32_t *)phys_to_virt(ht.d.msix_pba);
}

static int out_of_range(void)
{
	const char *name = "msix_vector_out_of_range";
	uint16_t bad[] = { (uint16_t)(ht.nr_queues + 1),
			   (uint16_t)(ht.nr_queues + 2), 0x7ff, 0x800,
			   0x8000, 0xfffe };
	unsigned int i, irq0, irq1, irqs;

	if (ht_start(ht_default_features()))
		return -1;
	ht_sel(0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		outw(ht.d.io + VIRTIO_MSI_CONFIG_VECTOR, bad[i]);
		outw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR, bad[i]);
		if (inw(ht.d.io + VIRTIO_MSI_CONFIG_VECTOR) != NO_VECTOR ||
		    inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR) != NO_VECTOR)
			return ht_fail(name, "wrote 0x%x: config vector 0x%x, queue vector 0x%x",
				       bad[i],
				       inw(ht.d.io + VIRTIO_MSI_CONFIG_VECTOR),
				       inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR));
	}
	/* Queue 0 unmapped: it completes, without an interrupt. */
	irq0 = vtest_irqs[HT_VEC_BASE];
	irq1 = vtest_irqs[HT_VEC_BASE + 1];
	if (ht_works(name))
		return -1;
	vtest_sleep_ticks(HT_QUIET);
	if (vtest_irqs[HT_VEC_BASE] != irq0 ||
	    vtest_irqs[HT_VEC_BASE + 1] != irq1 || (pba() & 3))
		return ht_fail(name, "an unmapped queue interrupted (entry 0: %u, entry 1: %u, PBA 0x%x)",
			       vtest_irqs[HT_VEC_BASE] - irq0,
			       vtest_irqs[HT_VEC_BASE + 1] - irq1, pba());
	ht_ok(name);

	/* Config unmapped: NEEDS_RESET without an interrupt. */
	name = "msix_config_vector_out_of_range";
	irqs = ht_all_irqs();
	outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, ht_bad_pfn());
	if (!vdev_needs_reset(&ht.d))
		return ht_fail(name, "no NEEDS_RESET");
	ht_expect_needs_reset(1);
	vtest_sleep_ticks(HT_QUIET);
	/* net's TX queue keeps its vector; nothing else may fire. */
	if (!ht.net && ht_all_irqs() != irqs)
		return ht_fail(name, "%u interrupts", ht_all_irqs() - irqs);
	if (vtest_irqs[HT_VEC_BASE] != irq0 || (pba() & 1))
		return ht_fail(name, "config interrupt without a vector (PBA 0x%x)",
			       pba());
	if (ht_recover(name))
		return -1;
	ht_ok(name);
	return 0;
}

/* Mapped again, both fire. */
static int mapped(void)
{
	const char *name = "msix_vectors_valid_again";
	unsigned int irq1 = vtest_irqs[HT_VEC_BASE + 1], irqs;

	if (ht_works(name))
		return -1;
	if (!ht_wait_irq(HT_VEC_BASE + 1, irq1, HT_WAIT))
		return ht_fail(name, "no queue interrupt");
	irqs = ht_config_irqs();
	ht_sel(0);
	outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, ht_bad_pfn());
	ht_expect_needs_reset(1);
	if (!ht_wait_config_irq(irqs, HT_WAIT))
		return ht_fail(name, "no configuration interrupt");
	if (ht_recover(name))
		return -1;
	ht_ok(name);
	return 0;
}

/* Queue 0 on the config entry: legal, and it interrupts there. */
static int shared(void)
{
	const char *name = "msix_queue_on_config_vector";
	unsigned int irq0, irq1;

	ht_sel(0);
	outw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR, 0);
	if (inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR) != 0)
		return ht_fail(name, "queue vector reads 0x%x",
			       inw(ht.d.io + VIRTIO_MSI_QUEUE_VECTOR));
	irq0 = vtest_irqs[HT_VEC_BASE];
	irq1 = vtest_irqs[HT_VEC_BASE + 1];
	if (ht_works(name))
		return -1;
	ht_wait_irq(HT_VEC_BASE, irq0, HT_WAIT);
	vtest_sleep_ticks(HT_QUIET);
	if (vtest_irqs[HT_VEC_BASE] == irq0 ||
	    vtest_irqs[HT_VEC_BASE + 1] != irq1)
		return ht_fail(name, "entry 0 got %u, entry 1 got %u interrupts",
			       vtest_irqs[HT_VEC_BASE] - irq0,
			       vtest_irqs[HT_VEC_BASE + 1] - irq1);
	if (ht_recover(name))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_vectors(void)
{
	if (out_of_range() || mapped() || shared())
		return -1;
	return 0;
}
