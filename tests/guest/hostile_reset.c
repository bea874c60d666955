// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_reset - a guest that resets lightvm's virtio-blk device with
 * requests in flight.  "A device MUST NOT send notifications or interact
 * with the queues after indicating completion of the reset by
 * reinitializing device status to 0" (2.4.1): lightvm's STATUS write
 * returns only once the backend gave back what it started (device.c).
 *
 * Each round publishes 80 requests in one notify (writes of "new data",
 * reads of numbered sectors into canary-filled buffers, every 8th a FLUSH,
 * which waits behind the writes), then writes STATUS = 0 after a number
 * of spin loops (0 up to 256, about a microsecond each under emulation)
 * or as soon as 1, 8 or 32 requests were used.  Once the write
 * returns:
 *
 *   - the old ring, still in place, must stay as it is: used idx, the
 *     status bytes not yet written (now 0xee), the read buffers (refilled
 *     with a second canary), and no queue interrupt;
 *   - the queue is re-initialised in the same memory (the lib's ring pool
 *     hands the same pages back; checked) and must stay empty the same
 *     way: a late completion of the old ring would show up here;
 *   - a good write + read-back works.
 *
 * At the end every sector of the write area must be old (zeroes) or new
 * (sector + 1 in every word), whole; the runner checks the image the same
 * way.  It prints how many requests completed before each reset (with
 * `direct` many are still in flight; buffered libaio and the sync engine
 * tend to finish the whole batch first).
 *
 * Parameters: `rounds=N` (default 10: each delay, then each count).
 * Needs --disk IMG (8 MiB of zeroes), with any engine.  At the end "hostile disk0: ... N
 * needs-reset, M resets" must match lightvm's -v counters.
 *
 * Disk layout: GOOD_SECTOR.. recovery writes (8 sectors), RS_WRITE_SECTOR
 * the write area (80 sectors), RS_READ_SECTOR the numbered read area (80
 * sectors); everything else stays zero.
 *
 * Exit status: 1 set-up, 2 a round failed.
 */
#include "runtime.h"
#include "vblk_hostile.h"

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

#define RS_REQS		80		/* 3 descriptors each: 240 */
#define RS_LEN		1024
#define RS_SECTORS	(RS_LEN / HV_SECTOR)
#define RS_WRITE_SECTOR	8192		/* 40 writes: 80 sectors */
#define RS_READ_SECTOR	12288		/* 40 reads, numbered sectors */
#define RS_AREA		((RS_REQS / 2) * RS_SECTORS)
#define RS_QUIET_TICKS	2
#define RS_CANARY_A	0x3c3c3c3c3c3c3c3cull
#define RS_CANARY_B	0xc3c3c3c3c3c3c3c3ull

static uint64_t *rs_buf(unsigned int i)
{
	return phys_to_virt(BUF_BASE + 0x100000 + (uint64_t)i * RS_LEN);
}

/* Request i: even ones write, odd ones read, every 8th a FLUSH. */
static void rs_build(struct vq *q, unsigned int i)
{
	struct vring_desc *t = q->desc;
	unsigned int d = 3 * i, k = i / 2;

	hv_hdr[i].ioprio = 0;
	hv_st[i] = 0xff;
	if (i % 8 == 7) {
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

static void rs_fill_reads(uint64_t v)
{
	unsigned int i;

	for (i = 1; i < RS_REQS; i += 2)
		hv_fill_words(rs_buf(i), RS_LEN, v);
}

static bool rs_reads_are(uint64_t v)
{
	unsigned int i;

	for (i = 1; i < RS_REQS; i += 2)
		if (!hv_all_words(rs_buf(i), RS_LEN, v))
			return false;
	return true;
}

static unsigned int rs_status_count(uint8_t v)
{
	unsigned int i, n = 0;

	for (i = 0; i < RS_REQS; i++)
		n += hv_st[i] == v;
	return n;
}

/* Nothing moves for a while: used idx, status bytes, read buffers. */
static int rs_quiet(const char *c, unsigned int r, const char *when,
		    uint16_t used, uint8_t status_now, unsigned int n_status,
		    uint64_t canary)
{
	unsigned int qirqs = vtest_irqs[dev.vec_base + 1];

	vtest_sleep_ticks(RS_QUIET_TICKS);
	if (vq_ld16(&dev.q->used->idx) != used ||
	    rs_status_count(status_now) != n_status ||
	    !rs_reads_are(canary) || vtest_irqs[dev.vec_base + 1] != qirqs) {
		hv_fail(&dev, c, "round %u: the device wrote %s (used idx %u -> %u, status bytes %u -> %u, queue irqs %u -> %u)",
			r, when, used, vq_ld16(&dev.q->used->idx), n_status,
			rs_status_count(status_now), qirqs,
			vtest_irqs[dev.vec_base + 1]);
		return -1;
	}
	return 0;
}

/*
 * One round: publish RS_REQS requests, then reset after `delay` spin
 * loops, or (after) as soon as `after` of them were used.
 */
static int rs_round(unsigned int r, unsigned int delay, unsigned int after)
{
	const char *c = "reset-in-flight";
	static uint16_t heads[RS_REQS];
	uint8_t *mem = dev.q->mem;
	unsigned int i, done;
	uint16_t used, base;

	hv_arm(&dev);
	rs_fill_reads(RS_CANARY_A);
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
	done = RS_REQS - rs_status_count(0xff);
	used = vq_ld16(&dev.q->used->idx);
	printf("reset round %u: delay %u, after %u: %u of %u completed before the reset\n",
	       r, delay, after, done, RS_REQS);
	/* The old ring, still in place: nothing may land in it now. */
	for (i = 0; i < RS_REQS; i++)
		if (hv_st[i] == 0xff)
			hv_st[i] = 0xee;
	rs_fill_reads(RS_CANARY_B);
	if (rs_quiet(c, r, "after the reset", used, 0xee,
		     rs_status_count(0xee), RS_CANARY_B)) {
		hv_recover(&dev, c);
		return -1;
	}
	/* The same memory as a fresh ring (vq_free/ring_alloc reuse it). */
	for (i = 0; i < RS_REQS; i++)
		hv_st[i] = 0xee;
	if (hv_start(&dev)) {
		hv_fail(&dev, c, "round %u: re-initialisation failed", r);
		return -1;
	}
	if (dev.q->mem != mem) {
		hv_fail(&dev, c, "round %u: ring not re-used in place", r);
		return -1;
	}
	if (rs_quiet(c, r, "into the re-initialised ring", 0, 0xee, RS_REQS,
		     RS_CANARY_B) || vdev_needs_reset(&dev.d)) {
		hv_recover(&dev, c);
		return -1;
	}
	return hv_check_good(&dev, c);
}

/* After all rounds: each sector of the write area is old or new, whole. */
static int rs_check_area(const char *c)
{
	uint64_t *b = buf(0);
	unsigned int s;
	int ret;

	ret = vblk_request(dev.q, VIRTIO_BLK_T_IN, RS_WRITE_SECTOR, b,
			   RS_AREA * HV_SECTOR, HV_WAIT_TICKS);
	if (ret != VIRTIO_BLK_S_OK) {
		hv_fail(&dev, c, "reading the write area: status %d", ret);
		return -1;
	}
	for (s = 0; s < RS_AREA; s++) {
		uint64_t *p = b + s * 64;

		if (!hv_all_words(p, HV_SECTOR, 0) &&
		    !hv_all_words(p, HV_SECTOR, RS_WRITE_SECTOR + s + 1)) {
			hv_fail(&dev, c, "sector %u of the write area torn (%#lx)",
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
	    hv_write_numbered(&dev, RS_READ_SECTOR, RS_AREA, buf(0)))
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
