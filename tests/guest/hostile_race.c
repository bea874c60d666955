// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_race - a guest that rewrites its descriptors while lightvm's
 * I/O thread walks them (the vCPU and the I/O thread run at the same
 * time; the walker copies each descriptor once, virtq.c invariant 8).
 * Each round publishes 16 read chains, one notify each or all in one,
 * and rewrites most of them right after publishing (or rewrites each
 * before publishing it and puts it back right after): an address out of
 * RAM, len 0 or 0xffffffff, the WRITE flag flipped, a self loop, next out
 * of range, the header made writable, INDIRECT with NEXT, the chain cut
 * short, the avail entry replaced by 0xffff, or harmless moves inside the
 * region; then rewrites the data descriptors a few more times.  Whether
 * the device saw the old or the new descriptor is up to the race, so
 * each round must end one of two ways:
 *
 *   - every chain used exactly once (ids are the published heads), the
 *     untouched ones with status OK and the full length; or
 *   - NEEDS_RESET with a config interrupt, then reset + re-init + good
 *     request (lib/vblk_hostile.c);
 *
 * and in both, no byte outside the region between the two guard pages
 * changed: every address the guest ever writes into a descriptor is in
 * that region or not RAM at all.  It prints how many rounds ended each
 * way (both happen, in proportions that vary from run to run).
 *
 * Parameters: `rounds=N` (default 48).  Needs --disk IMG (8 MiB of
 * zeroes): every request is a read, so the runner checks the image is
 * still all zero except the recovery writes at GOOD_SECTOR.
 *
 * Exit status: 1 set-up, 2 a round ended otherwise.
 */
#include "runtime.h"

const char test_name[] = "hostile_race";

enum group { G_SETUP = 1, G_RACE };

#define VEC_BASE	0x50
#define GOOD_SECTOR	2048
#define ZERO_SECTOR	8192			/* never written */
#define RACE_BASE	0x3000000ull		/* the race's region */

static struct hv dev;

/* ---- the race ---- */

/*
 * Region: guard page, 16 data buffers of 8 KiB, scratch, guard page.
 * The device may write anywhere between the guards and nowhere else:
 * every address the guest writes into a descriptor is inside them or
 * not RAM at all.
 */
#define RACE_CHAINS	16
#define RACE_GUARD	0x1000
#define RACE_DATA	(RACE_BASE + RACE_GUARD)
#define RACE_SIZE	0x40000			/* between the guards */
#define RACE_END	(RACE_DATA + RACE_SIZE)
#define RACE_SCRATCH	(RACE_DATA + 0x20000)
#define GUARD_WORD	0x6b6b6b6b6b6b6b6bull

static bool guards_ok(void)
{
	return hv_all_words(phys_to_virt(RACE_BASE), RACE_GUARD, GUARD_WORD) &&
	       hv_all_words(phys_to_virt(RACE_END), RACE_GUARD, GUARD_WORD);
}

/* avail->idx before the round's chains went in. */
static uint16_t race_avail;
/* Rounds that ended with every chain used / with NEEDS_RESET. */
static unsigned int race_served, race_broken;

/* Rewrite chain i (descriptors 3i..3i+2) the way mutation m says. */
static void mutate(unsigned int i, unsigned int m)
{
	struct vring_desc *hd = &dev.q->desc[3 * i], *dd = hd + 1;
	volatile struct vring_desc *d = dd;
	volatile struct vring_desc *h = hd;

	switch (m) {
	case 0:
		d->addr |= 1ull << 62;		/* not RAM */
		break;
	case 1:
		d->len = 0;
		break;
	case 2:
		d->len = 0xffffffffu;
		break;
	case 3:
		d->flags ^= HV_WR;			/* IOERR or order */
		break;
	case 4:
		d->next = 3 * i + 1;		/* loop on itself */
		break;
	case 5:
		d->next = 0xffff;
		break;
	case 6:
		h->flags |= HV_WR;			/* no header */
		break;
	case 7:
		d->flags |= HV_IND;		/* INDIRECT with NEXT */
		break;
	case 8:
		d->flags &= ~HV_NX;		/* status inside the data */
		break;
	case 9:
		/* Its avail entry, if not yet consumed. */
		dev.q->avail->ring[(race_avail + i) & (dev.q->size - 1)] =
			0xffff;
		break;
	case 10:
		d->addr = RACE_SCRATCH + 0x1000 * i;	/* still inside */
		break;
	case 11:
		h->addr = RACE_SCRATCH;		/* zeroes: IN sector 0 */
		break;
	case 12:
		/* Into the next chain's data descriptor. */
		d->next = (3 * i + 4) % (3 * RACE_CHAINS);
		break;
	default:
		break;				/* left alone */
	}
}

#define NR_MUTATIONS	16	/* 13..15: untouched controls */
#define CHURN_PASSES	3

/*
 * Keep rewriting the data descriptors of every chain but the controls
 * while the device works: the address moves by 64 KiB and the length
 * between 4 and 6 KiB, all inside the region whatever mix the device
 * sees.
 */
static void churn(const unsigned int *m)
{
	unsigned int p, i;

	for (p = 0; p < CHURN_PASSES; p++) {
		for (i = 0; i < RACE_CHAINS; i++) {
			volatile struct vring_desc *d = &dev.q->desc[3 * i + 1];

			if (m[i] >= 13)
				continue;
			d->addr ^= 0x10000;
			d->len ^= 0x800;
		}
	}
}

/*
 * Put chain i's three descriptors back as hv_rw_chain built them, one
 * aligned field store at a time: the device sees each field old or new.
 */
static void restore(unsigned int i)
{
	volatile struct vring_desc *d = &dev.q->desc[3 * i];

	d[0].addr = hv_pa(&hv_hdr[i]);
	d[0].flags = HV_NX;
	d[0].next = 3 * i + 1;
	d[1].addr = RACE_DATA + 0x2000 * i;
	d[1].len = 0x1000;
	d[1].flags = HV_NX | HV_WR;
	d[1].next = 3 * i + 2;
}

/*
 * How a round races the device: publish each chain and rewrite it at
 * once (the device loses if it wakes late), publish all then rewrite,
 * or rewrite each chain, publish it and put it back at once (the device
 * loses if it wakes early).
 */
enum race_mode { RACE_EACH, RACE_BATCH, RACE_RESTORE, RACE_MODES };

static const char *const race_names[RACE_MODES] = {
	"race-each", "race-batch", "race-restore",
};

/* One round: 0 ok, -1 failed (after hv_fail). */
static int race_round(unsigned int r, enum race_mode mode)
{
	const char *c = race_names[mode];
	struct vring_used_elem e;
	uint16_t heads[RACE_CHAINS];
	unsigned int i, m[RACE_CHAINS], used, start;
	uint32_t seen = 0;

	hv_arm(&dev);
	for (i = 0; i < RACE_CHAINS; i++) {
		hv_rw_chain(dev.q->desc, 3 * i, i, VIRTIO_BLK_T_IN,
			    ZERO_SECTOR + 8 * i,
			    phys_to_virt(RACE_DATA + 0x2000 * i), 0x1000);
		heads[i] = 3 * i;
		m[i] = (r * 7 + i * 5) % NR_MUTATIONS;
	}
	race_avail = vq_ld16(&dev.q->avail->idx);
	switch (mode) {
	case RACE_BATCH:
		vq_add_raw(dev.q, heads, RACE_CHAINS);
		vq_kick(dev.q);
		for (i = 0; i < RACE_CHAINS; i++)
			mutate(i, m[i]);
		break;
	case RACE_RESTORE:
		for (i = 0; i < RACE_CHAINS; i++) {
			mutate(i, m[i]);
			hv_publish(&dev, heads[i]);
			restore(i);
		}
		break;
	default:
		for (i = 0; i < RACE_CHAINS; i++) {
			hv_publish(&dev, heads[i]);
			mutate(i, m[i]);
		}
		break;
	}
	churn(m);
	/* All used, or NEEDS_RESET (its config interrupt). */
	start = vtest_ticks;
	for (;;) {
		used = (uint16_t)(vq_ld16(&dev.q->used->idx) -
				  dev.q->last_used);
		if (used >= RACE_CHAINS || hv_cfg_irqs(&dev) != dev.cfg_irqs)
			break;
		if (vtest_ticks - start >= HV_WAIT_TICKS) {
			hv_fail(&dev, c, "round %u: %u of %u used, no NEEDS_RESET (status 0x%x)",
				r, used, RACE_CHAINS, vdev_status(&dev.d));
			hv_recover(&dev, c);
			return -1;
		}
		hv_wait_used(&dev, RACE_CHAINS, 1);
	}
	if (!guards_ok()) {
		hv_fail(&dev, c, "round %u: memory outside the buffers written",
			r);
		hv_recover(&dev, c);
		return -1;
	}
	for (i = 0; i < used && i < RACE_CHAINS; i++) {
		unsigned int k;

		vq_pop(dev.q, &e);
		k = e.id / 3;
		if (e.id % 3 || k >= RACE_CHAINS || (seen & (1u << k))) {
			hv_fail(&dev, c, "round %u: used id %u", r, e.id);
			hv_recover(&dev, c);
			return -1;
		}
		seen |= 1u << k;
		/* Untouched chains must have been served normally. */
		if (m[k] >= 13 && (hv_st[k] != VIRTIO_BLK_S_OK ||
				   e.len != 0x1001)) {
			hv_fail(&dev, c, "round %u: untouched chain %u: status %u len %u",
				r, k, hv_st[k], e.len);
			hv_recover(&dev, c);
			return -1;
		}
	}
	if (used > RACE_CHAINS) {
		hv_fail(&dev, c, "round %u: %u used entries for %u chains", r,
			used, RACE_CHAINS);
		hv_recover(&dev, c);
		return -1;
	}
	if (hv_cfg_irqs(&dev) != dev.cfg_irqs || used < RACE_CHAINS) {
		/* Broken meanwhile: it must say so, and come back. */
		if (hv_wait_needs_reset(&dev, HV_WAIT_TICKS)) {
			hv_fail(&dev, c, "round %u: %u used but no NEEDS_RESET",
				r, used);
			hv_recover(&dev, c);
			return -1;
		}
		dev.needs_reset++;
		race_broken++;
		return hv_recover(&dev, c);
	}
	race_served++;
	return 0;
}

static void run_race(void)
{
	uint64_t rounds = 48;
	unsigned int r, before = dev.failures;

	cmdline_get_uint("rounds", &rounds);
	/*
	 * Zeroed once: the device only ever reads zero sectors into it (all
	 * requests are IN, and a header taken from zeroes is IN of sector 0
	 * too) and puts status bytes at the end of data buffers, which
	 * nothing reads as a header.
	 */
	hv_fill_words(phys_to_virt(RACE_DATA), RACE_SIZE, 0);
	hv_fill_words(phys_to_virt(RACE_BASE), RACE_GUARD, GUARD_WORD);
	hv_fill_words(phys_to_virt(RACE_END), RACE_GUARD, GUARD_WORD);
	for (r = 0; r < rounds; r++)
		if (race_round(r, r % RACE_MODES))
			break;
	if (dev.failures != before)
		return;
	/* Both numbers vary from run to run: the race is real. */
	printf("ok: race (%u rounds: %u all served, %u NEEDS_RESET)\n",
	       (unsigned int)rounds, race_served, race_broken);
}

int test_main(void)
{
	vtest_init();
	if (hv_open(&dev, "disk0", 0, VEC_BASE, HV_WANT_ALL, GOOD_SECTOR))
		return G_SETUP;
	run_race();
	hv_report(&dev);
	return hv_failures ? G_RACE : 0;
}
