/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blk-common.h - what the host-side block benchmarks (blk-raw.c,
 * blk-service.c) share so that their figures compare: the command line,
 * the random 4 KiB offsets (the same generator and seed in both), the
 * clocks and the one-line result bench/blk.sh parses.
 */
#ifndef BENCH_BLK_COMMON_H
#define BENCH_BLK_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define BLK_BS		4096u		/* request size and alignment */
#define BLK_QD_MAX	256u

struct blk_args {
	const char *path;
	unsigned int qd;		/* requests kept in flight */
	double seconds;			/* stop submitting after this */
};

/* IMAGE [QD [SECONDS]]: a bad argument ends the program. */
static inline void blk_args_parse(struct blk_args *a, int argc, char **argv,
				  const char *prog)
{
	char *end;

	a->qd = 32;
	a->seconds = 3.0;
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s IMAGE [QD [SECONDS]]\n", prog);
		exit(2);
	}
	a->path = argv[1];
	if (argc > 2) {
		unsigned long v = strtoul(argv[2], &end, 10);

		if (*end || !v || v > BLK_QD_MAX) {
			fprintf(stderr, "%s: queue depth 1..%u\n", prog,
				BLK_QD_MAX);
			exit(2);
		}
		a->qd = (unsigned int)v;
	}
	if (argc > 3) {
		a->seconds = strtod(argv[3], &end);
		if (*end || !(a->seconds > 0 && a->seconds <= 600)) {
			fprintf(stderr, "%s: seconds in (0, 600]\n", prog);
			exit(2);
		}
	}
}

/*
 * xorshift64*: cheap enough not to show in the figures, and a fixed seed
 * makes every run, of either program, read the same offsets in the same
 * order of submission.
 */
struct blk_rand {
	uint64_t s;
	uint64_t nblocks;
};

static inline void blk_rand_init(struct blk_rand *r, uint64_t bytes)
{
	r->s = 0x9e3779b97f4a7c15ull;
	r->nblocks = bytes / BLK_BS;
}

static inline uint64_t blk_rand_offset(struct blk_rand *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (r->s * 0x2545f4914f6cdd1dull >> 11) % r->nblocks * BLK_BS;
}

static inline double blk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of the whole process (every thread). */
static inline double blk_process_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static inline double blk_clock_cpu(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
