// SPDX-License-Identifier: GPL-2.0
/*
 * sync.c - the synchronous engine: preadv/pwritev straight into guest RAM,
 * carrying on after short transfers, and the O_DIRECT bounce path for
 * requests whose buffers are not sector aligned.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"

#define IOV_WINDOW	64	/* iovecs handed to one preadv/pwritev */

/* A position inside an iovec array. */
struct iov_cursor {
	const struct iovec *iov;
	unsigned int cnt, i;
	size_t skip;		/* bytes of iov[i] already consumed */
};

static void cursor_advance(struct iov_cursor *c, size_t n)
{
	while (c->i < c->cnt) {
		size_t left = c->iov[c->i].iov_len - c->skip;

		if (n < left) {
			c->skip += n;
			return;
		}
		n -= left;
		c->i++;
		c->skip = 0;
	}
}

/* Copy n bytes between the cursor's buffers and buf (to_iov: into
 * the iovecs). */
static void cursor_copy(struct iov_cursor *c, uint8_t *buf, size_t n,
			bool to_iov)
{
	while (n && c->i < c->cnt) {
		uint8_t *p = (uint8_t *)c->iov[c->i].iov_base + c->skip;
		size_t left = c->iov[c->i].iov_len - c->skip;
		size_t k = n < left ? n : left;

		if (to_iov)
			memcpy(p, buf, k);
		else
			memcpy(buf, p, k);
		buf += k;
		n -= k;
		cursor_advance(c, k);
	}
}

static int64_t rw_iov(struct disk *d, struct disk_req *r)
{
	struct iov_cursor c = { r->iov, r->iovcnt, 0, 0 };
	struct iovec win[IOV_WINDOW];
	uint64_t done = 0;

	while (done < r->len) {
		unsigned int n = 0, j;
		ssize_t got;

		for (j = c.i; j < c.cnt && n < IOV_WINDOW; j++, n++)
			win[n] = r->iov[j];
		if (!n)
			return -EIO;	/* iovecs shorter than len */
		win[0].iov_base = (uint8_t *)win[0].iov_base + c.skip;
		win[0].iov_len -= c.skip;
		if (r->op == DISK_WRITE)
			got = pwritev(d->fd, win, n, r->offset + done);
		else
			got = preadv(d->fd, win, n, r->offset + done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;	/* end of file: the image shrank */
		done += got;
		cursor_advance(&c, got);
	}
	return done;
}

static int64_t pio_all(struct disk *d, bool write, uint8_t *buf, size_t len,
		       uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t got = write ? pwrite(d->fd, buf + done, len - done,
					     off + done) :
				      pread(d->fd, buf + done, len - done,
					    off + done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;
		done += got;
	}
	return done;
}

/*
 * O_DIRECT with a misaligned guest buffer: go through the aligned bounce
 * buffer a chunk at a time.  Chunks are DISK_BOUNCE_SIZE, a multiple of
 * every sector size, so each chunk's file offset stays aligned.
 */
static int64_t rw_bounce(struct disk *d, struct disk_req *r)
{
	struct iov_cursor c = { r->iov, r->iovcnt, 0, 0 };
	bool write = r->op == DISK_WRITE;
	uint64_t done = 0;

	while (done < r->len) {
		size_t n = r->len - done < DISK_BOUNCE_SIZE ?
			   r->len - done : DISK_BOUNCE_SIZE;
		int64_t got;

		if (write)
			cursor_copy(&c, d->bounce, n, false);
		got = pio_all(d, write, d->bounce, n, r->offset + done);
		if (got < 0)
			return got;
		if (!write)
			cursor_copy(&c, d->bounce, n, true);
		done += n;
	}
	return done;
}

/* O_DIRECT wants sector-aligned buffers, lengths and offsets. */
bool disk_dio_aligned(const struct disk_req *r)
{
	unsigned int i;

	if (r->offset % DISK_SECTOR || r->len % DISK_SECTOR)
		return false;
	for (i = 0; i < r->iovcnt; i++)
		if ((uintptr_t)r->iov[i].iov_base % DISK_SECTOR ||
		    r->iov[i].iov_len % DISK_SECTOR)
			return false;
	return true;
}

int64_t disk_rw_sync(struct disk *d, struct disk_req *r)
{
	if (d->direct && !disk_dio_aligned(r))
		return rw_bounce(d, r);
	return rw_iov(d, r);
}

/* The sync engine: every request done right away, in the caller. */
static void sync_submit(struct disk *d, struct disk_req **reqs,
			unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		disk_complete(d, reqs[i], disk_rw_sync(d, reqs[i]));
}

const struct disk_engine_ops disk_sync_engine = {
	.name = "sync",
	.submit = sync_submit,
};
