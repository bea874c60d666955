/* SPDX-License-Identifier: GPL-2.0 */
/*
 * disk.h - interface of vmm/disk: a disk image opened and locked for one
 * VM, and two engines that move data between it and guest RAM.
 *
 *   aio   libaio: every request of one pass goes out in one io_submit();
 *         completions signal an eventfd the device's I/O thread polls.
 *   sync  preadv/pwritev, right away, in the caller's (I/O) thread.
 *
 * Requests carry iovecs that point straight into guest RAM.  With O_DIRECT
 * (`direct`), a request whose buffers are not 512-byte aligned in address
 * and length cannot go to the kernel as is; it is copied through a 1 MiB
 * aligned bounce buffer, synchronously, in chunks (the slow path: Linux
 * guests align block I/O buffers to 512 bytes, so it is rare).
 *
 * Every submitted request comes back exactly once from disk_reap(), with
 * result = bytes transferred or -errno (a short transfer is -EIO).
 */
#ifndef LIGHTVM_DISK_H
#define LIGHTVM_DISK_H

#include <libaio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../lightvm.h"

#define DISK_SECTOR		512
#define DISK_MAX_INFLIGHT	256	/* aio context depth */
#define DISK_BOUNCE_SIZE	(1u << 20)

enum disk_op {
	DISK_READ,
	DISK_WRITE,
};

struct disk_req {
	enum disk_op op;
	uint64_t offset;		/* bytes, a multiple of 512 */
	uint64_t len;			/* sum of iov lengths */
	const struct iovec *iov;	/* valid until disk_submit returns */
	unsigned int iovcnt;
	int64_t result;			/* bytes done, or -errno */
	struct iocb iocb;		/* aio engine */
	struct disk_req *next;		/* completed, not yet reaped */
};

struct disk;

/* Open and lock the image; NULL with err_set() on failure. */
struct disk *disk_open(const struct disk_config *dc);
/* Wait for in-flight requests, fdatasync if written since the last
 * flush, drop the lock, close. */
void disk_close(struct disk *d);

uint64_t disk_size(const struct disk *d);	/* bytes */
bool disk_readonly(const struct disk *d);
bool disk_dirty(const struct disk *d);	/* written since the last flush */
const char *disk_path(const struct disk *d);
const char *disk_engine_name(const struct disk *d);	/* "aio", "sync" */
/* The eventfd completions signal, or -1 (sync engine: none needed). */
int disk_event_fd(const struct disk *d);
unsigned int disk_inflight(const struct disk *d);

/* Start n requests (at most DISK_MAX_INFLIGHT in flight overall). */
void disk_submit(struct disk *d, struct disk_req **reqs, unsigned int n);
/* Completed requests; returns how many (<= max).  With wait, blocks
 * until at least one is back unless nothing is in flight. */
unsigned int disk_reap(struct disk *d, struct disk_req **out,
		       unsigned int max, bool wait);

/* Synchronous: fdatasync; returns 0 or -errno. */
int disk_flush(struct disk *d);
/* Deallocate [off, off+len): 0, or -errno; -EOPNOTSUPP is not an
 * error for discard (the caller may treat it as done). */
int disk_discard(struct disk *d, uint64_t off, uint64_t len);
/* Make [off, off+len) read as zeroes (unmap: may deallocate). */
int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len,
		      bool unmap);

/* ---- inside vmm/disk: the engines (aio.c, sync.c) ---- */

/*
 * How requests reach the image.  disk.c picks the engine from the
 * configuration's table entry and calls nothing else of it by name.
 */
struct disk_engine_ops {
	const char *name;
	int (*init)(struct disk *d);		/* NULL: nothing to set up */
	void (*fini)(struct disk *d);		/* NULL: nothing to undo */
	/* Start n requests; any finished at once go to disk_complete(). */
	void (*submit)(struct disk *d, struct disk_req **reqs, unsigned int n);
	/* Collect asynchronous completions, lowering d->inflight (NULL:
	 * the engine has none). */
	unsigned int (*reap)(struct disk *d, struct disk_req **out,
			     unsigned int max, bool wait);
};

extern const struct disk_engine_ops disk_aio_engine;
extern const struct disk_engine_ops disk_sync_engine;

struct disk {
	char *path;
	int fd;
	bool readonly, direct;
	const struct disk_engine_ops *engine;
	uint64_t size;
	bool dirty;			/* written since the last flush */
	unsigned int inflight;		/* submitted, not reaped */
	struct disk_req *done_head, *done_tail;	/* completed synchronously */
	uint8_t *bounce;		/* O_DIRECT misaligned requests */
	/* aio */
	io_context_t ctx;
	int event_fd;			/* -1 unless the engine signals one */
};

void disk_complete(struct disk *d, struct disk_req *r, int64_t result);
/* Run one request synchronously (sync engine, O_DIRECT bounce). */
int64_t disk_rw_sync(struct disk *d, struct disk_req *r);
bool disk_dio_aligned(const struct disk_req *r);

#endif
