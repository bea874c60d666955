// SPDX-License-Identifier: GPL-2.0
/*
 * test_net.c - virtio-net driven the way a guest would, without a VM or a
 * tap: a fake guest RAM holds the rings and buffers, BAR0 accesses go
 * straight to the legacy transport, each kick is one I/O-thread pass run
 * here, and the tap is one end of a SOCK_SEQPACKET socketpair (one
 * message per frame, cut short like tun when the reader's buffers are
 * too small).  The test plays the host kernel on the other end.
 *
 * Covers the vnet header lengths and tap offloads that follow the
 * driver's features, TX frames of every bad size (dropped, counted, the
 * buffer returned, no NEEDS_RESET), RX frames spanning mergeable buffers
 * (num_buffers), frames larger than the buffers, a dry RX ring, RX chains
 * that break the rules (NEEDS_RESET), reset, and --net/MAC parsing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>

#include "unit.h"
#include "../../vmm/virtio/virtio.h"
#include "../../vmm/net/net.h"

#define MEM_SIZE	(16ULL << 20)
#define RX_RING_GPA	0x10000ULL
#define TX_RING_GPA	0x14000ULL
#define RX_BUF_GPA	0x100000ULL	/* 4 KiB apart */
#define TX_BUF_GPA	0x200000ULL
#define QSIZE		VIRTIO_NET_QUEUE_SIZE
#define CONFIG_OFF	VIRTIO_PCI_CONFIG_OFF(false)
#define MRG_HDR		12
#define PLAIN_HDR	10

#define F(bit)		(1u << (bit))

struct nt {
	struct vm *vm;
	struct virtio_dev *dev;
	struct tap *tap;
	int host;			/* the "kernel" end of the tap */
	struct vring_desc *desc[2];
	struct vring_avail *avail[2];
	struct vring_used *used[2];
	uint16_t last_used[2];
	uint16_t next_desc[2];
};

static void *gp(struct nt *t, uint64_t gpa, uint64_t len)
{
	void *p = guest_ptr(&t->vm->mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static uint32_t rd(struct nt *t, unsigned int off, unsigned int len)
{
	return virtio_legacy_read(t->dev, off, len);
}

static void wr(struct nt *t, unsigned int off, uint32_t v, unsigned int len)
{
	virtio_legacy_write(t->dev, off, v, len);
}

static void nt_open(struct nt *t, const struct net_config *nc)
{
	int sv[2];

	memset(t, 0, sizeof(*t));
	t->vm = calloc(1, sizeof(*t->vm));
	ck_assert_ptr_nonnull(t->vm);
	t->vm->vm_fd = t->vm->kvm_fd = -1;
	ck_assert_int_eq(guest_mem_init(&t->vm->mem, MEM_SIZE), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	t->host = sv[1];
	t->tap = net_tap_from_fd(sv[0], nc->ifname);
	ck_assert_ptr_nonnull(t->tap);
	t->dev = virtio_net_new(t->vm, nc, t->tap);
	ck_assert_msg(t->dev != NULL, "virtio_net_new: %s", err_msg());
}

static void map_queue(struct nt *t, unsigned int q, uint64_t gpa)
{
	t->desc[q] = gp(t, gpa, vq_ring_bytes(QSIZE));
	memset(t->desc[q], 0, vq_ring_bytes(QSIZE));
	t->avail[q] = (void *)((uint8_t *)t->desc[q] + vq_avail_offset(QSIZE));
	t->used[q] = (void *)((uint8_t *)t->desc[q] + vq_used_offset(QSIZE));
	t->last_used[q] = 0;
	t->next_desc[q] = 0;
	wr(t, VIRTIO_PCI_QUEUE_SEL, q, 2);
	ck_assert_uint_eq(rd(t, VIRTIO_PCI_QUEUE_NUM, 2), QSIZE);
	wr(t, VIRTIO_PCI_QUEUE_PFN, gpa >> 12, 4);
}

/* Reset, ACK|DRIVER, features (host & want), both queues, DRIVER_OK. */
static void nt_start(struct nt *t, uint32_t want)
{
	wr(t, VIRTIO_PCI_STATUS, 0, 1);
	wr(t, VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	wr(t, VIRTIO_PCI_GUEST_FEATURES,
	   rd(t, VIRTIO_PCI_HOST_FEATURES, 4) & want, 4);
	map_queue(t, 0, RX_RING_GPA);
	map_queue(t, 1, TX_RING_GPA);
	wr(t, VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	/* What the I/O thread does when DRIVER_OK wakes it. */
	virtio_dev_poll(t->dev, 3, false, 0);
}

static void nt_setup(struct nt *t, uint32_t want)
{
	struct net_config nc = { .ifname = "tap0" };

	nt_open(t, &nc);
	nt_start(t, want);
}

static void nt_teardown(struct nt *t)
{
	virtio_net_free(t->dev);	/* closes the tap end */
	close(t->host);
	guest_mem_free(&t->vm->mem);
	free(t->vm);
}

static bool needs_reset(struct nt *t)
{
	return rd(t, VIRTIO_PCI_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static void describe(struct nt *t, char *buf, size_t len)
{
	t->dev->ops->describe(t->dev, buf, len);
}

/* ---- the rings, as the driver sees them ---- */

static void avail_add(struct nt *t, unsigned int q, uint16_t head)
{
	struct vring_avail *a = t->avail[q];

	a->ring[a->idx % QSIZE] = head;
	__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
}

/* A chain of n buffers (gpa[i], len[i]); returns its head. */
static uint16_t add_chain(struct nt *t, unsigned int q, const uint64_t *gpa,
			  const uint32_t *len, unsigned int n, bool writable)
{
	uint16_t head = t->next_desc[q], d = head;
	unsigned int i;

	for (i = 0; i < n; i++, d = (d + 1) % QSIZE) {
		t->desc[q][d] = (struct vring_desc){
			gpa[i], len[i],
			(writable ? VRING_DESC_F_WRITE : 0) |
			(i + 1 < n ? VRING_DESC_F_NEXT : 0),
			(d + 1) % QSIZE };
	}
	t->next_desc[q] = d;
	avail_add(t, q, head);
	return head;
}

/* One-descriptor RX buffer k (at RX_BUF_GPA + 4 KiB * k). */
static uint16_t post_rx(struct nt *t, unsigned int k, uint32_t len)
{
	uint64_t gpa = RX_BUF_GPA + 0x1000ULL * k;

	memset(gp(t, gpa, len), 0x5a, len);
	return add_chain(t, 0, &gpa, &len, 1, true);
}

static void kick(struct nt *t, unsigned int q)
{
	virtio_dev_poll(t->dev, 1u << q, false, 1);
}

static void tap_readable(struct nt *t)
{
	virtio_dev_poll(t->dev, 0, true, 0);
}

static unsigned int used_count(struct nt *t, unsigned int q)
{
	return (uint16_t)(__atomic_load_n(&t->used[q]->idx, __ATOMIC_ACQUIRE) -
			  t->last_used[q]);
}

static struct vring_used_elem take_used(struct nt *t, unsigned int q)
{
	ck_assert_uint_gt(used_count(t, q), 0);
	return t->used[q]->ring[t->last_used[q]++ % QSIZE];
}

/* What the "kernel" got: one message, or -1 if none is queued. */
static ssize_t host_recv(struct nt *t, void *buf, size_t len)
{
	ssize_t n = recv(t->host, buf, len, MSG_DONTWAIT);

	return n < 0 && errno == EAGAIN ? -1 : n;
}

static void host_send(struct nt *t, const void *buf, size_t len)
{
	ck_assert_int_eq(send(t->host, buf, len, 0), (ssize_t)len);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* A frame as the kernel sends it: header (num_buffers left as junk,
 * tun skips it), then len bytes of pattern. */
static size_t make_rx_frame(uint8_t *buf, unsigned int hdr, size_t len,
			    unsigned int seed)
{
	memset(buf, 0, hdr);
	if (hdr == MRG_HDR) {
		buf[10] = 0xcd;
		buf[11] = 0xab;
	}
	fill(buf + hdr, len, seed);
	return hdr + len;
}

#define ALL_FEATURES	(~0u)
#define NO_MRG		(~F(VIRTIO_NET_F_MRG_RXBUF))
/* MRG_RXBUF without guest TSO: frames are at most 1518 bytes, so a few
 * small buffers are room enough for the device to read (see net.c). */
#define MRG_NO_GSO	(~(F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6)))

/* ---- features, config, tap set-up ---- */

START_TEST(features_and_config)
{
	uint32_t want = F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
			F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_GUEST_TSO4) |
			F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_HOST_TSO4) |
			F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_MRG_RXBUF) |
			F(VIRTIO_NET_F_STATUS) | F(VIRTIO_RING_F_EVENT_IDX) |
			F(VIRTIO_RING_F_INDIRECT_DESC);
	struct net_config nc = { .ifname = "tap7", .has_mac = true,
				 .mac = { 0x52, 0x54, 0, 1, 2, 3 } };
	uint32_t host;
	struct nt t;
	unsigned int i;

	nt_open(&t, &nc);
	host = rd(&t, VIRTIO_PCI_HOST_FEATURES, 4);
	ck_assert_uint_eq(host & want, want);
	/* No control queue: two queues only, the third has size 0. */
	ck_assert_uint_eq(host & F(VIRTIO_NET_F_CTRL_VQ), 0);
	ck_assert_uint_eq(host & F(VIRTIO_NET_F_MQ), 0);
	wr(&t, VIRTIO_PCI_QUEUE_SEL, 2, 2);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_QUEUE_NUM, 2), 0);
	for (i = 0; i < 6; i++)
		ck_assert_uint_eq(rd(&t, CONFIG_OFF + i, 1), nc.mac[i]);
	ck_assert_uint_eq(rd(&t, CONFIG_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
	/* Nothing after status: no MQ, no MTU. */
	ck_assert_uint_eq(rd(&t, CONFIG_OFF + 8, 2), 0);
	ck_assert_uint_eq(t.dev->device_id, 1);
	nt_teardown(&t);
}
END_TEST

START_TEST(default_mac_in_config)
{
	struct net_config nc = { .ifname = "tap3" };
	uint8_t mac[6];
	struct nt t;
	unsigned int i;

	net_default_mac("tap3", mac);
	nt_open(&t, &nc);
	for (i = 0; i < 6; i++)
		ck_assert_uint_eq(rd(&t, CONFIG_OFF + i, 1), mac[i]);
	nt_teardown(&t);
}
END_TEST

/* Header length and offloads follow what the driver took. */
static const struct {
	uint32_t want;
	unsigned int hdr_len, offload;
} setups[] = {
	{ ALL_FEATURES, MRG_HDR, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 },
	{ NO_MRG, PLAIN_HDR, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 },
	{ F(VIRTIO_NET_F_MAC), PLAIN_HDR, 0 },
	{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_MRG_RXBUF), MRG_HDR,
	  TUN_F_CSUM },
	{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO6), PLAIN_HDR,
	  TUN_F_CSUM | TUN_F_TSO6 },
	/* TSO without checksum offload means nothing (5.1.3.1). */
	{ F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6), PLAIN_HDR,
	  0 },
};

START_TEST(tap_follows_features)
{
	struct nt t;

	nt_setup(&t, setups[_i].want);
	ck_assert_uint_eq(net_tap_vnet_hdr_len(t.tap), setups[_i].hdr_len);
	ck_assert_uint_eq(net_tap_offload(t.tap), setups[_i].offload);
	/* A reset and a plainer driver: the tap follows again. */
	nt_start(&t, F(VIRTIO_NET_F_MAC));
	ck_assert_uint_eq(net_tap_vnet_hdr_len(t.tap), PLAIN_HDR);
	ck_assert_uint_eq(net_tap_offload(t.tap), 0);
	nt_teardown(&t);
}
END_TEST

/* ---- transmit ---- */

/* Header and frame in separate buffers: one message, both parts. */
static void tx_good(unsigned int hdr, uint32_t want)
{
	uint8_t *h, *f, got[2048];
	uint64_t gpa[2] = { TX_BUF_GPA, TX_BUF_GPA + 0x1000 };
	uint32_t len[2] = { hdr, 1514 };
	struct vring_used_elem e;
	char line[320];
	struct nt t;

	nt_setup(&t, want);
	h = gp(&t, gpa[0], hdr);
	f = gp(&t, gpa[1], 1514);
	memset(h, 0, hdr);
	h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;	/* passed through as is */
	fill(f, 1514, 1);
	add_chain(&t, 1, gpa, len, 2, false);
	kick(&t, 1);
	ck_assert_int_eq(host_recv(&t, got, sizeof(got)), hdr + 1514);
	ck_assert_mem_eq(got, h, hdr);
	ck_assert_mem_eq(got + hdr, f, 1514);
	e = take_used(&t, 1);
	ck_assert_uint_eq(e.id, 0);
	ck_assert_uint_eq(e.len, 0);
	describe(&t, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "tx 1 frames 1514 bytes"));
	nt_teardown(&t);
}

START_TEST(tx_frame_mrg)
{
	tx_good(MRG_HDR, ALL_FEATURES);
}
END_TEST

START_TEST(tx_frame_plain_header)
{
	tx_good(PLAIN_HDR, NO_MRG);
}
END_TEST

/* Not frames: dropped and counted, the buffer returned, no reset. */
START_TEST(tx_bad_sizes)
{
	uint32_t sizes[] = {
		1,				/* less than a header */
		MRG_HDR,			/* a header, no frame */
		MRG_HDR + NET_ETH_HLEN - 1,	/* no Ethernet header */
		MRG_HDR + NET_MAX_FRAME + 1,	/* over 64 KiB */
	};
	uint64_t gpa = TX_BUF_GPA;
	uint8_t got[64];
	char line[320];
	struct nt t;
	unsigned int i;

	nt_setup(&t, ALL_FEATURES);
	memset(gp(&t, gpa, NET_MAX_FRAME + 64), 0, NET_MAX_FRAME + 64);
	for (i = 0; i < 4; i++)
		add_chain(&t, 1, &gpa, &sizes[i], 1, false);
	kick(&t, 1);
	ck_assert_uint_eq(used_count(&t, 1), 4);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(take_used(&t, 1).len, 0);
	ck_assert_int_eq(host_recv(&t, got, sizeof(got)), -1);
	ck_assert(!needs_reset(&t));
	describe(&t, line, sizeof(line));
	ck_assert_msg(strstr(line, "tx 3 short, 1 too big") != NULL, "%s",
		      line);
	ck_assert_ptr_nonnull(strstr(line, "tx 0 frames"));

	/* The largest frame still goes, and the smallest. */
	sizes[0] = MRG_HDR + NET_MAX_FRAME;
	sizes[1] = MRG_HDR + NET_ETH_HLEN;
	add_chain(&t, 1, &gpa, &sizes[0], 1, false);
	add_chain(&t, 1, &gpa, &sizes[1], 1, false);
	kick(&t, 1);
	ck_assert_uint_eq(used_count(&t, 1), 2);
	ck_assert_int_eq(recv(t.host, NULL, 0, MSG_DONTWAIT | MSG_TRUNC),
			 MRG_HDR + NET_MAX_FRAME);
	ck_assert_int_eq(host_recv(&t, got, sizeof(got)),
			 MRG_HDR + NET_ETH_HLEN);
	nt_teardown(&t);
}
END_TEST

/* A chain the walker rejects is a broken ring, not a bad frame. */
START_TEST(tx_bad_chain_needs_reset)
{
	uint64_t gpa = MEM_SIZE - 16;	/* runs off the end of RAM */
	uint32_t len = 64;
	struct nt t;

	nt_setup(&t, ALL_FEATURES);
	add_chain(&t, 1, &gpa, &len, 1, false);
	kick(&t, 1);
	ck_assert(needs_reset(&t));
	ck_assert_uint_eq(used_count(&t, 1), 0);
	nt_teardown(&t);
}
END_TEST

/* ---- receive ---- */

/* A 3000-byte frame over 1024-byte buffers: three of them, num_buffers
 * 3 in the first, the fourth kept for the next frame. */
START_TEST(rx_mergeable_spans_buffers)
{
	static uint8_t msg[4096];
	struct vring_used_elem e[3];
	uint8_t got[4096];
	size_t n = make_rx_frame(msg, MRG_HDR, 1400, 2), off = 0;
	struct nt t;
	unsigned int i;
	uint8_t *b;

	nt_setup(&t, MRG_NO_GSO);
	for (i = 0; i < 6; i++)
		post_rx(&t, i, 600);
	kick(&t, 0);
	host_send(&t, msg, n);
	tap_readable(&t);
	ck_assert_uint_eq(used_count(&t, 0), 3);
	for (i = 0; i < 3; i++) {
		e[i] = take_used(&t, 0);
		ck_assert_uint_eq(e[i].id, i);
		b = gp(&t, RX_BUF_GPA + 0x1000ULL * i, 600);
		memcpy(got + off, b, e[i].len);
		off += e[i].len;
	}
	ck_assert_uint_eq(e[0].len, 600);
	ck_assert_uint_eq(e[1].len, 600);
	ck_assert_uint_eq(e[2].len, n - 1200);
	/* num_buffers (little-endian), then the rest as sent. */
	ck_assert_uint_eq(got[10] | got[11] << 8, 3);
	ck_assert_mem_eq(got, msg, 10);
	ck_assert_mem_eq(got + MRG_HDR, msg + MRG_HDR, 1400);

	/* The next frame lands in the fourth buffer, kept in order. */
	n = make_rx_frame(msg, MRG_HDR, 100, 3);
	host_send(&t, msg, n);
	tap_readable(&t);
	e[0] = take_used(&t, 0);
	ck_assert_uint_eq(e[0].id, 3);
	ck_assert_uint_eq(e[0].len, n);
	b = gp(&t, RX_BUF_GPA + 0x3000, 600);
	ck_assert_uint_eq(b[10] | b[11] << 8, 1);
	ck_assert_mem_eq(b + MRG_HDR, msg + MRG_HDR, 100);
	ck_assert(!needs_reset(&t));
	nt_teardown(&t);
}
END_TEST

/* Without MRG_RXBUF one chain takes one frame, header included, and
 * the header is 10 bytes. */
START_TEST(rx_plain_one_chain_per_frame)
{
	static uint8_t msg[2048];
	uint64_t gpa[2] = { RX_BUF_GPA, RX_BUF_GPA + 0x1000 };
	uint32_t len[2] = { PLAIN_HDR, 1600 };
	struct vring_used_elem e;
	size_t n;
	struct nt t;
	unsigned int i;

	nt_setup(&t, NO_MRG);
	for (i = 0; i < 2; i++) {
		add_chain(&t, 0, gpa, len, 2, true);
		gpa[0] += 0x2000;
		gpa[1] += 0x2000;
	}
	kick(&t, 0);
	for (i = 0; i < 2; i++) {
		n = make_rx_frame(msg, PLAIN_HDR, 60 + 1000 * i, 4 + i);
		host_send(&t, msg, n);
	}
	tap_readable(&t);
	ck_assert_uint_eq(used_count(&t, 0), 2);
	for (i = 0; i < 2; i++) {
		e = take_used(&t, 0);
		ck_assert_uint_eq(e.id, 2 * i);
		ck_assert_uint_eq(e.len, PLAIN_HDR + 60 + 1000 * i);
		make_rx_frame(msg, PLAIN_HDR, 60 + 1000 * i, 4 + i);
		ck_assert_mem_eq(gp(&t, RX_BUF_GPA + 0x2000ULL * i, 10), msg,
				 PLAIN_HDR);
		ck_assert_mem_eq(gp(&t, RX_BUF_GPA + 0x2000ULL * i + 0x1000,
				    60 + 1000 * i), msg + PLAIN_HDR,
				 60 + 1000 * i);
	}
	nt_teardown(&t);
}
END_TEST

/* A frame longer than the buffers is dropped, the buffers kept. */
/*
 * A frame longer than the buffers at hand is dropped and counted.  Without
 * MRG_RXBUF that is any frame longer than the one chain; with it, the
 * device waits for room for the largest legal frame first, so only a frame
 * beyond that (which a real tap cannot send) is too big.
 */
static void rx_too_big(uint32_t want)
{
	bool mrg = want & F(VIRTIO_NET_F_MRG_RXBUF);
	unsigned int hdr = mrg ? MRG_HDR : PLAIN_HDR;
	static uint8_t msg[8192];
	struct vring_used_elem e;
	char line[320];
	size_t n;
	struct nt t;

	nt_setup(&t, want);
	post_rx(&t, 0, mrg ? 800 : 600);
	post_rx(&t, 1, mrg ? 800 : 600);
	kick(&t, 0);
	n = make_rx_frame(msg, hdr, mrg ? 3000 : 1500, 6);
	host_send(&t, msg, n);
	tap_readable(&t);
	ck_assert_uint_eq(used_count(&t, 0), 0);
	describe(&t, line, sizeof(line));
	ck_assert_msg(strstr(line, "dropped rx 1 too big") != NULL, "%s",
		      line);
	/* The next, smaller frame uses the same first buffer. */
	n = make_rx_frame(msg, hdr, 500, 7);
	host_send(&t, msg, n);
	tap_readable(&t);
	e = take_used(&t, 0);
	ck_assert_uint_eq(e.id, 0);
	ck_assert_uint_eq(e.len, n);
	ck_assert_mem_eq(gp(&t, RX_BUF_GPA + hdr, 500), msg + hdr, 500);
	ck_assert(!needs_reset(&t));
	nt_teardown(&t);
}

START_TEST(rx_too_big_mrg)
{
	rx_too_big(MRG_NO_GSO);
}
END_TEST

START_TEST(rx_too_big_plain)
{
	rx_too_big(NO_MRG);
}
END_TEST

/* No buffers: the frame waits in the tap, and arrives once the driver
 * adds a buffer and kicks. */
START_TEST(rx_waits_for_buffers)
{
	uint8_t msg[256];
	struct vring_used_elem e;
	char line[320];
	size_t n = make_rx_frame(msg, MRG_HDR, 200, 8);
	struct nt t;

	nt_setup(&t, ALL_FEATURES);
	host_send(&t, msg, n);
	tap_readable(&t);
	tap_readable(&t);
	ck_assert_uint_eq(used_count(&t, 0), 0);
	/* Still queued on the "kernel" side. */
	ck_assert_int_eq(recv(t.host, NULL, 0, MSG_DONTWAIT | MSG_PEEK), -1);
	post_rx(&t, 0, MRG_HDR + NET_MAX_FRAME);
	kick(&t, 0);
	e = take_used(&t, 0);
	ck_assert_uint_eq(e.len, n);
	ck_assert_mem_eq(gp(&t, RX_BUF_GPA + MRG_HDR, 200), msg + MRG_HDR,
			 200);
	describe(&t, line, sizeof(line));
	ck_assert_msg(strstr(line, "rx waited for buffers 1 times") != NULL,
		      "%s", line);
	nt_teardown(&t);
}
END_TEST

/*
 * With MRG_RXBUF the device reads the tap only once its buffers can hold
 * the largest frame the agreed features allow (64 KiB with TSO): buffers
 * too small leave the frame queued on the host side, not dropped.
 */
START_TEST(rx_waits_for_room)
{
	uint8_t msg[256];
	struct vring_used_elem e;
	size_t n = make_rx_frame(msg, MRG_HDR, 200, 7);
	struct nt t;

	nt_setup(&t, ALL_FEATURES);
	post_rx(&t, 0, 1024);
	post_rx(&t, 1, 1024);
	host_send(&t, msg, n);
	kick(&t, 0);
	tap_readable(&t);
	ck_assert_uint_eq(used_count(&t, 0), 0);
	ck_assert_int_eq(recv(t.host, NULL, 0, MSG_DONTWAIT | MSG_PEEK), -1);
	post_rx(&t, 2, MRG_HDR + NET_MAX_FRAME);
	kick(&t, 0);
	e = take_used(&t, 0);
	ck_assert_uint_eq(e.len, n);		/* in the first buffer */
	ck_assert_mem_eq(gp(&t, RX_BUF_GPA + MRG_HDR, 200), msg + MRG_HDR,
			 200);
	nt_teardown(&t);
}
END_TEST

START_TEST(rx_readable_buffer_needs_reset)
{
	uint64_t gpa = RX_BUF_GPA;
	uint32_t len = 2048;
	struct nt t;

	nt_setup(&t, ALL_FEATURES);
	add_chain(&t, 0, &gpa, &len, 1, false);
	kick(&t, 0);
	ck_assert(needs_reset(&t));
	nt_teardown(&t);
}
END_TEST

START_TEST(rx_buffer_shorter_than_header_needs_reset)
{
	struct nt t;

	nt_setup(&t, ALL_FEATURES);
	post_rx(&t, 0, MRG_HDR - 1);
	kick(&t, 0);
	ck_assert(needs_reset(&t));
	/* A reset clears it; the device works again. */
	nt_start(&t, ALL_FEATURES);
	ck_assert(!needs_reset(&t));
	nt_teardown(&t);
}
END_TEST

/* Chains kept across a reset belong to the old ring: forgotten. */
START_TEST(reset_forgets_kept_buffers)
{
	uint8_t msg[256];
	size_t n = make_rx_frame(msg, MRG_HDR, 100, 9);
	struct vring_used_elem e;
	struct nt t;

	nt_setup(&t, ALL_FEATURES);
	post_rx(&t, 0, 1024);
	post_rx(&t, 1, 1024);
	kick(&t, 0);		/* both taken and kept */
	nt_start(&t, ALL_FEATURES);
	host_send(&t, msg, n);
	tap_readable(&t);
	ck_assert_uint_eq(used_count(&t, 0), 0);
	/* Room for the largest frame TSO allows, or the device waits. */
	post_rx(&t, 5, MRG_HDR + NET_MAX_FRAME);
	kick(&t, 0);
	e = take_used(&t, 0);
	ck_assert_uint_eq(e.id, 0);	/* descriptor 0 of the new ring */
	ck_assert_mem_eq(gp(&t, RX_BUF_GPA + 0x5000 + MRG_HDR, 100),
			 msg + MRG_HDR, 100);
	nt_teardown(&t);
}
END_TEST

/* ---- MAC addresses and --net ---- */

static const struct {
	const char *s;
	uint8_t mac[6];
} good_macs[] = {
	{ "52:54:00:12:34:56", { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } },
	{ "02:AB:cd:Ef:00:ff", { 0x02, 0xab, 0xcd, 0xef, 0x00, 0xff } },
	{ "52-54-00-00-00-01", { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 } },
	{ "fe:ff:ff:ff:ff:ff", { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff } },
};

START_TEST(mac_parse_good)
{
	uint8_t mac[6];

	ck_assert_int_eq(net_parse_mac(good_macs[_i].s, mac, "--net t"), 0);
	ck_assert_mem_eq(mac, good_macs[_i].mac, 6);
}
END_TEST

static const struct {
	const char *s, *msg;
} bad_macs[] = {
	{ "", "bad MAC address" },
	{ "52:54:00:12:34", "bad MAC address" },
	{ "52:54:00:12:34:56:78", "bad MAC address" },
	{ "52:54:00:12:34:5", "bad MAC address" },
	{ "52:54:00:12:34:5g", "bad MAC address" },
	{ "52:54-00:12:34:56", "bad MAC address" },
	{ "525400123456", "bad MAC address" },
	{ "52:54:00:12:34:56 ", "bad MAC address" },
	{ "5:54:00:12:34:56", "bad MAC address" },
	{ "01:00:5e:00:00:01", "is a multicast address" },
	{ "ff:ff:ff:ff:ff:ff", "is a multicast address" },
	{ "00:00:00:00:00:00", "not a station address" },
};

START_TEST(mac_parse_bad)
{
	uint8_t mac[6] = { 1, 2, 3, 4, 5, 6 }, before[6];

	memcpy(before, mac, 6);
	ck_assert_int_eq(net_parse_mac(bad_macs[_i].s, mac, "--net t"), -1);
	ck_assert_msg(strstr(err_msg(), bad_macs[_i].msg) &&
		      !strncmp(err_msg(), "--net t: ", 9),
		      "'%s': message '%s'", bad_macs[_i].s, err_msg());
	ck_assert_mem_eq(mac, before, 6);
}
END_TEST

START_TEST(mac_default_stable)
{
	uint8_t a[6], b[6], c[6];
	char s[NET_MAC_STR_LEN];

	net_default_mac("tap0", a);
	net_default_mac("tap0", b);
	net_default_mac("tap1", c);
	ck_assert_mem_eq(a, b, 6);
	ck_assert_mem_ne(a, c, 6);
	/* Locally administered unicast, QEMU's prefix. */
	ck_assert_uint_eq(a[0], 0x52);
	ck_assert_uint_eq(a[1], 0x54);
	ck_assert_uint_eq(a[2], 0x00);
	net_format_mac(a, s);
	ck_assert_int_eq(strlen(s), 17);
	ck_assert_int_eq(net_parse_mac(s, b, "x"), 0);
	ck_assert_mem_eq(a, b, 6);
	/* The value is part of the interface: it must not change. */
	ck_assert_str_eq(s, "52:54:00:4a:63:d6");
}
END_TEST

static int parse(int argc, const char **argv, struct vm_config *cfg)
{
	return options_parse(cfg, argc, (char **)argv);
}

START_TEST(net_option_parsed)
{
	const char *argv[] = { "lightvm", "run", "-k", "k",
		"--net", "tap0", "--net", "vm-tap.1,mac=52:54:00:ab:cd:ef" };
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0xab, 0xcd, 0xef };
	struct vm_config cfg;

	ck_assert_int_eq(parse(8, argv, &cfg), 0);
	ck_assert_uint_eq(cfg.nr_nets, 2);
	ck_assert_str_eq(cfg.nets[0].ifname, "tap0");
	ck_assert(!cfg.nets[0].has_mac);
	ck_assert_str_eq(cfg.nets[1].ifname, "vm-tap.1");
	ck_assert(cfg.nets[1].has_mac);
	ck_assert_mem_eq(cfg.nets[1].mac, mac, 6);
}
END_TEST

static const struct {
	const char *arg, *msg;
} bad_nets[] = {
	{ "", "--net needs a non-empty argument" },
	{ ",mac=52:54:00:00:00:01", "the tap name must be 1-15 characters" },
	{ "a-name-of-16-chr", "the tap name must be 1-15 characters" },
	{ "a/b", "'a/b' is not a valid interface name" },
	{ "a:b", "is not a valid interface name" },
	{ "a b", "is not a valid interface name" },
	{ "..", "is not a valid interface name" },
	{ "tap0,", "unknown option ''" },
	{ "tap0,ro", "unknown option 'ro'" },
	{ "tap0,mac=52:54:00", "--net tap0: bad MAC address" },
	{ "tap0,mac=03:00:00:00:00:01", "--net tap0: mac=03:00:00:00:00:01 is a multicast address" },
};

START_TEST(net_option_rejected)
{
	const char *argv[] = { "lightvm", "run", "-k", "k", "--net", NULL };
	struct vm_config cfg;

	argv[5] = bad_nets[_i].arg;
	ck_assert_int_eq(parse(6, argv, &cfg), -1);
	ck_assert_msg(strstr(err_msg(), bad_nets[_i].msg),
		      "'%s': message '%s'", bad_nets[_i].arg, err_msg());
	ck_assert(!strchr(err_msg(), '\n'));
}
END_TEST

START_TEST(net_option_limits)
{
	const char *argv[4 + 2 * (LIGHTVM_MAX_NETS + 1)] = {
		"lightvm", "run", "-k", "k" };
	static const char *const names[] = { "t0", "t1", "t2", "t3", "t4" };
	struct vm_config cfg;
	unsigned int i;

	for (i = 0; i <= LIGHTVM_MAX_NETS; i++) {
		argv[4 + 2 * i] = "--net";
		argv[5 + 2 * i] = names[i];
	}
	ck_assert_int_eq(parse(4 + 2 * (LIGHTVM_MAX_NETS + 1), argv, &cfg),
			 -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "at most 4 network devices"));
	ck_assert_int_eq(parse(4 + 2 * LIGHTVM_MAX_NETS, argv, &cfg), 0);
	ck_assert_uint_eq(cfg.nr_nets, LIGHTVM_MAX_NETS);
	/* One tap, one NIC. */
	argv[7] = "t0";
	ck_assert_int_eq(parse(8, argv, &cfg), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "--net t0: tap device given twice"));
}
END_TEST

Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *dev = tcase_create("device");
	TCase *tx = tcase_create("transmit");
	TCase *rx = tcase_create("receive");
	TCase *opt = tcase_create("mac and options");

	tcase_add_test(dev, features_and_config);
	tcase_add_test(dev, default_mac_in_config);
	tcase_add_loop_test(dev, tap_follows_features, 0,
			    sizeof(setups) / sizeof(setups[0]));
	suite_add_tcase(s, dev);

	tcase_add_test(tx, tx_frame_mrg);
	tcase_add_test(tx, tx_frame_plain_header);
	tcase_add_test(tx, tx_bad_sizes);
	tcase_add_test(tx, tx_bad_chain_needs_reset);
	suite_add_tcase(s, tx);

	tcase_add_test(rx, rx_mergeable_spans_buffers);
	tcase_add_test(rx, rx_plain_one_chain_per_frame);
	tcase_add_test(rx, rx_too_big_mrg);
	tcase_add_test(rx, rx_too_big_plain);
	tcase_add_test(rx, rx_waits_for_buffers);
	tcase_add_test(rx, rx_waits_for_room);
	tcase_add_test(rx, rx_readable_buffer_needs_reset);
	tcase_add_test(rx, rx_buffer_shorter_than_header_needs_reset);
	tcase_add_test(rx, reset_forgets_kept_buffers);
	suite_add_tcase(s, rx);

	tcase_add_loop_test(opt, mac_parse_good, 0,
			    sizeof(good_macs) / sizeof(good_macs[0]));
	tcase_add_loop_test(opt, mac_parse_bad, 0,
			    sizeof(bad_macs) / sizeof(bad_macs[0]));
	tcase_add_test(opt, mac_default_stable);
	tcase_add_test(opt, net_option_parsed);
	tcase_add_loop_test(opt, net_option_rejected, 0,
			    sizeof(bad_nets) / sizeof(bad_nets[0]));
	tcase_add_test(opt, net_option_limits);
	suite_add_tcase(s, opt);
	return s;
}
