// SPDX-License-Identifier: GPL-2.0
/*
 * crash-check - after crash_blk (tests/guest/crash_blk.c) was SIGKILLed
 * with lightvm, check that the disk image holds every block the guest
 * reported flushed (tests/crash/run.sh).
 *
 *   crash-check IMAGE RUN FLUSHED START SLOTS
 *
 * Blocks 0..FLUSHED-1 of run RUN were acknowledged, and a FLUSH covering
 * them completed.  Block seq lives in slot seq % SLOTS of the region that
 * starts at sector START; later blocks overwrite earlier ones, so only
 * the last SLOTS of them can still be there.  For each of those the slot
 * must hold a block of run RUN with magic, slot, checksum and every data
 * word right (the same formulas as crash_blk.c), and its seq must be the
 * expected one or a later one for the same slot (a write issued after
 * the last reported FLUSH may have landed: the VMM did it, the guest
 * just never heard the FLUSH that covered it).
 *
 * Exit 0 with a one-line summary, 1 naming the first bad block, 2 on a
 * usage or I/O error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK		4096
#define WORDS		(BLOCK / 8)
#define HDR_WORDS	8
#define CRASH_MAGIC	0x314853415243564cULL	/* "LVCRASH1" */

/* Keep in step with tests/guest/crash_blk.c. */
static uint64_t crash_word(uint32_t run, uint64_t seq, unsigned int i)
{
	return (seq << 32 | run) * 0x9e3779b97f4a7c15ULL +
	       i * 0xd1b54a32d192ed03ULL;
}

static uint64_t crash_sum(uint64_t sum, uint64_t w)
{
	return (sum ^ w) * 0x100000001b3ULL;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Why block `b` of slot `slot` is not a good block of run `run`: NULL if
 * it is; *seq gets the block's own number. */
static const char *check_block(const uint8_t *b, uint32_t run, uint64_t slot,
			       uint64_t slots, uint64_t *seq)
{
	uint64_t w[WORDS], sum = 0, want_sum;
	unsigned int i;

	for (i = 0; i < WORDS; i++)
		w[i] = le64(b + 8 * i);
	if (w[0] != CRASH_MAGIC)
		return "no crash_blk magic";
	if ((uint32_t)w[1] != run)
		return "another run's block";
	*seq = w[2];
	if (w[1] >> 32 != slot || w[2] % slots != slot ||
	    w[3] != w[2] / slots)
		return "slot, seq and generation disagree";
	want_sum = w[4];
	w[4] = 0;
	for (i = 0; i < WORDS; i++)
		sum = crash_sum(sum, w[i]);
	if (sum != want_sum)
		return "checksum mismatch";
	for (i = HDR_WORDS; i < WORDS; i++)
		if (w[i] != crash_word(run, w[2], i))
			return "data differs from the pattern";
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t flushed, start, slots, first, seq, later = 0;
	uint8_t b[BLOCK];
	uint32_t run;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: crash-check IMAGE RUN FLUSHED START SLOTS\n");
		return 2;
	}
	run = (uint32_t)strtoul(argv[2], NULL, 0);
	flushed = strtoull(argv[3], NULL, 0);
	start = strtoull(argv[4], NULL, 0);
	slots = strtoull(argv[5], NULL, 0);
	if (!slots) {
		fprintf(stderr, "crash-check: SLOTS must be > 0\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "crash-check: %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	first = flushed > slots ? flushed - slots : 0;
	for (seq = first; seq < flushed; seq++) {
		uint64_t slot = seq % slots, found = 0;
		off_t off = (off_t)(start * 512 + slot * BLOCK);
		const char *why;

		if (pread(fd, b, BLOCK, off) != BLOCK) {
			fprintf(stderr, "crash-check: %s: short read at %lld\n",
				argv[1], (long long)off);
			return 2;
		}
		why = check_block(b, run, slot, slots, &found);
		if (!why && found < seq)
			why = "an older block: the acknowledged write is lost";
		if (why) {
			printf("crash-check: block %" PRIu64 " of run %u (slot %" PRIu64 ", byte %lld): %s\n",
			       seq, run, slot, (long long)off, why);
			return 1;
		}
		later += found > seq;
	}
	if (flushed)
		printf("crash-check: blocks %" PRIu64 "..%" PRIu64 " of run %u intact (%" PRIu64 " checked, %" PRIu64 " overwritten by later blocks)\n",
		       first, flushed - 1, run, flushed - first, later);
	else
		printf("crash-check: run %u flushed nothing yet\n", run);
	close(fd);
	return 0;
}
