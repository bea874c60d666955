// SPDX-License-Identifier: GPL-2.0
/*
 * net.c - virtio-net (device ID 1) on a tap device: queue 0 receives,
 * queue 1 transmits, no control queue.
 *
 * Every frame on either queue carries a struct virtio_net_hdr in front.
 * "The legacy driver only presented num_buffers in the struct
 * virtio_net_hdr when VIRTIO_NET_F_MRG_RXBUF was negotiated; without
 * that feature the structure was 2 bytes shorter" (5.1.6.1): 12 bytes
 * or 10.  The tap speaks the same header (IFF_VNET_HDR, vmm/net), so
 * frames go between guest RAM and the kernel untouched: a TX chain is
 * one writev() of its readable buffers, an RX frame one readv() into
 * the driver's buffers.  Checksum and segmentation requests travel in
 * the header and are the kernel's to carry out or check; the offloads
 * the tap may use towards the guest (TUNSETOFFLOAD) follow the GUEST_*
 * features the driver took, and are set when it sets DRIVER_OK.
 *
 * Transmit.  A chain whose readable part is shorter than the header and
 * an Ethernet header, or longer than the header and a 64 KiB GSO frame,
 * is not a frame: it is dropped and counted, and its buffer returned.
 * That is the guest sending garbage, not breaking the ring: the walker's
 * checks (virtq.c) still mark a bad chain NEEDS_RESET.
 *
 * Receive.  With MRG_RXBUF a frame may span several buffers ("The device
 * MUST set num_buffers to the number of descriptors used to hold the
 * incoming packet", 5.1.6.3.2), so chains are taken from the ring until
 * they hold a 64 KiB frame or the ring is empty, and one readv() spans
 * them all; the chains a short frame did not need are kept, in order,
 * for the next one.  Without it "The device MUST use only a single
 * descriptor" (same section): one chain per frame, and the driver is to
 * give big ones ("buffers of at least 65562 bytes" with GUEST_TSO*, else
 * 1526, 5.1.6.3.1).  With MRG_RXBUF nothing is read until the buffers
 * can hold the largest frame the agreed features allow, as QEMU does.
 * Either way a frame longer than the buffers at hand is dropped and
 * counted, the buffers kept: tun cuts such a frame short
 * without saying so, so a spare host buffer behind the guest's catches
 * the excess and tells us.  When the ring runs dry the tap fd leaves the
 * I/O thread's epoll set until the driver adds buffers and kicks queue 0:
 * frames wait in the tap's queue (the kernel drops beyond its length),
 * and nothing spins.
 *
 * "If VIRTIO_NET_F_MRG_RXBUF is negotiated, each buffer MUST be at least
 * the size of the struct virtio_net_hdr" (5.1.6.3.1), and receive
 * buffers are device-writable: an RX chain with a readable part, or
 * shorter than the header, breaks the queue (NEEDS_RESET).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "virtio.h"
#include "../net/net.h"

#define NET_RX			0
#define NET_TX			1
#define NET_HDR_LEN		sizeof(struct virtio_net_hdr)
#define NET_HDR_MRG_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
/* The config the guest sees: mac and status (no MQ, MTU, ...). */
#define NET_CONFIG_LEN		offsetof(struct virtio_net_config, \
					 max_virtqueue_pairs)
/* Kept RX chains: room for one more legal chain at any time. */
#define RX_ARENA		(2 * VQ_MAX_SEGS)
/* Guest iovecs per readv: IOV_MAX (1024) less the spare buffer. */
#define RX_READ_IOVS		(VQ_MAX_SEGS - 1)
#define RX_SPARE		(NET_MAX_FRAME + NET_HDR_MRG_LEN)
/* Frames per pass: then the interrupt goes out and epoll calls again. */
#define RX_BUDGET		64
#define TX_BUDGET		VIRTIO_NET_QUEUE_SIZE

#define F(bit)			(1ULL << (bit))

/* A popped receive chain not yet given back. */
struct rx_buf {
	uint16_t head;
	uint16_t nr_iov;		/* its iovecs in rx_iov, in order */
	uint64_t len;			/* writable bytes */
};

struct net_stats {
	uint64_t rx_frames, rx_bytes;	/* frames without the header */
	uint64_t tx_frames, tx_bytes;
	uint64_t rx_too_big;		/* frame longer than the buffers */
	uint64_t rx_short;		/* shorter than the header (not a tap) */
	uint64_t rx_errors;		/* read failed */
	uint64_t rx_stalls;		/* the ring ran dry: tap fd parked */
	uint64_t tx_short, tx_too_big;	/* not a frame */
	uint64_t tx_errors;		/* the tap refused it */
	uint64_t tx_no_link;		/* after the tap went away */
};

struct virtio_net {
	struct virtio_dev vdev;
	struct tap *tap;
	struct virtio_net_config config;
	char mac_str[NET_MAC_STR_LEN];
	bool configured;		/* tap set up for the agreed features */
	bool mrg;			/* MRG_RXBUF agreed */
	unsigned int hdr_len;		/* 10 or 12 */
	uint64_t rx_max;		/* largest frame the tap may send us,
					 * header included */
	bool tap_gone;			/* the interface was deleted */
	bool rx_parked;			/* tap fd out of epoll: no buffers */
	bool tx_error_logged;
	struct net_stats st;

	/* Popped RX chains, oldest first; their iovecs back to back. */
	struct rx_buf rx_bufs[VIRTIO_NET_QUEUE_SIZE];
	unsigned int nr_rx_bufs;
	unsigned int rx_iov_used;
	uint64_t rx_len;		/* sum of rx_bufs[].len */
	uint32_t rx_gen;		/* the ring they came from */
	unsigned int rx_pushed, tx_pushed;
	struct iovec rx_iov[RX_ARENA];
	struct iovec tx_iov[VQ_MAX_SEGS];
	uint8_t spare[RX_SPARE];
};

static struct virtio_net *to_net(struct virtio_dev *dev)
{
	return container_of(dev, struct virtio_net, vdev);
}

/* Copy n bytes into the iovecs at byte offset off. */
static void iov_write_at(const struct iovec *iov, unsigned int cnt,
			 size_t off, const void *src, size_t n)
{
	const uint8_t *p = src;

	for (; n && cnt; iov++, cnt--) {
		size_t k;

		if (off >= iov->iov_len) {
			off -= iov->iov_len;
			continue;
		}
		k = iov->iov_len - off < n ? iov->iov_len - off : n;
		memcpy((uint8_t *)iov->iov_base + off, p, k);
		p += k;
		n -= k;
		off = 0;
	}
}

static void set_polling(struct virtio_net *n, bool on)
{
	if (n->tap_gone)
		on = false;
	if (virtio_dev_watch_backend(&n->vdev, on) < 0)
		log_warn("%s", err_msg());
}

/*
 * The interface was deleted under us (tun then fails every call with
 * EBADFD and polls as an error).  Not the guest's doing and not fatal:
 * the link goes down, which a driver with STATUS hears about through a
 * configuration interrupt, and transmitted frames are dropped.
 */
static void tap_went_away(struct virtio_net *n)
{
	struct virtio_dev *dev = &n->vdev;

	if (n->tap_gone)
		return;
	n->tap_gone = true;
	log_warn("%s: the tap device went away; link down", dev->name);
	n->config.status = 0;
	dev->config_generation++;
	if ((dev->guest_features & F(VIRTIO_NET_F_STATUS)) &&
	    (dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		dev->config_irq_pending = true;
	set_polling(n, false);
}

/* ---- set-up once the driver is ready ---- */

static int configure(struct virtio_net *n)
{
	uint64_t f = n->vdev.guest_features;
	unsigned int offload = 0;
	int err;

	n->mrg = f & F(VIRTIO_NET_F_MRG_RXBUF);
	/* "The legacy driver only presented num_buffers in the struct
	 * virtio_net_hdr when VIRTIO_NET_F_MRG_RXBUF was negotiated"
	 * (5.1.6): with VERSION_1 the field is always there. */
	n->hdr_len = n->mrg || (f & F(VIRTIO_F_VERSION_1)) ? NET_HDR_MRG_LEN :
							      NET_HDR_LEN;
	/*
	 * What the tap may send is what the driver can take: partial
	 * checksums with GUEST_CSUM, TSO frames with GUEST_TSO4/6, which
	 * the spec makes depend on GUEST_CSUM (5.1.3.1), as tun does on
	 * TUN_F_CSUM.
	 */
	if (f & F(VIRTIO_NET_F_GUEST_CSUM)) {
		offload |= TUN_F_CSUM;
		if (f & F(VIRTIO_NET_F_GUEST_TSO4))
			offload |= TUN_F_TSO4;
		if (f & F(VIRTIO_NET_F_GUEST_TSO6))
			offload |= TUN_F_TSO6;
	}
	/* Without TSO the tap sends at most an Ethernet frame (+ VLAN tag). */
	n->rx_max = n->hdr_len + ((offload & (TUN_F_TSO4 | TUN_F_TSO6)) ?
				  NET_MAX_FRAME : NET_ETH_MAX_NO_GSO);
	err = net_tap_set_vnet_hdr_len(n->tap, n->hdr_len);
	if (!err)
		err = net_tap_set_offload(n->tap, offload);
	if (err == -EBADFD) {
		tap_went_away(n);
	} else if (err) {
		/* The tap accepted both at open: a host failure. */
		vm_request_stop(n->vdev.vm, EXIT_VMM_ERROR,
				"%s: cannot set up the tap for the driver's features: %s",
				n->vdev.name, strerror(-err));
		return -1;
	}
	n->configured = true;
	log_debug(1, "%s: driver ready: features 0x%llx, %u-byte header, tap offloads 0x%x",
		  n->vdev.name, (unsigned long long)f, n->hdr_len, offload);
	return 0;
}

/* ---- transmit ---- */

static void tx_frame(struct virtio_net *n, struct vq_chain *c)
{
	uint64_t len = c->out_len;
	ssize_t ret;

	/* A writable part has no meaning here and is left alone. */
	if (len < n->hdr_len + NET_ETH_HLEN) {
		n->st.tx_short++;
		return;
	}
	if (len > n->hdr_len + NET_MAX_FRAME) {
		n->st.tx_too_big++;
		return;
	}
	if (n->tap_gone) {
		n->st.tx_no_link++;
		return;
	}
	ret = net_tap_write(n->tap, c->iov, c->nr_out);
	if (ret == -EBADFD) {
		tap_went_away(n);
		n->st.tx_no_link++;
		return;
	}
	if (ret < 0) {
		/* EINVAL: the kernel rejected the header (bad GSO, ...). */
		if (!n->tx_error_logged)
			log_debug(1, "%s: tap refused a %llu-byte frame: %s",
				  n->vdev.name, (unsigned long long)len,
				  strerror((int)-ret));
		n->tx_error_logged = true;
		n->st.tx_errors++;
		return;
	}
	n->st.tx_frames++;
	n->st.tx_bytes += len - n->hdr_len;
}

/* Returns false when the budget ran out with chains still waiting. */
static bool tx_run(struct virtio_net *n)
{
	struct virtio_dev *dev = &n->vdev;
	struct virtqueue *vq = &dev->vqs[NET_TX];
	unsigned int done = 0;
	struct vq_chain c;

	for (;;) {
		while (virtio_vq_live(dev, vq)) {
			if (done == TX_BUDGET)
				return false;
			if (!virtio_vq_pop(dev, vq, &c, n->tx_iov,
					   VQ_MAX_SEGS))
				break;
			tx_frame(n, &c);
			/* The device writes nothing into a TX buffer. */
			vq_push(vq, c.head, 0);
			n->tx_pushed++;
			done++;
		}
		if (!virtio_vq_live(dev, vq) || !vq_enable_kicks(vq))
			return true;
	}
}

/* ---- receive ---- */

static void rx_forget(struct virtio_net *n)
{
	n->nr_rx_bufs = 0;
	n->rx_iov_used = 0;
	n->rx_len = 0;
}

/* Drop the first k kept chains (given back to the driver). */
static void rx_consume(struct virtio_net *n, unsigned int k)
{
	unsigned int i, iovs = 0;

	for (i = 0; i < k; i++) {
		iovs += n->rx_bufs[i].nr_iov;
		n->rx_len -= n->rx_bufs[i].len;
	}
	n->nr_rx_bufs -= k;
	n->rx_iov_used -= iovs;
	memmove(n->rx_bufs, n->rx_bufs + k,
		n->nr_rx_bufs * sizeof(n->rx_bufs[0]));
	memmove(n->rx_iov, n->rx_iov + iovs,
		n->rx_iov_used * sizeof(n->rx_iov[0]));
}

/*
 * Take chains until the kept ones can hold the largest frame (one chain
 * without MRG_RXBUF).  Returns false if the queue broke.
 */
static bool rx_holding_all(const struct virtio_net *n)
{
	return n->nr_rx_bufs == VIRTIO_NET_QUEUE_SIZE ||
	       RX_ARENA - n->rx_iov_used < VQ_MAX_SEGS;
}

static bool rx_gather(struct virtio_net *n, struct virtqueue *vq)
{
	struct virtio_dev *dev = &n->vdev;
	uint64_t want = n->rx_max;
	struct vq_chain c;

	while (n->mrg ? n->rx_len < want : !n->nr_rx_bufs) {
		if (RX_ARENA - n->rx_iov_used < VQ_MAX_SEGS)
			return true;
		/* Every kept chain holds a descriptor: a driver cannot
		 * have more buffers out than the queue has entries. */
		if (rx_holding_all(n)) {
			if (vq_has_avail(vq))
				virtio_dev_needs_reset(dev, vq,
					"queue 0: more receive buffers outstanding than queue entries");
			return virtio_vq_live(dev, vq);
		}
		if (!virtio_vq_pop(dev, vq, &c, n->rx_iov + n->rx_iov_used,
				   VQ_MAX_SEGS))
			return virtio_vq_live(dev, vq);
		if (c.nr_out) {
			virtio_dev_needs_reset(dev, vq,
				"queue 0: receive buffer with device-readable descriptors");
			return false;
		}
		if (c.in_len < n->hdr_len) {
			virtio_dev_needs_reset(dev, vq,
				"queue 0: receive buffer shorter than the virtio-net header");
			return false;
		}
		n->rx_bufs[n->nr_rx_bufs++] = (struct rx_buf){
			.head = c.head, .nr_iov = c.nr_in, .len = c.in_len,
		};
		n->rx_iov_used += c.nr_in;
		n->rx_len += c.in_len;
	}
	return true;
}

enum rx_result {
	RX_DONE,		/* a frame delivered or dropped */
	RX_NO_BUFFERS,		/* the ring is empty */
	RX_TAP_EMPTY,		/* nothing (more) to read */
};

/* Hand a frame of `len` bytes, now in the kept chains, to the driver. */
static void rx_deliver(struct virtio_net *n, struct virtqueue *vq,
		       uint64_t len)
{
	uint64_t left = len;
	unsigned int k = 0, i;
	uint16_t nbufs;

	while (left) {
		uint64_t take = n->rx_bufs[k].len < left ? n->rx_bufs[k].len :
							   left;

		left -= take;
		k++;
	}
	/* Before the used entries publish it.  Little-endian (legacy: guest
	 * byte order, which on x86 is the same).  A 12-byte header without
	 * MRG_RXBUF (VERSION_1) holds num_buffers too: 1, since one chain
	 * holds the frame - tun leaves those two bytes alone. */
	if (n->hdr_len == NET_HDR_MRG_LEN) {
		nbufs = (uint16_t)k;
		iov_write_at(n->rx_iov, n->rx_iov_used,
			     offsetof(struct virtio_net_hdr_mrg_rxbuf,
				      num_buffers), &nbufs, sizeof(nbufs));
	}
	left = len;
	for (i = 0; i < k; i++) {
		uint64_t take = n->rx_bufs[i].len < left ? n->rx_bufs[i].len :
							   left;

		vq_push(vq, n->rx_bufs[i].head, (uint32_t)take);
		left -= take;
	}
	n->rx_pushed += k;
	rx_consume(n, k);
	n->st.rx_frames++;
	n->st.rx_bytes += len - n->hdr_len;
}

static enum rx_result rx_one(struct virtio_net *n, struct virtqueue *vq)
{
	unsigned int cnt, i;
	struct iovec saved;
	uint64_t room = 0;
	ssize_t ret;

	if (!rx_gather(n, vq) || !n->nr_rx_bufs)
		return RX_NO_BUFFERS;
	/*
	 * Read only once the buffers can hold any frame the tap may send,
	 * as QEMU does: a frame read into too little room is lost, while
	 * waiting for the driver's next buffers costs nothing.  Holding all
	 * the ring can give, read anyway: the driver's buffers are too few
	 * for the features it took, and the frame then is dropped, counted.
	 */
	if (n->mrg && n->rx_len < n->rx_max && !rx_holding_all(n))
		return RX_NO_BUFFERS;
	cnt = n->mrg ? n->rx_iov_used : n->rx_bufs[0].nr_iov;
	if (cnt > RX_READ_IOVS)
		cnt = RX_READ_IOVS;
	for (i = 0; i < cnt; i++)
		room += n->rx_iov[i].iov_len;
	/* The spare goes right behind the last guest buffer we pass. */
	saved = n->rx_iov[cnt];
	n->rx_iov[cnt] = (struct iovec){ n->spare, sizeof(n->spare) };
	ret = net_tap_read(n->tap, n->rx_iov, cnt + 1);
	n->rx_iov[cnt] = saved;

	if (ret == -EAGAIN)
		return RX_TAP_EMPTY;
	if (ret == -EBADFD) {
		tap_went_away(n);
		return RX_TAP_EMPTY;
	}
	if (ret < 0) {
		/* The frame is gone (tun frees it on a failed copy). */
		log_debug(1, "%s: tap read: %s", n->vdev.name,
			  strerror((int)-ret));
		n->st.rx_errors++;
		return RX_TAP_EMPTY;
	}
	if ((uint64_t)ret < n->hdr_len) {
		n->st.rx_short++;
		return RX_DONE;
	}
	if ((uint64_t)ret > room) {
		n->st.rx_too_big++;
		return RX_DONE;
	}
	rx_deliver(n, vq, (uint64_t)ret);
	return RX_DONE;
}

static void rx_run(struct virtio_net *n)
{
	struct virtio_dev *dev = &n->vdev;
	struct virtqueue *vq = &dev->vqs[NET_RX];
	unsigned int frames = 0;

	/* A reset or a new QUEUE_PFN since: the kept chains are gone. */
	if (n->rx_gen != vq->gen) {
		rx_forget(n);
		n->rx_gen = vq->gen;
	}
	if (!virtio_vq_live(dev, vq) || n->tap_gone) {
		set_polling(n, false);
		return;
	}
	while (frames < RX_BUDGET) {
		switch (rx_one(n, vq)) {
		case RX_DONE:
			frames++;
			continue;
		case RX_NO_BUFFERS:
			/* Ask for a kick on the next buffer; look once more
			 * in case it came meanwhile. */
			if (virtio_vq_live(dev, vq) && vq_enable_kicks(vq))
				continue;
			if (!n->rx_parked)
				n->st.rx_stalls++;
			n->rx_parked = true;
			set_polling(n, false);
			return;
		case RX_TAP_EMPTY:
			n->rx_parked = false;
			set_polling(n, true);
			return;
		}
	}
	/* Budget spent: still readable, so epoll calls us straight back. */
	n->rx_parked = false;
	set_polling(n, true);
}

/* ---- the device ---- */

static void net_run(struct virtio_dev *dev, uint32_t kicked, bool backend)
{
	struct virtio_net *n = to_net(dev);

	(void)backend;
	n->rx_pushed = n->tx_pushed = 0;
	if (!(dev->status & VIRTIO_CONFIG_S_DRIVER_OK) || dev->draining ||
	    (!n->configured && configure(n) < 0)) {
		set_polling(n, false);
		return;
	}
	/* Out of budget: come back for the rest after the RX side. */
	if ((kicked & F(NET_TX)) && !tx_run(n))
		virtio_dev_kick_thread(dev);
	rx_run(n);
	if (n->tx_pushed)
		virtio_vq_notify(dev, &dev->vqs[NET_TX]);
	if (n->rx_pushed)
		virtio_vq_notify(dev, &dev->vqs[NET_RX]);
}

static void net_reset(struct virtio_dev *dev)
{
	struct virtio_net *n = to_net(dev);

	rx_forget(n);
	n->configured = false;
	n->rx_parked = false;
	n->tx_error_logged = false;
	set_polling(n, false);
}

static void net_destroy(struct virtio_dev *dev)
{
	struct virtio_net *n = to_net(dev);

	net_tap_close(n->tap);
	free(n);
}

static void net_describe(struct virtio_dev *dev, char *buf, size_t len)
{
	struct virtio_net *n = to_net(dev);
	const struct net_stats *s = &n->st;

	snprintf(buf, len,
		 "mac %s: rx %llu frames %llu bytes, tx %llu frames %llu bytes; dropped rx %llu too big, %llu short, %llu errors; tx %llu short, %llu too big, %llu refused, %llu no link; rx waited for buffers %llu times%s",
		 n->mac_str,
		 (unsigned long long)s->rx_frames,
		 (unsigned long long)s->rx_bytes,
		 (unsigned long long)s->tx_frames,
		 (unsigned long long)s->tx_bytes,
		 (unsigned long long)s->rx_too_big,
		 (unsigned long long)s->rx_short,
		 (unsigned long long)s->rx_errors,
		 (unsigned long long)s->tx_short,
		 (unsigned long long)s->tx_too_big,
		 (unsigned long long)s->tx_errors,
		 (unsigned long long)s->tx_no_link,
		 (unsigned long long)s->rx_stalls,
		 n->rx_parked ? " (waiting now)" : "");
	if (log_verbosity >= 2) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used,
			 "; rx kept %u buffers of %llu bytes, reads at %llu",
			 n->nr_rx_bufs, (unsigned long long)n->rx_len,
			 (unsigned long long)n->rx_max);
	}
}

static const struct virtio_dev_ops net_ops = {
	.run = net_run,
	.reset = net_reset,
	.destroy = net_destroy,
	.describe = net_describe,
};

/*
 * HOST_* say what we accept from the driver (the tap takes partial
 * checksums and TSO frames as they are), GUEST_* what the driver may
 * ask us to send it.  ANY_LAYOUT: the header may share a buffer with
 * the frame, or not; we never look at descriptor boundaries.
 */
#define NET_FEATURES (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | \
	F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_GUEST_TSO4) | \
	F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_HOST_TSO4) | \
	F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_MRG_RXBUF) | \
	F(VIRTIO_NET_F_STATUS) | F(VIRTIO_F_ANY_LAYOUT) | \
	F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_RING_F_EVENT_IDX))

struct virtio_dev *virtio_net_new(struct vm *vm, const struct net_config *nc,
				  struct tap *tap)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	char name[48];

	if (!n) {
		err_set("--net %s: out of memory", nc->ifname);
		net_tap_close(tap);
		return NULL;
	}
	n->tap = tap;
	if (nc->has_mac)
		memcpy(n->config.mac, nc->mac, NET_MAC_LEN);
	else
		net_default_mac(nc->ifname, n->config.mac);
	net_format_mac(n->config.mac, n->mac_str);
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->hdr_len = NET_HDR_LEN;
	snprintf(name, sizeof(name), "virtio-net %s", nc->ifname);
	if (virtio_dev_init(&n->vdev, vm, &net_ops, name, VIRTIO_ID_NET,
			    nc->transport, 2, VIRTIO_NET_QUEUE_SIZE, NET_FEATURES,
			    (const uint8_t *)&n->config, NET_CONFIG_LEN) < 0) {
		net_destroy(&n->vdev);
		return NULL;
	}
	n->vdev.backend_fd = net_tap_fd(tap);
	n->vdev.backend_data = true;
	return &n->vdev;
}

void virtio_net_free(struct virtio_dev *dev)
{
	virtio_dev_cleanup(dev);
	net_destroy(dev);
}

int virtio_net_create(struct vm *vm, const struct net_config *nc)
{
	struct virtio_dev *dev;
	struct tap *tap;

	tap = net_tap_open(nc->ifname);
	if (!tap)
		return -1;
	if (net_tap_created(tap))
		log_warn("--net %s: created the tap device; it stays down until configured (ip link set %s up)",
			 nc->ifname, nc->ifname);
	dev = virtio_net_new(vm, nc, tap);
	if (!dev)
		return -1;
	if (virtio_dev_register(dev, VIRTIO_NET_CLASS) < 0) {
		virtio_net_free(dev);
		return -1;
	}
	log_debug(1, "%s: mac %s", dev->name, to_net(dev)->mac_str);
	return 0;
}
