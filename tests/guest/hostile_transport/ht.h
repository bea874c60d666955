/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ht.h - what the parts of the hostile_transport test kernel share: the
 * device under attack, the bookkeeping of what lightvm's -v counters must
 * show at the end, and the "does the device still work" checks.
 */
#ifndef HOSTILE_TRANSPORT_H
#define HOSTILE_TRANSPORT_H

#include <linux/virtio_net.h>

#include "runtime.h"

#define HT_VEC_BASE		0x50	/* MSI-X entry i -> vector 0x50 + i */
#define HT_VEC_SPARE		0x5c	/* a vector no entry normally uses */
#define HT_WAIT			300	/* ticks (3 s): anything that must
					 * complete does so in far less */
#define HT_QUIET		3	/* ticks to wait for what must not
					 * happen */

#define F(bit)			(1u << (bit))

/* Exit statuses: which group of cases failed. */
enum {
	HT_ST_SETUP = 1,
	HT_ST_QUEUE,
	HT_ST_PFN,
	HT_ST_LATE,
	HT_ST_FEATURES,
	HT_ST_BAR0,
	HT_ST_VECTORS,
	HT_ST_MSIX_TABLE,
	HT_ST_STORM,
	HT_ST_PCICFG,
	HT_ST_MQUEUE,
	HT_ST_MFEATURES,
	HT_ST_MCOMMON,
	HT_ST_MNOTIFY,
	HT_ST_MMIX,
};

struct ht {
	struct vdev d;
	bool net;
	unsigned int nr_queues;		/* blk 1, net 2 */
	uint32_t host_features;
	uint64_t ram;			/* guest RAM in bytes (ram=) */
	uint64_t capacity;		/* blk: sectors (capacity=) */
	uint8_t mac[6];			/* net: the MAC the device reports */
	unsigned int hdr_len;		/* net: 10, or 12 with MRG_RXBUF */
	/* What lightvm -v must count by the end of the run. */
	unsigned int expect_needs_reset;
	unsigned int expect_resets;
	unsigned int expect_notify_exits;
};

extern struct ht ht;

/* ---- reporting ---- */
int ht_fail(const char *name, const char *fmt, ...) __printf(2, 3);
void ht_ok(const char *name);

/* ---- bring-up (util.c) ---- */
/* Reset, negotiate `want`, MSI-X, every queue from the pool, DRIVER_OK. */
int ht_start(uint32_t want);
/* The same in two halves, for cases that set the queues up themselves:
 * reset, negotiate, MSI-X on; then DRIVER_OK (and net's RX buffers). */
int ht_begin(uint32_t want);
void ht_finish(void);
/* The features ht_start takes by default for this device. */
uint32_t ht_default_features(void);
/* Status 0 (counted as one reset). */
int ht_reset(void);
/* ht_start(default) and ht_works: the recovery every case ends with. */
int ht_recover(const char *name);
/* One good request on the device as it is now: a blk write + read-back,
 * or an ARP round trip with the host for net.  0 or -1 after FAIL. */
int ht_works(const char *name);
/* A NEEDS_RESET the case provoked: lightvm must count exactly these. */
void ht_expect_needs_reset(unsigned int n);

/* ---- raw register access ---- */
static inline void ht_sel(uint16_t q)
{
	outw(ht.d.io + VIRTIO_PCI_QUEUE_SEL, q);
}

/* A QUEUE_PFN whose ring lies wholly past the end of guest RAM. */
uint32_t ht_bad_pfn(void);

/* QUEUE_NOTIFY of any value: one that names no queue is no ioeventfd
 * match, so it exits to lightvm, which counts it. */
void ht_notify(uint16_t v);

/* Lay queue i out at `mem` (3 pages, zeroed here) without telling the
 * device; the caller writes QUEUE_PFN. */
void ht_queue_at(unsigned int i, void *mem);
/* Extra ring memory for cases that need a second ring. */
extern uint8_t ht_ring_spare[2][3 * PAGE_SIZE];

/* EVENT_IDX: ask for an interrupt at the next used entry, now. */
void ht_arm(struct vq *q);

/* Config interrupts (MSI-X entry 0) seen so far. */
unsigned int ht_config_irqs(void);
/* Wait up to `ticks` for vtest_irqs[vector] to move from `before`. */
bool ht_wait_irq(unsigned int vector, unsigned int before,
		 unsigned int ticks);
/* The same for the config interrupt (MSI-X entry 0). */
bool ht_wait_config_irq(unsigned int before, unsigned int ticks);
/* Every MSI-X interrupt the device's vectors got so far. */
unsigned int ht_all_irqs(void);

/* Map guest-physical 4 GiB..5 GiB (high RAM with -m > 3G) 1:1. */
void ht_map_high(void);

/*
 * A request on the queue a notify drives (blk: queue 0, a read; net: the
 * TX queue, an ARP request), published without a notify: returns that
 * queue.  ht_posted_done: whether its used entry came within `ticks`
 * (0), not at all (-1), or wrong (-2: id, or a blk status not OK).
 */
unsigned int ht_post_nokick(void);
int ht_posted_done(unsigned int ticks);

/* ---- blk ---- */
int ht_blk_rw(struct vq *q, uint64_t sector, const char *name);
/* A read through an indirect table (needs INDIRECT_DESC): status. */
int ht_blk_read_indirect(struct vq *q, uint64_t sector, unsigned int ticks);

/* ---- net ---- */
/* Post the receive buffers on queue 0 (after ht_start). */
void ht_net_fill_rx(void);
/* ARP who-has 10.0.2.1 and wait for the answer: 0 or -1 after FAIL. */
int ht_net_arp(const char *name);
/* Put the ARP request on the TX queue, with or without a notify. */
void ht_net_tx_arp(bool kick);

/* ---- the groups ---- */
int ht_group_queue(void);
int ht_group_pfn(void);
int ht_group_late(void);
int ht_group_features(void);
int ht_group_bar0(void);
int ht_group_vectors(void);
int ht_group_msix_table(void);
int ht_group_storm(void);
int ht_group_pcicfg(void);
/* The modern interface (modern.c; with transport=modern). */
int ht_group_mqueue(void);
int ht_group_mfeatures(void);
int ht_group_mcommon(void);
int ht_group_mnotify(void);
int ht_group_mmix(void);

#endif
