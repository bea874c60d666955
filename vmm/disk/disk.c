// SPDX-License-Identifier: GPL-2.0
/*
 * disk.c - a disk image for one VM: open it, take a lock so no second VM
 * writes it, find its size, route requests to the chosen engine, and
 * make sure nothing written is lost when the VM goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"

/*
 * An open-file-description lock: it belongs to this open of the file, so
 * it also conflicts with a second open inside the same process, and it
 * goes away with the last descriptor.  A writer takes a write lock, a
 * read-only user a read lock: several read-only VMs may share an image,
 * but nobody shares it with a writer.
 */
static int lock_image(struct disk *d)
{
	struct flock fl = {
		.l_type = d->readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};

	if (fcntl(d->fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		err_set("disk %s: locked by another process", d->path);
	else
		err_set("disk %s: cannot lock: %s", d->path, strerror(errno));
	return -1;
}

static int find_size(struct disk *d)
{
	struct stat st;

	if (fstat(d->fd, &st) < 0) {
		err_set("disk %s: %s", d->path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		d->size = st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &d->size) < 0) {
			err_set("disk %s: cannot get the size: %s", d->path,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	err_set("disk %s: not a regular file or block device", d->path);
	return -1;
}

static int open_image(struct disk *d)
{
	int flags = (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	if (d->direct)
		flags |= O_DIRECT;
	d->fd = open(d->path, flags);
	if (d->fd >= 0)
		return 0;
	if (d->direct && errno == EINVAL)
		err_set("disk %s: the file system does not support O_DIRECT (drop ,direct)",
			d->path);
	else
		err_set("disk %s: %s", d->path, strerror(errno));
	return -1;
}

struct disk *disk_open(const struct disk_config *dc)
{
	struct disk *d = calloc(1, sizeof(*d));

	if (!d) {
		err_set("disk %s: out of memory", dc->path);
		return NULL;
	}
	d->fd = d->event_fd = -1;
	d->readonly = dc->readonly;
	d->direct = dc->direct;
	d->engine = dc->engine == DISK_ENGINE_SYNC ? &disk_sync_engine :
						    &disk_aio_engine;
	d->path = strdup(dc->path);
	if (!d->path) {
		err_set("disk %s: out of memory", dc->path);
		goto fail;
	}
	if (open_image(d) < 0 || lock_image(d) < 0 || find_size(d) < 0)
		goto fail;
	if (d->direct && posix_memalign((void **)&d->bounce, 4096,
					DISK_BOUNCE_SIZE)) {
		err_set("disk %s: out of memory", d->path);
		goto fail;
	}
	if (d->engine->init && d->engine->init(d) < 0)
		goto fail;
	return d;
fail:
	disk_close(d);
	return NULL;
}

void disk_close(struct disk *d)
{
	struct disk_req *done[32];

	if (!d)
		return;
	/* The device drains before it closes; this is the backstop. */
	while (d->inflight && disk_reap(d, done, 32, true))
		;
	if (d->dirty && disk_flush(d) < 0)
		log_warn("disk %s: final fdatasync failed: %s", d->path,
			 strerror(errno));
	if (d->engine && d->engine->fini)
		d->engine->fini(d);
	if (d->fd >= 0)
		close(d->fd);	/* drops the OFD lock */
	free(d->bounce);
	free(d->path);
	free(d);
}

uint64_t disk_size(const struct disk *d)
{
	return d->size;
}

bool disk_readonly(const struct disk *d)
{
	return d->readonly;
}

bool disk_dirty(const struct disk *d)
{
	return d->dirty;
}

const char *disk_path(const struct disk *d)
{
	return d->path;
}

const char *disk_engine_name(const struct disk *d)
{
	return d->engine->name;
}

int disk_event_fd(const struct disk *d)
{
	return d->event_fd;
}

unsigned int disk_inflight(const struct disk *d)
{
	return d->inflight;
}

void disk_complete(struct disk *d, struct disk_req *r, int64_t result)
{
	r->result = result;
	r->next = NULL;
	if (d->done_tail)
		d->done_tail->next = r;
	else
		d->done_head = r;
	d->done_tail = r;
}

void disk_submit(struct disk *d, struct disk_req **reqs, unsigned int n)
{
	struct disk_req *batch[64];
	unsigned int i, nb = 0;

	for (i = 0; i < n; i++) {
		struct disk_req *r = reqs[i];

		d->inflight++;
		if (r->op == DISK_WRITE && !d->readonly)
			d->dirty = true;
		if (r->op == DISK_WRITE && d->readonly) {
			/* The device checks first; never write a ro image. */
			disk_complete(d, r, -EROFS);
		} else if (d->direct && !disk_dio_aligned(r)) {
			/* O_DIRECT cannot take it as is: the bounce buffer. */
			disk_complete(d, r, disk_rw_sync(d, r));
		} else {
			batch[nb++] = r;
			if (nb == sizeof(batch) / sizeof(batch[0])) {
				d->engine->submit(d, batch, nb);
				nb = 0;
			}
		}
	}
	if (nb)
		d->engine->submit(d, batch, nb);
}

unsigned int disk_reap(struct disk *d, struct disk_req **out,
		       unsigned int max, bool wait)
{
	unsigned int n = 0;

	while (n < max && d->done_head) {
		struct disk_req *r = d->done_head;

		d->done_head = r->next;
		if (!d->done_head)
			d->done_tail = NULL;
		out[n++] = r;
		d->inflight--;
	}
	if (n < max && d->engine->reap && d->inflight)
		n += d->engine->reap(d, out + n, max - n, wait && !n);
	return n;
}

int disk_flush(struct disk *d)
{
	if (d->readonly)
		return 0;
	/* Cleared first: a write that lands meanwhile sets it again. */
	d->dirty = false;
	if (fdatasync(d->fd) < 0) {
		int err = errno;

		d->dirty = true;
		errno = err;
		return -err;
	}
	return 0;
}

int disk_discard(struct disk *d, uint64_t off, uint64_t len)
{
	if (d->readonly)
		return -EROFS;
	d->dirty = true;
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      off, len) < 0)
		return -errno;
	return 0;
}

static int write_zero_buffers(struct disk *d, uint64_t off, uint64_t len)
{
	static const uint8_t zero[64 * 1024] __attribute__((aligned(4096)));

	while (len) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);
		ssize_t w = pwrite(d->fd, zero, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += w;
		len -= w;
	}
	return 0;
}

int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len,
		      bool unmap)
{
	int mode = unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			   FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

	if (d->readonly)
		return -EROFS;
	d->dirty = true;
	if (fallocate(d->fd, mode, off, len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENODEV)
		return -errno;
	/* Neither way is supported here: write the zeroes out. */
	return write_zero_buffers(d, off, len);
}
