// SPDX-License-Identifier: GPL-2.0
/*
 * net.c - fuzz virtio-net's frame and header handling (vmm/virtio/net.c)
 * through both queues, with one end of a SOCK_SEQPACKET socketpair
 * standing in for the tap (net_tap_from_fd, as tests/unit/test_net.c
 * does) and the harness playing the host kernel on the other end.
 *
 * One device is built once.  An input resets it (STATUS 0), brings it up
 * with fuzzed features (MRG_RXBUF decides the 10- or 12-byte header,
 * GUEST_TSO* how big a frame the tap may send) and ring placement, then
 * runs a small program: TX frames of fuzzed length around the limits
 * (shorter than a header plus an Ethernet header, longer than 64 KiB)
 * split over fuzzed segments, RX buffers of fuzzed shape, frames from
 * the "kernel" of fuzzed length, kicks, tap-readable passes, raw
 * descriptors and register writes.
 *
 * Checked: every frame the device writes to the tap has a legal length
 * for the header length in force.  While the input has built only
 * well-formed chains in the usual places and no buffer area was reused,
 * also: every TX chain comes back with used length 0; a frame on the tap
 * is byte for byte the chain it came from (each frame carries a tag
 * naming it); frames reach the guest in order, each exactly as sent, in
 * as many buffers as its num_buffers says (MRG_RXBUF) or one (without),
 * each used length within its chain.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>

#include "fuzz.h"
#include "../../vmm/virtio/virtio.h"
#include "../../vmm/net/net.h"

#define LOW_RAM		(256ULL << 10)
#define HIGH_RAM	(64ULL << 10)
#define QSIZE		VIRTIO_NET_QUEUE_SIZE
#define RX_RING_GPA	0x1000ULL
#define TX_RING_GPA	0x4000ULL
#define TABLE_GPA	0x7000ULL	/* indirect tables */
#define TABLE_END	0x8000ULL
#define RX_GPA		0x8000ULL	/* receive buffers: 128 KiB */
#define RX_END		0x28000ULL
#define TX_GPA		0x28000ULL	/* transmit buffers: 96 KiB */
#define TX_END		LOW_RAM
#define MAX_SEGS	4
#define MAX_FRAMES	512
#define PATTERN_LEN	(2 * 65536 + NET_MAX_FRAME)
#define FRAME_BUF	(TX_END - TX_GPA)
#define MAX_PASSES	64

#define F(bit)		(1u << (bit))

struct chain {
	bool posted;
	unsigned int nseg;
	uint64_t gpa[MAX_SEGS];
	uint32_t len[MAX_SEGS];
	bool writable[MAX_SEGS];
	uint64_t bytes;			/* the readable or writable part */
};

static struct vm *vm;
static struct virtio_dev *dev;
static struct tap *tap;
static int host_fd;
static uint8_t pattern[PATTERN_LEN];
static uint8_t frame[FRAME_BUF];

/* This input's state. */
static unsigned int hdr_len;		/* what the driver negotiated */
static bool mrg;
static uint64_t ring_gpa[2];
static struct vring_desc *desc[2];
static struct vring_avail *avail[2];
static struct vring_used *used[2];
static uint16_t next_desc[2], seen_used[2];
static uint64_t rx_cur, tx_cur, table_cur;
static bool pristine;
static struct chain chains[2][QSIZE];	/* by head */
static uint32_t tx_tag, rx_tag, rx_next_tag;
static uint16_t tx_head_of[MAX_FRAMES];	/* by tag */
static uint32_t rx_len_of[MAX_FRAMES];	/* by tag */

/* ---- frames: a tag, then bytes of a pattern slice chosen by it ---- */

static const uint8_t *slice(uint32_t tag)
{
	return pattern + (tag * 4099u) % 65536;
}

/* ---- the device as the guest sees it ---- */

static void wr(unsigned int off, uint32_t v, unsigned int len)
{
	virtio_legacy_write(dev, off, v, len);
}

static uint8_t status(void)
{
	return (uint8_t)virtio_legacy_read(dev, VIRTIO_PCI_STATUS, 1);
}

static void *gp(uint64_t gpa, uint64_t len)
{
	return guest_ptr(&vm->mem, gpa, len);
}

static void map_queue(unsigned int q, uint64_t gpa)
{
	uint8_t *p = gp(gpa, vq_ring_bytes(QSIZE));

	ring_gpa[q] = gpa;
	desc[q] = (struct vring_desc *)p;
	avail[q] = p ? (void *)(p + vq_avail_offset(QSIZE)) : NULL;
	used[q] = p ? (void *)(p + vq_used_offset(QSIZE)) : NULL;
	wr(VIRTIO_PCI_QUEUE_SEL, q, 2);
	wr(VIRTIO_PCI_QUEUE_PFN, (uint32_t)(gpa >> 12), 4);
	next_desc[q] = 0;
	seen_used[q] = 0;
	memset(chains[q], 0, sizeof(chains[q]));
}

/* ---- what reaches the "kernel" ---- */

static void check_tx_frame(const uint8_t *buf, size_t len)
{
	/* Frames are drained after every pass, and the header length only
	 * changes at the start of one (DRIVER_OK): the tap's is in force. */
	unsigned int hdr = net_tap_vnet_hdr_len(tap);
	const struct chain *c;
	uint32_t tag;
	uint16_t head;
	uint64_t off = 0;
	unsigned int k;

	FUZZ_ASSERT(len >= hdr + NET_ETH_HLEN && len <= hdr + NET_MAX_FRAME,
		    "a %zu-byte frame went to the tap (header %u)", len, hdr);
	if (!pristine)
		return;
	memcpy(&tag, buf + 16, 4);
	FUZZ_ASSERT(tag < tx_tag && tx_head_of[tag] != 0xffff,
		    "frame tag %u was never sent, or sent twice", tag);
	head = tx_head_of[tag];
	tx_head_of[tag] = 0xffff;
	c = &chains[1][head];
	FUZZ_ASSERT(c->posted && c->bytes == len,
		    "a %zu-byte frame from a %llu-byte chain", len,
		    (unsigned long long)c->bytes);
	for (k = 0; k < c->nseg && !c->writable[k]; k++) {
		FUZZ_ASSERT(!memcmp(buf + off, gp(c->gpa[k], c->len[k]),
				    c->len[k]),
			    "frame bytes differ from the chain's");
		off += c->len[k];
	}
}

/* Take what the device wrote to the tap (and, at reset, what it left
 * unread on its own end). */
static void drain_host(void)
{
	ssize_t n;

	while ((n = recv(host_fd, frame, sizeof(frame), MSG_DONTWAIT |
			 MSG_TRUNC)) >= 0)
		check_tx_frame(frame, (size_t)n);
	FUZZ_ASSERT(errno == EAGAIN, "recv: %s", strerror(errno));
}

static void host_send(uint32_t len, const uint8_t *head8)
{
	uint32_t tag = rx_tag;
	struct iovec iov[2];
	uint8_t h[8];

	if (rx_tag == MAX_FRAMES)
		return;
	memcpy(h, head8, 4);
	memcpy(h + 4, &tag, 4);
	iov[0] = (struct iovec){ h, len < 8 ? len : 8 };
	iov[1] = (struct iovec){ (void *)(slice(tag) + 8),
				 len > 8 ? len - 8 : 0 };
	if (sendmsg(host_fd, &(struct msghdr){ .msg_iov = iov,
					       .msg_iovlen = 2 },
		    MSG_DONTWAIT) != (ssize_t)len)
		return;		/* the socket is full: never sent */
	rx_len_of[tag] = len;
	rx_tag++;
}

/* ---- the guest's view of completions ---- */

static void gather(const struct chain *c, uint64_t off, void *dst,
		   uint64_t n)
{
	uint8_t *p = dst;
	unsigned int k;

	for (k = 0; k < c->nseg && n; k++) {
		uint64_t l = c->len[k], m;

		if (off >= l) {
			off -= l;
			continue;
		}
		m = l - off < n ? l - off : n;
		memcpy(p, (uint8_t *)gp(c->gpa[k], l) + off, m);
		p += m;
		n -= m;
		off = 0;
	}
}

/* Compare n bytes of chain c (from 0) with frame `tag` from `at`. */
static void check_rx_bytes(const struct chain *c, uint64_t n, uint32_t tag,
			   uint64_t at)
{
	static uint8_t want[FRAME_BUF];
	uint64_t i;

	gather(c, 0, frame, n);
	/* What was sent, then the bytes nobody promised: the first four
	 * (the harness's input) and num_buffers (the device's). */
	memcpy(want, slice(tag) + at, n);
	for (i = 0; i < n && at + i < 12; i++) {
		if (at + i < 4 || (mrg && at + i >= 10))
			want[i] = frame[i];
		else if (at + i < 8)
			want[i] = ((uint8_t *)&tag)[at + i - 4];
	}
	FUZZ_ASSERT(!memcmp(frame, want, n), "frame %u bytes %llu.. differ",
		    tag, (unsigned long long)at);
}

static void check_used(void)
{
	struct virtqueue *vq;
	unsigned int q;

	for (q = 0; q < 2; q++) {
		vq = &dev->vqs[q];
		/* Entries of this ring only: not after a move or reset. */
		if (!used[q] || vq->pfn != ring_gpa[q] >> 12)
			continue;
		while (seen_used[q] != vq->used_idx) {
			struct vring_used_elem e =
				used[q]->ring[seen_used[q] % QSIZE];
			const struct chain *c = &chains[q][e.id % QSIZE];
			uint16_t nbufs = 1, k;
			uint32_t tag = 0;
			uint64_t total = 0;

			/* Rings placed anywhere may overlap each other or
			 * buffers, and raw writes scribble: then the used
			 * rings say nothing reliable. */
			if (!pristine) {
				seen_used[q]++;
				continue;
			}
			FUZZ_ASSERT(e.id < QSIZE, "used id %u", e.id);
			if (q == 1) {
				FUZZ_ASSERT(e.len == 0, "TX used len %u",
					    e.len);
				seen_used[q]++;
				continue;
			}
			FUZZ_ASSERT(c->posted && e.len <= c->bytes,
				    "RX used len %u, chain of %llu", e.len,
				    (unsigned long long)c->bytes);
			/* A frame: num_buffers entries, or one. */
			FUZZ_ASSERT(e.len >= hdr_len,
				    "a frame starts with %u bytes", e.len);
			gather(c, 4, &tag, 4);
			if (mrg)
				gather(c, 10, &nbufs, 2);
			FUZZ_ASSERT(tag >= rx_next_tag && tag < rx_tag,
				    "RX tag %u: out of order or never sent",
				    tag);
			FUZZ_ASSERT(rx_len_of[tag] <= sizeof(frame),
				    "frame %u length", tag);
			FUZZ_ASSERT(nbufs >= 1 &&
				    (uint16_t)(vq->used_idx - seen_used[q]) >=
				    nbufs, "num_buffers %u", nbufs);
			rx_next_tag = tag + 1;
			for (k = 0; k < nbufs; k++) {
				e = used[q]->ring[seen_used[q]++ % QSIZE];
				c = &chains[q][e.id % QSIZE];
				FUZZ_ASSERT(e.id < QSIZE && c->posted &&
					    e.len <= c->bytes &&
					    total + e.len <= rx_len_of[tag],
					    "RX used entry %u of a frame", k);
				check_rx_bytes(c, e.len, tag, total);
				total += e.len;
			}
			FUZZ_ASSERT(total == rx_len_of[tag],
				    "frame %u: %llu bytes delivered of %u", tag,
				    (unsigned long long)total, rx_len_of[tag]);
		}
	}
}

/* One I/O-thread pass, then look at everything it produced. */
static void poll_dev(uint32_t kicked, bool backend)
{
	virtio_dev_poll(dev, kicked, backend, kicked ? 1 : 0);
	drain_host();
	check_used();
}

/* ---- building chains ---- */

/* Bump allocation in [start, end); *len is cut to the area's size. */
static uint64_t alloc(uint64_t *cur, uint64_t start, uint64_t end,
		      uint32_t *len)
{
	uint64_t at;

	if (*len > end - start)
		*len = (uint32_t)(end - start);
	if (*cur + *len > end) {
		*cur = start;
		pristine = false;	/* earlier buffers get overwritten */
	}
	at = *cur;
	*cur = (*cur + *len + 7) & ~7ULL;
	return at;
}

static void add_avail(unsigned int q, uint16_t head)
{
	if (!avail[q])
		return;
	avail[q]->ring[avail[q]->idx % QSIZE] = head;
	__atomic_store_n(&avail[q]->idx, avail[q]->idx + 1, __ATOMIC_RELEASE);
}

/* Put chain c on queue q: linked descriptors or one indirect table. */
static void post(unsigned int q, const struct chain *c, bool indirect)
{
	uint16_t head, d, nd;
	unsigned int k;

	if (!desc[q])
		return;
	if (indirect) {
		uint32_t tlen = 16 * c->nseg;
		uint64_t t = alloc(&table_cur, TABLE_GPA, TABLE_END, &tlen);

		for (k = 0; k < c->nseg; k++) {
			struct vring_desc *e = gp(t + 16ULL * k, 16);

			*e = (struct vring_desc){
				c->gpa[k], c->len[k],
				(c->writable[k] ? VRING_DESC_F_WRITE : 0) |
				(k + 1 < c->nseg ? VRING_DESC_F_NEXT : 0),
				(uint16_t)(k + 1) };
		}
		head = next_desc[q]++ % QSIZE;
		desc[q][head] = (struct vring_desc){
			t, 16 * c->nseg, VRING_DESC_F_INDIRECT, 0 };
	} else {
		head = d = next_desc[q]++ % QSIZE;
		for (k = 0; k < c->nseg; k++, d = nd) {
			nd = next_desc[q] % QSIZE;
			if (k + 1 < c->nseg)
				next_desc[q]++;
			desc[q][d] = (struct vring_desc){
				c->gpa[k], c->len[k],
				(c->writable[k] ? VRING_DESC_F_WRITE : 0) |
				(k + 1 < c->nseg ? VRING_DESC_F_NEXT : 0),
				nd };
		}
	}
	/* Descriptor indices wrapped, maybe onto chains still out: what
	 * chains[] says may no longer be in the table. */
	if (next_desc[q] > QSIZE)
		pristine = false;
	chains[q][head] = *c;
	chains[q][head].posted = true;
	add_avail(q, head);
}

/* A length near a limit that matters, or anything. */
static uint32_t pick_frame_len(struct fuzz_in *in, uint32_t max)
{
	uint8_t sel = fi_u8(in);
	uint32_t len;

	if (sel < 128)
		len = hdr_len + NET_ETH_HLEN + sel - 64;
	else if (sel < 192)
		len = fi_u16(in);
	else if (sel < 255)
		len = hdr_len + NET_MAX_FRAME + sel - 223;
	else
		len = fi_u32(in);
	return len % (max + 1);
}

/* Split len bytes into 1..MAX_SEGS segments at fuzzed points. */
static void split(struct fuzz_in *in, struct chain *c, uint64_t len)
{
	unsigned int k;

	c->nseg = fi_u8(in) % MAX_SEGS + 1;
	c->bytes = 0;
	for (k = 0; k < c->nseg; k++) {
		uint64_t l = k + 1 < c->nseg ? fi_u16(in) % (len + 1) : len;

		if (k + 1 < c->nseg && l == len)
			l = len / 2;
		if (!l) {	/* zero-length buffers break the ring */
			c->nseg = k;
			break;
		}
		c->len[k] = (uint32_t)l;
		c->writable[k] = false;
		c->bytes += l;
		len -= l;
	}
}

static void tx_frame(struct fuzz_in *in)
{
	uint32_t len = pick_frame_len(in, FRAME_BUF);
	uint8_t flags = fi_u8(in);
	uint32_t tag = tx_tag;
	struct chain c;
	uint64_t off = 0;
	unsigned int k;

	if (tx_tag == MAX_FRAMES || !len)
		return;
	/* The virtio header is the driver's business: any bytes. */
	memcpy(frame, slice(tag), len);
	fi_bytes(in, frame, len < 12 ? len : 12);
	if (len >= 20)
		memcpy(frame + 16, &tag, 4);
	split(in, &c, len);
	if (!c.nseg)
		return;
	for (k = 0; k < c.nseg; k++) {
		c.gpa[k] = alloc(&tx_cur, TX_GPA, TX_END, &c.len[k]);
		memcpy(gp(c.gpa[k], c.len[k]), frame + off, c.len[k]);
		off += c.len[k];
	}
	/* A writable tail: meaningless on TX, left alone by the device. */
	if ((flags & 2) && c.nseg < MAX_SEGS) {
		c.len[c.nseg] = 64;
		c.gpa[c.nseg] = alloc(&tx_cur, TX_GPA, TX_END, &c.len[c.nseg]);
		c.writable[c.nseg++] = true;
	}
	tx_head_of[tag] = next_desc[1] % QSIZE;
	tx_tag++;
	post(1, &c, flags & 1);
}

static void rx_buffers(struct fuzz_in *in)
{
	uint8_t flags = fi_u8(in);
	unsigned int n = flags % 8 + 1, i, k;

	for (i = 0; i < n; i++) {
		struct chain c;

		c.nseg = fi_u8(in) % MAX_SEGS + 1;
		c.bytes = 0;
		for (k = 0; k < c.nseg; k++) {
			uint16_t v = fi_u16(in);

			c.len[k] = v & 0x8000 ? (v & 0x7fff) * 4u + 4 :
						(v & 0xff) + 1;
			c.gpa[k] = alloc(&rx_cur, RX_GPA, RX_END, &c.len[k]);
			/* Device-readable receive buffers break the ring. */
			c.writable[k] = !(flags & 0x80) || k;
			c.bytes += c.len[k];
		}
		if (flags & 0x80)
			pristine = false;
		post(0, &c, flags & 0x40);
	}
}

static void raw_op(struct fuzz_in *in)
{
	unsigned int q = fi_u8(in) & 1;
	uint16_t i = fi_u16(in) % QSIZE;
	struct vring_desc d;

	pristine = false;
	d.addr = fi_gpa(in, &vm->mem);
	d.len = fi_u32(in);
	d.flags = fi_u16(in);
	d.next = fi_u16(in);
	if (desc[q])
		desc[q][i] = d;
	if (fi_u8(in) & 1)
		add_avail(q, i);
}

static void reg_op(struct fuzz_in *in)
{
	static const uint8_t offs[] = {
		VIRTIO_PCI_GUEST_FEATURES, VIRTIO_PCI_QUEUE_PFN,
		VIRTIO_PCI_QUEUE_SEL, VIRTIO_PCI_QUEUE_NOTIFY,
		VIRTIO_PCI_STATUS,
	};
	static const uint8_t lens[] = { 4, 4, 2, 2, 1 };
	unsigned int k = fi_u8(in) % 5;
	uint32_t v = fi_u32(in);

	pristine = false;
	wr(offs[k], v, lens[k]);
	poll_dev(3, true);
}

static void run_op(struct fuzz_in *in)
{
	uint8_t head[4];

	switch (fi_u8(in) % 8) {
	case 0:
	case 1:
		tx_frame(in);
		break;
	case 2:
		rx_buffers(in);
		break;
	case 3:
		fi_bytes(in, head, 4);
		host_send(pick_frame_len(in, NET_MAX_FRAME + 4096), head);
		break;
	case 4:
		poll_dev(fi_u8(in) % 4, false);
		break;
	case 5:
		poll_dev(0, true);	/* the tap is readable */
		break;
	case 6:
		raw_op(in);
		break;
	default:
		reg_op(in);
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct net_config nc = { .ifname = "fuzz0" };
	int sv[2], big = 8 << 20;
	unsigned int i;
	uint32_t x = 2463534242u;

	(void)argc;
	(void)argv;
	for (i = 0; i < PATTERN_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = (uint8_t)x;
	}
	vm = fuzz_vm_new();
	fuzz_mem_init(&vm->mem, LOW_RAM, HIGH_RAM);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		fuzz_log("fuzz: socketpair failed\n");
		abort();
	}
	/* Room for everything an input can queue either way (root may
	 * exceed wmem_max; otherwise a full socket just drops frames). */
	for (i = 0; i < 2; i++)
		if (setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &big,
			       sizeof(big)) < 0)
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &big,
				   sizeof(big));
	host_fd = sv[1];
	tap = net_tap_from_fd(sv[0], nc.ifname);
	dev = tap ? virtio_net_new(vm, &nc, tap) : NULL;
	if (!dev) {
		fuzz_log("fuzz: virtio_net_new: %s\n", err_msg());
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	uint32_t features, host;
	uint8_t flags, junk[16];
	unsigned int i;

	fi_init(&in, data, size);
	flags = fi_u8(&in);
	features = fi_u32(&in);

	/* Reset, then forget what the last input left on either end. */
	wr(VIRTIO_PCI_STATUS, 0, 1);
	pristine = false;
	drain_host();
	while (recv(net_tap_fd(tap), junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
	memset(vm->mem.host, 0, vm->mem.size);
	pristine = !(flags & 3);
	rx_cur = RX_GPA;
	tx_cur = TX_GPA;
	table_cur = TABLE_GPA;
	tx_tag = rx_tag = rx_next_tag = 0;
	memset(tx_head_of, 0xff, sizeof(tx_head_of));

	wr(VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	host = virtio_legacy_read(dev, VIRTIO_PCI_HOST_FEATURES, 4);
	wr(VIRTIO_PCI_GUEST_FEATURES, host & features, 4);
	mrg = host & features & F(VIRTIO_NET_F_MRG_RXBUF);
	hdr_len = mrg ? sizeof(struct virtio_net_hdr_mrg_rxbuf) :
			sizeof(struct virtio_net_hdr);
	/* The usual places, or anywhere (then the checks stand down). */
	map_queue(0, flags & 1 ? fi_gpa(&in, &vm->mem) & ~0xfffULL :
		  RX_RING_GPA);
	map_queue(1, flags & 2 ? fi_gpa(&in, &vm->mem) & ~0xfffULL :
		  TX_RING_GPA);
	if (!(flags & 4))
		wr(VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	/* What the I/O thread does when DRIVER_OK wakes it. */
	poll_dev(3, false);
	if (status() & VIRTIO_CONFIG_S_DRIVER_OK)
		FUZZ_ASSERT(net_tap_vnet_hdr_len(tap) == hdr_len,
			    "tap header %u, driver %u",
			    net_tap_vnet_hdr_len(tap), hdr_len);

	while (!fi_empty(&in))
		run_op(&in);
	/* Let everything still possible happen. */
	for (i = 0; i < MAX_PASSES; i++) {
		uint16_t before[2] = { dev->vqs[0].used_idx,
				       dev->vqs[1].used_idx };

		poll_dev(3, true);
		if (before[0] == dev->vqs[0].used_idx &&
		    before[1] == dev->vqs[1].used_idx)
			break;
	}
	return 0;
}
