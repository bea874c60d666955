// SPDX-License-Identifier: GPL-2.0
/*
 * features.c - GUEST_FEATURES bits the device never offered.
 *
 * "The driver MUST NOT accept a feature which the device did not offer"
 * (3.1.1); a legacy device has no FEATURES_OK through which to refuse
 * the set, so lightvm masks such bits off: GUEST_FEATURES reads back
 * only what was offered, and the device behaves as if the extra bits
 * had never been written - blk stays writable although the driver
 * wrote VIRTIO_BLK_F_RO, net has no control queue although it wrote
 * CTRL_VQ (QUEUE_NUM of queue 2 reads 0).
 */
#include "ht.h"

static int unoffered(void)
{
	const char *name = "features_never_offered";
	uint32_t host = ht.host_features, want = ht_default_features(), f;
	unsigned int bit;

	if (ht_begin(want))
		return -1;
	/* vdev_negotiate wrote `want`; now the hostile writes. */
	outl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES, 0xffffffff);
	f = inl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES);
	if (f != host)
		return ht_fail(name, "wrote all ones, reads 0x%x, offered 0x%x",
			       f, host);
	for (bit = 0; bit < 32; bit++) {
		if (host & F(bit))
			continue;
		outl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES, F(bit));
		f = inl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES);
		if (f)
			return ht_fail(name, "bit %u was not offered, reads 0x%x",
				       bit, f);
	}
	/* The set we run with, plus every bit never offered. */
	outl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES, want | ~host);
	f = inl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES);
	if (f != (want & host))
		return ht_fail(name, "wrote 0x%x, reads 0x%x, expected 0x%x",
			       want | ~host, f, want & host);
	ht.d.features = f;
	ht.d.event_idx = f & F(VIRTIO_RING_F_EVENT_IDX);
	for (bit = 0; bit < ht.nr_queues; bit++)
		if (vdev_setup_queue(&ht.d, bit))
			return -1;
	ht_sel(ht.nr_queues);
	if (inw(ht.d.io + VIRTIO_PCI_QUEUE_NUM) != 0)
		return ht_fail(name, "queue %u exists: NUM %u", ht.nr_queues,
			       inw(ht.d.io + VIRTIO_PCI_QUEUE_NUM));
	ht_finish();
	/* blk: a write and read-back, RO written or not. */
	if (ht_works(name))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_features(void)
{
	if (unoffered())
		return -1;
	return ht_recover("features");
}
