// SPDX-License-Identifier: GPL-2.0
/*
 * pcicfg.c - the virtio function's PCI configuration space written with
 * every width at every offset 0-255, through mechanism #1 as a guest
 * can reach it: CONFIG_ADDRESS names the dword, the byte or word goes to
 * 0xcfc + (offset & 3).  A word at 0xcff or a dword at 0xcfd-0xcff
 * spills out of the CONFIG_DATA window: that is no configuration access
 * at all, and must be harmless too.
 *
 * Three passes, each writing one pattern to every dword of the space
 * (all ones - the BAR sizing value -, a mixed pattern, zeroes).  After
 * each pass:
 *   - every read-only byte reads as before: IDs, class, header type,
 *     subsystem, capability pointer and list (MSI-X and the virtio
 *     vendor capabilities but for the PCI_CFG one's bar, offset, length
 *     and data fields), the MSI-X table size and table/PBA
 *     locations, interrupt pin, the unimplemented BARs 2-3 and the
 *     expansion ROM, and STATUS (its error bits are write-1-to-clear
 *     and none is set; Interrupt Status follows INTx and is not compared);
 *   - the writable bits hold the pattern through the write masks the
 *     PCI spec gives them: COMMAND I/O, memory, bus master and INTx
 *     disable (6.2.2), the cache line size and interrupt line bytes,
 *     the BARs' address bits above their size (6.2.5.1: all ones reads
 *     back the size; BAR4 is the modern interface's 64-bit BAR, whose
 *     upper half BAR5 is all address bits), MSI-X Enable and Function
 *     Mask;
 * then everything is written back.  The device must afterwards still
 * read exactly as at the start, and run on from where it was (no reset)
 * with MSI-X interrupts.  Then both BARs move while the device runs
 * (bars_moved).
 */
#include "ht.h"

#define CFG_SIZE	256
#define CONFIG_ADDRESS	0xcf8
#define CONFIG_DATA	0xcfc
#define STATUS_INTX	0x08	/* STATUS bit 3: INTx asserted */

static uint8_t saved[CFG_SIZE], now[CFG_SIZE];
static uint32_t bar_mask[6];	/* address bits of BAR0, 1, 4 and 5 */

static void select_dword(unsigned int off)
{
	outl(CONFIG_ADDRESS, 0x80000000u | ht.d.slot << 11 | (off & 0xfc));
}

static void cfg_write(unsigned int off, unsigned int w, uint32_t v)
{
	uint16_t port = CONFIG_DATA + (off & 3);

	select_dword(off);
	if (w == 1)
		outb(port, (uint8_t)v);
	else if (w == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

static void read_space(uint8_t *buf)
{
	unsigned int off;

	for (off = 0; off < CFG_SIZE; off += 4) {
		uint32_t v = pci_read32(0, ht.d.slot, 0, off);

		memcpy(buf + off, &v, 4);
	}
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * The modern transport's configuration access capability (virtio 4.1.4.9,
 * cfg_type 5): the driver writes its bar, offset and length fields and
 * the pci_cfg_data dword.  With a bar other than 4 - as every pattern
 * here makes it - the data dword only holds what was written.
 */
static unsigned int pci_cfg_cap;

static unsigned int find_pci_cfg_cap(const uint8_t *cfg)
{
	unsigned int off = cfg[0x34] & 0xfc, n = 0;

	while (off && n++ < 48) {
		if (cfg[off] == 0x09 && cfg[off + 3] == 5)
			return off;
		off = cfg[off + 1] & 0xfc;
	}
	return 0;
}

static bool in_pci_cfg_cap(unsigned int off)
{
	return pci_cfg_cap && (off == pci_cfg_cap + 4 ||
			       (off >= pci_cfg_cap + 8 && off < pci_cfg_cap + 20));
}

/* The bytes a guest may change; everything else must stay. */
static bool writable(unsigned int off)
{
	return in_pci_cfg_cap(off) ||			/* virtio PCI_CFG */
	       off == 0x04 || off == 0x05 ||		/* COMMAND */
	       off == 0x0c ||				/* cache line size */
	       (off >= 0x10 && off < 0x18) ||		/* BAR0, BAR1 */
	       (off >= 0x20 && off < 0x28) ||		/* BAR4, BAR5 */
	       off == 0x3c ||				/* interrupt line */
	       off == ht.d.msix_cap + 3u;		/* MSI-X control */
}

/* What byte `off` must hold after `pattern` went to every dword. */
static uint8_t expected(unsigned int off, uint32_t pattern)
{
	uint8_t p = (uint8_t)(pattern >> (8 * (off & 3)));

	if (off == 0x04)
		return p & 0x07;		/* I/O, memory, master */
	if (off == 0x05)
		return p & 0x04;		/* INTx disable */
	if ((off >= 0x10 && off < 0x18) || (off >= 0x20 && off < 0x28)) {
		unsigned int bar = (off - 0x10) / 4, sh = 8 * (off & 3);
		uint32_t v = (pattern & bar_mask[bar]) |
			     (get32(saved + 0x10 + 4 * bar) & ~bar_mask[bar]);

		return (uint8_t)(v >> sh);
	}
	if (off == ht.d.msix_cap + 3u)
		return (saved[off] & 0x3f) | (p & 0xc0);
	return p;
}

static void restore(void)
{
	cfg_write(0x10, 4, get32(saved + 0x10));
	cfg_write(0x14, 4, get32(saved + 0x14));
	cfg_write(0x20, 4, get32(saved + 0x20));
	cfg_write(0x24, 4, get32(saved + 0x24));
	cfg_write(0x0c, 1, saved[0x0c]);
	cfg_write(0x3c, 1, saved[0x3c]);
	cfg_write(0x04, 2, saved[0x04] | saved[0x05] << 8);
	cfg_write(ht.d.msix_cap + 2, 2,
		  saved[ht.d.msix_cap + 2] | saved[ht.d.msix_cap + 3] << 8);
	if (pci_cfg_cap) {
		/* bar first: with it back at 0 the data write is stored only. */
		cfg_write(pci_cfg_cap + 4, 1, saved[pci_cfg_cap + 4]);
		cfg_write(pci_cfg_cap + 8, 4, get32(saved + pci_cfg_cap + 8));
		cfg_write(pci_cfg_cap + 12, 4, get32(saved + pci_cfg_cap + 12));
		cfg_write(pci_cfg_cap + 16, 4, get32(saved + pci_cfg_cap + 16));
	}
}

static int pass(const char *name, uint32_t pattern)
{
	static const unsigned int widths[] = { 1, 2, 4 };
	unsigned int wi, off;

	for (wi = 0; wi < 3; wi++) {
		for (off = 0; off < CFG_SIZE; off++)
			cfg_write(off, widths[wi],
				  pattern >> (8 * (off & 3)));
		read_space(now);
		if (pattern == 0xffffffff && wi == 0) {
			/* Sizing: BAR0 is I/O, BAR1 32-bit memory, BAR4
			 * 64-bit memory (type 10b) with BAR5 its upper half. */
			bar_mask[0] = get32(now + 0x10) & ~3u;
			bar_mask[1] = get32(now + 0x14) & ~0xfu;
			bar_mask[4] = get32(now + 0x20) & ~0xfu;
			bar_mask[5] = get32(now + 0x24);
			if (!(get32(now + 0x10) & 1) || (get32(now + 0x14) & 7) ||
			    (get32(now + 0x20) & 7) != 4 || bar_mask[5] != ~0u ||
			    (~bar_mask[0] + 1) & ~bar_mask[0] ||
			    (~bar_mask[1] + 1) & ~bar_mask[1] ||
			    (~bar_mask[4] + 1) & ~bar_mask[4] ||
			    ~bar_mask[1] + 1 < ht.d.msix_size * 16u)
				return ht_fail(name, "BAR sizing reads 0x%x, 0x%x, 0x%x:%x",
					       get32(now + 0x10),
					       get32(now + 0x14),
					       get32(now + 0x24),
					       get32(now + 0x20));
		}
		for (off = 0; off < CFG_SIZE; off++) {
			uint8_t want = writable(off) ? expected(off, pattern) :
						       saved[off];

			/* STATUS Interrupt Status follows INTx (net may
			 * take a frame while the sweep has MSI-X off). */
			if (off == 0x06) {
				want &= ~STATUS_INTX;
				now[off] &= ~STATUS_INTX;
			}
			if (now[off] != want)
				return ht_fail(name, "%u-byte writes of 0x%x: byte 0x%x reads 0x%x, expected 0x%x",
					       widths[wi], pattern, off,
					       now[off], want);
		}
		restore();
	}
	return 0;
}

/* Point BAR0 and the MSI-X BAR elsewhere; the driver follows. */
static void move_bars(uint16_t io, uint32_t mem)
{
	uint64_t table_off = ht.d.msix_table - (get32(saved + 0x14) & ~0xfu);
	uint64_t pba_off = ht.d.msix_pba - (get32(saved + 0x14) & ~0xfu);
	unsigned int i;

	pci_write32(0, ht.d.slot, 0, 0x10, io | 1);
	pci_write32(0, ht.d.slot, 0, 0x14, mem);
	ht.d.io = io;
	for (i = 0; i < ht.nr_queues; i++)
		ht.d.vq[i].io = io;
	ht.d.msix_table = mem + table_off;
	ht.d.msix_pba = mem + pba_off;
}

/*
 * A BAR rewritten while decoding is on (Linux turns decoding off first;
 * nothing obliges a guest to): the registers, the queue notifies - KVM
 * ioeventfds, which lightvm moves with BAR0 - and the MSI-X table answer
 * at the new addresses, nothing at the old ones.  run-tests.sh's count
 * of notify exits shows the kicks at the new port took the ioeventfd.
 */
static int bars_moved(void)
{
	const char *name = "pci_bars_moved_while_decoding";
	uint16_t old_io = ht.d.io, new_io = 0xd000;
	uint32_t old_mem = get32(saved + 0x14) & ~0xfu;
	uint32_t new_mem = 0xc8000000;
	unsigned int q, irq1;

	move_bars(new_io, new_mem);
	if (inb(old_io + VIRTIO_PCI_STATUS) != 0xff ||
	    vdev_status(&ht.d) != (VIRTIO_CONFIG_S_ACKNOWLEDGE |
				   VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_DRIVER_OK))
		return ht_fail(name, "STATUS reads 0x%x at the old BAR0, 0x%x at the new",
			       inb(old_io + VIRTIO_PCI_STATUS),
			       vdev_status(&ht.d));
	/* Entry 1's message data, now at the new address. */
	if (*(volatile uint32_t *)phys_to_virt(ht.d.msix_table + 16 + 8) !=
	    HT_VEC_BASE + 1u)
		return ht_fail(name, "MSI-X entry 1 data reads 0x%x at the new BAR",
			       *(volatile uint32_t *)phys_to_virt(ht.d.msix_table +
								 16 + 8));
	/* A kick at the old place reaches nothing. */
	q = ht_post_nokick();
	outw(old_io + VIRTIO_PCI_QUEUE_NOTIFY, q);
	if (ht_posted_done(HT_QUIET) != -1)
		return ht_fail(name, "a notify at the old BAR0 kicked queue %u",
			       q);
	ht_notify(q);
	if (ht_posted_done(HT_WAIT))
		return ht_fail(name, "no completion after a notify at the new BAR0");
	irq1 = vtest_irqs[HT_VEC_BASE + 1];
	if (ht_works(name))
		return -1;
	if (!ht_wait_irq(HT_VEC_BASE + 1, irq1, HT_WAIT))
		return ht_fail(name, "no MSI-X interrupt with the table moved");
	move_bars(old_io, old_mem);
	if (ht_works(name))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_pcicfg(void)
{
	const char *name = "pci_config_every_width_every_offset";
	unsigned int irq1;

	if (ht_start(ht_default_features()))
		return -1;
	read_space(saved);
	pci_cfg_cap = find_pci_cfg_cap(saved);
	if (pass(name, 0xffffffff) || pass(name, 0x5aa5c33c) || pass(name, 0))
		return -1;
	read_space(now);
	now[0x06] = (now[0x06] & ~STATUS_INTX) | (saved[0x06] & STATUS_INTX);
	if (memcmp(now, saved, CFG_SIZE))
		return ht_fail(name, "configuration space differs after the restore");
	if (vdev_status(&ht.d) != (VIRTIO_CONFIG_S_ACKNOWLEDGE |
				   VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_DRIVER_OK))
		return ht_fail(name, "device status 0x%x", vdev_status(&ht.d));
	irq1 = vtest_irqs[HT_VEC_BASE + 1];
	if (ht_works(name))
		return -1;
	if (!ht_wait_irq(HT_VEC_BASE + 1, irq1, HT_WAIT))
		return ht_fail(name, "no MSI-X interrupt after the restore");
	ht_ok(name);
	if (bars_moved())
		return -1;
	return ht_recover(name);
}
