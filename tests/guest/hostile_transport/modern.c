// SPDX-License-Identifier: GPL-2.0
/*
 * modern.c - the same hostility against the modern interface (run with
 * transport=modern: the driver core then uses the capabilities in BAR4).
 *
 *  mqueue     queue_enable with bad sizes (0, not a power of 2, above the
 *             maximum), misaligned rings (2.7: descriptors 16, avail 2,
 *             used 4 bytes), each ring past the end of RAM, across it, in
 *             the PCI hole, on the LAPIC, wrapping 2^64: NEEDS_RESET, the
 *             queue stays disabled, and a reset brings the device back.
 *             Rings right at the end of low RAM (the descriptor table
 *             ending on its last byte) work.  A queue that does not exist reads size 0
 *             and enables nothing.  Once enabled, the queue's size and
 *             addresses no longer change and 0 to queue_enable is
 *             ignored: the device keeps working from the rings it has.
 *  mfeatures  FEATURES_OK without VERSION_1, or with bits never offered
 *             (ACCESS_PLATFORM 33, bit 40, bit 63): refused (does not read
 *             back), without NEEDS_RESET.  driver_feature written after
 *             FEATURES_OK: ignored.  DRIVER_OK without FEATURES_OK:
 *             NEEDS_RESET, and DRIVER_OK does not stick.
 *  mcommon    every width at every offset of the common configuration,
 *             the ISR and the device configuration, twice: the same
 *             bytes (config_generation does not move: nothing changed),
 *             and writes to the read-only fields change nothing.  The
 *             device configuration reads the same through both
 *             interfaces.
 *  mnotify    a notify write with the wrong value, the wrong width, or
 *             past the last queue: the first two exit to lightvm (counted)
 *             and still kick that queue; 10,000 good notifies on MMIO:
 *             none exits, the device keeps working.
 *  mmix       a legacy register written by this modern driver: ignored,
 *             NEEDS_RESET; a legacy STATUS=0 resets it, and the modern
 *             driver starts over.
 */
#include "ht.h"

#define LOW_END()	(ht.ram < (3ULL << 30) ? ht.ram : (3ULL << 30))
#define Q0_SIZE		VQ_MAX_SIZE

/* ---- the common configuration, raw ---- */

/* One access of len bytes, as the driver would make it. */
static uint64_t region_read(volatile uint8_t *p, unsigned int len)
{
	switch (len) {
	case 1:
		return *p;
	case 2:
		return *(volatile uint16_t *)p;
	case 4:
		return *(volatile uint32_t *)p;
	default:
		return *(volatile uint64_t *)p;
	}
}

static uint64_t crd(unsigned int off, unsigned int len)
{
	return region_read(ht.d.common + off, len);
}

static void cwr(unsigned int off, uint64_t v, unsigned int len)
{
	volatile uint8_t *p = ht.d.common + off;

	switch (len) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 2:
		*(volatile uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(volatile uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(volatile uint64_t *)p = v;
	}
}

#define C(f)	VIRTIO_PCI_COMMON_##f

static bool needs_reset(void)
{
	return crd(C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* ht_begin, then every queue but 0 the normal way. */
static int begin_others(void)
{
	unsigned int i;

	if (ht_begin(ht_default_features()))
		return -1;
	for (i = 1; i < ht.nr_queues; i++)
		if (vdev_setup_queue(&ht.d, i))
			return -1;
	return 0;
}

/* Queue 0 by hand: size and the three ring addresses, then enable. */
static void place_q0(uint16_t size, uint64_t desc, uint64_t avail,
		     uint64_t used)
{
	cwr(C(Q_SELECT), 0, 2);
	cwr(C(Q_SIZE), size, 2);
	cwr(C(Q_MSIX), 1, 2);
	cwr(C(Q_DESCLO), desc, 4);
	cwr(C(Q_DESCHI), desc >> 32, 4);
	cwr(C(Q_AVAILLO), avail, 4);
	cwr(C(Q_AVAILHI), avail >> 32, 4);
	cwr(C(Q_USEDLO), used, 4);
	cwr(C(Q_USEDHI), used >> 32, 4);
	cwr(C(Q_ENABLE), 1, 2);
}

/* Queue 0 must be refused: NEEDS_RESET, not enabled; then recover. */
static int refused(const char *name, uint16_t size, uint64_t desc,
		   uint64_t avail, uint64_t used)
{
	if (begin_others())
		return ht_fail(name, "bring-up");
	place_q0(size, desc, avail, used);
	if (!needs_reset() || crd(C(Q_ENABLE), 2))
		return ht_fail(name, "accepted (status %#lx, enable %lu)",
			       crd(C(STATUS), 1), crd(C(Q_ENABLE), 2));
	ht_expect_needs_reset(1);
	if (ht_recover(name))
		return -1;
	ht_ok(name);
	return 0;
}

/* The ring memory of a queue laid out like the runtime's, at `mem`. */
static void use_rings(struct vq *q, uint8_t *desc, uint8_t *avail,
		      uint8_t *used, uint16_t size)
{
	memset(q, 0, sizeof(*q));
	q->index = 0;
	q->size = size;
	q->io = ht.d.io;
	q->event_idx = ht.d.event_idx;
	q->vector = ht.d.vec_base + 1;
	q->desc = (struct vring_desc *)desc;
	q->avail = (struct vring_avail *)avail;
	q->used = (struct vring_used *)used;
	q->notify = (volatile uint16_t *)(ht.d.notify);
}

int ht_group_mqueue(void)
{
	uint64_t end = LOW_END();
	uint64_t d = (uintptr_t)ht_ring_spare[0], a = d + 0x1000, u = d + 0x2000;
	uint64_t dbytes = 16 * Q0_SIZE, abytes = 6 + 2 * Q0_SIZE,
		 ubytes = 6 + 8 * Q0_SIZE;
	struct vq *q = &ht.d.vq[0];
	int bad = 0;

	bad |= refused("mqueue_size_0", 0, d, a, u);
	bad |= refused("mqueue_size_3", 3, d, a, u);
	bad |= refused("mqueue_size_above_max", 2 * Q0_SIZE, d, a, u);
	bad |= refused("mqueue_desc_misaligned", Q0_SIZE, d + 8, a, u);
	bad |= refused("mqueue_avail_odd", Q0_SIZE, d, a + 1, u);
	bad |= refused("mqueue_used_2_aligned", Q0_SIZE, d, a, u + 2);
	bad |= refused("mqueue_desc_past_ram", Q0_SIZE, end, a, u);
	bad |= refused("mqueue_desc_across_end", Q0_SIZE, end - dbytes + 16, a, u);
	bad |= refused("mqueue_avail_across_end", Q0_SIZE, d, end - abytes + 2, u);
	bad |= refused("mqueue_used_across_end", Q0_SIZE, d, a, end - ubytes + 4);
	bad |= refused("mqueue_used_in_pci_hole", Q0_SIZE, d, a, 0xd0000000);
	bad |= refused("mqueue_avail_on_lapic", Q0_SIZE, d, 0xfee00000, u);
	bad |= refused("mqueue_desc_wraps_2_64", Q0_SIZE, 0xfffffffffffff000ULL, a, u);
	if (bad)
		return -1;

	/* At the very end of low RAM (which the runtime maps 1:1, as all
	 * of the low 4 GiB): the descriptor table ends on its last byte. */
	{
		uint64_t td = (end - dbytes) & ~15ULL;
		uint64_t ta = (td - abytes) & ~1ULL;
		uint64_t tu = (end - 8192 - ubytes) & ~3ULL;

		if (begin_others())
			return ht_fail("mqueue_tightest", "bring-up");
		place_q0(Q0_SIZE, td, ta, tu);
		if (needs_reset() || crd(C(Q_ENABLE), 2) != 1)
			return ht_fail("mqueue_tightest", "refused (status %#lx)",
				       crd(C(STATUS), 1));
		vq_free(q);
		memset(phys_to_virt(td), 0, dbytes);
		memset(phys_to_virt(ta), 0, abytes);
		memset(phys_to_virt(tu), 0, ubytes);
		use_rings(q, phys_to_virt(td), phys_to_virt(ta),
			  phys_to_virt(tu), Q0_SIZE);
		ht_finish();
		if (ht_works("mqueue_tightest"))
			return -1;
		ht_ok("mqueue_tightest");
	}

	/* No such queue: size 0, nothing to enable. */
	if (ht_recover("mqueue_absent"))
		return -1;
	cwr(C(Q_SELECT), 7, 2);
	if (crd(C(Q_SIZE), 2) != 0)
		return ht_fail("mqueue_absent", "size %lu", crd(C(Q_SIZE), 2));
	cwr(C(Q_SIZE), 16, 2);
	cwr(C(Q_ENABLE), 1, 2);
	if (needs_reset() || crd(C(Q_SIZE), 2) || ht_works("mqueue_absent"))
		return ht_fail("mqueue_absent", "queue 7 took writes");
	ht_ok("mqueue_absent");

	/* Enabled: its fields are fixed, disabling is not a thing. */
	cwr(C(Q_SELECT), 0, 2);
	cwr(C(Q_SIZE), 16, 2);
	cwr(C(Q_DESCLO), 0x1000, 4);
	cwr(C(Q_USEDLO), 0x2000, 4);
	cwr(C(Q_ENABLE), 0, 2);
	if (crd(C(Q_SIZE), 2) != q->size || crd(C(Q_ENABLE), 2) != 1 ||
	    crd(C(Q_DESCLO), 4) != (uint32_t)(uintptr_t)q->desc || needs_reset())
		return ht_fail("mqueue_enabled_fixed", "size %lu enable %lu desc %#lx",
			       crd(C(Q_SIZE), 2), crd(C(Q_ENABLE), 2),
			       crd(C(Q_DESCLO), 4));
	if (ht_works("mqueue_enabled_fixed"))
		return -1;
	ht_ok("mqueue_enabled_fixed");
	return 0;
}

/* ---- features ---- */

static bool features_ok_with(uint32_t lo, uint32_t hi)
{
	ht.expect_resets++;
	vdev_set_status(&ht.d, 0);
	vdev_set_status(&ht.d, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	cwr(C(GFSELECT), 0, 4);
	cwr(C(GF), lo, 4);
	cwr(C(GFSELECT), 1, 4);
	cwr(C(GF), hi, 4);
	vdev_set_status(&ht.d, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	return crd(C(STATUS), 1) & VIRTIO_CONFIG_S_FEATURES_OK;
}

int ht_group_mfeatures(void)
{
	uint32_t f = ht_default_features();
	static const struct {
		const char *name;
		uint32_t hi;
	} refusals[] = {
		{ "mfeatures_no_version_1", 0 },
		{ "mfeatures_access_platform", 1 | 2 },
		{ "mfeatures_bit_40", 1 | 1u << 8 },
		{ "mfeatures_bit_63", 1 | 1u << 31 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		if (features_ok_with(f, refusals[i].hi) || needs_reset())
			return ht_fail(refusals[i].name, "FEATURES_OK %s",
				       needs_reset() ? "and NEEDS_RESET" :
						       "accepted");
		ht_ok(refusals[i].name);
	}
	if (!features_ok_with(f, 1))
		return ht_fail("mfeatures_good", "refused");
	/* Taking a feature back after FEATURES_OK: ignored. */
	cwr(C(GFSELECT), 0, 4);
	cwr(C(GF), 0, 4);
	if (crd(C(GF), 4) != f)
		return ht_fail("mfeatures_late", "read back %#lx", crd(C(GF), 4));
	ht_ok("mfeatures_late");
	if (ht_recover("mfeatures_late"))
		return -1;

	/* DRIVER_OK without FEATURES_OK. */
	ht.expect_resets++;
	vdev_set_status(&ht.d, 0);
	vdev_set_status(&ht.d, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	vdev_set_status(&ht.d, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	if (!needs_reset() || (crd(C(STATUS), 1) & VIRTIO_CONFIG_S_DRIVER_OK))
		return ht_fail("mfeatures_driver_ok_first", "status %#lx",
			       crd(C(STATUS), 1));
	ht_expect_needs_reset(1);
	if (ht_recover("mfeatures_driver_ok_first"))
		return -1;
	ht_ok("mfeatures_driver_ok_first");
	return 0;
}

/* ---- the register file ---- */

#define COMMON_LEN	0x38	/* struct virtio_pci_common_cfg, 1.0/1.1 */
#define DEVCFG_LEN	8	/* blk capacity / net MAC + status */

static uint8_t snap_common[COMMON_LEN], snap_dev[DEVCFG_LEN];

/* Every width at every offset of a region reads the snapshot's bytes. */
static int reads_match(const char *what, volatile uint8_t *base,
		       const uint8_t *snap, unsigned int len)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	unsigned int w, off, i;

	for (w = 0; w < 4; w++) {
		for (off = 0; off + widths[w] <= len; off++) {
			uint64_t v = region_read(base + off, widths[w]);

			for (i = 0; i < widths[w]; i++)
				if ((uint8_t)(v >> 8 * i) != snap[off + i])
					return ht_fail("mcommon_reads",
						       "%s: %u bytes at %#x: byte %u %#x, once %#x",
						       what, widths[w], off, i,
						       (uint8_t)(v >> 8 * i),
						       snap[off + i]);
		}
	}
	return 0;
}

int ht_group_mcommon(void)
{
	unsigned int i;
	uint8_t gen;

	if (ht_recover("mcommon"))
		return -1;
	gen = (uint8_t)crd(C(CFGGENERATION), 1);
	for (i = 0; i < COMMON_LEN; i++)
		snap_common[i] = ht.d.common[i];
	for (i = 0; i < DEVCFG_LEN; i++)
		snap_dev[i] = ht.d.devcfg[i];
	if (reads_match("common", ht.d.common, snap_common, COMMON_LEN) ||
	    reads_match("device", ht.d.devcfg, snap_dev, DEVCFG_LEN))
		return -1;
	ht_ok("mcommon_reads");
	/* Read-only fields (queue 0's notify offset is 0). */
	cwr(C(Q_SELECT), 0, 2);
	cwr(C(DF), 0, 4);
	cwr(C(NUMQ), 9, 2);
	cwr(C(CFGGENERATION), gen + 1, 1);
	cwr(C(Q_NOFF), 3, 2);
	*(volatile uint32_t *)(ht.d.devcfg) = 0;
	if (crd(C(NUMQ), 2) != ht.nr_queues || crd(C(Q_NOFF), 2) != 0 ||
	    (uint8_t)crd(C(CFGGENERATION), 1) != gen || needs_reset() ||
	    memcmp((const void *)ht.d.devcfg, snap_dev, 4))
		return ht_fail("mcommon_readonly", "a read-only field changed");
	ht_ok("mcommon_readonly");
	/* The device configuration, both ways, the same bytes. */
	if (ht.d.io) {
		unsigned int cfg = ht.d.io + VIRTIO_PCI_CONFIG_OFF(true);

		for (i = 0; i < DEVCFG_LEN; i++)
			if (inb(cfg + i) != snap_dev[i])
				return ht_fail("mcommon_config_both_ways",
					       "byte %u: legacy %#x, modern %#x",
					       i, inb(cfg + i), snap_dev[i]);
		ht_ok("mcommon_config_both_ways");
	}
	return ht_works("mcommon");
}

/* ---- notifications ---- */

int ht_group_mnotify(void)
{
	volatile uint8_t *n0 = ht.d.notify;
	unsigned int q, i;

	if (ht_recover("mnotify"))
		return -1;
	/* Wrong value, wrong widths: exits, still queue `q`'s kick. */
	q = ht_post_nokick();
	*(volatile uint16_t *)(n0 + ht.d.notify_mult * q) = 0x55;
	ht.expect_notify_exits++;
	if (ht_posted_done(HT_WAIT))
		return ht_fail("mnotify_wrong_value", "not kicked");
	ht_ok("mnotify_wrong_value");
	q = ht_post_nokick();
	*(volatile uint8_t *)(n0 + ht.d.notify_mult * q) = (uint8_t)q;
	ht.expect_notify_exits++;
	if (ht_posted_done(HT_WAIT))
		return ht_fail("mnotify_byte", "not kicked");
	ht_ok("mnotify_byte");
	q = ht_post_nokick();
	*(volatile uint32_t *)(n0 + ht.d.notify_mult * q) = q;
	ht.expect_notify_exits++;
	if (ht_posted_done(HT_WAIT))
		return ht_fail("mnotify_dword", "not kicked");
	ht_ok("mnotify_dword");
	/* Past the last queue's slot: nothing at all. */
	*(volatile uint16_t *)(n0 + ht.d.notify_mult * ht.nr_queues) = 0;
	if (needs_reset())
		return ht_fail("mnotify_past_queues", "NEEDS_RESET");
	ht_ok("mnotify_past_queues");
	/* 10,000 good ones: ioeventfds, none exits. */
	for (i = 0; i < 10000; i++)
		vq_kick(&ht.d.vq[i % ht.nr_queues]);
	if (needs_reset() || ht_works("mnotify_storm"))
		return ht_fail("mnotify_storm", "device lost");
	ht_ok("mnotify_storm");
	return 0;
}

/* ---- one interface per reset ---- */

int ht_group_mmix(void)
{
	if (!ht.d.io) {
		ht_ok("mmix_not_transitional");
		return 0;
	}
	if (ht_recover("mmix"))
		return -1;
	outl(ht.d.io + VIRTIO_PCI_GUEST_FEATURES, 0);
	if (!needs_reset())
		return ht_fail("mmix_legacy_write", "no NEEDS_RESET");
	if (!(ht.d.features == (uint32_t)crd(C(GF), 4)))
		return ht_fail("mmix_legacy_write", "features changed");
	ht_expect_needs_reset(1);
	ht_ok("mmix_legacy_write");
	/* A legacy reset is allowed; the modern driver starts over. */
	outb(ht.d.io + VIRTIO_PCI_STATUS, 0);
	ht.expect_resets++;
	if (crd(C(STATUS), 1) != 0)
		return ht_fail("mmix_legacy_reset", "status %#lx",
			       crd(C(STATUS), 1));
	if (ht_recover("mmix_legacy_reset"))
		return -1;
	ht_ok("mmix_legacy_reset");
	return 0;
}
