// SPDX-License-Identifier: GPL-2.0
/*
 * virtq.c - the one split-virtqueue walker every lightvm device uses.
 *
 * The rings live in guest RAM and the guest may rewrite any of it at any
 * time from another vCPU, so nothing the guest wrote is trusted twice.
 * Invariants this file establishes before a device sees a chain:
 *
 *  1. Ring placement: each ring lies entirely inside one guest RAM
 *     region, checked once with guest_ptr() when the driver places it,
 *     so the host pointers kept afterwards never leave guest RAM.  The
 *     legacy transport places all three at once at QUEUE_PFN ("2.6.2
 *     Legacy Interfaces: A Note on Virtqueue Layout": descriptor table,
 *     available ring, padding to the 4096-byte Queue Align, used ring);
 *     the modern one gives three addresses and a size, checked at
 *     queue_enable: the size a power of 2 no larger than offered, each
 *     ring aligned as "2.7 Split Virtqueues" requires (descriptor table
 *     16, available ring 2, used ring 4 bytes).
 *  2. avail->idx (read with acquire semantics, so the ring entries we
 *     read after it are at least as new) is at most `size` ahead of
 *     last_avail_idx: the driver cannot have made more than `size`
 *     buffers available.
 *  3. The head and every `next` are below the size of the table they
 *     index (the queue size, or the entry count of an indirect table).
 *  4. A chain visits at most `size` descriptors of the descriptor table,
 *     and at most the table's entry count inside an indirect table, so a
 *     loop of any length ends as an error ("A driver MUST NOT add a
 *     descriptor chain longer than 2^32 bytes in total; this implies that
 *     loops in the descriptor chain are forbidden!").
 *  5. Indirect tables: only when VIRTIO_RING_F_INDIRECT_DESC was agreed,
 *     one level ("The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag
 *     within an indirect descriptor"), never together with NEXT ("A
 *     driver MUST NOT set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT
 *     in flags"), length a non-zero multiple of 16 and at most `size`
 *     entries (the legacy spec sets no maximum; this is ours).  A direct
 *     prefix before the indirect descriptor is allowed ("The device MUST
 *     handle the case of zero or more normal chained descriptors followed
 *     by a single descriptor with flags&VIRTQ_DESC_F_INDIRECT").
 *  6. Every buffer (addr, len) lies inside one guest RAM region
 *     (guest_ptr: overflow-checked, never straddles the PCI hole or the
 *     end of RAM), and len > 0.
 *  7. Device-readable buffers come before device-writable ones ("The
 *     driver MUST place any device-writable descriptor elements after any
 *     device-readable descriptor elements"); a readable one after a
 *     writable one is an error.
 *  8. Each descriptor is copied out of guest memory exactly once, behind a
 *     compiler barrier, and only the copy is used.
 *  9. At most max_iov (<= VQ_MAX_SEGS) segments; more is an error.
 *
 * Output is a list of iovecs pointing straight into guest RAM: readable
 * ones first, then writable ones, with their counts and byte totals.
 * Any violation marks the queue broken: it pops nothing until the device
 * is reset, and the caller (device.c) sets NEEDS_RESET.
 *
 * Ordering with the driver: the acquire load of avail->idx pairs with the
 * driver's write barrier before it bumps idx; the release store of
 * used->idx publishes the used element (and the data and status bytes
 * written before it) to the driver.
 */
#include <string.h>
#include <linux/virtio_pci.h>

#include "virtio.h"

static const char *const err_names[] = {
	[VQ_OK] = "no error",
	[VQ_ERR_AVAIL_IDX] = "avail idx more than the queue size ahead",
	[VQ_ERR_HEAD] = "head index out of range",
	[VQ_ERR_NEXT] = "next index out of range",
	[VQ_ERR_LOOP] = "descriptor chain longer than its table (loop?)",
	[VQ_ERR_INDIRECT_FEATURE] = "indirect descriptor not negotiated",
	[VQ_ERR_INDIRECT_NESTED] = "indirect descriptor in an indirect table",
	[VQ_ERR_INDIRECT_NEXT] = "indirect descriptor with NEXT set",
	[VQ_ERR_INDIRECT_LEN] = "indirect table length invalid",
	[VQ_ERR_ADDR] = "buffer outside guest RAM",
	[VQ_ERR_LEN0] = "zero-length buffer",
	[VQ_ERR_ORDER] = "device-readable buffer after a device-writable one",
	[VQ_ERR_TOO_MANY] = "more segments than the iovec cap",
	[VQ_ERR_SIZE] = "queue size zero, not a power of 2, or above the maximum",
	[VQ_ERR_ALIGN] = "ring not aligned (descriptors 16, avail 2, used 4 bytes)",
};

const char *vq_err_str(enum vq_err e)
{
	if ((unsigned int)e < sizeof(err_names) / sizeof(err_names[0]) &&
	    err_names[e])
		return err_names[e];
	return "unknown error";
}

/* Offsets of the legacy layout for a ring of `size` entries. */
uint64_t vq_avail_offset(uint16_t size)
{
	return (uint64_t)size * sizeof(struct vring_desc);
}

uint64_t vq_used_offset(uint16_t size)
{
	/* avail: flags, idx, ring[size], used_event */
	uint64_t end = vq_avail_offset(size) + 2 * (3 + (uint64_t)size);

	return (end + VQ_ALIGN - 1) & ~(uint64_t)(VQ_ALIGN - 1);
}

uint64_t vq_desc_bytes(uint16_t size)
{
	return (uint64_t)size * sizeof(struct vring_desc);
}

uint64_t vq_avail_bytes(uint16_t size)
{
	/* flags, idx, ring[size], used_event */
	return 6 + 2 * (uint64_t)size;
}

uint64_t vq_used_bytes(uint16_t size)
{
	/* flags, idx, ring[size], avail_event */
	return 6 + 8 * (uint64_t)size;
}

uint64_t vq_ring_bytes(uint16_t size)
{
	/* used: flags, idx, ring[size], avail_event */
	return vq_used_offset(size) + 6 + 8 * (uint64_t)size;
}

void vq_init(struct virtqueue *vq, const struct guest_mem *mem,
	     unsigned int index, uint16_t size)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->index = index;
	vq->size = vq->max_size = size;
	vq->vector = 0xffff;	/* VIRTIO_MSI_NO_VECTOR */
}

void vq_reset(struct virtqueue *vq)
{
	vq->size = vq->max_size;
	vq->pfn = 0;
	vq->ready = false;
	vq->broken = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail_idx = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->last_err = VQ_OK;
	/* Requests still owned by the backend now belong to a dead ring. */
	vq->gen++;
}

enum vq_err vq_set_pfn(struct virtqueue *vq, uint32_t pfn)
{
	uint64_t base = (uint64_t)pfn << VIRTIO_PCI_QUEUE_ADDR_SHIFT;
	uint8_t *p;

	vq_reset(vq);
	if (!pfn)
		return VQ_OK;
	p = guest_ptr(vq->mem, base, vq_ring_bytes(vq->size));
	if (!p)
		return VQ_ERR_ADDR;
	vq->pfn = pfn;
	vq->desc = (struct vring_desc *)p;
	vq->avail = (struct vring_avail *)(p + vq_avail_offset(vq->size));
	vq->used = (struct vring_used *)(p + vq_used_offset(vq->size));
	vq->ready = true;
	return VQ_OK;
}

enum vq_err vq_set_rings(struct virtqueue *vq, uint16_t size, uint64_t desc,
			 uint64_t avail, uint64_t used)
{
	void *d, *a, *u;

	vq_reset(vq);
	if (!size || (size & (size - 1)) || size > vq->max_size)
		return VQ_ERR_SIZE;
	if ((desc & 15) || (avail & 1) || (used & 3))
		return VQ_ERR_ALIGN;
	d = guest_ptr(vq->mem, desc, vq_desc_bytes(size));
	a = guest_ptr(vq->mem, avail, vq_avail_bytes(size));
	u = guest_ptr(vq->mem, used, vq_used_bytes(size));
	if (!d || !a || !u)
		return VQ_ERR_ADDR;
	vq->size = size;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	vq->ready = true;
	return VQ_OK;
}

void vq_set_features(struct virtqueue *vq, uint64_t features)
{
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
}

static inline uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Where EVENT_IDX keeps its two extra fields. */
static inline uint16_t *used_event(struct virtqueue *vq)
{
	return &vq->avail->ring[vq->size];
}

static inline uint16_t *avail_event(struct virtqueue *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

/*
 * Invariant 8: one copy, then a compiler barrier so the compiler cannot
 * re-read a field from guest memory instead of the copy.  memcpy also
 * copes with an indirect table at an odd address.
 */
static void desc_read(const struct vring_desc *src, struct vring_desc *d)
{
	memcpy(d, src, sizeof(*d));
	__asm__ __volatile__("" ::: "memory");
}

struct walk {
	struct vq_chain *c;
	struct iovec *iov;
	unsigned int max_iov;
	bool writable_seen;
};

static enum vq_err add_segment(struct virtqueue *vq, struct walk *w,
			       const struct vring_desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	struct vq_chain *c = w->c;
	unsigned int n = c->nr_out + c->nr_in;
	void *p;

	if (!d->len)
		return VQ_ERR_LEN0;
	p = guest_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return VQ_ERR_ADDR;
	if (writable)
		w->writable_seen = true;
	else if (w->writable_seen)
		return VQ_ERR_ORDER;
	if (n >= w->max_iov)
		return VQ_ERR_TOO_MANY;
	w->iov[n].iov_base = p;
	w->iov[n].iov_len = d->len;
	if (writable) {
		c->nr_in++;
		c->in_len += d->len;
	} else {
		c->nr_out++;
		c->out_len += d->len;
	}
	return VQ_OK;
}

/* Switch the walk into the indirect table described by d (invariant 5). */
static enum vq_err enter_indirect(struct virtqueue *vq,
				  const struct vring_desc *d, bool nested,
				  const struct vring_desc **table,
				  unsigned int *table_size)
{
	const struct vring_desc *t;

	if (!vq->indirect)
		return VQ_ERR_INDIRECT_FEATURE;
	if (nested)
		return VQ_ERR_INDIRECT_NESTED;
	if (d->flags & VRING_DESC_F_NEXT)
		return VQ_ERR_INDIRECT_NEXT;
	if (!d->len || d->len % sizeof(struct vring_desc) ||
	    d->len / sizeof(struct vring_desc) > vq->size)
		return VQ_ERR_INDIRECT_LEN;
	t = guest_ptr(vq->mem, d->addr, d->len);
	if (!t)
		return VQ_ERR_ADDR;
	*table = t;
	*table_size = d->len / sizeof(struct vring_desc);
	return VQ_OK;
}

static enum vq_err walk_chain(struct virtqueue *vq, uint16_t head,
			      struct walk *w)
{
	const struct vring_desc *table = vq->desc;
	unsigned int table_size = vq->size, visited = 0, idx = head;
	bool indirect = false;
	struct vring_desc d;
	enum vq_err err;

	for (;;) {
		/* Invariant 4: a loop runs into this bound. */
		if (++visited > table_size)
			return VQ_ERR_LOOP;
		desc_read(&table[idx], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* "The device MUST ignore the write-only flag
			 * (flags&VIRTQ_DESC_F_WRITE) in the descriptor that
			 * refers to an indirect table." */
			err = enter_indirect(vq, &d, indirect, &table,
					     &table_size);
			if (err)
				return err;
			indirect = true;
			idx = 0;
			visited = 0;
			continue;
		}
		err = add_segment(vq, w, &d);
		if (err)
			return err;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return VQ_OK;
		idx = d.next;
		if (idx >= table_size)
			return VQ_ERR_NEXT;
	}
}

static int violation(struct virtqueue *vq, enum vq_err err)
{
	vq->broken = true;
	vq->last_err = err;
	return -1;
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c, struct iovec *iov,
	   unsigned int max_iov)
{
	struct walk w = { c, iov, max_iov, false };
	uint16_t avail_idx, pending, head;
	enum vq_err err;

	if (!vq->ready || vq->broken)
		return 0;
	/* Invariant 2; acquire: ring entries below idx are visible. */
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail_idx - vq->last_avail_idx);
	if (!pending)
		return 0;
	if (pending > vq->size)
		return violation(vq, VQ_ERR_AVAIL_IDX);
	/* size is a power of two: the mask is the modulo. */
	head = load16(&vq->avail->ring[vq->last_avail_idx & (vq->size - 1)]);
	if (head >= vq->size)
		return violation(vq, VQ_ERR_HEAD);

	memset(c, 0, sizeof(*c));
	c->head = head;
	c->iov = iov;
	if (max_iov > VQ_MAX_SEGS)
		w.max_iov = VQ_MAX_SEGS;
	err = walk_chain(vq, head, &w);
	if (err)
		return violation(vq, err);
	vq->last_avail_idx++;
	return 1;
}

void vq_describe(struct virtqueue *vq, char *buf, size_t len)
{
	if (!vq->ready) {
		snprintf(buf, len, "not set up");
		return;
	}
	snprintf(buf, len, "%u entries%s; driver: avail idx %u, flags %#x, "
		 "used_event %u; device: next avail %u, used idx %u, flags "
		 "%#x, avail_event %u",
		 vq->size, vq->broken ? ", broken" : "",
		 load16(&vq->avail->idx), load16(&vq->avail->flags),
		 vq->event_idx ? load16(used_event(vq)) : 0,
		 vq->last_avail_idx, load16(&vq->used->idx),
		 load16(&vq->used->flags),
		 vq->event_idx ? load16(avail_event(vq)) : 0);
}

bool vq_has_avail(struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) !=
	       vq->last_avail_idx;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (!vq->ready)
		return;
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* "The device MUST set len prior to updating the used idx." */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, new, event;
	bool valid;

	if (!vq->ready)
		return false;
	/*
	 * Our used->idx store must be visible before we read the driver's
	 * flags/used_event, and the driver orders the other way round: a
	 * store-load pair needs a full fence on both sides.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx) {
		/* Without EVENT_IDX: "if flags is 1, the device SHOULD NOT
		 * send a notification." */
		return !(load16(&vq->avail->flags) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	}
	/*
	 * With EVENT_IDX the device interrupts when used->idx moves past
	 * used_event: vring_need_event() over everything pushed since the
	 * last decision.  The first decision after set-up always interrupts.
	 */
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	new = vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = load16(used_event(vq));
	return vring_need_event(event, new, old);
}

bool vq_enable_kicks(struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	if (vq->event_idx) {
		/* Ask for a kick as soon as the driver adds the next one. */
		store16(avail_event(vq), vq->last_avail_idx);
		/* Publish it before re-reading avail->idx (store-load). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	return vq_has_avail(vq);
}
