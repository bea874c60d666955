// SPDX-License-Identifier: GPL-2.0
/*
 * test_virtq.c - the split-ring walker against rings built by hand in a
 * fake guest RAM: every malformed chain is refused with its own reason and
 * leaves the queue stopped; good chains give exactly the expected iovecs;
 * a descriptor rewritten while (or after) the walker reads it cannot
 * change what was validated; used-ring publishing and EVENT_IDX
 * interrupt suppression follow the spec's arithmetic.
 */
#include <pthread.h>
#include <string.h>

#include "unit.h"
#include "../../vmm/virtio/virtio.h"

#define MEM_SIZE	(16ULL << 20)
#define RING_GPA	0x10000ULL
#define TABLE_GPA	0x80000ULL	/* indirect tables */
#define DATA_GPA	0x100000ULL
#define F_INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)

struct ring {
	struct guest_mem gm;
	struct virtqueue vq;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t size;
	struct iovec iov[VQ_MAX_SEGS];
	struct vq_chain c;
};

static void ring_setup_mem(struct ring *r, uint64_t mem, uint16_t size,
			   uint64_t features)
{
	uint8_t *base;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(guest_mem_init(&r->gm, mem), 0);
	r->size = size;
	vq_init(&r->vq, &r->gm, 0, size);
	ck_assert_int_eq(vq_set_pfn(&r->vq, RING_GPA >> 12), VQ_OK);
	vq_set_features(&r->vq, features);
	base = guest_ptr(&r->gm, RING_GPA, vq_ring_bytes(size));
	ck_assert_ptr_nonnull(base);
	r->desc = (struct vring_desc *)base;
	r->avail = (struct vring_avail *)(base + vq_avail_offset(size));
	r->used = (struct vring_used *)(base + vq_used_offset(size));
}

static void ring_setup(struct ring *r, uint16_t size, uint64_t features)
{
	ring_setup_mem(r, MEM_SIZE, size, features);
}

static void ring_free(struct ring *r)
{
	guest_mem_free(&r->gm);
}

static void set_desc(struct vring_desc *t, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	t[i].addr = addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
}

static struct vring_desc *table_at(struct ring *r, uint64_t gpa,
				   unsigned int n)
{
	struct vring_desc *t = guest_ptr(&r->gm, gpa, n * 16ULL);

	ck_assert_ptr_nonnull(t);
	return t;
}

static void avail_add(struct ring *r, uint16_t head)
{
	r->avail->ring[r->avail->idx % r->size] = head;
	r->avail->idx++;
}

static int pop(struct ring *r)
{
	return vq_pop(&r->vq, &r->c, r->iov, VQ_MAX_SEGS);
}

/* A violation: -1, the reason, and the queue stays stopped after it. */
static void expect_violation(struct ring *r, enum vq_err err)
{
	ck_assert_int_eq(pop(r), -1);
	ck_assert_msg(r->vq.last_err == err, "got '%s', wanted '%s'",
		      vq_err_str(r->vq.last_err), vq_err_str(err));
	ck_assert(r->vq.broken);
	ck_assert_int_eq(pop(r), 0);
	ck_assert(!vq_has_avail(&r->vq));
}

static void *host(struct ring *r, uint64_t gpa)
{
	return guest_ptr(&r->gm, gpa, 1);
}

/* ---- layout and placement ---- */

START_TEST(legacy_layout)
{
	/* 256 entries: desc 4096, avail 6+512 -> used at the next page. */
	ck_assert_uint_eq(vq_avail_offset(256), 4096);
	ck_assert_uint_eq(vq_used_offset(256), 8192);
	ck_assert_uint_eq(vq_ring_bytes(256), 8192 + 6 + 8 * 256);
	/* 16 entries fit desc+avail in one page. */
	ck_assert_uint_eq(vq_used_offset(16), 4096);
	ck_assert_uint_eq(vq_used_offset(32768), 0x80000 + 0x11000);
}
END_TEST

START_TEST(pfn_must_fit_ram)
{
	struct guest_mem gm;
	struct virtqueue vq;
	uint32_t last_page = (uint32_t)(MEM_SIZE >> 12) - 1;

	ck_assert_int_eq(guest_mem_init(&gm, MEM_SIZE), 0);
	vq_init(&vq, &gm, 0, 256);
	/* Three pages needed: one page before the end is too little. */
	ck_assert_int_eq(vq_set_pfn(&vq, last_page), VQ_ERR_ADDR);
	ck_assert(!vq.ready);
	ck_assert_int_eq(vq_set_pfn(&vq, last_page - 1), VQ_ERR_ADDR);
	ck_assert_int_eq(vq_set_pfn(&vq, last_page - 2), VQ_OK);
	ck_assert(vq.ready);
	ck_assert_int_eq(vq_set_pfn(&vq, 0xffffffffu), VQ_ERR_ADDR);
	/* PFN 0 disables. */
	ck_assert_int_eq(vq_set_pfn(&vq, 0), VQ_OK);
	ck_assert(!vq.ready);
	guest_mem_free(&gm);
}
END_TEST

START_TEST(pfn_must_not_straddle_hole)
{
	struct guest_mem gm;
	struct virtqueue vq;

	/* 3 GiB + 16 MiB: low RAM ends at the hole, 16 MiB above 4 GiB. */
	ck_assert_int_eq(guest_mem_init(&gm, PCI_HOLE_START + MEM_SIZE), 0);
	vq_init(&vq, &gm, 0, 256);
	ck_assert_int_eq(vq_set_pfn(&vq, (PCI_HOLE_START >> 12) - 2),
			 VQ_ERR_ADDR);
	ck_assert_int_eq(vq_set_pfn(&vq, PCI_HOLE_START >> 12), VQ_ERR_ADDR);
	ck_assert_int_eq(vq_set_pfn(&vq, PCI_HOLE_END >> 12), VQ_OK);
	ck_assert_int_eq(vq_set_pfn(&vq, (PCI_HOLE_START >> 12) - 3), VQ_OK);
	guest_mem_free(&gm);
}
END_TEST

/* ---- good chains ---- */

START_TEST(good_direct_chain)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 3, DATA_GPA, 16, VRING_DESC_F_NEXT, 7);
	set_desc(r.desc, 7, DATA_GPA + 0x1000, 4096,
		 VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(r.desc, 1, DATA_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	avail_add(&r, 3);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.c.head, 3);
	ck_assert_uint_eq(r.c.nr_out, 1);
	ck_assert_uint_eq(r.c.nr_in, 2);
	ck_assert_uint_eq(r.c.out_len, 16);
	ck_assert_uint_eq(r.c.in_len, 4097);
	ck_assert_ptr_eq(r.c.iov, r.iov);
	ck_assert_ptr_eq(r.iov[0].iov_base, host(&r, DATA_GPA));
	ck_assert_uint_eq(r.iov[0].iov_len, 16);
	ck_assert_ptr_eq(r.iov[1].iov_base, host(&r, DATA_GPA + 0x1000));
	ck_assert_uint_eq(r.iov[1].iov_len, 4096);
	ck_assert_ptr_eq(r.iov[2].iov_base, host(&r, DATA_GPA + 0x3000));
	ck_assert_uint_eq(r.iov[2].iov_len, 1);
	/* Consumed: nothing more. */
	ck_assert_int_eq(pop(&r), 0);
	ck_assert(!r.vq.broken);
	ring_free(&r);
}
END_TEST

START_TEST(good_chain_to_the_last_byte)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, MEM_SIZE - 1, 1, VRING_DESC_F_WRITE, 0);
	avail_add(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_ptr_eq(r.iov[0].iov_base, r.gm.host + MEM_SIZE - 1);
	ring_free(&r);
}
END_TEST

START_TEST(good_indirect_chain)
{
	struct ring r;
	struct vring_desc *t;

	ring_setup(&r, 16, F_INDIRECT);
	t = table_at(&r, TABLE_GPA, 3);
	set_desc(t, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 2);
	set_desc(t, 2, DATA_GPA + 0x1000, 512,
		 VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(t, 1, DATA_GPA + 0x2000, 1, VRING_DESC_F_WRITE, 0);
	/* The WRITE flag on the table descriptor itself is ignored. */
	set_desc(r.desc, 5, TABLE_GPA, 3 * 16,
		 VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	avail_add(&r, 5);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.c.head, 5);
	ck_assert_uint_eq(r.c.nr_out, 1);
	ck_assert_uint_eq(r.c.nr_in, 2);
	ck_assert_uint_eq(r.c.in_len, 513);
	ck_assert_ptr_eq(r.iov[1].iov_base, host(&r, DATA_GPA + 0x1000));
	ck_assert_ptr_eq(r.iov[2].iov_base, host(&r, DATA_GPA + 0x2000));
	ring_free(&r);
}
END_TEST

/* "zero or more normal chained descriptors followed by a single
 * descriptor with flags&VIRTQ_DESC_F_INDIRECT" */
START_TEST(good_direct_then_indirect)
{
	struct ring r;
	struct vring_desc *t;

	ring_setup(&r, 16, F_INDIRECT);
	t = table_at(&r, TABLE_GPA, 2);
	set_desc(t, 0, DATA_GPA + 0x1000, 4096, VRING_DESC_F_WRITE |
		 VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, DATA_GPA + 0x2000, 1, VRING_DESC_F_WRITE, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(r.desc, 1, TABLE_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.c.nr_out, 1);
	ck_assert_uint_eq(r.c.nr_in, 2);
	ck_assert_uint_eq(r.c.out_len + r.c.in_len, 16 + 4097);
	ring_free(&r);
}
END_TEST

/* The full queue may be outstanding: avail idx exactly size ahead. */
START_TEST(good_full_ring)
{
	struct ring r;
	unsigned int i;

	ring_setup(&r, 16, 0);
	for (i = 0; i < 16; i++) {
		set_desc(r.desc, i, DATA_GPA + i * 16, 16, 0, 0);
		avail_add(&r, i);
	}
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(pop(&r), 1);
		ck_assert_uint_eq(r.c.head, i);
	}
	ck_assert_int_eq(pop(&r), 0);
	ring_free(&r);
}
END_TEST

/* Indices wrap at 2^16: keep going across the wrap. */
START_TEST(good_idx_wraps)
{
	struct ring r;
	unsigned int i;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, 0, 0);
	r.vq.last_avail_idx = 0xfffe;
	r.avail->idx = 0xfffe;
	for (i = 0; i < 4; i++) {
		avail_add(&r, 0);
		ck_assert_int_eq(pop(&r), 1);
	}
	ck_assert_uint_eq(r.vq.last_avail_idx, 2);
	ring_free(&r);
}
END_TEST

/* ---- malformed chains ---- */

START_TEST(loop_self)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 4, DATA_GPA, 16, VRING_DESC_F_NEXT, 4);
	avail_add(&r, 4);
	expect_violation(&r, VQ_ERR_LOOP);
	ring_free(&r);
}
END_TEST

START_TEST(loop_two_cycle)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(r.desc, 1, DATA_GPA, 16, VRING_DESC_F_NEXT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_LOOP);
	ring_free(&r);
}
END_TEST

START_TEST(loop_long_cycle)
{
	struct ring r;
	unsigned int i;

	ring_setup(&r, 256, 0);
	for (i = 0; i < 256; i++)
		set_desc(r.desc, i, DATA_GPA, 16, VRING_DESC_F_NEXT,
			 (i + 1) % 256);
	avail_add(&r, 17);
	expect_violation(&r, VQ_ERR_LOOP);
	ring_free(&r);
}
END_TEST

/* A chain of exactly `size` descriptors is legal; one more is a loop. */
START_TEST(chain_of_queue_size)
{
	struct ring r;
	unsigned int i;

	ring_setup(&r, 16, 0);
	for (i = 0; i < 16; i++)
		set_desc(r.desc, i, DATA_GPA, 16,
			 i < 15 ? VRING_DESC_F_NEXT : 0, i + 1);
	avail_add(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.c.nr_out, 16);
	ring_free(&r);
}
END_TEST

START_TEST(loop_indirect)
{
	struct ring r;
	struct vring_desc *t;
	unsigned int i;

	ring_setup(&r, 16, F_INDIRECT);
	t = table_at(&r, TABLE_GPA, 4);
	for (i = 0; i < 4; i++)
		set_desc(t, i, DATA_GPA, 16, VRING_DESC_F_NEXT, (i + 1) % 4);
	set_desc(r.desc, 0, TABLE_GPA, 64, VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_LOOP);
	ring_free(&r);
}
END_TEST

START_TEST(next_out_of_range)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 16);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_NEXT);
	ring_free(&r);
}
END_TEST

START_TEST(next_out_of_indirect_table)
{
	struct ring r;
	struct vring_desc *t;

	ring_setup(&r, 16, F_INDIRECT);
	t = table_at(&r, TABLE_GPA, 2);
	/* next 2 is inside the queue but outside this 2-entry table. */
	set_desc(t, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 2);
	set_desc(r.desc, 0, TABLE_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_NEXT);
	ring_free(&r);
}
END_TEST

START_TEST(head_out_of_range)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	avail_add(&r, 0xffff);
	expect_violation(&r, VQ_ERR_HEAD);
	ring_free(&r);
}
END_TEST

START_TEST(huge_avail_idx)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, 0, 0);
	r.avail->idx = 17;		/* 17 buffers in a 16-entry ring */
	expect_violation(&r, VQ_ERR_AVAIL_IDX);
	ring_free(&r);
}
END_TEST

START_TEST(huge_avail_idx_wrapped)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	r.avail->idx = 0xffff;		/* "behind" us, i.e. 65535 ahead */
	expect_violation(&r, VQ_ERR_AVAIL_IDX);
	ring_free(&r);
}
END_TEST

/* (addr, len) cases that must all be refused as outside guest RAM. */
static const struct {
	uint64_t addr;
	uint32_t len;
} bad_buffers[] = {
	{ 0xfffffffffffff000ULL, 0x2000 },	/* addr + len overflows */
	{ UINT64_MAX, 1 },
	{ MEM_SIZE, 1 },			/* just past the end */
	{ MEM_SIZE - 1, 2 },			/* straddles the end */
	{ MEM_SIZE - 0x1000, 0x1001 },
	{ 0, 0xffffffffu },			/* len 4 GiB - 1 */
	{ PCI_HOLE_START, 16 },			/* in the PCI hole */
	{ PCI_HOLE_END, 16 },			/* no high RAM here */
};

START_TEST(buffer_outside_ram)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(r.desc, 1, bad_buffers[_i].addr, bad_buffers[_i].len,
		 VRING_DESC_F_WRITE, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_ADDR);
	ring_free(&r);
}
END_TEST

START_TEST(buffer_straddles_pci_hole)
{
	struct ring r;

	ring_setup_mem(&r, PCI_HOLE_START + MEM_SIZE, 16, 0);
	/* Last page of low RAM plus one byte into the hole. */
	set_desc(r.desc, 0, PCI_HOLE_START - 0x1000, 0x1001, 0, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_ADDR);
	ring_free(&r);

	/* The same length entirely on either side is fine. */
	ring_setup_mem(&r, PCI_HOLE_START + MEM_SIZE, 16, 0);
	set_desc(r.desc, 0, PCI_HOLE_START - 0x1001, 0x1001,
		 VRING_DESC_F_NEXT, 1);
	set_desc(r.desc, 1, PCI_HOLE_END, 0x1001, 0, 0);
	avail_add(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_ptr_eq(r.iov[1].iov_base, r.gm.host + PCI_HOLE_START);
	ring_free(&r);
}
END_TEST

START_TEST(zero_length_buffer)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 0, 0, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_LEN0);
	ring_free(&r);
}
END_TEST

START_TEST(readable_after_writable)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(r.desc, 1, DATA_GPA + 16, 16,
		 VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(r.desc, 2, DATA_GPA + 32, 16, 0, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_ORDER);
	ring_free(&r);
}
END_TEST

START_TEST(readable_after_writable_across_indirect)
{
	struct ring r;
	struct vring_desc *t;

	ring_setup(&r, 16, F_INDIRECT);
	t = table_at(&r, TABLE_GPA, 1);
	set_desc(t, 0, DATA_GPA + 64, 16, 0, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, VRING_DESC_F_WRITE |
		 VRING_DESC_F_NEXT, 1);
	set_desc(r.desc, 1, TABLE_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_ORDER);
	ring_free(&r);
}
END_TEST

START_TEST(indirect_not_negotiated)
{
	struct ring r;
	struct vring_desc *t;

	ring_setup(&r, 16, 0);
	t = table_at(&r, TABLE_GPA, 1);
	set_desc(t, 0, DATA_GPA, 16, 0, 0);
	set_desc(r.desc, 0, TABLE_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_INDIRECT_FEATURE);
	ring_free(&r);
}
END_TEST

START_TEST(indirect_nested)
{
	struct ring r;
	struct vring_desc *t, *t2;

	ring_setup(&r, 16, F_INDIRECT);
	t = table_at(&r, TABLE_GPA, 1);
	t2 = table_at(&r, TABLE_GPA + 0x1000, 1);
	set_desc(t2, 0, DATA_GPA, 16, 0, 0);
	set_desc(t, 0, TABLE_GPA + 0x1000, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(r.desc, 0, TABLE_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_INDIRECT_NESTED);
	ring_free(&r);
}
END_TEST

START_TEST(indirect_with_next)
{
	struct ring r;
	struct vring_desc *t;

	ring_setup(&r, 16, F_INDIRECT);
	t = table_at(&r, TABLE_GPA, 1);
	set_desc(t, 0, DATA_GPA, 16, 0, 0);
	set_desc(r.desc, 0, TABLE_GPA, 16,
		 VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(r.desc, 1, DATA_GPA, 16, 0, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_INDIRECT_NEXT);
	ring_free(&r);
}
END_TEST

/* Indirect table lengths: 0, not 16*n, more entries than the queue. */
static const struct {
	uint32_t len;
	enum vq_err err;
} bad_tables[] = {
	{ 0, VQ_ERR_INDIRECT_LEN },
	{ 15, VQ_ERR_INDIRECT_LEN },
	{ 24, VQ_ERR_INDIRECT_LEN },
	{ 17 * 16, VQ_ERR_INDIRECT_LEN },	/* queue size is 16 */
	{ 0xfffffff0u, VQ_ERR_INDIRECT_LEN },
};

START_TEST(indirect_bad_length)
{
	struct ring r;

	ring_setup(&r, 16, F_INDIRECT);
	set_desc(r.desc, 0, TABLE_GPA, bad_tables[_i].len,
		 VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	expect_violation(&r, bad_tables[_i].err);
	ring_free(&r);
}
END_TEST

START_TEST(indirect_table_outside_ram)
{
	struct ring r;

	ring_setup(&r, 16, F_INDIRECT);
	set_desc(r.desc, 0, MEM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_ADDR);
	ring_free(&r);
}
END_TEST

START_TEST(more_segments_than_iovecs)
{
	struct ring r;
	unsigned int i;

	ring_setup(&r, 16, 0);
	for (i = 0; i < 5; i++)
		set_desc(r.desc, i, DATA_GPA, 16, i < 4 ? VRING_DESC_F_NEXT : 0,
			 i + 1);
	avail_add(&r, 0);
	ck_assert_int_eq(vq_pop(&r.vq, &r.c, r.iov, 4), -1);
	ck_assert_int_eq(r.vq.last_err, VQ_ERR_TOO_MANY);
	ck_assert(r.vq.broken);
	ring_free(&r);
}
END_TEST

/* The real cap: a legal 1025-descriptor chain in a 2048-entry queue. */
START_TEST(chain_longer_than_cap)
{
	struct ring r;
	unsigned int i, n = VQ_MAX_SEGS + 1;

	ring_setup(&r, 2048, 0);
	for (i = 0; i < n; i++)
		set_desc(r.desc, i, DATA_GPA, 16,
			 i < n - 1 ? VRING_DESC_F_NEXT : 0, i + 1);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_TOO_MANY);
	ring_free(&r);

	/* Exactly the cap is fine. */
	ring_setup(&r, 2048, 0);
	for (i = 0; i < VQ_MAX_SEGS; i++)
		set_desc(r.desc, i, DATA_GPA, 16,
			 i < VQ_MAX_SEGS - 1 ? VRING_DESC_F_NEXT : 0, i + 1);
	avail_add(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.c.nr_out, VQ_MAX_SEGS);
	ring_free(&r);
}
END_TEST

/* ---- the guest rewriting descriptors ---- */

START_TEST(rewrite_after_copy)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 512, VRING_DESC_F_WRITE, 0);
	avail_add(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	/* The guest now points the descriptor outside RAM: too late. */
	set_desc(r.desc, 0, UINT64_MAX - 8, 0xffffffffu, VRING_DESC_F_NEXT,
		 0);
	ck_assert_ptr_eq(r.iov[0].iov_base, host(&r, DATA_GPA));
	ck_assert_uint_eq(r.iov[0].iov_len, 512);
	ck_assert_uint_eq(r.c.nr_in, 1);
	ring_free(&r);
}
END_TEST

struct flipper {
	struct vring_desc *d;
	bool stop;
};

/* A second "vCPU" flips the length between valid and outside RAM. */
static void *flip(void *arg)
{
	struct flipper *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&f->d->len, 0xffffffffu, __ATOMIC_RELAXED);
		__atomic_store_n(&f->d->len, 512, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(rewrite_while_walking)
{
	struct flipper f;
	pthread_t t;
	struct ring r;
	unsigned int i, good = 0, bad = 0;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, MEM_SIZE - 4096, 512, 0, 0);
	f.d = &r.desc[0];
	f.stop = false;
	ck_assert_int_eq(pthread_create(&t, NULL, flip, &f), 0);
	for (i = 0; i < 100000; i++) {
		int ret;

		avail_add(&r, 0);
		ret = pop(&r);
		if (ret == 1) {
			/* What was checked is what we got. */
			ck_assert_uint_eq(r.iov[0].iov_len, 512);
			good++;
		} else {
			ck_assert_int_eq(ret, -1);
			ck_assert_int_eq(r.vq.last_err, VQ_ERR_ADDR);
			bad++;
			ck_assert_int_eq(vq_set_pfn(&r.vq, RING_GPA >> 12),
					 VQ_OK);
			r.avail->idx = 0;
		}
	}
	__atomic_store_n(&f.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	ck_assert_uint_eq(good + bad, 100000);
	ring_free(&r);
}
END_TEST

/* ---- used ring and notification suppression ---- */

START_TEST(push_publishes_used)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	vq_push(&r.vq, 7, 4097);
	vq_push(&r.vq, 3, 1);
	ck_assert_uint_eq(r.used->idx, 2);
	ck_assert_uint_eq(r.used->ring[0].id, 7);
	ck_assert_uint_eq(r.used->ring[0].len, 4097);
	ck_assert_uint_eq(r.used->ring[1].id, 3);
	ck_assert_uint_eq(r.used->ring[1].len, 1);
	ring_free(&r);
}
END_TEST

START_TEST(no_interrupt_flag)
{
	struct ring r;

	ring_setup(&r, 16, 0);
	vq_push(&r.vq, 0, 1);
	ck_assert(vq_should_notify(&r.vq));
	r.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(&r.vq, 0, 1);
	ck_assert(!vq_should_notify(&r.vq));
	r.avail->flags = 0;
	ck_assert(vq_should_notify(&r.vq));
	ring_free(&r);
}
END_TEST

START_TEST(event_idx_suppression)
{
	struct ring r;
	uint16_t *used_event;
	unsigned int i;

	ring_setup(&r, 16, F_EVENT_IDX);
	used_event = &r.avail->ring[16];
	/* NO_INTERRUPT is ignored once EVENT_IDX is in force. */
	r.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event = 100;
	vq_push(&r.vq, 0, 1);
	ck_assert(vq_should_notify(&r.vq));	/* the first decision */
	/* used 1 -> 3, driver wants an interrupt once entry 5 is used */
	*used_event = 5;
	vq_push(&r.vq, 0, 1);
	vq_push(&r.vq, 0, 1);
	ck_assert(!vq_should_notify(&r.vq));
	/* 3 -> 6 crosses 5 (used idx went past used_event) */
	for (i = 0; i < 3; i++)
		vq_push(&r.vq, 0, 1);
	ck_assert(vq_should_notify(&r.vq));
	/* nothing new since: no interrupt whatever used_event says */
	*used_event = 5;
	ck_assert(!vq_should_notify(&r.vq));
	/* exactly reaching used_event + 1 */
	*used_event = 6;
	vq_push(&r.vq, 0, 1);
	ck_assert(vq_should_notify(&r.vq));
	ring_free(&r);
}
END_TEST

START_TEST(event_idx_wraps)
{
	struct ring r;

	ring_setup(&r, 16, F_EVENT_IDX);
	r.vq.used_idx = 0xfffe;
	r.vq.signalled_used = 0xfffe;
	r.vq.signalled_valid = true;
	r.avail->ring[16] = 0xffff;	/* wants entry 0xffff */
	vq_push(&r.vq, 0, 1);		/* used 0xffff: not yet past */
	ck_assert(!vq_should_notify(&r.vq));
	vq_push(&r.vq, 0, 1);		/* used 0x0000: past 0xffff */
	ck_assert(vq_should_notify(&r.vq));
	/* vring_need_event itself across the wrap */
	ck_assert(vring_need_event(0xffff, 1, 0xfffe));
	ck_assert(!vring_need_event(2, 1, 0xfffe));
	ck_assert(vring_need_event(0, 1, 0));
	ck_assert(!vring_need_event(1, 1, 0));
	ring_free(&r);
}
END_TEST

START_TEST(avail_event_published)
{
	struct ring r;
	uint16_t *avail_event;

	ring_setup(&r, 16, F_EVENT_IDX);
	avail_event = (uint16_t *)&r.used->ring[16];
	set_desc(r.desc, 0, DATA_GPA, 16, 0, 0);
	avail_add(&r, 0);
	avail_add(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	/* One still pending: asking for kicks says "process again". */
	ck_assert(vq_enable_kicks(&r.vq));
	ck_assert_uint_eq(*avail_event, 1);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert(!vq_enable_kicks(&r.vq));
	ck_assert_uint_eq(*avail_event, 2);
	ring_free(&r);
}
END_TEST

START_TEST(reset_forgets_everything)
{
	struct ring r;
	uint32_t gen;

	ring_setup(&r, 16, 0);
	set_desc(r.desc, 0, DATA_GPA, 16, VRING_DESC_F_NEXT, 0);
	avail_add(&r, 0);
	expect_violation(&r, VQ_ERR_LOOP);
	gen = r.vq.gen;
	vq_reset(&r.vq);
	ck_assert(!r.vq.ready);
	ck_assert(!r.vq.broken);
	ck_assert_uint_ne(r.vq.gen, gen);
	ck_assert_int_eq(pop(&r), 0);
	ring_free(&r);
}
END_TEST

Suite *virtq_suite(void)
{
	Suite *s = suite_create("virtq");
	TCase *good = tcase_create("good chains");
	TCase *bad = tcase_create("malformed chains");
	TCase *race = tcase_create("guest rewrites");
	TCase *used = tcase_create("used ring");

	tcase_add_test(good, legacy_layout);
	tcase_add_test(good, pfn_must_fit_ram);
	tcase_add_test(good, pfn_must_not_straddle_hole);
	tcase_add_test(good, good_direct_chain);
	tcase_add_test(good, good_chain_to_the_last_byte);
	tcase_add_test(good, good_indirect_chain);
	tcase_add_test(good, good_direct_then_indirect);
	tcase_add_test(good, good_full_ring);
	tcase_add_test(good, good_idx_wraps);
	tcase_add_test(good, chain_of_queue_size);
	suite_add_tcase(s, good);

	tcase_add_test(bad, loop_self);
	tcase_add_test(bad, loop_two_cycle);
	tcase_add_test(bad, loop_long_cycle);
	tcase_add_test(bad, loop_indirect);
	tcase_add_test(bad, next_out_of_range);
	tcase_add_test(bad, next_out_of_indirect_table);
	tcase_add_test(bad, head_out_of_range);
	tcase_add_test(bad, huge_avail_idx);
	tcase_add_test(bad, huge_avail_idx_wrapped);
	tcase_add_loop_test(bad, buffer_outside_ram, 0,
			    sizeof(bad_buffers) / sizeof(bad_buffers[0]));
	tcase_add_test(bad, buffer_straddles_pci_hole);
	tcase_add_test(bad, zero_length_buffer);
	tcase_add_test(bad, readable_after_writable);
	tcase_add_test(bad, readable_after_writable_across_indirect);
	tcase_add_test(bad, indirect_not_negotiated);
	tcase_add_test(bad, indirect_nested);
	tcase_add_test(bad, indirect_with_next);
	tcase_add_loop_test(bad, indirect_bad_length, 0,
			    sizeof(bad_tables) / sizeof(bad_tables[0]));
	tcase_add_test(bad, indirect_table_outside_ram);
	tcase_add_test(bad, more_segments_than_iovecs);
	tcase_add_test(bad, chain_longer_than_cap);
	suite_add_tcase(s, bad);

	tcase_add_test(race, rewrite_after_copy);
	tcase_add_test(race, rewrite_while_walking);
	tcase_set_timeout(race, 30);
	suite_add_tcase(s, race);

	tcase_add_test(used, push_publishes_used);
	tcase_add_test(used, no_interrupt_flag);
	tcase_add_test(used, event_idx_suppression);
	tcase_add_test(used, event_idx_wraps);
	tcase_add_test(used, avail_event_published);
	tcase_add_test(used, reset_forgets_everything);
	suite_add_tcase(s, used);
	return s;
}
