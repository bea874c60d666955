// SPDX-License-Identifier: GPL-2.0
/*
 * aio.c - the libaio engine: every request of one device pass goes to the
 * kernel in one io_submit(), each iocb signals the disk's eventfd when it
 * completes, and the device's I/O thread (which polls that eventfd)
 * collects completions with a non-blocking io_getevents().
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "disk.h"

#define REAP_BATCH	64

static int aio_init(struct disk *d)
{
	int ret;

	d->ctx = 0;
	ret = io_setup(DISK_MAX_INFLIGHT, &d->ctx);
	if (ret < 0) {
		d->ctx = 0;
		err_set("disk %s: io_setup: %s (try ,engine=sync)", d->path,
			strerror(-ret));
		return -1;
	}
	d->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->event_fd < 0) {
		err_set("disk %s: eventfd: %s", d->path, strerror(errno));
		return -1;
	}
	return 0;
}

static void aio_fini(struct disk *d)
{
	if (d->ctx)
		io_destroy(d->ctx);
	d->ctx = 0;
	if (d->event_fd >= 0)
		close(d->event_fd);
	d->event_fd = -1;
}

static void submit_chunk(struct disk *d, struct disk_req **reqs,
			 unsigned int n)
{
	struct iocb *cbs[64];
	unsigned int i, done = 0;

	for (i = 0; i < n; i++) {
		struct disk_req *r = reqs[i];

		/* iov is read by io_submit itself: it may go after that. */
		if (r->op == DISK_WRITE)
			io_prep_pwritev(&r->iocb, d->fd, r->iov, r->iovcnt,
					r->offset);
		else
			io_prep_preadv(&r->iocb, d->fd, r->iov, r->iovcnt,
				       r->offset);
		io_set_eventfd(&r->iocb, d->event_fd);
		r->iocb.data = r;
		cbs[i] = &r->iocb;
	}
	while (done < n) {
		int ret = io_submit(d->ctx, n - done, cbs + done);

		if (ret > 0) {
			done += ret;
			continue;
		}
		if (ret == -EINTR)
			continue;
		/* The first iocb was refused: fail it, submit the rest. */
		disk_complete(d, reqs[done], ret < 0 ? ret : -EIO);
		done++;
	}
}

static void aio_submit(struct disk *d, struct disk_req **reqs,
		       unsigned int n)
{
	while (n) {
		unsigned int k = n < 64 ? n : 64;

		submit_chunk(d, reqs, k);
		reqs += k;
		n -= k;
	}
}

static unsigned int aio_reap(struct disk *d, struct disk_req **out,
			     unsigned int max, bool wait)
{
	struct io_event ev[REAP_BATCH];
	struct timespec zero = { 0, 0 };
	int ret, i;

	if (max > REAP_BATCH)
		max = REAP_BATCH;
	if (!max)
		return 0;
	do {
		ret = io_getevents(d->ctx, wait ? 1 : 0, max, ev,
				   wait ? NULL : &zero);
	} while (ret == -EINTR);
	if (ret < 0) {
		log_warn("disk %s: io_getevents: %s", d->path,
			 strerror(-ret));
		return 0;
	}
	for (i = 0; i < ret; i++) {
		struct disk_req *r = ev[i].data;
		int64_t res = (int64_t)(long)ev[i].res;

		/* A short transfer means the image changed under us. */
		if (res >= 0 && (uint64_t)res != r->len)
			res = -EIO;
		r->result = res;
		out[i] = r;
		d->inflight--;
	}
	return ret;
}

const struct disk_engine_ops disk_aio_engine = {
	.name = "aio",
	.init = aio_init,
	.fini = aio_fini,
	.submit = aio_submit,
	.reap = aio_reap,
};
