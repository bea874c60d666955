// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - the hostile_transport kernel's plumbing: bring the device up
 * and down while counting what lightvm must count, lay rings out at
 * addresses of our choosing, and prove the device still works - a blk
 * write and read-back, or for net an ARP request the host kernel behind
 * the tap must answer.
 */
#include "ht.h"

struct ht ht;

uint8_t ht_ring_spare[2][3 * PAGE_SIZE] __aligned(PAGE_SIZE);

int ht_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return -1;
}

void ht_ok(const char *name)
{
	printf("ok: %s\n", name);
}

void ht_expect_needs_reset(unsigned int n)
{
	ht.expect_needs_reset += n;
}

uint32_t ht_default_features(void)
{
	uint32_t ring = F(VIRTIO_RING_F_INDIRECT_DESC) |
			F(VIRTIO_RING_F_EVENT_IDX);

	if (ht.net)
		return ring | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
		       F(VIRTIO_NET_F_MRG_RXBUF);
	return ring | F(VIRTIO_BLK_F_SIZE_MAX) | F(VIRTIO_BLK_F_SEG_MAX) |
	       F(VIRTIO_BLK_F_BLK_SIZE) | F(VIRTIO_BLK_F_FLUSH);
}

int ht_reset(void)
{
	ht.expect_resets++;
	return vdev_reset(&ht.d);
}

int ht_begin(uint32_t want)
{
	ht.expect_resets++;
	if (vdev_reset(&ht.d) || vdev_negotiate(&ht.d, want, 0) ||
	    vdev_enable_msix(&ht.d, ht.nr_queues))
		return -1;
	return 0;
}

/* net: the header size the features imply, and receive buffers. */
static void net_ready(void)
{
	if (!ht.net)
		return;
	ht.hdr_len = ht.d.modern || (ht.d.features & F(VIRTIO_NET_F_MRG_RXBUF)) ?
		     sizeof(struct virtio_net_hdr_mrg_rxbuf) :
		     sizeof(struct virtio_net_hdr);
	ht_net_fill_rx();
}

void ht_finish(void)
{
	vdev_driver_ok(&ht.d);
	net_ready();
}

int ht_start(uint32_t want)
{
	/* vdev_start begins with the reset. */
	ht.expect_resets++;
	if (vdev_start(&ht.d, want, 0, ht.nr_queues))
		return -1;
	net_ready();
	return 0;
}

int ht_works(const char *name)
{
	if (ht.net)
		return ht_net_arp(name);
	return ht_blk_rw(&ht.d.vq[0], 1, name);
}

int ht_recover(const char *name)
{
	if (ht_start(ht_default_features())) {
		printf("FAIL: %s: the device did not come back after a reset\n",
		       name);
		return -1;
	}
	return ht_works(name);
}

/* 64 KiB past the end of RAM: low RAM up to 3 GiB, the rest above 4. */
uint32_t ht_bad_pfn(void)
{
	uint64_t end = ht.ram <= (3ULL << 30) ? ht.ram :
		       ht.ram + (1ULL << 30);

	return (uint32_t)(end >> 12) + 16;
}

void ht_notify(uint16_t v)
{
	if (v >= ht.nr_queues)
		ht.expect_notify_exits++;
	outw(ht.d.io + VIRTIO_PCI_QUEUE_NOTIFY, v);
}

/* The same layout vdev_setup_queue uses, at memory we chose. */
void ht_queue_at(unsigned int i, void *mem)
{
	struct vq *q = &ht.d.vq[i];

	vq_free(q);		/* give its pool ring back, if it had one */
	memset(mem, 0, 3 * PAGE_SIZE);
	memset(q, 0, sizeof(*q));
	q->mem = mem;
	q->index = i;
	q->size = VQ_MAX_SIZE;
	q->io = ht.d.io;
	q->event_idx = ht.d.event_idx;
	q->vector = ht.d.vec_base + 1 + i;
	q->desc = (struct vring_desc *)q->mem;
	q->avail = (struct vring_avail *)(q->mem + q->size * 16);
	q->used = (struct vring_used *)(q->mem + 2 * PAGE_SIZE);
	if (i >= ht.d.nr_vqs)
		ht.d.nr_vqs = i + 1;
}

unsigned int ht_config_irqs(void)
{
	return vtest_irqs[HT_VEC_BASE];
}

/*
 * Interrupts come through KVM irqfds, asynchronously to the used ring:
 * a driver may see the used entry before the interrupt that announces
 * it.  So a case that wants an interrupt waits for it, bounded.
 */
bool ht_wait_irq(unsigned int vector, unsigned int before,
		 unsigned int ticks)
{
	unsigned int start = vtest_ticks;

	while (vtest_irqs[vector] == before && vtest_ticks - start < ticks)
		irq_enable_and_halt();
	return vtest_irqs[vector] != before;
}

bool ht_wait_config_irq(unsigned int before, unsigned int ticks)
{
	return ht_wait_irq(HT_VEC_BASE, before, ticks);
}

unsigned int ht_all_irqs(void)
{
	unsigned int i, n = vtest_irqs[HT_VEC_SPARE];

	for (i = 0; i <= ht.nr_queues; i++)
		n += vtest_irqs[HT_VEC_BASE + i];
	return n;
}

/*
 * The runtime maps the low 4 GiB; high RAM starts at 4 GiB.  One more
 * page directory of 2 MiB pages under PDPT entry 4 maps 4-5 GiB 1:1.
 */
extern uint64_t pml4[512];
static uint64_t high_pd[512] __aligned(PAGE_SIZE);

void ht_map_high(void)
{
	uint64_t *pdpt = phys_to_virt(pml4[0] & ~0xfffULL);
	unsigned int i;

	for (i = 0; i < 512; i++)
		high_pd[i] = (0x100000000ULL + ((uint64_t)i << 21)) |
			     PTE_P | PTE_RW | PTE_PS;
	pdpt[4] = (uintptr_t)high_pd | PTE_P | PTE_RW;
	asm volatile("mov %0, %%cr3" : : "r"(read_cr3()) : "memory");
}

/*
 * With EVENT_IDX, ask for an interrupt on the next used entry before
 * publishing.  The runtime's vq_wait asks only once it starts waiting,
 * and a device that completes first (lightvm's I/O thread can beat an
 * emulated vCPU to it) rightly sees the old used_event and stays quiet:
 * fine for a driver that polls, not for a case that counts interrupts.
 */
void ht_arm(struct vq *q)
{
	if (!q->event_idx)
		return;
	vq_st16(&q->avail->ring[q->size], q->last_used);
	asm volatile("lock addl $0, (%%rsp)" ::: "memory", "cc");
}

/* ---- virtio-blk ---- */

static uint8_t wbuf[512] __aligned(512), rbuf[512] __aligned(512);
static unsigned int blk_seq;

int ht_blk_rw(struct vq *q, uint64_t sector, const char *name)
{
	unsigned int i;
	int st;

	blk_seq++;
	for (i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (uint8_t)(blk_seq * 31 + i);
	ht_arm(q);
	st = vblk_request(q, VIRTIO_BLK_T_OUT, sector, wbuf, sizeof(wbuf),
			  HT_WAIT);
	if (st)
		return ht_fail(name, "write of sector %lu: status %d", sector,
			       st);
	memset(rbuf, 0, sizeof(rbuf));
	ht_arm(q);
	st = vblk_request(q, VIRTIO_BLK_T_IN, sector, rbuf, sizeof(rbuf),
			  HT_WAIT);
	if (st)
		return ht_fail(name, "read of sector %lu: status %d", sector,
			       st);
	if (memcmp(wbuf, rbuf, sizeof(wbuf)))
		return ht_fail(name, "sector %lu read back differs", sector);
	return 0;
}

static struct virtio_blk_outhdr req_hdr __aligned(16);
static struct vring_desc ind_table[3] __aligned(16);
static volatile uint8_t req_status;

int ht_blk_read_indirect(struct vq *q, uint64_t sector, unsigned int ticks)
{
	struct vring_used_elem e;
	uint16_t head = 0;

	req_hdr.type = VIRTIO_BLK_T_IN;
	req_hdr.ioprio = 0;
	req_hdr.sector = sector;
	req_status = 0xff;
	vq_set_desc(ind_table, 0, (uintptr_t)&req_hdr, sizeof(req_hdr),
		    VRING_DESC_F_NEXT, 1);
	vq_set_desc(ind_table, 1, (uintptr_t)rbuf, sizeof(rbuf),
		    VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	vq_set_desc(ind_table, 2, (uintptr_t)&req_status, 1,
		    VRING_DESC_F_WRITE, 0);
	vq_set_desc(q->desc, 0, (uintptr_t)ind_table, sizeof(ind_table),
		    VRING_DESC_F_INDIRECT, 0);
	ht_arm(q);
	vq_publish(q, &head, 1);
	if (vq_wait(q, ticks))
		return VBLK_TIMEOUT;
	if (!vq_pop(q, &e) || e.id != 0)
		return VBLK_BAD_USED;
	return req_status;
}

/* A read of `sector` in descriptors 0-2, published without a notify. */
static void blk_post_read(struct vq *q, uint64_t sector)
{
	uint16_t head = 0;

	req_hdr.type = VIRTIO_BLK_T_IN;
	req_hdr.ioprio = 0;
	req_hdr.sector = sector;
	req_status = 0xff;
	vq_set_desc(q->desc, 0, (uintptr_t)&req_hdr, sizeof(req_hdr),
		    VRING_DESC_F_NEXT, 1);
	vq_set_desc(q->desc, 1, (uintptr_t)rbuf, sizeof(rbuf),
		    VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	vq_set_desc(q->desc, 2, (uintptr_t)&req_status, 1,
		    VRING_DESC_F_WRITE, 0);
	ht_arm(q);
	vq_add_raw(q, &head, 1);
}

unsigned int ht_post_nokick(void)
{
	if (ht.net) {
		ht_net_tx_arp(false);
		return 1;
	}
	blk_post_read(&ht.d.vq[0], 1);
	return 0;
}

int ht_posted_done(unsigned int ticks)
{
	struct vq *q = &ht.d.vq[ht.net ? 1 : 0];
	struct vring_used_elem e;

	if (vq_wait(q, ticks))
		return -1;
	if (!vq_pop(q, &e) || e.id != 0)
		return -2;
	if (!ht.net && req_status != VIRTIO_BLK_S_OK)
		return -2;
	return 0;
}

/* ---- virtio-net: ARP with the host kernel on the tap ---- */

#define NR_RX		8
#define RX_BUF		2048
#define ETH_HLEN	14
#define ARP_LEN		28

static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const uint8_t host_ip[4] = { 10, 0, 2, 1 };
static uint8_t rx_mem[NR_RX][RX_BUF] __aligned(64);
static uint8_t tx_mem[128] __aligned(64);

void ht_net_fill_rx(void)
{
	struct vq *rx = &ht.d.vq[0];
	uint16_t heads[NR_RX];
	unsigned int i;

	/* One descriptor per buffer, header and frame together: the
	 * device never looks at descriptor boundaries. */
	for (i = 0; i < NR_RX; i++) {
		vq_set_desc(rx->desc, i, (uintptr_t)rx_mem[i], RX_BUF,
			    VRING_DESC_F_WRITE, 0);
		heads[i] = i;
	}
	vq_publish(rx, heads, NR_RX);
}

void ht_net_tx_arp(bool kick)
{
	struct vq *tx = &ht.d.vq[1];
	uint8_t *f = tx_mem + ht.hdr_len, *a = f + ETH_HLEN;
	struct vring_used_elem e;
	uint16_t head = 0;

	while (vq_pop(tx, &e))
		;
	ht_arm(tx);
	memset(tx_mem, 0, sizeof(tx_mem));
	memset(f, 0xff, 6);			/* broadcast */
	memcpy(f + 6, ht.mac, 6);
	f[12] = 0x08;				/* ARP */
	f[13] = 0x06;
	a[1] = 1;				/* Ethernet */
	a[2] = 0x08;				/* IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;				/* request */
	memcpy(a + 8, ht.mac, 6);
	memcpy(a + 14, our_ip, 4);
	memcpy(a + 24, host_ip, 4);
	vq_set_desc(tx->desc, 0, (uintptr_t)tx_mem,
		    ht.hdr_len + ETH_HLEN + ARP_LEN, 0, 0);
	if (kick)
		vq_publish(tx, &head, 1);
	else
		vq_add_raw(tx, &head, 1);
}

/* Whether buffer id holds the host's ARP reply to us. */
static bool is_arp_reply(const uint8_t *buf, uint32_t len)
{
	const uint8_t *f = buf + ht.hdr_len, *a = f + ETH_HLEN;

	if (len < ht.hdr_len + ETH_HLEN + ARP_LEN)
		return false;
	return !memcmp(f, ht.mac, 6) && f[12] == 0x08 && f[13] == 0x06 &&
	       a[6] == 0 && a[7] == 2 && !memcmp(a + 14, host_ip, 4) &&
	       !memcmp(a + 18, ht.mac, 6) && !memcmp(a + 24, our_ip, 4);
}

int ht_net_arp(const char *name)
{
	struct vq *rx = &ht.d.vq[0];
	unsigned int start = vtest_ticks;
	struct vring_used_elem e;

	/* Frames from before (replies to earlier requests that waited in
	 * the tap, the host's IPv6 chatter): give their buffers back, so
	 * what we wait for - and any interrupt a case counts - is new. */
	while (vq_pop(rx, &e)) {
		uint16_t head = (uint16_t)e.id;

		if (e.id >= NR_RX)
			return ht_fail(name, "RX used id %u", e.id);
		vq_publish(rx, &head, 1);
	}
	ht_arm(rx);
	ht_net_tx_arp(true);
	while (vtest_ticks - start < HT_WAIT) {
		if (vq_wait(rx, HT_WAIT - (vtest_ticks - start)))
			break;
		while (vq_pop(rx, &e)) {
			uint16_t head = (uint16_t)e.id;
			bool hit;

			if (e.id >= NR_RX)
				return ht_fail(name, "RX used id %u", e.id);
			hit = is_arp_reply(rx_mem[e.id], e.len);
			/* With MRG_RXBUF, num_buffers: one buffer each. */
			if (hit && ht.hdr_len == 12 &&
			    vq_ld16(rx_mem[e.id] + 10) != 1)
				return ht_fail(name, "num_buffers %u",
					       vq_ld16(rx_mem[e.id] + 10));
			ht_arm(rx);
			vq_publish(rx, &head, 1);
			if (hit)
				return 0;
		}
	}
	return ht_fail(name, "no ARP reply from 10.0.2.1 within %u ticks (%u-byte header)",
		       HT_WAIT, ht.hdr_len);
}
