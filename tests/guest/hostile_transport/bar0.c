// SPDX-License-Identifier: GPL-2.0
/*
 * bar0.c - every access width (1, 2, 4 bytes) at every offset of the
 * 128-byte legacy BAR0: the virtio header, the device-specific
 * configuration after it (at 20 with MSI-X off, at 24 with it on:
 * 4.1.4.8), and the rest of the BAR past the configuration.
 *
 * Reads, as lightvm documents them (legacy_pci.c): any width at any
 * offset returns the matching bytes of the registers and configuration,
 * bytes past the configuration read 0, and an access reaching past the
 * BAR is no access to it at all (the port bus only hands a device
 * accesses that fit it): all ones.  The values are known: features,
 * PFN, NUM, SEL, STATUS and the vectors are what we wrote or negotiated;
 * blk's capacity and block size, net's MAC and link status what the
 * host set up.  ISR (offset 19) is left out of the comparison - reading
 * it clears it, and net may take a frame at any time; storm.c tests it.
 *
 * Writes: only a write of a register's own width at its own offset is a
 * register write; a torn or misplaced one is ignored.  lightvm's device
 * configuration is read-only - blk does not offer CONFIG_WCE, which
 * would make "writeback" writable, and net keeps the MAC the host gave
 * it - so writes there are ignored too.  Every width at every offset,
 * but for the real register accesses, is written with zeroes (a torn 0
 * over STATUS, if taken, would reset the device) and then all ones;
 * afterwards every byte must read as before, the device must not have
 * been reset, and it must still work.  QUEUE_NOTIFY is written with a
 * value that names no queue.  With MSI-X off, 20 and 22 are
 * configuration, not vectors: the 0xffff left there must not show up
 * as NO_VECTOR once MSI-X is back on.
 */
#include "ht.h"

#define BAR_SIZE	128
#define OK_STATUS	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_DRIVER_OK)

static uint8_t expect[BAR_SIZE];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get(const uint8_t *p, unsigned int w)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < w; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* The image of the whole BAR as the device must show it. */
static int build_expect(const char *name, bool msix)
{
	unsigned int cfg = msix ? 24 : 20, i;
	uint16_t io = ht.d.io;

	memset(expect, 0, sizeof(expect));
	put32(expect + VIRTIO_PCI_HOST_FEATURES, ht.host_features);
	put32(expect + VIRTIO_PCI_GUEST_FEATURES, ht.d.features);
	put32(expect + VIRTIO_PCI_QUEUE_PFN,
	      (uint32_t)((uintptr_t)ht.d.vq[0].mem >> 12));
	put16(expect + VIRTIO_PCI_QUEUE_NUM, ht.d.vq[0].size);
	put16(expect + VIRTIO_PCI_QUEUE_SEL, 0);
	expect[VIRTIO_PCI_STATUS] = OK_STATUS;
	if (msix) {
		put16(expect + VIRTIO_MSI_CONFIG_VECTOR, 0);
		put16(expect + VIRTIO_MSI_QUEUE_VECTOR, 1);
	}
	if (ht.net) {
		memcpy(expect + cfg, ht.mac, 6);
		put16(expect + cfg + 6, VIRTIO_NET_S_LINK_UP);
		return 0;
	}
	/* blk: the fields we know; the rest as the device reads them
	 * byte by byte, which the wider reads must then agree with. */
	for (i = 0; i < sizeof(struct virtio_blk_config); i++)
		expect[cfg + i] = inb(io + cfg + i);
	if (get(expect + cfg, 4) != (uint32_t)ht.capacity ||
	    get(expect + cfg + 4, 4) != (uint32_t)(ht.capacity >> 32) ||
	    get(expect + cfg + offsetof(struct virtio_blk_config, blk_size),
		4) != 512)
		return ht_fail(name, "config: capacity 0x%x%08x, blk_size %u",
			       get(expect + cfg + 4, 4), get(expect + cfg, 4),
			       get(expect + cfg +
				   offsetof(struct virtio_blk_config, blk_size),
				   4));
	return 0;
}

static uint32_t rd(unsigned int off, unsigned int w)
{
	uint16_t port = ht.d.io + off;

	return w == 1 ? inb(port) : w == 2 ? inw(port) : inl(port);
}

static void wr(unsigned int off, unsigned int w, uint32_t v)
{
	uint16_t port = ht.d.io + off;

	if (w == 1)
		outb(port, (uint8_t)v);
	else if (w == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

/* Every width at every offset, and across the end of the BAR. */
static int read_all(const char *name)
{
	static const unsigned int widths[] = { 1, 2, 4 };
	unsigned int wi, off;

	for (wi = 0; wi < 3; wi++) {
		unsigned int w = widths[wi];

		for (off = 0; off < BAR_SIZE + 4; off++) {
			uint32_t got = rd(off, w), want, mask = ~0u;

			if (w < 4)
				mask = (1u << (8 * w)) - 1;
			if (off + w > BAR_SIZE) {
				want = mask;
			} else {
				want = get(expect + off, w);
				/* ISR: cleared by reading, see above. */
				if (off <= VIRTIO_PCI_ISR &&
				    VIRTIO_PCI_ISR < off + w) {
					uint32_t isr = 0xffu <<
						(8 * (VIRTIO_PCI_ISR - off));

					got &= ~isr;
					want &= ~isr;
				}
			}
			if ((got & mask) != want)
				return ht_fail(name, "%u-byte read at BAR0+%u: 0x%x, expected 0x%x",
					       w, off, got & mask, want);
		}
	}
	return 0;
}

/* The (offset, width) pairs that are real register writes. */
static bool is_register(unsigned int off, unsigned int w, bool msix)
{
	return (off == VIRTIO_PCI_GUEST_FEATURES && w == 4) ||
	       (off == VIRTIO_PCI_QUEUE_PFN && w == 4) ||
	       (off == VIRTIO_PCI_QUEUE_SEL && w == 2) ||
	       (off == VIRTIO_PCI_QUEUE_NOTIFY && w == 2) ||
	       (off == VIRTIO_PCI_STATUS && w == 1) ||
	       (msix && (off == VIRTIO_MSI_CONFIG_VECTOR ||
			 off == VIRTIO_MSI_QUEUE_VECTOR) && w == 2);
}

static void write_all(bool msix)
{
	static const unsigned int widths[] = { 1, 2, 4 };
	static const uint32_t values[] = { 0, 0xffffffff };
	unsigned int vi, wi, off;

	for (vi = 0; vi < 2; vi++) {
		for (wi = 0; wi < 3; wi++) {
			unsigned int w = widths[wi];

			for (off = 0; off < BAR_SIZE + 4; off++) {
				if (off == VIRTIO_PCI_QUEUE_NOTIFY && w == 2)
					ht_notify(0xffff);
				else if (!is_register(off, w, msix))
					wr(off, w, values[vi]);
			}
		}
	}
}

static int sweep(const char *name, bool msix)
{
	ht_sel(0);
	if (build_expect(name, msix) || read_all(name))
		return -1;
	write_all(msix);
	if (vdev_status(&ht.d) != OK_STATUS)
		return ht_fail(name, "status 0x%x after the writes",
			       vdev_status(&ht.d));
	if (read_all(name))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_bar0(void)
{
	uint16_t ctrl;

	if (ht_start(ht_default_features()))
		return -1;
	/* MSI-X off: the device configuration moves to 20. */
	vdev_disable_msix(&ht.d);
	if (sweep("bar0_every_width_every_offset_msix_off", false))
		return -1;
	ctrl = pci_read16(0, ht.d.slot, 0, ht.d.msix_cap + 2);
	pci_write16(0, ht.d.slot, 0, ht.d.msix_cap + 2, ctrl | 0x8000);
	ht.d.msix = true;
	if (sweep("bar0_every_width_every_offset_msix_on", true))
		return -1;
	/* Untouched by any of it: the device runs on, no reset. */
	if (ht_works("bar0_device_still_works"))
		return -1;
	ht_ok("bar0_device_still_works");
	return ht_recover("bar0");
}
