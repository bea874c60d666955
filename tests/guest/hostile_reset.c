// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_reset - a guest that resets lightvm's virtio-blk device with
 * requests in flight.  "A device MUST NOT send notifications or interact
 * with the queues after indicating completion of the reset by
 * reinitializing device status to 0" (2.4.1): lightvm's STATUS write
 * returns only once the backend gave back what it started (device.c).
 *
 * Each round publishes 80 requests of 32 KiB in one notify (writes of
 * "new data", reads of numbered sectors, one FLUSH in the middle, which
 * waits behind the writes), then writes STATUS = 0 after a number of spin loops (0 up to
 * 256, about a microsecond each under emulation) or as soon as 1, 8 or
 * 32 requests were used.  The moment the write returns, the kernel
 * records the status bytes, stamps a canary into every sector of the
 * read buffers and re-initialises the queue in the same memory (the
 * lib's ring pool hands the same pages back; checked), so that anything
 * the reset failed to drain or drop would show: after a while the new
 * ring must still be empty, no status byte or stamp changed, no queue
 * interrupt came; then a good write + read-back works.
 *
 * At the end every sector of the write area must be old (zeroes) or new
 * (sector + 1 in every word), whole; the runner checks the image the same
 * way.  It prints how many requests completed before each reset (with
 * `direct` many are still in flight; buffered libaio and the sync engine
 * tend to finish the whole batch first).
 *
 * Parameters: `rounds=N` (default 10: each delay, then each count).
 * Needs --disk IMG (8 MiB of zeroes), with any engine.  At the end
 * "hostile disk0: ... N needs-reset, M resets" must match lightvm's -v
 * counters.
 *
 * Disk layout: GOOD_SECTOR.. recovery writes (8 sectors), RS_WRITE_SECTOR
 * the write area (2560 sectors), RS_READ_SECTOR the numbered read area
 * (2560 sectors); everything else stays zero.
 *
 * Exit status: 1 set-up, 2 a round failed.
 */
#include "runtime.h"

const char test_name[] = "hostile_reset";

enum group { G_SETUP = 1, G_RESET };

#define VEC_BASE	0x50
#define BUF_BASE	0x2000000ull		/* 32 MiB: big buffers */
#define GOOD_SECTOR	2048

static struct hv dev;

static uint64_t *buf(unsigned int i)
{
	return phys_to_virt(BUF_BASE + (uint64_t)i * 4096);
}

/*
 * Big enough that with O_DIRECT a good part of the batch is still in
 * flight when the re-initialisation after the reset is done.
 */
#define RS_REQS		80		/* 3 descriptors each: 240 */
#define RS_LEN		32768
#define RS_SECTORS	(RS_LEN / HV_SECTOR)
#define RS_FLUSH	(RS_REQS / 2 - 1)	/* a FLUSH instead of a read */
#define RS_WRITE_SECTOR	8192		/* 40 writes: 2560 sectors */
#define RS_READ_SECTOR	12288		/* 40 reads, numbered sectors */
#define RS_AREA		((RS_REQS / 2) * RS_SECTORS)
#define RS_HALF		(RS_AREA / 2)	/* sectors per set-up request */
#define RS_QUIET_TICKS	2
#define RS_CANARY	0xc3c3c3c3c3c3c3c3ull

static uint64_t *rs_buf(unsigned int i)
{
	return phys_to_virt(BUF_BASE + 0x400000 + (uint64_t)i * RS_LEN);
}

/*
 * Request i: even ones write, odd ones read, one FLUSH in the middle
 * (it waits for the writes before it; the device takes nothing after
 * it meanwhile).
 */
static void rs_build(struct vq *q, unsigned int i)
{
	struct vring_desc *t = q->desc;
	unsigned int d = 3 * i, k = i / 2;

	hv_hdr[i].ioprio = 0;
	hv_st[i] = 0xff;
	if (i == RS_FLUSH) {
		hv_hdr[i].type = VIRTIO_BLK_T_FLUSH;
		hv_hdr[i].sector = 0;
		vq_set_desc(t, d, hv_pa(&hv_hdr[i]), 16, HV_NX, d + 2);
	} else if (i % 2 == 0) {
		hv_hdr[i].type = VIRTIO_BLK_T_OUT;
		hv_hdr[i].sector = RS_WRITE_SECTOR + k * RS_SECTORS;
		vq_set_desc(t, d, hv_pa(&hv_hdr[i]), 16, HV_NX, d + 1);
		vq_set_desc(t, d + 1, hv_pa(rs_buf(i)), RS_LEN, HV_NX, d + 2);
	} else {
		hv_hdr[i].type = VIRTIO_BLK_T_IN;
		hv_hdr[i].sector = RS_READ_SECTOR + k * RS_SECTORS;
		vq_set_desc(t, d, hv_pa(&hv_hdr[i]), 16, HV_NX, d + 1);
		vq_set_desc(t, d + 1, hv_pa(rs_buf(i)), RS_LEN, HV_NX | HV_WR,
			    d + 2);
	}
	vq_set_desc(t, d + 2, hv_pa(&hv_st[i]), 1, HV_WR, 0);
}

/* Write buffers: every word of a sector is sector + 1 ("new data"). */
static void rs_fill_writes(void)
{
	unsigned int i, s;

	for (i = 0; i < RS_REQS; i += 2) {
		uint64_t first = RS_WRITE_SECTOR + (i / 2) * RS_SECTORS;

		for (s = 0; s < RS_SECTORS; s++)
			hv_fill_words(rs_buf(i) + s * 64, HV_SECTOR,
				      first + s + 1);
	}
}

/*
 * Stamp v into the first and last word of every page of the read
 * buffers: data landing there replaces them.  Quick enough (640 stores)
 * to follow the reset at once.
 */
#define RS_PAGE_WORDS	(PAGE_SIZE / 8)

static void rs_stamp_reads(uint64_t v)
{
	unsigned int i, p;

	for (i = 1; i < RS_REQS; i += 2) {
		for (p = 0; p < RS_LEN / PAGE_SIZE; p++) {
			rs_buf(i)[p * RS_PAGE_WORDS] = v;
			rs_buf(i)[p * RS_PAGE_WORDS + RS_PAGE_WORDS - 1] = v;
		}
	}
}

static bool rs_stamped(uint64_t v)
{
	unsigned int i, p;

	for (i = 1; i < RS_REQS; i += 2)
		for (p = 0; p < RS_LEN / PAGE_SIZE; p++)
			if (rs_buf(i)[p * RS_PAGE_WORDS] != v ||
			    rs_buf(i)[p * RS_PAGE_WORDS + RS_PAGE_WORDS - 1] !=
			    v)
				return false;
	return true;
}

/*
 * One round: publish RS_REQS requests, then reset after `delay` spin
 * loops, or (after) as soon as `after` of them were used.  From the
 * moment the STATUS write returns the device must not touch anything:
 * the status bytes are recorded, the read buffers stamped and the queue
 * re-initialised in the same memory right away, so that a completion
 * the reset failed to drain or drop would land in the new ring, in a
 * status byte or in a stamp.  Then it gets RS_QUIET_TICKS to show.
 */
static int rs_round(unsigned int r, unsigned int delay, unsigned int after)
{
	const char *c = "reset-in-flight";
	static uint16_t heads[RS_REQS];
	static uint8_t st_at_reset[RS_REQS];
	uint8_t *mem = dev.q->mem;
	unsigned int i, done = 0, qirqs;
	uint16_t base;

	hv_arm(&dev);
	for (i = 0; i < RS_REQS; i++) {
		rs_build(dev.q, i);
		heads[i] = 3 * i;
	}
	base = vq_ld16(&dev.q->used->idx);
	vq_add_raw(dev.q, heads, RS_REQS);
	vq_kick(dev.q);
	for (i = 0; i < delay; i++)
		asm volatile("" ::: "memory");
	for (i = 0; after && i < 1000000; i++)
		if ((uint16_t)(vq_ld16(&dev.q->used->idx) - base) >= after)
			break;
	/* Returns once the device has drained what it started. */
	hv_reset(&dev);
	memcpy(st_at_reset, (const uint8_t *)hv_st, RS_REQS);
	rs_stamp_reads(RS_CANARY);
	if (hv_start(&dev)) {
		hv_fail(&dev, c, "round %u: re-initialisation failed", r);
		return -1;
	}
	if (dev.q->mem != mem) {
		hv_fail(&dev, c, "round %u: ring not re-used in place", r);
		return -1;
	}
	/* Anything raised before the reset has been delivered by now. */
	qirqs = vtest_irqs[dev.vec_base + 1];
	vtest_sleep_ticks(RS_QUIET_TICKS);
	for (i = 0; i < RS_REQS; i++)
		done += st_at_reset[i] != 0xff;
	printf("reset round %u: delay %u, after %u: %u of %u completed before the reset\n",
	       r, delay, after, done, RS_REQS);
	if (vq_ld16(&dev.q->used->idx) != 0 ||
	    memcmp(st_at_reset, (const uint8_t *)hv_st, RS_REQS) ||
	    !rs_stamped(RS_CANARY) || vtest_irqs[dev.vec_base + 1] != qirqs ||
	    vdev_needs_reset(&dev.d)) {
		hv_fail(&dev, c, "round %u: the device acted after the reset (used idx %u, status bytes %s, read buffers %s, queue irqs %u -> %u, status 0x%x)",
			r, vq_ld16(&dev.q->used->idx),
			memcmp(st_at_reset, (const uint8_t *)hv_st, RS_REQS) ?
			"changed" : "kept",
			rs_stamped(RS_CANARY) ? "kept" : "written", qirqs,
			vtest_irqs[dev.vec_base + 1], vdev_status(&dev.d));
		hv_recover(&dev, c);
		return -1;
	}
	return hv_check_good(&dev, c);
}

/*
 * After all rounds: each sector of the write area is old or new, whole.
 * Read back in two requests (each segment within SIZE_MAX, 1 MiB).
 */
static int rs_check_area(const char *c)
{
	uint64_t *b = buf(0);
	unsigned int s, h;
	int ret;

	for (h = 0; h < 2; h++) {
		ret = vblk_request(dev.q, VIRTIO_BLK_T_IN,
				   RS_WRITE_SECTOR + h * RS_HALF,
				   b + h * RS_HALF * 64, RS_HALF * HV_SECTOR,
				   HV_WAIT_TICKS);
		if (ret != VIRTIO_BLK_S_OK) {
			hv_fail(&dev, c, "reading the write area: status %d",
				ret);
			return -1;
		}
	}
	for (s = 0; s < RS_AREA; s++) {
		uint64_t *p = b + s * 64;

		if (!hv_all_words(p, HV_SECTOR, 0) &&
		    !hv_all_words(p, HV_SECTOR, RS_WRITE_SECTOR + s + 1)) {
			hv_fail(&dev, c, "sector %u of the write area torn (0x%lx)",
				RS_WRITE_SECTOR + s, p[0]);
			return -1;
		}
	}
	return 0;
}

/*
 * Spin loops (about 1 us each under emulation) between the notify and
 * the reset: from "the I/O thread has not woken yet" to "all done".
 */
static const unsigned int rs_delays[] = { 0, 1, 2, 4, 8, 32, 256 };
/* Then: reset once this many were used (the rest may be in flight). */
static const unsigned int rs_after[] = { 1, 8, 32 };

int test_main(void)
{
	const unsigned int nd = sizeof(rs_delays) / sizeof(rs_delays[0]);
	const unsigned int na = sizeof(rs_after) / sizeof(rs_after[0]);
	uint64_t rounds = nd + na;
	unsigned int r, k;

	vtest_init();
	cmdline_get_uint("rounds", &rounds);
	if (hv_open(&dev, "disk0", 0, VEC_BASE, HV_WANT_ALL, GOOD_SECTOR) ||
	    hv_write_numbered(&dev, RS_READ_SECTOR, RS_HALF, buf(0)) ||
	    hv_write_numbered(&dev, RS_READ_SECTOR + RS_HALF, RS_HALF, buf(0)))
		return G_SETUP;
	rs_fill_writes();
	for (r = 0; r < rounds; r++) {
		k = r % (nd + na);
		if (rs_round(r, k < nd ? rs_delays[k] : 0,
			     k < nd ? 0 : rs_after[k - nd]))
			break;
	}
	if (!hv_failures && !rs_check_area("reset-in-flight"))
		hv_ok(&dev, "reset-in-flight");
	hv_report(&dev);
	return hv_failures ? G_RESET : 0;
}
