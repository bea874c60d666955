// SPDX-License-Identifier: GPL-2.0
/*
 * virtq.c - fuzz the split-ring walker (vmm/virtio/virtq.c).
 *
 * The input is a small program that plays a hostile driver: it places a
 * ring of any legal size anywhere (in RAM, across its end, in the hole),
 * writes descriptors, indirect tables, avail entries and indices with
 * addresses aimed at the edges of RAM, and pops, pushes and asks for
 * notifications in any order.  At the end every chain left is popped.
 *
 * Each vq_pop() is checked against a model written from the invariants
 * in virtq.c's header comment (not from its code): a ring with nothing
 * pending pops nothing, a violation pops -1 and stops the queue, and a
 * good chain gives exactly the model's iovecs, readable ones first, each
 * inside one RAM region.  The iovec array handed to the walker ends
 * where max_iov says, so a write past it is a sanitizer report.
 */
#include <string.h>

#include "fuzz.h"
#include "../../vmm/virtio/virtio.h"

#define RAM_HALF	(1ULL << 20)
#define IOV_CAP		(VQ_MAX_SEGS + 8)
#define DIRTY_MAX	4096

static struct guest_mem gm;
static struct virtqueue vq;
static struct iovec iov_buf[IOV_CAP];

/* ---- resetting RAM cheaply: remember what was written ---- */

static struct {
	uint8_t *p;
	size_t len;
} dirty[DIRTY_MAX];
static unsigned int nr_dirty;
static bool dirty_all;

static void mark(void *p, size_t len)
{
	if (nr_dirty == DIRTY_MAX) {
		dirty_all = true;
		return;
	}
	dirty[nr_dirty].p = p;
	dirty[nr_dirty].len = len;
	nr_dirty++;
}

static void clean(void)
{
	unsigned int i;

	if (dirty_all)
		memset(gm.host, 0, gm.size);
	else
		for (i = 0; i < nr_dirty; i++)
			memset(dirty[i].p, 0, dirty[i].len);
	nr_dirty = 0;
	dirty_all = false;
}

static void ram_write(uint64_t gpa, const void *src, size_t len)
{
	void *p = guest_ptr(&gm, gpa, len);

	if (!p)
		return;
	memcpy(p, src, len);
	mark(p, len);
}

static void put16(uint16_t *p, uint16_t v)
{
	*p = v;
	mark(p, sizeof(*p));
}

/* ---- the model ---- */

/* Where (gpa, len) is in host memory, or NULL: 128-bit sums, no tricks. */
static uint8_t *model_host(uint64_t gpa, uint64_t len)
{
	unsigned __int128 end = (unsigned __int128)gpa + len;

	if (end <= gm.low_size)
		return gm.host + gpa;
	if (gpa >= PCI_HOLE_END && end <= PCI_HOLE_END + gm.high_size)
		return gm.host + gm.low_size + (gpa - PCI_HOLE_END);
	return NULL;
}

struct model_seg {
	const uint8_t *p;
	uint32_t len;
	bool writable;
};

static struct model_seg segs[IOV_CAP];

/* 1 and the chain in segs[], 0 nothing to pop, -1 a violation. */
static int model_pop(unsigned int max_iov, uint16_t *head, unsigned int *n)
{
	const uint8_t *table = (const uint8_t *)vq.desc;
	unsigned int tsize = vq.size, seen = 0, i;
	bool in_table = false, writable = false;
	uint16_t pending;

	*n = 0;
	if (!vq.ready || vq.broken)
		return 0;
	pending = (uint16_t)(vq.avail->idx - vq.last_avail_idx);
	if (!pending)
		return 0;
	if (pending > vq.size)
		return -1;
	*head = vq.avail->ring[vq.last_avail_idx % vq.size];
	if (*head >= vq.size)
		return -1;
	if (max_iov > VQ_MAX_SEGS)
		max_iov = VQ_MAX_SEGS;
	for (i = *head;;) {
		struct vring_desc d;
		const uint8_t *p;

		/* No more descriptors than the table has: no loops. */
		if (seen++ == tsize)
			return -1;
		memcpy(&d, table + 16 * i, sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq.indirect || in_table ||
			    (d.flags & VRING_DESC_F_NEXT) || !d.len ||
			    d.len % 16 || d.len / 16 > vq.size)
				return -1;
			table = model_host(d.addr, d.len);
			if (!table)
				return -1;
			tsize = d.len / 16;
			in_table = true;
			seen = 0;
			i = 0;
			continue;
		}
		p = model_host(d.addr, d.len);
		if (!d.len || !p)
			return -1;
		if (d.flags & VRING_DESC_F_WRITE)
			writable = true;
		else if (writable)
			return -1;
		if (*n == max_iov)
			return -1;
		segs[*n].p = p;
		segs[*n].len = d.len;
		segs[*n].writable = d.flags & VRING_DESC_F_WRITE;
		(*n)++;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		i = d.next;
		if (i >= tsize)
			return -1;
	}
}

/* EVENT_IDX bookkeeping the model keeps beside the queue's own. */
static bool model_signalled_valid;
static uint16_t model_signalled;

static void model_reset(void)
{
	model_signalled_valid = false;
	model_signalled = 0;
}

/* ---- operations ---- */

static unsigned int pick_max_iov(uint8_t sel)
{
	switch (sel) {
	case 0:
		return VQ_MAX_SEGS;
	case 1:
		return IOV_CAP;		/* more than the walker may use */
	case 255:
		return 0;
	default:
		return sel - 1u;
	}
}

static void push(uint16_t head, uint32_t len)
{
	uint16_t at = vq.used_idx & (vq.size - 1);

	vq_push(&vq, head, len);
	mark(&vq.used->ring[at], sizeof(vq.used->ring[at]));
	mark(&vq.used->idx, sizeof(vq.used->idx));
}

static int do_pop(unsigned int max_iov, bool do_push, uint32_t push_len)
{
	struct iovec *iov = iov_buf + IOV_CAP - max_iov;
	uint16_t before = vq.last_avail_idx, head = 0;
	uint64_t out = 0, in = 0;
	unsigned int n, k;
	struct vq_chain c;
	int want, got;

	want = model_pop(max_iov, &head, &n);
	got = vq_pop(&vq, &c, iov, max_iov);
	FUZZ_ASSERT(got == want, "vq_pop %d, model %d (%s)", got, want,
		    vq_err_str(vq.last_err));
	if (got == 0) {
		FUZZ_ASSERT(vq.last_avail_idx == before, "consumed nothing");
		return 0;
	}
	if (got < 0) {
		FUZZ_ASSERT(vq.broken && vq.last_err != VQ_OK,
			    "a violation stops the queue");
		FUZZ_ASSERT(vq_pop(&vq, &c, iov_buf, IOV_CAP) == 0,
			    "a stopped queue pops nothing");
		FUZZ_ASSERT(!vq_has_avail(&vq), "a stopped queue has nothing");
		return -1;
	}
	FUZZ_ASSERT(vq.last_avail_idx == (uint16_t)(before + 1),
		    "one entry consumed");
	FUZZ_ASSERT(c.head == head && c.head < vq.size, "head %u, model %u",
		    c.head, head);
	FUZZ_ASSERT(c.iov == iov, "iovecs where the caller put them");
	FUZZ_ASSERT(c.nr_out + c.nr_in == n, "%u+%u segments, model %u",
		    c.nr_out, c.nr_in, n);
	FUZZ_ASSERT(n >= 1 && n <= VQ_MAX_SEGS && n <= max_iov &&
		    n <= 2u * vq.size - 1, "%u segments", n);
	for (k = 0; k < n; k++) {
		FUZZ_ASSERT(iov[k].iov_base == segs[k].p &&
			    iov[k].iov_len == segs[k].len,
			    "segment %u differs from the model", k);
		FUZZ_ASSERT(segs[k].writable == (k >= c.nr_out),
			    "segment %u on the wrong side", k);
		FUZZ_ASSERT(iov[k].iov_len &&
			    fuzz_in_ram(&gm, iov[k].iov_base, iov[k].iov_len),
			    "segment %u outside guest RAM", k);
		if (k < c.nr_out)
			out += iov[k].iov_len;
		else
			in += iov[k].iov_len;
	}
	FUZZ_ASSERT(c.out_len == out && c.in_len == in, "byte totals");
	if (do_push)
		push(c.head, push_len);
	return 1;
}

static void do_should_notify(void)
{
	uint16_t old = model_signalled;
	bool want, valid = model_signalled_valid, got;

	if (!vq.ready) {
		want = false;
	} else if (!vq.event_idx) {
		want = !(vq.avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
	} else {
		model_signalled = vq.used_idx;
		model_signalled_valid = true;
		/* "used_event": the entry after the avail ring. */
		want = !valid || vring_need_event(vq.avail->ring[vq.size],
						  vq.used_idx, old);
	}
	got = vq_should_notify(&vq);
	FUZZ_ASSERT(got == want, "should_notify %d, model %d", got, want);
}

static void do_enable_kicks(void)
{
	bool want = vq.ready && !vq.broken &&
		    vq.avail->idx != vq.last_avail_idx;
	bool got = vq_enable_kicks(&vq);

	if (vq.ready && !vq.broken && vq.event_idx)
		mark(&vq.used->ring[vq.size], sizeof(uint16_t));
	FUZZ_ASSERT(got == want, "enable_kicks %d, model %d", got, want);
	if (vq.ready && !vq.broken && vq.event_idx)
		FUZZ_ASSERT(*(uint16_t *)&vq.used->ring[vq.size] ==
			    vq.last_avail_idx, "avail_event published");
}

static void set_pfn(uint64_t gpa)
{
	uint32_t pfn = (uint32_t)(gpa >> 12);
	enum vq_err err = vq_set_pfn(&vq, pfn);
	bool fits = pfn && model_host((uint64_t)pfn << 12,
				      vq_ring_bytes(vq.size));

	model_reset();
	FUZZ_ASSERT(err == (fits || !pfn ? VQ_OK : VQ_ERR_ADDR) &&
		    vq.ready == fits, "QUEUE_PFN 0x%x: %d", pfn, err);
}

static void write_desc(struct vring_desc *t, const struct vring_desc *d)
{
	memcpy(t, d, sizeof(*d));
	mark(t, sizeof(*d));
}

static void read_desc(struct fuzz_in *in, struct vring_desc *d)
{
	d->addr = fi_gpa(in, &gm);
	d->len = fi_u32(in);
	d->flags = fi_u16(in);
	d->next = fi_u16(in);
}

/* A linked chain at consecutive slots: the shape drivers really build. */
static void add_chain(struct fuzz_in *in)
{
	uint16_t start = fi_u16(in), i = start;
	unsigned int n = fi_u8(in) % 16 + 1, k;

	for (k = 0; k < n; k++) {
		struct vring_desc d;
		uint8_t f;

		d.addr = fi_gpa(in, &gm);
		d.len = fi_u16(in);
		f = fi_u8(in);
		d.flags = (f & 1 ? VRING_DESC_F_WRITE : 0) |
			  (f & 2 ? VRING_DESC_F_INDIRECT : 0) |
			  (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		d.next = (uint16_t)((i + 1) & (vq.size - 1));
		write_desc(&vq.desc[i & (vq.size - 1)], &d);
		i = d.next;
	}
	put16(&vq.avail->ring[vq.avail->idx & (vq.size - 1)],
	      start & (vq.size - 1));
	put16(&vq.avail->idx, vq.avail->idx + 1);
}

static void run_op(struct fuzz_in *in)
{
	uint8_t op = fi_u8(in), buf[256];
	struct vring_desc d;
	uint64_t gpa;
	unsigned int n, k;
	uint16_t v;

	switch (op % 13) {
	case 0:		/* one descriptor */
		v = fi_u16(in);
		read_desc(in, &d);
		if (vq.ready)
			write_desc(&vq.desc[v & (vq.size - 1)], &d);
		break;
	case 1:		/* make a head available, as a driver does */
		v = fi_u16(in);
		if (vq.ready) {
			put16(&vq.avail->ring[vq.avail->idx & (vq.size - 1)],
			      v);
			put16(&vq.avail->idx, vq.avail->idx + 1);
		}
		break;
	case 2:		/* any avail slot */
		k = fi_u16(in);
		v = fi_u16(in);
		if (vq.ready)
			put16(&vq.avail->ring[k & (vq.size - 1)], v);
		break;
	case 3:		/* any avail index */
		v = fi_u16(in);
		if (vq.ready)
			put16(&vq.avail->idx, v);
		break;
	case 4:		/* a descriptor table anywhere (indirect) */
		gpa = fi_gpa(in, &gm);
		n = fi_u8(in) % 32 + 1;
		for (k = 0; k < n; k++) {
			read_desc(in, &d);
			ram_write(gpa + 16ULL * k, &d, sizeof(d));
		}
		break;
	case 5:		/* raw bytes anywhere */
		gpa = fi_gpa(in, &gm);
		n = fi_u8(in);
		fi_bytes(in, buf, n);
		ram_write(gpa, buf, n);
		break;
	case 6:		/* pop */
		k = fi_u8(in);
		v = fi_u8(in);
		do_pop(pick_max_iov((uint8_t)k), v & 1, fi_u32(in));
		break;
	case 7:		/* QUEUE_PFN again */
		set_pfn(fi_gpa(in, &gm));
		break;
	case 8:		/* ring features */
		v = fi_u8(in);
		vq_set_features(&vq, (v & 1 ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
				(v & 2 ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0));
		break;
	case 9:		/* the driver's interrupt suppression, then ask */
		v = fi_u16(in);
		k = fi_u16(in);
		if (vq.ready) {
			put16(&vq.avail->flags, v);
			put16(&vq.avail->ring[vq.size], (uint16_t)k);
		}
		do_should_notify();
		break;
	case 10:
		do_enable_kicks();
		break;
	case 11:	/* device reset */
		vq_reset(&vq);
		model_reset();
		break;
	default:
		if (vq.ready)
			add_chain(in);
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mem_init(&gm, RAM_HALF, RAM_HALF);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	uint8_t flags;
	uint16_t qsize;
	unsigned int i;

	fi_init(&in, data, size);
	qsize = (uint16_t)(1u << (fi_u8(&in) % 16));
	flags = fi_u8(&in);
	/* RAM split around the hole, or one low region of the same size. */
	fuzz_mem_layout(&gm, flags & 4 ? 2 * RAM_HALF : RAM_HALF);
	vq_init(&vq, &gm, 0, qsize);
	model_reset();
	set_pfn(fi_gpa(&in, &gm));
	vq_set_features(&vq,
			(flags & 1 ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
			(flags & 2 ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0));

	while (!fi_empty(&in))
		run_op(&in);
	/* Whatever is left: at most `size` chains can be pending. */
	for (i = 0; i <= qsize; i++)
		if (do_pop(VQ_MAX_SEGS, true, 0) <= 0)
			break;
	FUZZ_ASSERT(i <= qsize, "more chains popped than the ring holds");
	clean();
	return 0;
}
