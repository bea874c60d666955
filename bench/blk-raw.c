// SPDX-License-Identifier: GPL-2.0
/*
 * blk-raw - the upper bound for lightvm's virtio-blk path: 4 KiB random
 * reads straight from the image with O_DIRECT and libaio, QD requests in
 * flight, for SECONDS.  Every completion is resubmitted at once with a
 * fresh offset and all resubmissions of one io_getevents() go out in one
 * io_submit(), which is what lightvm's disk engine does per pass.
 *
 *   blk-raw IMAGE [QD [SECONDS]]        (defaults: 32, 3)
 *
 * Prints one line: requests, seconds, iops, cpu_us (process CPU time per
 * request).
 */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk-common.h"

static void submit_all(io_context_t ctx, struct iocb **cbs, unsigned int n)
{
	while (n) {
		int ret = io_submit(ctx, n, cbs);

		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret <= 0) {
			fprintf(stderr, "blk-raw: io_submit: %s\n",
				strerror(ret ? -ret : EIO));
			exit(1);
		}
		cbs += ret;
		n -= ret;
	}
}

int main(int argc, char **argv)
{
	struct iocb cb[BLK_QD_MAX], *batch[BLK_QD_MAX];
	struct io_event ev[BLK_QD_MAX];
	unsigned long long done = 0;
	unsigned int i, inflight;
	double t0, t1, cpu0, cpu1, deadline;
	struct blk_args a;
	struct blk_rand rnd;
	io_context_t ctx = 0;
	struct stat st;
	uint8_t *buf;
	int fd, ret;

	blk_args_parse(&a, argc, argv, "blk-raw");
	fd = open(a.path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "blk-raw: %s: %s%s\n", a.path, strerror(errno),
			errno == EINVAL ? " (no O_DIRECT on this file system)" :
					  "");
		return 1;
	}
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)BLK_BS) {
		fprintf(stderr, "blk-raw: %s: too small or unreadable\n",
			a.path);
		return 1;
	}
	if (posix_memalign((void **)&buf, BLK_BS, (size_t)a.qd * BLK_BS)) {
		fprintf(stderr, "blk-raw: out of memory\n");
		return 1;
	}
	ret = io_setup(a.qd, &ctx);
	if (ret < 0) {
		fprintf(stderr, "blk-raw: io_setup: %s\n", strerror(-ret));
		return 1;
	}
	blk_rand_init(&rnd, st.st_size);

	cpu0 = blk_process_cpu();
	t0 = blk_now();
	deadline = t0 + a.seconds;
	for (i = 0; i < a.qd; i++) {
		io_prep_pread(&cb[i], fd, buf + (size_t)i * BLK_BS, BLK_BS,
			      blk_rand_offset(&rnd));
		batch[i] = &cb[i];
	}
	submit_all(ctx, batch, a.qd);
	inflight = a.qd;
	while (inflight) {
		bool refill;
		unsigned int nb = 0;
		int n = io_getevents(ctx, 1, a.qd, ev, NULL);

		if (n == -EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "blk-raw: io_getevents: %s\n",
				strerror(-n));
			return 1;
		}
		/* Past the deadline only drain: the clock is read once
		 * per batch, not per request. */
		refill = blk_now() < deadline;
		for (i = 0; i < (unsigned int)n; i++) {
			struct iocb *c = ev[i].obj;

			if (ev[i].res != BLK_BS) {
				fprintf(stderr, "blk-raw: read at %lld: %s\n",
					c->u.c.offset,
					(long)ev[i].res < 0 ?
					strerror(-(long)ev[i].res) : "short");
				return 1;
			}
			done++;
			inflight--;
			if (!refill)
				continue;
			io_prep_pread(c, fd, c->u.c.buf, BLK_BS,
				      blk_rand_offset(&rnd));
			batch[nb++] = c;
		}
		submit_all(ctx, batch, nb);
		inflight += nb;
	}
	t1 = blk_now();
	cpu1 = blk_process_cpu();

	printf("requests=%llu seconds=%.6f iops=%.0f cpu_us=%.3f\n", done,
	       t1 - t0, done / (t1 - t0), (cpu1 - cpu0) * 1e6 / done);
	io_destroy(ctx);
	free(buf);
	close(fd);
	return 0;
}
