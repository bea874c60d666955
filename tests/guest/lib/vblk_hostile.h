/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vblk_hostile.h - the frame every hostile virtio-blk test kernel runs its
 * attacks in (vblk_hostile.c): a device it may break, counters the runner
 * compares with lightvm's -v line, and the common endings of an attack:
 *
 *   hv_expect_needs_reset()  the device must set DEVICE_NEEDS_RESET and
 *                            send a configuration interrupt, complete
 *                            nothing, stay stopped until reset, and work
 *                            again after reset + re-init;
 *   hv_expect_status()       the request must come back exactly once with
 *                            a given virtio-blk status and used length,
 *                            and the device must stay healthy.
 *
 * Each case prints "ok: <case>" or "FAIL: <case>: <what was seen>".
 */
#ifndef GUEST_VBLK_HOSTILE_H
#define GUEST_VBLK_HOSTILE_H

#include "runtime.h"

#define HV_F(bit)		(1u << (bit))
/* What a hostile kernel normally negotiates: the ring features. */
#define HV_WANT_ALL		(HV_F(VIRTIO_RING_F_INDIRECT_DESC) | \
				 HV_F(VIRTIO_RING_F_EVENT_IDX) | \
				 HV_F(VIRTIO_BLK_F_FLUSH))
#define HV_WAIT_TICKS		200	/* 2 s: only ever reached on failure */
#define HV_STOPPED_TICKS	2	/* a stopped queue stays quiet */

struct hv {
	struct vdev d;
	struct vq *q;			/* &d.vq[0] once started */
	const char *name;		/* for messages: "disk0" */
	uint8_t vec_base;		/* MSI-X entry 0 (config) -> vec_base */
	uint32_t want;			/* features of every (re)start */
	uint64_t good_sector;		/* recovery writes: 8 sectors */
	bool ro;			/* offers VIRTIO_BLK_F_RO: reads only */
	/* Remembered by hv_arm() before an attack. */
	unsigned int cfg_irqs;
	uint16_t used_idx;
	/* Compared with lightvm -v by the runner. */
	unsigned int needs_reset;	/* NEEDS_RESET events seen */
	unsigned int resets;		/* STATUS = 0 writes */
	unsigned int cases, failures;
	unsigned int good_serial;	/* tags recovery writes */
};

/* The nth (0-based) 1af4:1001 on bus 0, opened and started with want. */
int hv_open(struct hv *h, const char *name, unsigned int nth,
	    uint8_t vec_base, uint32_t want, uint64_t good_sector);
/* Reset and bring the device up again with h->want (or want). */
int hv_start(struct hv *h);
int hv_start_with(struct hv *h, uint32_t want);
/* Write 0 to STATUS (counted); frees the rings. */
int hv_reset(struct hv *h);

/* Remember the config-interrupt count and used->idx before an attack. */
void hv_arm(struct hv *h);
void hv_fail(struct hv *h, const char *c, const char *fmt, ...)
	__printf(3, 4);
void hv_ok(struct hv *h, const char *c);

/* Config interrupts seen on this device's entry 0. */
unsigned int hv_cfg_irqs(const struct hv *h);
/* Sleep until used->idx is n past q->last_used: 0, or -1 on timeout. */
int hv_wait_used(struct hv *h, unsigned int n, unsigned int ticks);
/* Sleep until NEEDS_RESET and a config interrupt since hv_arm: 0/-1. */
int hv_wait_needs_reset(struct hv *h, unsigned int ticks);

/* A write + read-back of one sector through the lib's request path. */
int hv_check_good(struct hv *h, const char *c);
/* Reset, start with h->want, good request: 0, or -1 after hv_fail. */
int hv_recover(struct hv *h, const char *c);

/*
 * After an attack armed with hv_arm() and published: NEEDS_RESET plus a
 * config interrupt within HV_WAIT_TICKS, no used entry, a good request
 * published afterwards not served, then hv_recover().  0 = ok.
 */
int hv_expect_needs_reset(struct hv *h, const char *c);
/*
 * The chain at head was published: one used entry, id head, len
 * used_len, *status == want, no NEEDS_RESET.  Pops the entry.  0 = ok
 * (nothing printed), -1 after hv_fail.
 */
int hv_expect_status(struct hv *h, const char *c, uint16_t head,
		     const volatile uint8_t *status, uint8_t want,
		     uint32_t used_len);

/* Every 8-byte word of [p, p+len) equals v (len a multiple of 8). */
bool hv_all_words(const void *p, size_t len, uint64_t v);
/* Fill [p, p+len) with the 8-byte word v (len a multiple of 8). */
void hv_fill_words(void *p, size_t len, uint64_t v);

/* "hostile <name>: N cases, F failed, R needs-reset, S resets" */
void hv_report(const struct hv *h);

/* ---- building requests: one header and status byte per slot ---- */
#define HV_SLOTS		256
#define HV_SECTOR		512
#define HV_RD			0
#define HV_WR			VRING_DESC_F_WRITE
#define HV_NX			VRING_DESC_F_NEXT
#define HV_IND			VRING_DESC_F_INDIRECT

extern struct virtio_blk_outhdr hv_hdr[HV_SLOTS];
extern volatile uint8_t hv_st[HV_SLOTS];

static inline uint64_t hv_pa(const volatile void *p)
{
	return (uintptr_t)p;
}

/* Slot s: header (type, sector), status byte 0xff (nothing written). */
void hv_set_hdr(unsigned int s, uint32_t type, uint64_t sector);
/* hdr(R) -> data (W for IN/GET_ID, else R) -> status(W) in descriptors
 * d..d+2 of table t, slot s; len 0: hdr -> status only (d..d+1). */
void hv_rw_chain(struct vring_desc *t, unsigned int d, unsigned int s,
		 uint32_t type, uint64_t sector, void *buf, uint32_t len);
/* Put head on the avail ring and notify, whatever EVENT_IDX says. */
void hv_publish(struct hv *h, uint16_t head);

/* Every sector of buf (n of them) holds its own number, first + i, in
 * its first and last word. */
bool hv_numbered(const void *buf, uint64_t first, unsigned int n);
/* Write n such sectors at first through buf (n * 512 bytes). */
int hv_write_numbered(struct hv *h, uint64_t first, unsigned int n,
		      void *buf);

/* ---- a table of cases ---- */
struct hv_case {
	const char *name;
	unsigned int group;		/* the exit status if it fails */
	int (*fn)(const char *name);
};

/* Failures of every device so far (hv_fail). */
extern unsigned int hv_failures;
/*
 * Run each case (only case number `only=N` if given); returns the lowest
 * group that failed, or 0.
 */
unsigned int hv_run_cases(const struct hv_case *c, unsigned int n);

#endif
