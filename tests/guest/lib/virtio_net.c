// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net.c - a well-formed virtio-net driver on top of virtio.c, for
 * test kernels that need a working NIC around whatever they attack:
 * queue 0 receives, queue 1 transmits (5.1.2), every frame behind a
 * struct virtio_net_hdr, 12 bytes with VIRTIO_NET_F_MRG_RXBUF and 10
 * without ("the structure was 2 bytes shorter", 5.1.6.1).
 *
 * Receive buffers are single device-writable descriptors in memory the
 * caller provides: descriptor b is buffer b.  That layout needs
 * VIRTIO_F_ANY_LAYOUT without MRG_RXBUF (header and frame in one buffer),
 * which lightvm offers.  With MRG_RXBUF a frame may span buffers: the
 * first one's num_buffers says how many used entries make it up
 * (5.1.6.4).  With rx_split (no MRG_RXBUF) each buffer is the chain
 * legacy drivers without ANY_LAYOUT post instead: the header alone in
 * descriptor 2b, the frame in 2b + 1.
 *
 * Transmit is one frame at a time from descriptor 0, waited for: header
 * and frame in one buffer, or with tx_rotate in turn that, the header in
 * a descriptor of its own, and those two through an indirect table.
 * ARP requests for our address are answered while waiting for anything
 * else, so the host kernel can always reach us.
 */
#include "runtime.h"

#define F(bit)		(1u << (bit))

static uint8_t tx_buf[sizeof(struct virtio_net_hdr_mrg_rxbuf) +
		      NET_ETH_FRAME_MAX] __aligned(64);
/* No checksum or GSO request: a header of zeroes, when it stands apart. */
static struct virtio_net_hdr_mrg_rxbuf tx_hdr;
static struct vring_desc tx_table[2] __aligned(16);
/* rx_split: buffer b's header. */
static struct virtio_net_hdr_mrg_rxbuf split_hdr[VNET_RX_MAX];

static const uint8_t default_ip[4] = { 10, 0, 2, 15 };
static const uint8_t default_peer_ip[4] = { 10, 0, 2, 1 };

int vnet_find(struct vnet *n, uint8_t vec_base)
{
	int slot = vdev_find(VNET_DEVICE_ID, 0);

	memset(n, 0, sizeof(*n));
	if (slot < 0) {
		printf("FAIL: no 1af4:%04x device on bus 0\n", VNET_DEVICE_ID);
		return -1;
	}
	memcpy(n->ends.ip, default_ip, 4);
	memcpy(n->ends.peer_ip, default_peer_ip, 4);
	return vdev_open(&n->d, (unsigned int)slot, vec_base);
}

int vnet_start(struct vnet *n, uint32_t want)
{
	unsigned int i;

	if (vdev_start(&n->d, want, F(VIRTIO_NET_F_MAC), 2))
		return -1;
	n->mrg = n->d.features & F(VIRTIO_NET_F_MRG_RXBUF);
	/* With VERSION_1 (modern) num_buffers is always there (5.1.6). */
	n->hdr_len = n->mrg || n->d.modern ?
		     sizeof(struct virtio_net_hdr_mrg_rxbuf) :
		     sizeof(struct virtio_net_hdr);
	n->nr_rx = 0;
	for (i = 0; i < ETH_ALEN; i++)
		n->ends.mac[i] = (uint8_t)vdev_config_read(&n->d, i, 1);
	if (n->ends.mac[0] & 1) {
		printf("FAIL: multicast MAC from the device\n");
		return -1;
	}
	return 0;
}

static uint8_t *rx_buf(const struct vnet *n, unsigned int b)
{
	return n->rx_mem + b * n->rx_size;
}

/* Buffer b device-writable: descriptor b, or 2b -> 2b + 1 if split. */
static uint16_t rx_desc(struct vnet *n, unsigned int b)
{
	struct vring_desc *t = n->d.vq[VNET_RXQ].desc;
	uint16_t head = vnet_rx_head(n, b);

	if (!n->rx_split) {
		vq_set_desc(t, head, (uintptr_t)rx_buf(n, b), n->rx_size,
			    VRING_DESC_F_WRITE, 0);
		return head;
	}
	vq_set_desc(t, head, (uintptr_t)&split_hdr[b], n->hdr_len,
		    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, head + 1);
	vq_set_desc(t, head + 1, (uintptr_t)rx_buf(n, b), n->rx_size,
		    VRING_DESC_F_WRITE, 0);
	return head;
}

void vnet_rx_post(struct vnet *n, uint8_t *mem, unsigned int nr,
		  unsigned int size)
{
	unsigned int b, per = n->rx_split ? 2 : 1;
	struct vq *q = &n->d.vq[VNET_RXQ];
	uint16_t heads[VNET_RX_MAX];

	if (nr > VNET_RX_MAX)
		nr = VNET_RX_MAX;
	if (nr * per > q->size)
		nr = q->size / per;
	n->rx_mem = mem;
	n->nr_rx = nr;
	n->rx_size = size;
	n->rx_split_hdr = split_hdr;
	for (b = 0; b < nr; b++)
		heads[b] = rx_desc(n, b);
	vq_publish(q, heads, nr);
}

/* The next used RX entry, checked against what was posted. */
int vnet_rx_pop(struct vnet *n, unsigned int *b, uint32_t *len)
{
	unsigned int split = n->rx_split;
	uint32_t max = n->rx_size + (split ? n->hdr_len : 0);
	struct vring_used_elem e;

	if (!vq_pop_inline(&n->d.vq[VNET_RXQ], &e))
		return 0;
	/* Shifts, not divisions: this runs once per received buffer. */
	if ((e.id & split) || e.id >> split >= n->nr_rx || e.len > max) {
		printf("FAIL: RX used id %u len %u (%u buffers of %u)\n",
		       e.id, e.len, n->nr_rx, n->rx_size);
		return -1;
	}
	*b = e.id >> split;
	*len = e.len;
	return 1;
}

int vnet_rx(struct vnet *n, uint8_t *frame, unsigned int max,
	    unsigned int ticks)
{
	struct vq *q = &n->d.vq[VNET_RXQ];
	uint16_t reposts[VNET_RX_MAX];
	unsigned int b, i, nbufs = 1, flen = 0;
	uint32_t len;

	if (vq_wait(q, ticks))
		return 0;
	if (vnet_rx_pop(n, &b, &len) <= 0)
		return -1;
	reposts[0] = (uint16_t)b;
	if (len < n->hdr_len) {
		printf("FAIL: RX used length %u, shorter than the header\n",
		       len);
		return -1;
	}
	memset(&n->rx_hdr, 0, sizeof(n->rx_hdr));
	memcpy(&n->rx_hdr, vnet_rx_header(n, b), n->hdr_len);
	if (n->mrg)
		nbufs = n->rx_hdr.num_buffers;
	if (!nbufs || nbufs > n->nr_rx) {
		printf("FAIL: num_buffers %u\n", nbufs);
		return -1;
	}
	flen = len - n->hdr_len;
	if (flen > max) {
		printf("FAIL: a %u-byte frame\n", flen);
		return -1;
	}
	memcpy(frame, vnet_rx_frame(n, b), flen);
	/* 5.1.6.4: the rest of the frame is in the next used entries. */
	for (i = 1; i < nbufs; i++) {
		if (vq_wait(q, ticks) || vnet_rx_pop(n, &b, &len) <= 0) {
			printf("FAIL: buffer %u of %u of a frame missing\n", i,
			       nbufs);
			return -1;
		}
		if (flen + len > max) {
			printf("FAIL: a frame over %u bytes\n", max);
			return -1;
		}
		memcpy(frame + flen, rx_buf(n, b), len);
		flen += len;
		reposts[i] = (uint16_t)b;
	}
	for (i = 0; i < nbufs; i++)
		reposts[i] = rx_desc(n, reposts[i]);
	vq_publish(q, reposts, nbufs);
	n->rx_len = flen;
	return (int)flen;
}

/* Descriptor 0 (and 1) of the TX queue carry the frame, as tx_seq says. */
static void tx_chain(struct vnet *n, const uint8_t *frame, unsigned int len)
{
	struct vring_desc *t = n->d.vq[VNET_TXQ].desc;

	switch (n->tx_rotate ? n->tx_seq++ % 3 : 0) {
	case 0:		/* header and frame in one buffer (ANY_LAYOUT) */
		memset(tx_buf, 0, n->hdr_len);
		memcpy(tx_buf + n->hdr_len, frame, len);
		vq_set_desc(t, 0, (uintptr_t)tx_buf, n->hdr_len + len, 0, 0);
		break;
	case 1:		/* header apart, as drivers without ANY_LAYOUT do */
		memcpy(tx_buf, frame, len);
		vq_set_desc(t, 0, (uintptr_t)&tx_hdr, n->hdr_len,
			    VRING_DESC_F_NEXT, 1);
		vq_set_desc(t, 1, (uintptr_t)tx_buf, len, 0, 0);
		break;
	default:	/* the same two through an indirect table */
		memcpy(tx_buf, frame, len);
		vq_set_desc(tx_table, 0, (uintptr_t)&tx_hdr, n->hdr_len,
			    VRING_DESC_F_NEXT, 1);
		vq_set_desc(tx_table, 1, (uintptr_t)tx_buf, len, 0, 0);
		vq_set_desc(t, 0, (uintptr_t)tx_table, sizeof(tx_table),
			    VRING_DESC_F_INDIRECT, 0);
		break;
	}
}

int vnet_tx(struct vnet *n, const uint8_t *frame, unsigned int len,
	    unsigned int ticks)
{
	struct vq *q = &n->d.vq[VNET_TXQ];
	struct vring_used_elem e;
	uint16_t head = 0;

	if (len > NET_ETH_FRAME_MAX) {
		printf("FAIL: vnet_tx of %u bytes\n", len);
		return -1;
	}
	tx_chain(n, frame, len);
	vq_publish(q, &head, 1);
	if (vq_wait(q, ticks)) {
		printf("FAIL: TX buffer not returned\n");
		return -1;
	}
	if (!vq_pop(q, &e) || e.id != head) {
		printf("FAIL: TX used id %u, expected %u\n", e.id, head);
		return -1;
	}
	return 0;
}

int vnet_rx_until(struct vnet *n, vnet_match_fn match, const void *arg,
		  uint8_t *frame, unsigned int ticks)
{
	static uint8_t reply[ETH_HLEN + NET_ARP_LEN];
	unsigned int start = vtest_ticks, spent;
	int len;

	while ((spent = vtest_ticks - start) < ticks) {
		len = vnet_rx(n, frame, VNET_FRAME_MAX, ticks - spent);
		if (len <= 0)
			return len;
		if (match(frame, (unsigned int)len, arg))
			return len;
		if (net_is_arp_request_for_us(frame, (unsigned int)len,
					      &n->ends) &&
		    vnet_tx(n, reply, net_build_arp_reply(reply, &n->ends,
							  frame), ticks))
			return -1;
	}
	return 0;
}

static bool match_arp_reply(const uint8_t *f, unsigned int len,
			    const void *arg)
{
	return net_is_arp_reply(f, len, arg);
}

int vnet_arp_reply(struct vnet *n, uint8_t *frame, unsigned int ticks)
{
	int len = vnet_rx_until(n, match_arp_reply, &n->ends, frame, ticks);

	if (len <= 0) {
		printf("FAIL: no ARP reply from the host\n");
		return -1;
	}
	memcpy(n->ends.peer_mac, frame + ETH_HLEN + 8, ETH_ALEN);
	n->peer_known = true;
	return 0;
}

int vnet_resolve(struct vnet *n, uint8_t *frame, unsigned int ticks)
{
	uint8_t req[ETH_HLEN + NET_ARP_LEN];

	if (vnet_tx(n, req, net_build_arp_request(req, &n->ends), ticks))
		return -1;
	return vnet_arp_reply(n, frame, ticks);
}

static bool match_echo_reply(const uint8_t *f, unsigned int len,
			     const void *arg)
{
	return net_is_echo_reply(f, len, *(const uint16_t *)arg);
}

int vnet_ping(struct vnet *n, uint8_t *frame, uint16_t seq,
	      unsigned int size, unsigned int ticks)
{
	static uint8_t req[NET_ETH_FRAME_MAX];
	int len;

	if (size > NET_ETH_FRAME_MAX - ETH_HLEN - NET_IP_HLEN - NET_ICMP_HLEN)
		return -1;
	if (!n->peer_known && vnet_resolve(n, frame, ticks))
		return -1;
	if (vnet_tx(n, req, net_build_echo(req, &n->ends, seq, size), ticks))
		return -1;
	len = vnet_rx_until(n, match_echo_reply, &seq, frame, ticks);
	if (len <= 0) {
		printf("FAIL: no echo reply to seq %u (%u bytes)\n", seq,
		       size);
		return -1;
	}
	/* We took neither GUEST_CSUM nor GUEST_TSO*: a plain header. */
	if (n->rx_hdr.hdr.flags || n->rx_hdr.hdr.gso_type) {
		printf("FAIL: RX header flags %x gso_type %x\n",
		       n->rx_hdr.hdr.flags, n->rx_hdr.hdr.gso_type);
		return -1;
	}
	return net_check_echo_reply(frame, (unsigned int)len, &n->ends, seq,
				    size);
}
