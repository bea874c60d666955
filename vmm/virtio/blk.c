// SPDX-License-Identifier: GPL-2.0
/*
 * blk.c - virtio-blk (device ID 2) on one queue, backed by vmm/disk.
 *
 * A request is "struct virtio_blk_req { le32 type; le32 reserved; le64
 * sector; u8 data[]; u8 status; }": a 16-byte device-readable header,
 * the data, and a status byte the device writes last.  We find the
 * header in the first 16 readable bytes and the status in the last
 * writable byte, wherever the descriptor boundaries fall.  A chain with
 * no room for either cannot be answered at all: that is a driver bug the
 * device reports with NEEDS_RESET.  Everything else gets a status:
 *
 *   IN/OUT   data a multiple of 512 ("The length of data MUST be a
 *            multiple of 512 bytes"), IN data writable and OUT data
 *            readable with nothing in the other direction, sector+length
 *            inside the disk (overflow-checked), at most seg_max*size_max
 *            bytes; OUT on a read-only disk fails untouched ("A device
 *            MUST set the status byte to VIRTIO_BLK_S_IOERR for a write
 *            request if the VIRTIO_BLK_F_RO feature if offered, and MUST
 *            NOT write any data").  Otherwise IOERR.
 *   FLUSH    fdatasync, once every write submitted before it completed.
 *   GET_ID   exactly 20 writable data bytes ("The length of data MUST be
 *            20 bytes for VIRTIO_BLK_T_GET_ID requests"), else IOERR.
 *   DISCARD, WRITE_ZEROES  one segment inside the disk; unknown flags,
 *            or unmap on a discard, are UNSUPP as the spec demands.
 *   other    UNSUPP.
 *
 * Ordering: FLUSH, DISCARD and WRITE_ZEROES run synchronously in the I/O
 * thread once no write is in flight; while one waits, no further chain
 * is taken from the ring, so nothing overtakes it.  Reads and writes of
 * one pass go to the backend in one batch.  Each popped chain becomes one
 * request that is completed exactly once: used entry with len = the bytes
 * written into the chain (data + status for a good read, the status byte
 * otherwise), unless its ring was reset meanwhile.
 *
 * Write durability: FLUSH is offered; a driver that does not take it gets
 * write-through ("A write becomes stable once it is completed and ...
 * neither VIRTIO_BLK_F_CONFIG_WCE nor VIRTIO_BLK_F_FLUSH feature were
 * negotiated, but VIRTIO_BLK_F_FLUSH was offered"): its writes are
 * fdatasync'ed before they complete.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "virtio.h"
#include "../disk/disk.h"

#define BLK_SEG_MAX	(VIRTIO_BLK_QUEUE_SIZE - 2)	/* + header, status */
#define BLK_SIZE_MAX	(1u << 20)
#define BLK_MAX_DATA	((uint64_t)BLK_SEG_MAX * BLK_SIZE_MAX)
#define BLK_MAX_ZERO	(1u << 22)	/* sectors per discard/write zeroes */
#define BLK_ARENA	(4 * VQ_MAX_SEGS)
#define BLK_PENDING	(-1)		/* not a status: completes later */

struct blk_req {
	struct disk_req d;
	struct blk_req *next_free;
	uint32_t type;
	uint32_t gen;			/* the queue's generation at pop */
	uint16_t head;
	uint8_t *status;		/* last writable byte, in guest RAM */
	uint32_t used_len;		/* bytes written on success */
	struct virtio_blk_discard_write_zeroes seg;
};

struct virtio_blk {
	struct virtio_dev vdev;
	struct disk *disk;
	struct virtio_blk_config config;
	char serial[VIRTIO_BLK_ID_BYTES];
	uint64_t capacity;		/* sectors */
	struct blk_req reqs[VIRTIO_BLK_QUEUE_SIZE];
	struct blk_req *free;
	struct blk_req *held;		/* FLUSH/DISCARD/WZ behind writes */
	unsigned int inflight_writes;
	struct disk_req *batch[VIRTIO_BLK_QUEUE_SIZE];
	unsigned int nbatch;
	struct iovec arena[BLK_ARENA];	/* this pass's chains */
	unsigned int arena_used;
	unsigned int pushed;
	uint64_t reads, writes, flushes, zeroes, errors, unsupp;
};

static struct virtio_blk *to_blk(struct virtio_dev *dev)
{
	return container_of(dev, struct virtio_blk, vdev);
}

/* ---- iovec helpers over a chain's segments ---- */

/* Copy n bytes from the front of (*iov, *cnt) and consume them. */
static void iov_take(struct iovec **iov, unsigned int *cnt, void *dst,
		     size_t n)
{
	uint8_t *p = dst;

	while (n && *cnt) {
		size_t k = n < (*iov)->iov_len ? n : (*iov)->iov_len;

		memcpy(p, (*iov)->iov_base, k);
		p += k;
		n -= k;
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + k;
		(*iov)->iov_len -= k;
		if (!(*iov)->iov_len) {
			(*iov)++;
			(*cnt)--;
		}
	}
}

static void iov_put(const struct iovec *iov, unsigned int cnt,
		    const void *src, size_t n)
{
	const uint8_t *p = src;

	for (; n && cnt; iov++, cnt--) {
		size_t k = n < iov->iov_len ? n : iov->iov_len;

		memcpy(iov->iov_base, p, k);
		p += k;
		n -= k;
	}
}

/* ---- completion ---- */

static void req_free(struct virtio_blk *b, struct blk_req *r)
{
	r->next_free = b->free;
	b->free = r;
}

static void complete(struct virtio_blk *b, struct blk_req *r, int status)
{
	struct virtqueue *vq = &b->vdev.vqs[0];

	if (status == VIRTIO_BLK_S_IOERR)
		b->errors++;
	else if (status == VIRTIO_BLK_S_UNSUPP)
		b->unsupp++;
	/* A reset or new QUEUE_PFN since the pop: the ring is gone. */
	if (r->gen == vq->gen && vq->ready) {
		*r->status = status;
		vq_push(vq, r->head,
			status == VIRTIO_BLK_S_OK ? r->used_len : 1);
		b->pushed++;
	}
	req_free(b, r);
}

/* A write completes only once stable when the driver has no FLUSH. */
static bool write_through(struct virtio_blk *b)
{
	return !(b->vdev.guest_features & (1ULL << VIRTIO_BLK_F_FLUSH));
}

static void reap(struct virtio_blk *b)
{
	struct disk_req *done[64];
	unsigned int n, i;

	while ((n = disk_reap(b->disk, done, 64, false))) {
		bool wrote = false, sync_failed = false;

		for (i = 0; i < n; i++)
			wrote |= done[i]->op == DISK_WRITE &&
				 done[i]->result >= 0;
		if (wrote && write_through(b))
			sync_failed = disk_flush(b->disk) < 0;
		b->vdev.inflight -= n;
		for (i = 0; i < n; i++) {
			struct blk_req *r = container_of(done[i],
							 struct blk_req, d);
			bool write = r->d.op == DISK_WRITE;
			bool ok = r->d.result >= 0 && !(write && sync_failed);

			if (write)
				b->inflight_writes--;
			if (r->d.result < 0)
				log_debug(1, "%s: %s of %llu bytes at %llu: %s",
					  b->vdev.name,
					  write ? "write" : "read",
					  (unsigned long long)r->d.len,
					  (unsigned long long)r->d.offset,
					  strerror((int)-r->d.result));
			complete(b, r, ok ? VIRTIO_BLK_S_OK :
					    VIRTIO_BLK_S_IOERR);
		}
	}
}

static void submit(struct virtio_blk *b)
{
	if (b->nbatch)
		disk_submit(b->disk, b->batch, b->nbatch);
	b->nbatch = 0;
	/* The kernel (or the sync engine) is done with the iovecs. */
	b->arena_used = 0;
}

/* ---- requests run in the I/O thread: FLUSH, DISCARD, WRITE_ZEROES ---- */

static int run_sync(struct virtio_blk *b, struct blk_req *r)
{
	uint64_t off = r->seg.sector * DISK_SECTOR;
	uint64_t len = (uint64_t)r->seg.num_sectors * DISK_SECTOR;
	int ret;

	switch (r->type) {
	case VIRTIO_BLK_T_FLUSH:
		b->flushes++;
		ret = disk_flush(b->disk);
		break;
	case VIRTIO_BLK_T_DISCARD:
		b->zeroes++;
		ret = disk_discard(b->disk, off, len);
		/* "the device MAY deallocate": unsupported is still done. */
		if (ret == -EOPNOTSUPP)
			ret = 0;
		break;
	default:
		b->zeroes++;
		ret = disk_write_zeroes(b->disk, off, len,
					r->seg.flags &
					VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
		break;
	}
	if (!ret && r->type != VIRTIO_BLK_T_FLUSH && write_through(b))
		ret = disk_flush(b->disk);
	return ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static int hold_or_run(struct virtio_blk *b, struct blk_req *r)
{
	if (!b->inflight_writes)
		return run_sync(b, r);
	b->held = r;
	return BLK_PENDING;
}

static void run_held(struct virtio_blk *b)
{
	struct blk_req *r = b->held;

	if (!r || b->inflight_writes)
		return;
	b->held = NULL;
	complete(b, r, run_sync(b, r));
}

/* ---- request validation ---- */

static bool in_disk(struct virtio_blk *b, uint64_t sector, uint64_t count)
{
	return sector <= b->capacity && count <= b->capacity - sector;
}

static int prep_rw(struct virtio_blk *b, struct blk_req *r, uint64_t sector,
		   enum disk_op op, struct iovec *data, unsigned int n,
		   uint64_t len, uint64_t other_len)
{
	/* IN data must be writable, OUT data readable, nothing else. */
	if (other_len)
		return VIRTIO_BLK_S_IOERR;
	if (op == DISK_WRITE && disk_readonly(b->disk))
		return VIRTIO_BLK_S_IOERR;
	if (len % DISK_SECTOR || len > BLK_MAX_DATA ||
	    !in_disk(b, sector, len / DISK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	r->used_len = op == DISK_READ ? len + 1 : 1;
	if (!len)
		return VIRTIO_BLK_S_OK;
	r->d.op = op;
	r->d.offset = sector * DISK_SECTOR;
	r->d.len = len;
	r->d.iov = data;
	r->d.iovcnt = n;
	b->batch[b->nbatch++] = &r->d;
	b->vdev.inflight++;
	if (op == DISK_WRITE) {
		b->inflight_writes++;
		b->writes++;
	} else {
		b->reads++;
	}
	return BLK_PENDING;
}

static int prep_get_id(struct virtio_blk *b, struct blk_req *r,
		       struct iovec *in, unsigned int nin, uint64_t in_len,
		       uint64_t out_len)
{
	if (out_len || in_len != VIRTIO_BLK_ID_BYTES)
		return VIRTIO_BLK_S_IOERR;
	iov_put(in, nin, b->serial, VIRTIO_BLK_ID_BYTES);
	r->used_len = VIRTIO_BLK_ID_BYTES + 1;
	return VIRTIO_BLK_S_OK;
}

static int prep_zeroes(struct virtio_blk *b, struct blk_req *r,
		       struct iovec *out, unsigned int nout, uint64_t out_len,
		       uint64_t in_len)
{
	bool wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	unsigned int feature = wz ? VIRTIO_BLK_F_WRITE_ZEROES :
				    VIRTIO_BLK_F_DISCARD;
	uint32_t allowed = wz ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

	if (!(b->vdev.host_features & (1ULL << feature)))
		return VIRTIO_BLK_S_UNSUPP;
	/* One segment: max_discard_seg = max_write_zeroes_seg = 1. */
	if (in_len || out_len != sizeof(r->seg))
		return VIRTIO_BLK_S_IOERR;
	iov_take(&out, &nout, &r->seg, sizeof(r->seg));
	/* "The device MUST set the status byte to VIRTIO_BLK_S_UNSUPP for
	 * discard, secure erase and write zeroes commands if any unknown
	 * flag is set. Furthermore, the device MUST set the status byte to
	 * VIRTIO_BLK_S_UNSUPP for discard commands if the unmap flag is
	 * set." */
	if (r->seg.flags & ~allowed)
		return VIRTIO_BLK_S_UNSUPP;
	if (r->seg.num_sectors > BLK_MAX_ZERO ||
	    !in_disk(b, r->seg.sector, r->seg.num_sectors))
		return VIRTIO_BLK_S_IOERR;
	return hold_or_run(b, r);
}

static void handle_chain(struct virtio_blk *b, struct vq_chain *c)
{
	struct virtio_dev *dev = &b->vdev;
	struct virtio_blk_outhdr hdr;
	struct iovec *out = c->iov, *in = c->iov + c->nr_out, *last;
	unsigned int nout = c->nr_out, nin = c->nr_in;
	uint64_t out_len = c->out_len, in_len = c->in_len;
	struct blk_req *r;
	int status;

	if (!nin || out_len < sizeof(hdr)) {
		virtio_dev_needs_reset(dev, &dev->vqs[0], !nin ?
			"queue 0: request without a writable status byte" :
			"queue 0: request header shorter than 16 bytes");
		return;
	}
	r = b->free;
	b->free = r->next_free;
	r->head = c->head;
	r->gen = dev->vqs[0].gen;
	r->used_len = 1;
	last = &in[nin - 1];
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	if (!--last->iov_len)
		nin--;
	in_len--;
	/* The header is copied once; the guest may change it meanwhile. */
	iov_take(&out, &nout, &hdr, sizeof(hdr));
	out_len -= sizeof(hdr);
	r->type = hdr.type;

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		status = prep_rw(b, r, hdr.sector, DISK_READ, in, nin, in_len,
				 out_len);
		break;
	case VIRTIO_BLK_T_OUT:
		status = prep_rw(b, r, hdr.sector, DISK_WRITE, out, nout,
				 out_len, in_len);
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* "A driver SHOULD NOT include any data": ignored if so. */
		status = hold_or_run(b, r);
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = prep_get_id(b, r, in, nin, in_len, out_len);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = prep_zeroes(b, r, out, nout, out_len, in_len);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status != BLK_PENDING)
		complete(b, r, status);
}

/* Take chains until the ring is empty or a held request blocks it. */
static void pop_all(struct virtio_blk *b, struct virtqueue *vq)
{
	struct virtio_dev *dev = &b->vdev;
	struct vq_chain c;

	while (!b->held && virtio_vq_live(dev, vq)) {
		if (BLK_ARENA - b->arena_used < VQ_MAX_SEGS)
			submit(b);
		/*
		 * Every outstanding chain holds at least one of the queue's
		 * descriptors, so a driver can never have more chains out
		 * than we have requests: running dry means it reused
		 * descriptors we still own.
		 */
		if (!b->free) {
			if (vq_has_avail(vq))
				virtio_dev_needs_reset(dev, vq,
					"queue 0: more requests outstanding than queue entries");
			return;
		}
		if (!virtio_vq_pop(dev, vq, &c, b->arena + b->arena_used,
				   VQ_MAX_SEGS))
			return;
		b->arena_used += c.nr_out + c.nr_in;
		handle_chain(b, &c);
	}
}

static void blk_run(struct virtio_dev *dev, uint32_t kicked, bool backend)
{
	struct virtio_blk *b = to_blk(dev);
	struct virtqueue *vq = &dev->vqs[0];

	(void)kicked;	/* one queue: look at it whatever woke us */
	(void)backend;	/* reaping without completions is cheap */
	b->pushed = 0;
	reap(b);
	run_held(b);
	for (;;) {
		pop_all(b, vq);
		submit(b);
		reap(b);
		run_held(b);
		if (b->held || !virtio_vq_live(dev, vq) ||
		    !vq_enable_kicks(vq))
			break;
	}
	if (b->pushed)
		virtio_vq_notify(dev, vq);
}

static void blk_reset(struct virtio_dev *dev)
{
	struct virtio_blk *b = to_blk(dev);

	if (b->held)
		req_free(b, b->held);
	b->held = NULL;
	b->nbatch = 0;
	b->arena_used = 0;
	/* Be safe: what the guest wrote reaches the disk now. */
	if (disk_dirty(b->disk) && disk_flush(b->disk) < 0)
		log_warn("%s: fdatasync at reset failed", dev->name);
}

static void blk_destroy(struct virtio_dev *dev)
{
	struct virtio_blk *b = to_blk(dev);

	disk_close(b->disk);	/* drains, fdatasyncs, unlocks */
	free(b);
}

static void blk_describe(struct virtio_dev *dev, char *buf, size_t len)
{
	struct virtio_blk *b = to_blk(dev);

	snprintf(buf, len,
		 "%llu sectors%s, %s: %llu reads, %llu writes, %llu flushes, %llu discard/zeroes, %llu errors, %llu unsupported",
		 (unsigned long long)b->capacity,
		 disk_readonly(b->disk) ? " ro" : "",
		 disk_engine_name(b->disk),
		 (unsigned long long)b->reads, (unsigned long long)b->writes,
		 (unsigned long long)b->flushes,
		 (unsigned long long)b->zeroes,
		 (unsigned long long)b->errors,
		 (unsigned long long)b->unsupp);
}

static const struct virtio_dev_ops blk_ops = {
	.run = blk_run,
	.reset = blk_reset,
	.destroy = blk_destroy,
	.describe = blk_describe,
};

static uint32_t blk_features(bool readonly)
{
	uint32_t f = 1u << VIRTIO_BLK_F_SIZE_MAX | 1u << VIRTIO_BLK_F_SEG_MAX |
		     1u << VIRTIO_BLK_F_BLK_SIZE | 1u << VIRTIO_BLK_F_FLUSH |
		     1u << VIRTIO_RING_F_INDIRECT_DESC |
		     1u << VIRTIO_RING_F_EVENT_IDX;

	if (readonly)
		return f | 1u << VIRTIO_BLK_F_RO;
	return f | 1u << VIRTIO_BLK_F_DISCARD |
	       1u << VIRTIO_BLK_F_WRITE_ZEROES;
}

/* Legacy config is in guest byte order: little-endian on x86. */
static void blk_fill_config(struct virtio_blk *b)
{
	struct virtio_blk_config *c = &b->config;

	c->capacity = b->capacity;
	c->size_max = BLK_SIZE_MAX;
	c->seg_max = BLK_SEG_MAX;
	c->blk_size = DISK_SECTOR;
	c->max_discard_sectors = BLK_MAX_ZERO;
	c->max_discard_seg = 1;
	c->discard_sector_alignment = 4096 / DISK_SECTOR;
	c->max_write_zeroes_sectors = BLK_MAX_ZERO;
	c->max_write_zeroes_seg = 1;
	c->write_zeroes_may_unmap = 1;
}

struct virtio_dev *virtio_blk_new(struct vm *vm, const struct disk_config *dc)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	const char *base = strrchr(dc->path, '/');
	char name[48];
	unsigned int i;

	if (!b) {
		err_set("disk %s: out of memory", dc->path);
		return NULL;
	}
	b->disk = disk_open(dc);
	if (!b->disk) {
		free(b);
		return NULL;
	}
	/* NUL-padded, no terminator when all 20 bytes are used. */
	if (dc->serial)
		memcpy(b->serial, dc->serial,
		       strnlen(dc->serial, sizeof(b->serial)));
	b->capacity = disk_size(b->disk) / DISK_SECTOR;
	blk_fill_config(b);
	snprintf(name, sizeof(name), "virtio-blk %s", base ? base + 1 :
		 dc->path);
	if (virtio_dev_init(&b->vdev, vm, &blk_ops, name, VIRTIO_ID_BLOCK,
			    dc->transport, 1, VIRTIO_BLK_QUEUE_SIZE,
			    blk_features(disk_readonly(b->disk)),
			    (const uint8_t *)&b->config,
			    sizeof(b->config)) < 0) {
		disk_close(b->disk);
		free(b);
		return NULL;
	}
	b->vdev.backend_fd = disk_event_fd(b->disk);
	for (i = 0; i < VIRTIO_BLK_QUEUE_SIZE; i++)
		req_free(b, &b->reqs[i]);
	return &b->vdev;
}

void virtio_blk_free(struct virtio_dev *dev)
{
	virtio_dev_cleanup(dev);
	blk_destroy(dev);
}

int virtio_blk_create(struct vm *vm, const struct disk_config *dc)
{
	struct virtio_dev *dev = virtio_blk_new(vm, dc);

	if (!dev)
		return -1;
	if (virtio_dev_register(dev, VIRTIO_BLK_CLASS) < 0) {
		virtio_blk_free(dev);
		return -1;
	}
	log_debug(1, "%s: %s, %llu sectors%s%s, serial '%.20s'", dev->name,
		  dc->path, (unsigned long long)to_blk(dev)->capacity,
		  dc->readonly ? ", read-only" : "",
		  dc->direct ? ", O_DIRECT" : "",
		  dc->serial ? dc->serial : "");
	return 0;
}
