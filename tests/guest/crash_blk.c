// SPDX-License-Identifier: GPL-2.0
/*
 * crash_blk - the guest half of the crash-consistency test
 * (tests/crash/run.sh): write numbered 4 KiB blocks to the first virtio
 * disk in batches, FLUSH after each batch, and say on the console how
 * many blocks the completed FLUSH covers; for ever, until the host
 * SIGKILLs lightvm at a random moment.  The host then checks that every
 * block acknowledged before the last reported FLUSH is in the image.
 *
 * Why this proves something: "A write becomes stable once it is completed
 * and ... a flush request ... was completed" (virtio 1.x, 5.2.6.4 - a
 * completed VIRTIO_BLK_T_FLUSH covers every write that completed before
 * the driver sent it).  We only send the FLUSH once the whole batch has
 * completed, and print after the FLUSH completed, so "flushed N" means
 * blocks 0..N-1 are stable.  The console may lag behind (the line may be
 * lost with the kill): the host then checks fewer blocks, never more.
 *
 * Block seq (0, 1, 2, ...) goes to slot seq % slots of a region of
 * `slots` 4 KiB blocks from sector `start`, so later blocks overwrite
 * earlier ones (the region wraps: one generation per pass).  Each block:
 *
 *   le64 magic "LVCRASH1", le32 run, le32 slot, le64 seq,
 *   le64 gen (= seq / slots), le64 sum, 24 bytes of zero,
 *   then 504 le64 words, word i = crash_word(run, seq, i)
 *
 * and sum is crash_sum() over the 512 words with sum itself as 0.  The
 * run id (run=, required) differs on every boot, so what an earlier run
 * left in the image cannot pass for this run's blocks.  The host checker
 * (tests/tools/crash-check.c) computes the same words.
 *
 *   run=R      32-bit run id
 *   start=S    first sector of the region (default 2048)
 *   slots=K    4 KiB blocks in the region (default 256)
 *   batch=B    writes in flight per batch, 1..32 (default 8)
 *   limit=N    stop after N blocks and exit 0 (default: never)
 *
 * Statuses: 1 no disk or bring-up failed, 2 bad parameters, 3 a write
 * failed, 4 the FLUSH failed, 5 no completion within 5 s.
 */
#include "runtime.h"

const char test_name[] = "crash_blk";

#define VEC_BASE		0x50
#define BLOCK			4096
#define SECTORS_PER_BLOCK	(BLOCK / 512)
#define WORDS			(BLOCK / 8)
#define HDR_WORDS		8
#define BATCH_MAX		32
#define WAIT_TICKS		500
#define CRASH_MAGIC		0x314853415243564cULL	/* "LVCRASH1" */

#define F(bit)			(1u << (bit))

static uint64_t blocks[BATCH_MAX][WORDS] __aligned(BLOCK);
static struct virtio_blk_outhdr hdrs[BATCH_MAX + 1];
static volatile uint8_t status[BATCH_MAX + 1];

/* Keep in step with tests/tools/crash-check.c. */
static uint64_t crash_word(uint32_t run, uint64_t seq, unsigned int i)
{
	return (seq << 32 | run) * 0x9e3779b97f4a7c15ULL +
	       i * 0xd1b54a32d192ed03ULL;
}

static uint64_t crash_sum(uint64_t sum, uint64_t w)
{
	return (sum ^ w) * 0x100000001b3ULL;
}

static void fill(uint64_t *b, uint32_t run, uint64_t seq, uint32_t slots)
{
	uint64_t sum = 0;
	unsigned int i;

	b[0] = CRASH_MAGIC;
	b[1] = (uint64_t)(seq % slots) << 32 | run;
	b[2] = seq;
	b[3] = seq / slots;
	b[4] = 0;		/* the sum, once known */
	b[5] = b[6] = b[7] = 0;
	for (i = HDR_WORDS; i < WORDS; i++)
		b[i] = crash_word(run, seq, i);
	for (i = 0; i < WORDS; i++)
		sum = crash_sum(sum, b[i]);
	b[4] = sum;
}

/* Request j in descriptors 3j..3j+2: header, data (if any), status. */
static uint16_t put_request(struct vq *q, unsigned int j, uint32_t type,
			    uint64_t sector, void *data)
{
	unsigned int d = 3 * j;

	hdrs[j].type = type;
	hdrs[j].ioprio = 0;
	hdrs[j].sector = sector;
	status[j] = 0xff;
	if (data) {
		vq_set_desc(q->desc, d, (uintptr_t)&hdrs[j], sizeof(hdrs[j]),
			    VRING_DESC_F_NEXT, d + 1);
		vq_set_desc(q->desc, d + 1, (uintptr_t)data, BLOCK,
			    VRING_DESC_F_NEXT, d + 2);
	} else {
		vq_set_desc(q->desc, d, (uintptr_t)&hdrs[j], sizeof(hdrs[j]),
			    VRING_DESC_F_NEXT, d + 2);
	}
	vq_set_desc(q->desc, d + 2, (uintptr_t)&status[j], 1,
		    VRING_DESC_F_WRITE, 0);
	return (uint16_t)d;
}

/* Wait for n used entries, each one of the heads 3j (j < n) with OK. */
static int complete(struct vq *q, unsigned int n, unsigned int base)
{
	struct vring_used_elem e;
	unsigned int done = 0;

	while (done < n) {
		if (vq_wait(q, WAIT_TICKS)) {
			printf("FAIL: %u of %u requests completed within 5 s\n",
			       done, n);
			return 5;
		}
		while (vq_pop(q, &e)) {
			unsigned int j = e.id / 3;

			if (e.id % 3 || j < base || j >= base + n ||
			    status[j] != VIRTIO_BLK_S_OK) {
				printf("FAIL: used id %u, status %u\n", e.id,
				       e.id % 3 ? 0xff : status[j]);
				return 3;
			}
			done++;
		}
	}
	return 0;
}

int test_main(void)
{
	uint64_t run, start = 2048, slots = 256, batch = 8, limit = 0, seq;
	uint32_t want = F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_RING_F_EVENT_IDX);
	uint16_t heads[BATCH_MAX];
	struct vdev d;
	struct vq *q;
	unsigned int j;
	int slot, r;

	vtest_init();
	cmdline_get_uint("start", &start);
	cmdline_get_uint("slots", &slots);
	cmdline_get_uint("batch", &batch);
	cmdline_get_uint("limit", &limit);
	if (!cmdline_get_uint("run", &run) || run > 0xffffffffu || !slots ||
	    slots > 0xffffffffu || !batch || batch > BATCH_MAX) {
		printf("FAIL: need run= (32 bits), slots= > 0, batch=1..%u\n",
		       BATCH_MAX);
		return 2;
	}
	slot = vdev_find(0x1001, 0);
	if (slot < 0 || vdev_open(&d, (unsigned int)slot, VEC_BASE) ||
	    vdev_start(&d, want, F(VIRTIO_BLK_F_FLUSH), 1))
		return 1;
	if (start + slots * SECTORS_PER_BLOCK > vblk_capacity(&d)) {
		printf("FAIL: the region ends past the disk's %lu sectors\n",
		       vblk_capacity(&d));
		return 2;
	}
	q = &d.vq[0];
	printf("crash_blk: run %lu, %lu slots from sector %lu, batches of %lu\n",
	       run, slots, start, batch);
	for (seq = 0; !limit || seq < limit; seq += batch) {
		for (j = 0; j < batch; j++) {
			fill(blocks[j], (uint32_t)run, seq + j,
			     (uint32_t)slots);
			heads[j] = put_request(q, j, VIRTIO_BLK_T_OUT,
					       start + (seq + j) % slots *
					       SECTORS_PER_BLOCK, blocks[j]);
		}
		vq_publish(q, heads, (unsigned int)batch);
		r = complete(q, (unsigned int)batch, 0);
		if (r)
			return r;
		/* Every write of the batch completed: now the FLUSH. */
		heads[0] = put_request(q, (unsigned int)batch,
				       VIRTIO_BLK_T_FLUSH, 0, NULL);
		vq_publish(q, heads, 1);
		r = complete(q, 1, (unsigned int)batch);
		if (r)
			return r == 3 ? 4 : r;
		printf("flushed %lu run %lu\n", seq + batch, run);
	}
	printf("crash_blk: %lu blocks written\n", seq);
	return 0;
}
