// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_ring - a guest that breaks the split-virtqueue rules of virtio
 * 1.x 2.7 in the avail ring, the descriptor links and indirect tables of
 * the legacy virtio-blk device (1af4:1001), where lightvm's ring walker
 * (vmm/virtio/virtq.c) is exercised end to end.  Each case ends with the
 * outcome it must have, then a reset + re-initialisation + good request
 * (lib/vblk_hostile.c):
 *
 *   NEEDS_RESET  avail idx more than the queue size ahead, or behind;
 *                heads >= size; loops (self, 2-cycle, long, a tail
 *                cycle, the whole table; direct and inside an indirect
 *                table); next >= size or >= the table's entries;
 *                INDIRECT not negotiated, nested, with NEXT, table
 *                length 0, not 16 * n, more than `size` entries, huge,
 *                outside RAM
 *   served       idx exactly `size` ahead (256 chains in one notify);
 *                the longest chains the walker takes: 256 direct
 *                descriptors, a 256-entry table, 255 direct + a 256-entry
 *                table = 511 segments (the iovec cap VQ_MAX_SEGS = 1024
 *                cannot be reached with 256-entry queues, so this is the
 *                limit), and 256 such chains at once (65536 segments,
 *                through blk.c's iovec arena); WRITE on the descriptor
 *                that points to a table is ignored (2.7.5.3.2)
 *
 * Parameters: `only=N` runs case N alone.  Needs --disk IMG (8 MiB of
 * zeroes).  At the end "hostile disk0: ... N needs-reset, M resets" must
 * match lightvm's -v counters (run-tests.sh checks).
 *
 * Disk layout: GOOD_SECTOR.. recovery writes (8 sectors), PATTERN_SECTOR..
 * 512 sectors of their own numbers (written here first, then only read),
 * everything else stays zero (the runner checks the image).
 *
 * Exit status: the lowest failed group: 1 set-up, 2 avail ring, 3 loops
 * and next, 4 indirect, 5 long chains.
 */
#include "runtime.h"

const char test_name[] = "hostile_ring";

enum group { G_SETUP = 1, G_AVAIL, G_LOOP, G_INDIRECT, G_LONG };

#define PCI_HOLE_ADDR	0xd0000000ull		/* no RAM there */
#define QSIZE		256
#define VEC_BASE	0x50
/* Big buffers at fixed addresses far above the kernel (1 MiB + ~1 MiB). */
#define DATA_BASE	0x2000000ull		/* 1 MiB of data buffers */
#define TABLE_BASE	0x2800000ull		/* tables, 4 KiB each */

#define GOOD_SECTOR	2048
#define PATTERN_SECTOR	4096
#define PATTERN_SECTORS	512
#define ZERO_SECTOR	8192			/* never written */

static struct hv dev;

static void *data_buf(unsigned int sector_slot)
{
	return phys_to_virt(DATA_BASE + (uint64_t)sector_slot * HV_SECTOR);
}

static struct vring_desc *table(unsigned int i)
{
	return phys_to_virt(TABLE_BASE + (uint64_t)i * 4096);
}

/* ---- avail ring ---- */

static int avail_idx_ahead(const char *c)
{
	uint16_t heads[QSIZE + 1];
	unsigned int i;

	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR,
		    data_buf(0), HV_SECTOR);
	for (i = 0; i <= QSIZE; i++)
		heads[i] = 0;
	hv_arm(&dev);
	/* size + 1 buffers "available": more than the ring can hold. */
	vq_add_raw(dev.q, heads, QSIZE + 1);
	vq_kick(dev.q);
	return hv_expect_needs_reset(&dev, c);
}

static int avail_idx_back(const char *c)
{
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR,
		    data_buf(0), HV_SECTOR);
	hv_arm(&dev);
	/* idx one behind what the device consumed: 65535 "new" entries. */
	vq_st16(&dev.q->avail->idx, vq_ld16(&dev.q->avail->idx) - 1);
	vq_kick(dev.q);
	return hv_expect_needs_reset(&dev, c);
}

static int head_out_of_range(const char *c, uint16_t head)
{
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR,
		    data_buf(0), HV_SECTOR);
	hv_arm(&dev);
	hv_publish(&dev, head);
	return hv_expect_needs_reset(&dev, c);
}

static int head_256(const char *c)
{
	return head_out_of_range(c, QSIZE);
}

static int head_ffff(const char *c)
{
	return head_out_of_range(c, 0xffff);
}

/*
 * avail idx exactly `size` ahead is legal: 256 chains, one descriptor
 * each (INDIRECT to a 3-entry table), in one notify.
 */
static int avail_full(const char *c)
{
	static uint16_t heads[QSIZE];
	static uint8_t seen[QSIZE];
	struct vring_used_elem e;
	unsigned int i;

	hv_arm(&dev);
	hv_fill_words(data_buf(0), QSIZE * HV_SECTOR, ~0ull);
	for (i = 0; i < QSIZE; i++) {
		hv_rw_chain(table(i), 0, i, VIRTIO_BLK_T_IN, PATTERN_SECTOR + i,
			    data_buf(i), HV_SECTOR);
		vq_set_desc(dev.q->desc, i, hv_pa(table(i)), 3 * 16, HV_IND, 0);
		heads[i] = i;
		seen[i] = 0;
	}
	vq_add_raw(dev.q, heads, QSIZE);
	vq_kick(dev.q);
	if (hv_wait_used(&dev, QSIZE, HV_WAIT_TICKS)) {
		hv_fail(&dev, c, "%u of 256 chains used",
			(uint16_t)(vq_ld16(&dev.q->used->idx) -
				   dev.q->last_used));
		hv_recover(&dev, c);
		return -1;
	}
	for (i = 0; i < QSIZE; i++) {
		vq_pop(dev.q, &e);
		if (e.id >= QSIZE || seen[e.id]++ || e.len != HV_SECTOR + 1 ||
		    hv_st[e.id] != VIRTIO_BLK_S_OK ||
		    !hv_numbered(data_buf(e.id), PATTERN_SECTOR + e.id, 1)) {
			hv_fail(&dev, c, "used entry %u: id %u len %u status %u",
				i, e.id, e.len, e.id < QSIZE ? hv_st[e.id] : 0);
			hv_recover(&dev, c);
			return -1;
		}
	}
	hv_ok(&dev, c);
	return 0;
}

/* ---- loops and next ---- */

/* n readable descriptors 0..n-1, the last pointing back to `back`. */
static int direct_cycle(const char *c, unsigned int n, unsigned int back)
{
	unsigned int i;

	hv_set_hdr(0, VIRTIO_BLK_T_IN, PATTERN_SECTOR);
	for (i = 0; i < n; i++)
		vq_set_desc(dev.q->desc, i, hv_pa(&hv_hdr[0]),
			    sizeof(hv_hdr[0]), HV_NX,
		    i + 1 < n ? i + 1 : back);
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

static int loop_self(const char *c)
{
	return direct_cycle(c, 1, 0);
}

static int loop_two(const char *c)
{
	return direct_cycle(c, 2, 0);
}

static int loop_long(const char *c)
{
	return direct_cycle(c, 200, 0);
}

/* All 256 descriptors in one cycle: the walker's bound is the size. */
static int loop_whole_table(const char *c)
{
	return direct_cycle(c, QSIZE, 0);
}

/* A tail cycle: 0 -> 1 -> ... -> 9 -> 5. */
static int loop_tail(const char *c)
{
	return direct_cycle(c, 10, 5);
}

/* An n-entry table (readable entries) whose last entry points to back. */
static int indirect_cycle(const char *c, unsigned int n, unsigned int back)
{
	struct vring_desc *t = table(0);
	unsigned int i;

	hv_set_hdr(0, VIRTIO_BLK_T_IN, PATTERN_SECTOR);
	for (i = 0; i < n; i++)
		vq_set_desc(t, i, hv_pa(&hv_hdr[0]), sizeof(hv_hdr[0]), HV_NX,
			    i + 1 < n ? i + 1 : back);
	vq_set_desc(dev.q->desc, 0, hv_pa(t), n * 16, HV_IND, 0);
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

static int loop_indirect_self(const char *c)
{
	return indirect_cycle(c, 1, 0);
}

static int loop_indirect_two(const char *c)
{
	return indirect_cycle(c, 2, 0);
}

static int loop_indirect_long(const char *c)
{
	return indirect_cycle(c, 64, 0);
}

static int loop_indirect_whole(const char *c)
{
	return indirect_cycle(c, QSIZE, 0);
}

static int next_out_of_range(const char *c, uint16_t next)
{
	hv_rw_chain(dev.q->desc, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR,
		    data_buf(0), HV_SECTOR);
	dev.q->desc[1].next = next;
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

static int next_256(const char *c)
{
	return next_out_of_range(c, QSIZE);
}

static int next_ffff(const char *c)
{
	return next_out_of_range(c, 0xffff);
}

/* A 3-entry table whose middle entry points at entry 3. */
static int next_past_table(const char *c)
{
	struct vring_desc *t = table(0);

	hv_rw_chain(t, 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR, data_buf(0),
		    HV_SECTOR);
	t[1].next = 3;
	vq_set_desc(dev.q->desc, 0, hv_pa(t), 3 * 16, HV_IND, 0);
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

/* ---- indirect descriptors ---- */

/* desc 0 -> table(0) holding a good read, with desc 0's flags/len. */
static void indirect_read(uint16_t flags, uint32_t len)
{
	hv_rw_chain(table(0), 0, 0, VIRTIO_BLK_T_IN, PATTERN_SECTOR + 3,
		    data_buf(0), HV_SECTOR);
	vq_set_desc(dev.q->desc, 0, hv_pa(table(0)), len, flags, 1);
	/* Where NEXT would lead: a harmless status byte. */
	vq_set_desc(dev.q->desc, 1, hv_pa(&hv_st[1]), 1, HV_WR, 0);
}

static int indirect_bad(const char *c, uint16_t flags, uint32_t len)
{
	indirect_read(flags, len);
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

static int indirect_not_negotiated(const char *c)
{
	int ret;

	hv_start_with(&dev, dev.want & ~HV_F(VIRTIO_RING_F_INDIRECT_DESC));
	if (!dev.q) {
		hv_fail(&dev, c, "start without INDIRECT_DESC failed");
		hv_recover(&dev, c);
		return -1;
	}
	ret = indirect_bad(c, HV_IND, 3 * 16);
	return ret;
}

static int indirect_nested(const char *c)
{
	struct vring_desc *t = table(1);

	/* table(1)[0] is itself INDIRECT to table(0). */
	indirect_read(HV_IND, 3 * 16);
	vq_set_desc(t, 0, hv_pa(table(0)), 3 * 16, HV_IND, 0);
	dev.q->desc[0].addr = hv_pa(t);
	dev.q->desc[0].len = 16;
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

static int indirect_with_next(const char *c)
{
	return indirect_bad(c, HV_IND | HV_NX, 3 * 16);
}

static int indirect_len_zero(const char *c)
{
	return indirect_bad(c, HV_IND, 0);
}

static int indirect_len_odd(const char *c)
{
	return indirect_bad(c, HV_IND, 40);	/* 2.5 entries */
}

static int indirect_len_too_big(const char *c)
{
	return indirect_bad(c, HV_IND, (QSIZE + 1) * 16);
}

static int indirect_len_huge(const char *c)
{
	return indirect_bad(c, HV_IND, 0xfffffff0u);
}

static int indirect_outside_ram(const char *c)
{
	indirect_read(HV_IND, 3 * 16);
	dev.q->desc[0].addr = PCI_HOLE_ADDR;
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

/* "The device MUST ignore the write-only flag (flags&VIRTQ_DESC_F_WRITE)
 * in the descriptor that refers to an indirect table." (2.7.5.3.2) */
static int indirect_write_flag_ignored(const char *c)
{
	hv_arm(&dev);
	hv_fill_words(data_buf(0), HV_SECTOR, ~0ull);
	indirect_read(HV_IND | HV_WR, 3 * 16);
	hv_publish(&dev, 0);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     HV_SECTOR + 1))
		return -1;
	if (!hv_numbered(data_buf(0), PATTERN_SECTOR + 3, 1)) {
		hv_fail(&dev, c, "wrong data");
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

/* ---- long chains ---- */

/* Read n data sectors from PATTERN_SECTOR through the chain at head 0. */
static int long_read_check(const char *c, unsigned int n)
{
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     n * HV_SECTOR + 1))
		return -1;
	if (!hv_numbered(data_buf(0), PATTERN_SECTOR, n)) {
		hv_fail(&dev, c, "data of the %u segments misplaced", n);
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

/* hdr, n data segments of one sector, status, from descriptor `first` of t. */
static void long_chain(struct vring_desc *t, unsigned int first,
		       unsigned int n, unsigned int data_from, bool with_hdr,
		       bool with_status, unsigned int link)
{
	unsigned int i = first, k;

	if (with_hdr) {
		hv_set_hdr(0, VIRTIO_BLK_T_IN, PATTERN_SECTOR);
		vq_set_desc(t, i, hv_pa(&hv_hdr[0]), sizeof(hv_hdr[0]), HV_NX,
			    i + 1);
		i++;
	}
	for (k = 0; k < n; k++, i++)
		vq_set_desc(t, i, hv_pa(data_buf(data_from + k)), HV_SECTOR,
			    HV_WR | HV_NX, i + 1);
	if (with_status) {
		vq_set_desc(t, i, hv_pa(&hv_st[0]), 1, HV_WR, 0);
	} else {
		/* The last data segment leads on to `link`. */
		t[i - 1].next = link;
	}
}

/* 256 descriptors in the table, no loop: exactly the walker's bound. */
static int chain_whole_table(const char *c)
{
	hv_arm(&dev);
	hv_fill_words(data_buf(0), (QSIZE - 2) * HV_SECTOR, ~0ull);
	long_chain(dev.q->desc, 0, QSIZE - 2, 0, true, true, 0);
	hv_publish(&dev, 0);
	return long_read_check(c, QSIZE - 2);
}

/* A 256-entry indirect table: the largest lightvm accepts. */
static int chain_full_table(const char *c)
{
	hv_arm(&dev);
	hv_fill_words(data_buf(0), (QSIZE - 2) * HV_SECTOR, ~0ull);
	long_chain(table(0), 0, QSIZE - 2, 0, true, true, 0);
	vq_set_desc(dev.q->desc, 0, hv_pa(table(0)), QSIZE * 16, HV_IND, 0);
	hv_publish(&dev, 0);
	return long_read_check(c, QSIZE - 2);
}

/*
 * The longest chain there is: 255 direct descriptors (header and 254
 * data), a 256th that is INDIRECT to a full table (255 data and the
 * status): 511 segments, 509 sectors of data.
 */
static int chain_longest(const char *c)
{
	const unsigned int direct = QSIZE - 2, in_table = QSIZE - 1;

	hv_arm(&dev);
	hv_fill_words(data_buf(0), (direct + in_table) * HV_SECTOR, ~0ull);
	long_chain(dev.q->desc, 0, direct, 0, true, false, QSIZE - 1);
	vq_set_desc(dev.q->desc, QSIZE - 1, hv_pa(table(0)), QSIZE * 16, HV_IND,
		    0);
	long_chain(table(0), 0, in_table, direct, false, true, 0);
	hv_publish(&dev, 0);
	return long_read_check(c, direct + in_table);
}

/* One more entry than the queue size in the table. */
static int chain_table_257(const char *c)
{
	long_chain(table(0), 0, QSIZE - 1, 0, true, true, 0);
	vq_set_desc(dev.q->desc, 0, hv_pa(table(0)), (QSIZE + 1) * 16, HV_IND,
		    0);
	hv_arm(&dev);
	hv_publish(&dev, 0);
	return hv_expect_needs_reset(&dev, c);
}

/*
 * 256 chains at once, each INDIRECT to the same 256-entry table (header,
 * 254 sectors, status): 65536 segments in one notify, far more than the
 * device's iovec arena (4 * VQ_MAX_SEGS) holds, so it must submit in
 * between.  All read the same sectors into the same buffers.
 */
static int chains_whole_ring(const char *c)
{
	static uint16_t heads[QSIZE];
	struct vring_used_elem e;
	unsigned int i;

	hv_arm(&dev);
	hv_fill_words(data_buf(0), (QSIZE - 2) * HV_SECTOR, ~0ull);
	long_chain(table(0), 0, QSIZE - 2, 0, true, true, 0);
	for (i = 0; i < QSIZE; i++) {
		vq_set_desc(dev.q->desc, i, hv_pa(table(0)), QSIZE * 16, HV_IND,
			    0);
		heads[i] = i;
	}
	vq_add_raw(dev.q, heads, QSIZE);
	vq_kick(dev.q);
	if (hv_wait_used(&dev, QSIZE, HV_WAIT_TICKS)) {
		hv_fail(&dev, c, "%u of 256 chains used",
			(uint16_t)(vq_ld16(&dev.q->used->idx) -
				   dev.q->last_used));
		hv_recover(&dev, c);
		return -1;
	}
	for (i = 0; i < QSIZE; i++) {
		vq_pop(dev.q, &e);
		if (e.len != (QSIZE - 2) * HV_SECTOR + 1) {
			hv_fail(&dev, c, "used entry %u: id %u len %u", i,
				e.id, e.len);
			hv_recover(&dev, c);
			return -1;
		}
	}
	if (hv_st[0] != VIRTIO_BLK_S_OK ||
	    !hv_numbered(data_buf(0), PATTERN_SECTOR, QSIZE - 2)) {
		hv_fail(&dev, c, "status %u or data wrong", hv_st[0]);
		hv_recover(&dev, c);
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

static const struct hv_case cases[] = {
	{ "avail-idx-ahead", G_AVAIL, avail_idx_ahead },
	{ "avail-idx-back", G_AVAIL, avail_idx_back },
	{ "avail-head-256", G_AVAIL, head_256 },
	{ "avail-head-ffff", G_AVAIL, head_ffff },
	{ "avail-full-ring", G_AVAIL, avail_full },
	{ "loop-self", G_LOOP, loop_self },
	{ "loop-two", G_LOOP, loop_two },
	{ "loop-long", G_LOOP, loop_long },
	{ "loop-whole-table", G_LOOP, loop_whole_table },
	{ "loop-tail", G_LOOP, loop_tail },
	{ "loop-indirect-self", G_LOOP, loop_indirect_self },
	{ "loop-indirect-two", G_LOOP, loop_indirect_two },
	{ "loop-indirect-long", G_LOOP, loop_indirect_long },
	{ "loop-indirect-whole", G_LOOP, loop_indirect_whole },
	{ "next-256", G_LOOP, next_256 },
	{ "next-ffff", G_LOOP, next_ffff },
	{ "next-past-table", G_LOOP, next_past_table },
	{ "indirect-not-negotiated", G_INDIRECT, indirect_not_negotiated },
	{ "indirect-nested", G_INDIRECT, indirect_nested },
	{ "indirect-with-next", G_INDIRECT, indirect_with_next },
	{ "indirect-len-zero", G_INDIRECT, indirect_len_zero },
	{ "indirect-len-odd", G_INDIRECT, indirect_len_odd },
	{ "indirect-len-257", G_INDIRECT, indirect_len_too_big },
	{ "indirect-len-huge", G_INDIRECT, indirect_len_huge },
	{ "indirect-outside-ram", G_INDIRECT, indirect_outside_ram },
	{ "indirect-write-flag", G_INDIRECT, indirect_write_flag_ignored },
	{ "chain-256-direct", G_LONG, chain_whole_table },
	{ "chain-256-indirect", G_LONG, chain_full_table },
	{ "chain-511-segments", G_LONG, chain_longest },
	{ "chain-table-257", G_LONG, chain_table_257 },
	{ "chains-256x256", G_LONG, chains_whole_ring },
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
