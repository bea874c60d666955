// SPDX-License-Identifier: GPL-2.0
/*
 * late.c - GUEST_FEATURES and QUEUE_PFN written after DRIVER_OK.
 *
 * Features: legacy has no FEATURES_OK; the features in force are those
 * written before DRIVER_OK, and lightvm ignores later writes (the ring
 * format and the tap's header size follow them).  That must hold even
 * when the driver first takes DRIVER_OK back, which it may not do ("The
 * driver MUST NOT clear a device status bit", 2.1.1): only a reset
 * reopens negotiation.  "Ignored" is checked by behaviour, not only by
 * reading the register back: blk without INDIRECT_DESC must still treat
 * an indirect descriptor as a violation (NEEDS_RESET) after the driver
 * wrote every feature bit; with INDIRECT_DESC it must keep serving one
 * after the driver wrote 0.  net must keep the 10-byte header of a
 * driver without MRG_RXBUF, and the 12-byte one of a driver with it.
 *
 * QUEUE_PFN: legacy has no queue_enable, so a new PFN is how a legacy
 * driver moves or drops a ring (Linux writes 0 in del_vq), and lightvm
 * takes it at any time: requests the backend holds are drained and
 * dropped, the queue starts over on the new ring (indices from 0); PFN 0
 * turns the queue off.  A blk read handed over just before the move
 * either completed on the old ring or is gone; nothing lands there
 * later.  Neither is a violation.  A PFN outside RAM is
 * (pfn.c).
 */
#include "ht.h"

#define OK_STATUS	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_DRIVER_OK)

/* The feature whose effect we can observe, and its default state. */
static uint32_t probe_feature(void)
{
	return ht.net ? F(VIRTIO_NET_F_MRG_RXBUF) :
			F(VIRTIO_RING_F_INDIRECT_DESC);
}

/*
 * The device must behave as with `negotiated`: blk with INDIRECT_DESC
 * serves an indirect read, without it flags NEEDS_RESET (and sends a
 * config interrupt); net works with the header size of `negotiated`.
 */
static int behaves_as(const char *name, uint32_t negotiated)
{
	unsigned int irqs = ht_config_irqs();
	int st;

	if (ht.net)
		return ht_net_arp(name);
	if (negotiated & F(VIRTIO_RING_F_INDIRECT_DESC)) {
		st = ht_blk_read_indirect(&ht.d.vq[0], 1, HT_WAIT);
		if (st != VIRTIO_BLK_S_OK)
			return ht_fail(name, "indirect read: status %d", st);
		return 0;
	}
	st = ht_blk_read_indirect(&ht.d.vq[0], 1, HT_QUIET);
	if (st != VBLK_TIMEOUT || !vdev_needs_reset(&ht.d))
		return ht_fail(name, "indirect read without INDIRECT_DESC: status %d, device status 0x%x",
			       st, vdev_status(&ht.d));
	ht_expect_needs_reset(1);
	if (!ht_wait_config_irq(irqs, HT_WAIT))
		return ht_fail(name, "no configuration interrupt");
	return 0;
}

static int features_late(const char *name, bool with, bool clear_ok)
{
	uint32_t want = ht_default_features(), f;

	want = with ? want | probe_feature() : want & ~probe_feature();
	if (ht_start(want))
		return -1;
	if (clear_ok)
		vdev_set_status(&ht.d, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			       VIRTIO_CONFIG_S_DRIVER);
	/* Everything offered, or nothing at all. */
	outl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES, with ? 0 : ht.host_features);
	if (clear_ok)
		vdev_driver_ok(&ht.d);
	f = inl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES);
	if (f != ht.d.features)
		return ht_fail(name, "GUEST_FEATURES reads 0x%x, negotiated 0x%x",
			       f, ht.d.features);
	if (behaves_as(name, ht.d.features) || ht_recover(name))
		return -1;
	ht_ok(name);
	return 0;
}

static int pfn_late(void)
{
	const char *name = "pfn_new_ring_after_driver_ok";
	uint32_t pfn = (uintptr_t)ht_ring_spare[0] >> 12;
	uint16_t used;

	struct vring_used *old;
	uint16_t old_used;

	if (ht_start(ht_default_features()) || ht_works(name))
		return -1;
	/* Moved with a request just handed over (blk: a read; net: the
	 * receive buffers are always out): lightvm drains the backend,
	 * then the request either completed on the old ring or is gone. */
	old = ht.d.vq[0].used;
	old_used = vq_ld16(&old->idx);
	if (!ht.net)
		ht_notify(ht_post_nokick());
	ht_queue_at(0, ht_ring_spare[0]);
	ht_sel(0);
	outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, pfn);
	if (inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN) != pfn ||
	    vdev_status(&ht.d) != OK_STATUS)
		return ht_fail(name, "PFN reads 0x%x (wrote 0x%x), status 0x%x",
			       inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN), pfn,
			       vdev_status(&ht.d));
	vtest_sleep_ticks(HT_QUIET);
	/* (net: a frame from the host may land there before the move.) */
	if (!ht.net && (uint16_t)(vq_ld16(&old->idx) - old_used) > 1)
		return ht_fail(name, "the old ring got %u used entries after the move",
			       (uint16_t)(vq_ld16(&old->idx) - old_used));
	if (ht.net)
		ht_net_fill_rx();
	if (ht_works(name))
		return -1;
	ht_ok(name);

	name = "pfn_zero_after_driver_ok";
	outl(ht.d.io + VIRTIO_PCI_QUEUE_PFN, 0);
	if (inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN) != 0 ||
	    vdev_status(&ht.d) != OK_STATUS)
		return ht_fail(name, "PFN reads 0x%x, status 0x%x",
			       inl(ht.d.io + VIRTIO_PCI_QUEUE_PFN),
			       vdev_status(&ht.d));
	/* The queue is off: nothing lands on the ring it had. */
	used = vq_ld16(&ht.d.vq[0].used->idx);
	if (ht.net) {
		ht_net_tx_arp(true);
		vtest_sleep_ticks(HT_QUIET);
	} else if (vblk_request(&ht.d.vq[0], VIRTIO_BLK_T_IN, 1,
				ht_ring_spare[1], 512, HT_QUIET) !=
		   VBLK_TIMEOUT) {
		return ht_fail(name, "a request completed on a disabled queue");
	}
	if (vq_ld16(&ht.d.vq[0].used->idx) != used)
		return ht_fail(name, "the disabled queue's used ring moved");
	if (ht_recover(name))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_late(void)
{
	if (features_late("features_added_after_driver_ok", false, false) ||
	    features_late("features_removed_after_driver_ok", true, false) ||
	    features_late("features_added_after_driver_ok_cleared", false,
			  true) ||
	    features_late("features_removed_after_driver_ok_cleared", true,
			  true))
		return -1;
	return pfn_late();
}
