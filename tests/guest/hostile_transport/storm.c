// SPDX-License-Identifier: GPL-2.0
/*
 * storm.c - 10,000 notifies and 10,000 ISR reads.
 *
 * Notifies of a real queue are KVM ioeventfds: a storm of them with
 * nothing new on the ring costs lightvm one wake-up per batch, and a
 * request published in the middle of the storm must still complete.
 * Notifies naming no queue exit to lightvm one by one; 10,000 of them
 * must leave it answering (and counted: run-tests.sh compares the exits
 * with what we sent).
 *
 * ISR (4.1.4.5): "Reading the value will return the current contents of
 * the ISR and will also clear it" - bit 0 a queue interrupt, bit 1 a
 * configuration change - and with MSI-X enabled the device does not use
 * it ("If MSI-X capability is enabled ... [the device] requests the
 * appropriate MSI-X interrupt message", never the ISR): it reads 0 all
 * along.  With MSI-X off (INTx; the IOAPIC pin stays masked, we poll)
 * a completion sets bit 0, a NEEDS_RESET bit 1, and the first read after
 * clears what the second sees.  net may take a frame from the host at
 * any time, so there bit 0 is only required, never required clear.
 */
#include "ht.h"

#define STORM		10000

static int notify_storm(void)
{
	const char *name = "notify_storm_valid_queue";
	unsigned int i, q = 0;

	if (ht_start(ht_default_features()))
		return -1;
	for (i = 0; i < STORM; i++) {
		if (i == STORM / 2)
			q = ht_post_nokick();
		ht_notify((uint16_t)(i % ht.nr_queues));
	}
	if (ht_posted_done(HT_WAIT))
		return ht_fail(name, "the request on queue %u published mid-storm did not complete",
			       q);
	if (ht_works(name))
		return -1;
	ht_ok(name);

	name = "notify_storm_no_such_queue";
	for (i = 0; i < STORM; i++)
		ht_notify((uint16_t)(ht.nr_queues + i % 0x100));
	if (vdev_needs_reset(&ht.d) || ht_works(name))
		return ht_fail(name, "status 0x%x", vdev_status(&ht.d));
	ht_ok(name);
	return 0;
}

static uint8_t isr(void)
{
	return inb(ht.d.io + VIRTIO_PCI_ISR);
}

/*
 * The first non-zero ISR read within `ticks`: the bit is set when the
 * interrupt goes out, just after the used entry (or NEEDS_RESET) is
 * visible.  Reading 0 clears nothing, so polling is harmless.
 */
static uint8_t isr_wait(unsigned int ticks)
{
	unsigned int start = vtest_ticks;
	uint8_t v;

	while (!(v = isr()) && vtest_ticks - start < ticks)
		vtest_sleep_ticks(1);
	return v;
}

static int isr_msix(void)
{
	const char *name = "isr_storm_msix";
	unsigned int i;
	uint8_t seen = 0;

	for (i = 0; i < STORM; i++) {
		seen |= isr();
		if (i == STORM / 2 && ht_works(name))
			return -1;
	}
	if (seen)
		return ht_fail(name, "ISR read 0x%x with MSI-X on", seen);
	ht_ok(name);
	return 0;
}

static int isr_intx(void)
{
	const char *name = "isr_read_clears_queue_bit";
	unsigned int i;
	uint8_t v, seen = 0;

	vdev_disable_msix(&ht.d);
	isr();
	if (ht_works(name))
		return -1;
	v = isr_wait(HT_WAIT);
	if (!(v & 1) || (v & ~1))
		return ht_fail(name, "ISR 0x%x after a completion", v);
	v = isr();
	if (v & ~(ht.net ? 1 : 0))
		return ht_fail(name, "ISR 0x%x on the second read", v);
	ht_ok(name);

	name = "isr_read_clears_config_bit";
	isr();
	ht_sel(0);
	outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, ht_bad_pfn());
	if (!vdev_needs_reset(&ht.d))
		return ht_fail(name, "no NEEDS_RESET");
	ht_expect_needs_reset(1);
	v = isr_wait(HT_WAIT);
	if ((v & ~1) != VIRTIO_PCI_ISR_CONFIG)
		return ht_fail(name, "ISR 0x%x after NEEDS_RESET", v);
	v = isr();
	if (v & ~1)
		return ht_fail(name, "ISR 0x%x on the second read", v);
	ht_ok(name);

	name = "isr_storm_intx";
	if (ht_start(ht_default_features()))
		return -1;
	vdev_disable_msix(&ht.d);
	isr();
	ht_post_nokick();
	ht_notify(ht.net ? 1 : 0);
	for (i = 0; i < STORM; i++)
		seen |= isr();
	if (ht_posted_done(HT_WAIT))
		return ht_fail(name, "no completion");
	if (!(seen & 1))
		seen |= isr_wait(HT_WAIT);
	if (!(seen & 1) || (seen & VIRTIO_PCI_ISR_CONFIG))
		return ht_fail(name, "ISR bits seen 0x%x", seen);
	ht_ok(name);
	return 0;
}

int ht_group_storm(void)
{
	if (notify_storm() || isr_msix() || isr_intx())
		return -1;
	return ht_recover("storm");
}
