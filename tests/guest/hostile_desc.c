// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_desc - a guest whose descriptors point where they must not, or
 * the wrong way, or that publishes a head twice, on the legacy virtio-blk
 * device (1af4:1001).  Each case ends with the outcome it must have, then
 * a reset + re-initialisation + good request (lib/vblk_hostile.c):
 *
 *   NEEDS_RESET  buffers past 2^64 (data and header), past the end of
 *                RAM, in the PCI hole, above 4 GiB where there is no RAM;
 *                len 0 and 0xffffffff; a read over the avail ring (its
 *                idx becomes garbage); header or status with the wrong
 *                direction so that no request can be formed
 *   served       a buffer ending at the last byte of RAM; a read over
 *                unused descriptors; a read over the used ring (the
 *                device never reads it back: its own entry wins); a head
 *                published twice in one batch, again while in flight, or
 *                filling the whole ring (each avail entry is one request:
 *                the used entries carry the same id)
 *   UNSUPP       the header is the descriptor itself (type = its addr)
 *   IOERR        data in the wrong direction (device-readable data for a
 *                read, device-writable for a write): nothing transferred
 *   either       the whole ring of one head and one more: all 257 served
 *                or NEEDS_RESET, nothing else
 *
 * Parameters: `only=N` runs case N alone.  Needs --disk IMG (8 MiB of
 * zeroes) and -m 256M (the RAM-end cases).  At the end "hostile disk0:
 * ... N needs-reset, M resets" must match lightvm's -v counters
 * (run-tests.sh checks).
 *
 * Disk layout as hostile_ring's: GOOD_SECTOR.. recovery writes,
 * PATTERN_SECTOR.. 512 numbered sectors, the rest zero (ZERO_SECTOR is
 * where the wrong-direction write goes: it must stay zero).
 *
 * Exit status: the lowest failed group: 1 set-up, 2 addresses and
 * lengths, 3 buffers over the rings, 4 directions, 5 resubmission.
 */
#include "runtime.h"

const char test_name[] = "hostile_desc";

enum group { G_SETUP = 1, G_ADDR, G_OVERLAP, G_DIR, G_RESUBMIT };

#define RAM_END		0x10000000ull		/* -m 256M */
#define PCI_HOLE_ADDR	0xd0000000ull

#define QSIZE		256
#define VEC_BASE	0x50
/* Big buffers at fixed addresses far above the kernel (1 MiB + ~1 MiB). */
#define DATA_BASE	0x2000000ull		/* 1 MiB of data buffers */

#define GOOD_SECTOR	2048
#define PATTERN_SECTOR	4096
#define PATTERN_SECTORS	512
#define ZERO_SECTOR	8192			/* never written */

static struct hv dev;

static void *data_buf(unsigned int sector_slot)
{
	return phys_to_virt(DATA_BASE + (uint64_t)sector_slot * HV_SECTOR);
}

/* ---- addresses and lengths ---- */

/* A read whose data descriptor is (addr, len). */
static int bad_data(const char *c, uint64_t addr, uint32_t len)
{
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR,
		    data_buf(0), HV_SECTOR);
	dev.q->desc[1].addr = addr;
	dev.q->desc[1].len = len;
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

static int addr_wraps(const char *c)
{
	/* addr + len = 2^64 + 0x1000 */
	return bad_data(c, 0xfffffffffffff000ull, 0x2000);
}

static int addr_top_byte(const char *c)
{
	return bad_data(c, 0xffffffffffffffffull, 1);
}

static int addr_past_ram(const char *c)
{
	return bad_data(c, RAM_END - 256, HV_SECTOR);
}

static int addr_in_pci_hole(const char *c)
{
	return bad_data(c, PCI_HOLE_ADDR, HV_SECTOR);
}

static int addr_above_4g(const char *c)
{
	/* No RAM above 4 GiB with -m 256M. */
	return bad_data(c, 0x100000000ull, HV_SECTOR);
}

static int len_zero(const char *c)
{
	return bad_data(c, DATA_BASE, 0);
}

static int len_max(const char *c)
{
	return bad_data(c, DATA_BASE, 0xffffffffu);
}

static int hdr_addr_wraps(const char *c)
{
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR,
		    data_buf(0), HV_SECTOR);
	dev.q->desc[0].addr = 0xfffffffffffffff8ull;
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

/* The last 512 bytes of RAM are a good buffer (the boundary itself). */
static int buf_at_ram_end(const char *c)
{
	uint64_t *buf = phys_to_virt(RAM_END - HV_SECTOR);

	hv_arm(&dev);
	hv_fill_words(buf, HV_SECTOR, ~0ull);
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR + 7, buf,
		    HV_SECTOR);
	hv_publish(&dev, 0);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     HV_SECTOR + 1))
		return -1;
	if (!hv_numbered(buf, PATTERN_SECTOR + 7, 1)) {
		hv_fail(&dev, c, "wrong data at the end of RAM");
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

/* ---- buffers on top of the rings ---- */

/* A read into descriptors 128..159, which no chain uses: served. */
static int data_over_desc(const char *c)
{
	struct vring_desc *t = dev.q->desc;

	hv_arm(&dev);
	hv_rw_chain(t, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR + 11, &t[128],
		    HV_SECTOR);
	hv_publish(&dev, 0);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     HV_SECTOR + 1))
		return -1;
	if (!hv_numbered(&t[128], PATTERN_SECTOR + 11, 1)) {
		hv_fail(&dev, c, "wrong data in the descriptor table");
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

/*
 * A read over the avail ring: flags, idx and heads become sector data
 * (idx = 0, one behind the device), which the device must take as a
 * violation the next time it looks.
 */
static int data_over_avail(const char *c)
{
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR + 12,
		    dev.q->avail, HV_SECTOR);
	hv_arm(&dev);
	hv_publish(&dev, 0);
	/* The read itself completes; the ring is garbage afterwards. */
	dev.used_idx++;
	return hv_expect_needs_reset(&dev, c);
}

/*
 * A read over the used ring: the device never reads it back, so its
 * own used entry, written after the data, is what the driver sees.
 */
static int data_over_used(const char *c)
{
	hv_arm(&dev);
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR + 13,
		    dev.q->used, HV_SECTOR);
	hv_publish(&dev, 0);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     HV_SECTOR + 1))
		return -1;
	if (vq_ld16(&dev.q->used->idx) != dev.q->last_used) {
		hv_fail(&dev, c, "used idx %u after one request",
			vq_ld16(&dev.q->used->idx));
		hv_recover(&dev, c);
		return -1;
	}
	/* Our ring is scribbled on: start afresh. */
	if (hv_recover(&dev, c))
		return -1;
	hv_ok(&dev, c);
	return 0;
}

/*
 * The header is descriptor 0 itself: its addr (the table's address)
 * reads as the request type, which is no type: UNSUPP.
 */
static int hdr_is_descriptor(const char *c)
{
	struct vring_desc *t = dev.q->desc;

	hv_arm(&dev);
	hv_st[0] = 0xff;
	vq_set_desc(t, 0, hv_pa(&t[0]), 16, HV_NX, 1);
	vq_set_desc(t, 1, hv_pa(&hv_st[0]), 1, HV_WR, 0);
	hv_publish(&dev, 0);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_UNSUPP, 1))
		return -1;
	hv_ok(&dev, c);
	return 0;
}

/* ---- directions ---- */

static int dir_bad(const char *c, uint16_t f0, uint16_t f1, uint16_t f2,
		   uint32_t type)
{
	hv_rw_chain(dev.q->desc, 0, 0, type, ZERO_SECTOR, data_buf(0),
		    HV_SECTOR);
	dev.q->desc[0].flags = f0;
	dev.q->desc[1].flags = f1;
	dev.q->desc[2].flags = f2;
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

/* Everything device-writable: no header to read. */
static int dir_hdr_writable(const char *c)
{
	return dir_bad(c, HV_WR | HV_NX, HV_WR | HV_NX, HV_WR, VIRTIO_BLK_T_IN);
}

/* A write whose status byte is device-readable: nowhere to answer. */
static int dir_status_readable_write(const char *c)
{
	return dir_bad(c, HV_NX, HV_NX, HV_RD, VIRTIO_BLK_T_OUT);
}

/* A read whose status is readable after writable data: order broken. */
static int dir_status_readable_read(const char *c)
{
	return dir_bad(c, HV_NX, HV_WR | HV_NX, HV_RD, VIRTIO_BLK_T_IN);
}

/* Data in the wrong direction: IOERR, the buffer untouched. */
static int dir_data(const char *c, uint32_t type, uint16_t data_flags)
{
	const uint64_t canary = 0x5a5a5a5a5a5a5a5aull;

	hv_arm(&dev);
	hv_fill_words(data_buf(0), HV_SECTOR, canary);
	hv_rw_chain(dev.q->desc, 0, 0, type, ZERO_SECTOR, data_buf(0),
		    HV_SECTOR);
	dev.q->desc[1].flags = data_flags;
	hv_publish(&dev, 0);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_IOERR, 1))
		return -1;
	if (!hv_all_words(data_buf(0), HV_SECTOR, canary)) {
		hv_fail(&dev, c, "the data buffer was written");
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

static int dir_read_data_readable(const char *c)
{
	return dir_data(c, VIRTIO_BLK_T_IN, HV_NX);
}

/* The sector (in the zero area) must stay zero: run-tests.sh checks. */
static int dir_write_data_writable(const char *c)
{
	return dir_data(c, VIRTIO_BLK_T_OUT, HV_WR | HV_NX);
}

/* ---- resubmission ---- */

/* n used entries, all id 0, len 513, the data right; no NEEDS_RESET. */
static int same_head_check(const char *c, unsigned int n)
{
	struct vring_used_elem e;
	unsigned int i;

	if (hv_wait_used(&dev, n, HV_WAIT_TICKS)) {
		hv_fail(&dev, c, "%u of %u used entries",
			(uint16_t)(vq_ld16(&dev.q->used->idx) -
				   dev.q->last_used), n);
		hv_recover(&dev, c);
		return -1;
	}
	for (i = 0; i < n; i++) {
		vq_pop(dev.q, &e);
		if (e.id != 0 || e.len != HV_SECTOR + 1) {
			hv_fail(&dev, c, "used entry %u: id %u len %u", i,
				e.id, e.len);
			hv_recover(&dev, c);
			return -1;
		}
	}
	vtest_sleep_ticks(1);
	if (vq_ld16(&dev.q->used->idx) != dev.q->last_used ||
	    hv_st[0] != VIRTIO_BLK_S_OK || vdev_needs_reset(&dev.d) ||
	    !hv_numbered(data_buf(0), PATTERN_SECTOR + 5, 1)) {
		hv_fail(&dev, c, "extra used entries, status %u, device status 0x%x or wrong data",
			hv_st[0], vdev_status(&dev.d));
		hv_recover(&dev, c);
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

static void same_head_chain(void)
{
	hv_fill_words(data_buf(0), HV_SECTOR, ~0ull);
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR + 5,
		    data_buf(0), HV_SECTOR);
}

/* Head 0 twice in one batch: two requests on the same buffers. */
static int resubmit_batch(const char *c)
{
	static const uint16_t heads[2] = { 0, 0 };

	hv_arm(&dev);
	same_head_chain();
	vq_add_raw(dev.q, heads, 2);
	vq_kick(dev.q);
	return same_head_check(c, 2);
}

/* Head 0 again right after its notify, before it was used. */
static int resubmit_in_flight(const char *c)
{
	hv_arm(&dev);
	same_head_chain();
	hv_publish(&dev, 0);
	hv_publish(&dev, 0);
	return same_head_check(c, 2);
}

/* The whole avail ring holding the same head. */
static int resubmit_whole_ring(const char *c)
{
	static uint16_t heads[QSIZE];

	hv_arm(&dev);
	same_head_chain();
	memset(heads, 0, sizeof(heads));
	vq_add_raw(dev.q, heads, QSIZE);
	vq_kick(dev.q);
	return same_head_check(c, QSIZE);
}

/*
 * The whole ring of one head, then one more before the device could
 * have finished: more requests than queue entries outstanding.  The
 * device either served all 257 (it was faster than us) or said
 * NEEDS_RESET (idx more than the size ahead, or no request slot left
 * for a chain while all 256 it took are in flight); nothing else.
 */
static int resubmit_overcommit(const char *c)
{
	static uint16_t heads[QSIZE + 1];
	unsigned int start;

	hv_arm(&dev);
	same_head_chain();
	memset(heads, 0, sizeof(heads));
	vq_add_raw(dev.q, heads, QSIZE);
	vq_kick(dev.q);
	vq_add_raw(dev.q, heads, 1);
	vq_kick(dev.q);
	start = vtest_ticks;
	while ((uint16_t)(vq_ld16(&dev.q->used->idx) - dev.q->last_used) <
	       QSIZE + 1 && hv_cfg_irqs(&dev) == dev.cfg_irqs &&
	       vtest_ticks - start < HV_WAIT_TICKS)
		hv_wait_used(&dev, QSIZE + 1, 1);
	if (hv_cfg_irqs(&dev) != dev.cfg_irqs) {
		/* Whatever was used meanwhile does not count. */
		dev.used_idx = vq_ld16(&dev.q->used->idx);
		return hv_expect_needs_reset(&dev, c);
	}
	if ((uint16_t)(vq_ld16(&dev.q->used->idx) - dev.q->last_used) !=
	    QSIZE + 1 || vdev_needs_reset(&dev.d)) {
		hv_fail(&dev, c, "%u of 257 used, device status 0x%x",
			(uint16_t)(vq_ld16(&dev.q->used->idx) -
				   dev.q->last_used), vdev_status(&dev.d));
		hv_recover(&dev, c);
		return -1;
	}
	/* The 257th used entry overwrote the first: start afresh. */
	if (hv_recover(&dev, c))
		return -1;
	printf("ok: %s (all served)\n", c);
	return 0;
}

static const struct hv_case cases[] = {
	{ "addr-wraps", G_ADDR, addr_wraps },
	{ "addr-top-byte", G_ADDR, addr_top_byte },
	{ "addr-past-ram", G_ADDR, addr_past_ram },
	{ "addr-pci-hole", G_ADDR, addr_in_pci_hole },
	{ "addr-above-4g", G_ADDR, addr_above_4g },
	{ "hdr-addr-wraps", G_ADDR, hdr_addr_wraps },
	{ "len-zero", G_ADDR, len_zero },
	{ "len-ffffffff", G_ADDR, len_max },
	{ "buf-at-ram-end", G_ADDR, buf_at_ram_end },
	{ "data-over-desc", G_OVERLAP, data_over_desc },
	{ "data-over-avail", G_OVERLAP, data_over_avail },
	{ "data-over-used", G_OVERLAP, data_over_used },
	{ "hdr-is-descriptor", G_OVERLAP, hdr_is_descriptor },
	{ "dir-hdr-writable", G_DIR, dir_hdr_writable },
	{ "dir-status-readable-write", G_DIR, dir_status_readable_write },
	{ "dir-status-readable-read", G_DIR, dir_status_readable_read },
	{ "dir-read-data-readable", G_DIR, dir_read_data_readable },
	{ "dir-write-data-writable", G_DIR, dir_write_data_writable },
	{ "resubmit-batch", G_RESUBMIT, resubmit_batch },
	{ "resubmit-in-flight", G_RESUBMIT, resubmit_in_flight },
	{ "resubmit-whole-ring", G_RESUBMIT, resubmit_whole_ring },
	{ "resubmit-overcommit", G_RESUBMIT, resubmit_overcommit },
};

int test_main(void)
{
	unsigned int failed;

	vtest_init();
	if (hv_open(&dev, "disk0", 0, VEC_BASE, HV_WANT_ALL, GOOD_SECTOR) ||
	    hv_write_numbered(&dev, PATTERN_SECTOR, PATTERN_SECTORS,
			      data_buf(0)))
		return G_SETUP;
	failed = hv_run_cases(cases, sizeof(cases) / sizeof(cases[0]));
	hv_report(&dev);
	return failed;
}
