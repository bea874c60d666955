// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net - a minimal legacy virtio-net driver that talks to the host
 * kernel on the other side of the tap: find 1af4:1000 on bus 0, bring it
 * up (reset, ACKNOWLEDGE|DRIVER, features, MSI-X vectors, QUEUE_PFN for
 * RX and TX, DRIVER_OK), read the MAC from the device config, then:
 *
 *   1. send an ARP request for the host (10.0.2.1) while the RX ring is
 *      still empty, wait, and only then fill it: the reply must have
 *      waited in the tap (the device parks the tap while it has no
 *      buffers) and arrive now;
 *   2. ICMP echo requests to the host with payloads of several sizes up
 *      to a full 1500-byte frame; each reply is checked byte for byte
 *      (addresses, identifiers, checksums, payload) and the virtio
 *      header must be plain (no checksum or GSO flags: we took neither
 *      GUEST_CSUM nor GUEST_TSO*);
 *   3. a TX chain too short to be a frame must come back used (the
 *      device drops and counts it; the runner reads the -v counters);
 *   4. with count=N, N more echo requests one after the other.
 *
 * With flood=N (bench/net.sh) steps 2-4 give way to a throughput run
 * after step 1, with as little guest work per frame as can be: N frames
 * of size= bytes (60..1514, default 1514, Ethernet header included)
 * with EtherType 0x88b6 (IEEE local experimental: the host kernel drops
 * them) to the host's MAC, all TX descriptors pointing at one buffer and
 * kept in flight; then a request (EtherType 0x88b5, "LVGO", N, size) for
 * N such frames from the host, which bench/net-peer answers, counted
 * and given straight back to the device.  Each half is timed in TSC
 * cycles and reported on one "flood: " line; a device that also offers
 * CTRL_VQ (QEMU's) is accepted, it is not taken.
 *
 * The driver is the lib's (lib/virtio.c, lib/virtio_net.c); this file
 * holds the checks and the flood.  TX frames alternate between one
 * descriptor (header and frame together, ANY_LAYOUT), two (header
 * apart), and an indirect table.  RX buffers are single descriptors of
 * rxbuf= bytes (default 2048) with MRG_RXBUF, so a small rxbuf makes
 * frames span several buffers (num_buffers is checked against the used
 * entries); with nomrg they are two-descriptor chains (10-byte header,
 * 2048-byte data) and each frame must fit one chain.  ARP requests for
 * our address are answered all along, so the host's neighbour probes
 * find us.
 *
 *   mac=0xXXXXXXXXXXXX  the MAC the device must report (default: any
 *                       unicast one)
 *   nomrg, noevent_idx, intx (INTx through the IOAPIC, ISR acknowledges)
 *   rxbuf=N             MRG_RXBUF buffer size, 64..2048
 *   count=N             the extra echo requests
 *   flood=N, size=S     the throughput run instead of steps 2-4
 *
 * Addresses: we are 10.0.2.15, the host's tap 10.0.2.1/24.
 *
 * Statuses: 1 no device, 2 wrong IDs or BARs, 3 status handshake, 4
 * features, 5 MSI-X/INTx, 6 queue set-up, 7 MAC, 8 ARP, 9 echo reply,
 * 10 short frame not returned, 11 bulk run, 12 a used entry that makes
 * no sense, 13 flood run (nothing came back), 15 nothing within 5 s.
 */
#include "runtime.h"

const char test_name[] = "virtio_net";

#define VEC_BASE		0x41	/* config 0x41, RX 0x42, TX 0x43 */
#define VEC_CONFIG		VEC_BASE
#define VEC_RX			(VEC_BASE + 1)
#define VEC_TX			(VEC_BASE + 2)

#define QSIZE			256
#define NR_RX			64	/* buffers we keep posted */
#define RX_BUF_MAX		2048
#define WAIT_TICKS		500	/* 5 s at 100 Hz */

#define ETH_P_LVGO		0x88b5	/* flood: the request to the host */
#define ETH_P_FLOOD		0x88b6	/* flood: the frames either way */
#define FLOOD_IDLE_TICKS	100	/* 1 s without a frame ends RX */

#define F(bit)			(1u << (bit))
#define WANTED	(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | \
		 F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_ANY_LAYOUT) | \
		 F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_RING_F_EVENT_IDX))
/* Offered, not taken here: the Linux boot test uses them. */
#define OFFERED	(WANTED | F(VIRTIO_NET_F_CSUM) | \
		 F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | \
		 F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO4) | \
		 F(VIRTIO_NET_F_GUEST_TSO6))

static struct vnet nic;
static uint8_t rx_mem[NR_RX * RX_BUF_MAX] __aligned(64);
static uint8_t frame[VNET_FRAME_MAX];		/* a received frame */
static uint8_t pkt[NET_ETH_FRAME_MAX];		/* one being built */

/* Statuses 3-6 name the bring-up step that failed. */
static const int step_status[] = {
	[VDEV_STEP_STATUS] = 3, [VDEV_STEP_FEATURES] = 4,
	[VDEV_STEP_INTERRUPTS] = 5, [VDEV_STEP_QUEUES] = 6,
};

/* ---- finding and starting the device ---- */

/* The config after the MAC: link up, and the MAC mac= asks for. */
static int check_link(void)
{
	const uint8_t *mac = nic.ends.mac;
	uint16_t status = (uint16_t)vdev_config_read(&nic.d, ETH_ALEN, 2);
	uint64_t want;
	unsigned int i;

	printf("virtio-net at 00:%02x.0, %s, features %08x, mac %02x:%02x:%02x:%02x:%02x:%02x, status %x\n",
	       nic.d.slot, vdev_transport(&nic.d), nic.d.features, mac[0],
	       mac[1], mac[2], mac[3], mac[4], mac[5], status);
	if (!(status & VIRTIO_NET_S_LINK_UP)) {
		printf("FAIL: link down\n");
		return 7;
	}
	if (cmdline_get_uint("mac", &want)) {
		for (i = 0; i < ETH_ALEN; i++) {
			if (mac[i] != (uint8_t)(want >> (40 - 8 * i))) {
				printf("FAIL: MAC is not %012lx\n", want);
				return 7;
			}
		}
	}
	return 0;
}

static int start(void)
{
	uint32_t want = WANTED;
	int slot = vdev_find(VNET_DEVICE_ID, 0);
	unsigned int i;

	if (slot < 0) {
		printf("FAIL: no 1af4:1000 device on bus 0\n");
		return 1;
	}
	/* Class 02 (network) 00 (Ethernet), legacy ABI revision 0. */
	if (vdev_check_ids((unsigned int)slot, 0x02000000, VIRTIO_ID_NET))
		return 2;
	/* BAR0 is fine by now: what vnet_find can refuse is MSI-X. */
	if (vnet_find(&nic, VEC_BASE))
		return 5;
	nic.d.intx = cmdline_has("intx");
	nic.d.offered = OFFERED;
	if (cmdline_has("nomrg"))
		want &= ~F(VIRTIO_NET_F_MRG_RXBUF);
	if (cmdline_has("noevent_idx"))
		want &= ~F(VIRTIO_RING_F_EVENT_IDX);
	/* No step failed: the device's MAC is a multicast one. */
	if (vnet_start(&nic, want))
		return nic.d.failed ? step_status[nic.d.failed] : 7;
	/* flood: QEMU's device (bench/net.sh) offers a control queue. */
	if ((nic.d.host_features & F(VIRTIO_NET_F_CTRL_VQ)) &&
	    !cmdline_has("flood")) {
		printf("FAIL: host features %08x offer CTRL_VQ\n",
		       nic.d.host_features);
		return 4;
	}
	for (i = 0; i < 2; i++) {
		if (nic.d.vq[i].size != QSIZE) {
			printf("FAIL: queue %u size %u\n", i, nic.d.vq[i].size);
			return 6;
		}
	}
	nic.rx_split = !nic.mrg;
	nic.tx_rotate = true;
	return check_link();
}

/* ---- the checks ---- */

/* Step 1: the reply to an ARP request sent before any RX buffer. */
static int check_arp(unsigned int rxbuf)
{
	const uint8_t *m = nic.ends.peer_mac;

	if (vnet_tx(&nic, pkt, net_build_arp_request(pkt, &nic.ends),
		    WAIT_TICKS))
		return 8;
	/* 50 ms with an empty RX ring: the reply must wait for us. */
	vtest_sleep_ticks(5);
	/* (With INTx the TX completion sets the same ISR bit.) */
	if (vtest_irqs[VEC_RX] && !nic.d.intx) {
		printf("FAIL: RX interrupt with no RX buffers\n");
		return 8;
	}
	vnet_rx_post(&nic, rx_mem, NR_RX, nic.mrg ? rxbuf : RX_BUF_MAX);
	if (vnet_arp_reply(&nic, frame, WAIT_TICKS))
		return 8;
	printf("ok: ARP reply from %02x:%02x:%02x:%02x:%02x:%02x after filling the RX ring\n",
	       m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

/* One echo request, its reply checked in every byte that matters. */
static int echo(uint16_t seq, unsigned int size, bool quiet)
{
	if (vnet_ping(&nic, frame, seq, size, WAIT_TICKS))
		return 9;
	if (!quiet)
		printf("ok: echo seq %u, %u-byte payload, %u-byte frame\n",
		       seq, size, nic.rx_len);
	return 0;
}

static int check_echo(void)
{
	static const unsigned int sizes[] = { 1, 56, 200, 1000, 1472 };
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		r = echo((uint16_t)(i + 1), sizes[i], false);
		if (r)
			return r;
	}
	return 0;
}

/* A chain of 4 bytes of frame behind the header is no frame. */
static int check_short_frame(void)
{
	memset(pkt, 0xee, 4);
	if (vnet_tx(&nic, pkt, 4, WAIT_TICKS)) {
		printf("FAIL: short frame not returned\n");
		return 10;
	}
	printf("ok: a 4-byte frame came back unsent\n");
	return 0;
}

static int bulk(uint64_t count)
{
	unsigned int t0 = vtest_ticks, irqs = vtest_irqs[VEC_RX];
	uint64_t i;

	for (i = 0; i < count; i++) {
		if (echo((uint16_t)(100 + i), 56 + i % 1400, true)) {
			printf("FAIL: bulk echo %lu\n", i);
			return 11;
		}
	}
	printf("ok: %lu echo requests answered, %u RX interrupts, %u ticks\n",
	       count, vtest_irqs[VEC_RX] - irqs, vtest_ticks - t0);
	return 0;
}

/* ---- flood=N: throughput with little work per frame ---- */

/* Header and frame, shared by every TX descriptor of the flood. */
static uint8_t flood_buf[sizeof(struct virtio_net_hdr_mrg_rxbuf) +
			 NET_ETH_FRAME_MAX] __aligned(64);

/*
 * N frames of `size` bytes to the host, up to QSIZE in flight: a batch of
 * free heads goes into the avail ring with one publish, and whatever the
 * device has used comes back to the free list.  The frames need not
 * differ, so the descriptors are written once.
 */
static int flood_tx(uint64_t n, unsigned int size)
{
	struct vq *q = &nic.d.vq[VNET_TXQ];
	uint16_t free_heads[QSIZE], heads[QSIZE];
	unsigned int i, k, nr_free = QSIZE, irqs = vtest_irqs[VEC_TX];
	unsigned int t = vtest_ticks;
	uint64_t queued = 0, done = 0, tsc;
	struct vring_used_elem e;

	memset(flood_buf, 0, sizeof(flood_buf));
	net_eth_header(flood_buf + nic.hdr_len, nic.ends.peer_mac,
		       nic.ends.mac, ETH_P_FLOOD);
	for (i = 0; i < QSIZE; i++) {
		vq_set_desc(q->desc, i, (uintptr_t)flood_buf,
			    nic.hdr_len + size, 0, 0);
		free_heads[i] = (uint16_t)i;
	}
	tsc = rdtsc();
	while (done < n) {
		for (k = 0; nr_free && queued < n; k++, queued++)
			heads[k] = free_heads[--nr_free];
		if (k)
			vq_publish(q, heads, k);
		if (vq_wait(q, WAIT_TICKS)) {
			printf("FAIL: flood TX: nothing used within 5 s (%lu of %lu done)\n",
			       done, n);
			return 13;
		}
		while (vq_pop_inline(q, &e)) {
			if (e.id >= QSIZE || nr_free == QSIZE) {
				printf("FAIL: flood TX used id %u\n", e.id);
				return 12;
			}
			free_heads[nr_free++] = (uint16_t)e.id;
			done++;
		}
	}
	tsc = rdtsc() - tsc;
	printf("flood: tx %lu of %lu frames of %u bytes in %lu TSC cycles, %u interrupts, %u ticks\n",
	       done, n, size, tsc, vtest_irqs[VEC_TX] - irqs, vtest_ticks - t);
	return 0;
}

/*
 * Ask the host for N frames of `size` bytes and take them as they come:
 * count the ones with our EtherType (skipping the host's other chatter),
 * give every used buffer straight back (its descriptors as they are),
 * one publish per batch.  Ends at
 * N frames, or after 1 s without one (the line then says how many came).
 */
static int flood_rx(uint64_t n, unsigned int size)
{
	struct vq *q = &nic.d.vq[VNET_RXQ];
	unsigned int k, b, cont = 0, limit = WAIT_TICKS;
	unsigned int irqs = vtest_irqs[VEC_RX], t = vtest_ticks;
	uint64_t got = 0, bad_len = 0, tsc, last;
	uint16_t reposts[NR_RX];
	uint32_t len;
	int r;

	net_eth_header(pkt, nic.ends.peer_mac, nic.ends.mac, ETH_P_LVGO);
	memset(pkt + ETH_HLEN, 0, NET_ETH_ZLEN - ETH_HLEN);
	memcpy(pkt + ETH_HLEN, "LVGO", 4);
	net_put32(pkt + ETH_HLEN + 4, (uint32_t)n);
	net_put16(pkt + ETH_HLEN + 8, (uint16_t)size);
	tsc = last = rdtsc();
	if (vnet_tx(&nic, pkt, NET_ETH_ZLEN, WAIT_TICKS))
		return 13;
	while (got < n && !vq_wait(q, limit)) {
		uint64_t before = got;

		for (k = 0; (r = vnet_rx_pop(&nic, &b, &len)) > 0; k++) {
			reposts[k] = vnet_rx_head(&nic, b);
			/* The rest of a frame that spans MRG buffers. */
			if (cont) {
				cont--;
				continue;
			}
			if (nic.mrg) {
				uint16_t nb = vnet_rx_header(&nic, b)->num_buffers;

				cont = nb ? nb - 1 : 0;
			}
			if (net_get16(vnet_rx_frame(&nic, b) + 12) !=
			    ETH_P_FLOOD)
				continue;
			got++;
			if (!cont && len != nic.hdr_len + size)
				bad_len++;
		}
		if (r < 0)
			return 12;
		vq_publish(q, reposts, k);
		if (got != before) {
			last = rdtsc();
			limit = FLOOD_IDLE_TICKS;
		}
	}
	if (!got) {
		printf("FAIL: flood RX: no frame from the host (bench/net-peer?)\n");
		return 13;
	}
	printf("flood: rx %lu of %lu frames of %u bytes in %lu TSC cycles, %u interrupts, %u ticks, %lu of the wrong length\n",
	       got, n, size, last - tsc, vtest_irqs[VEC_RX] - irqs,
	       vtest_ticks - t, bad_len);
	return 0;
}

static int flood(uint64_t n)
{
	uint64_t size = NET_ETH_FRAME_MAX;
	int r;

	cmdline_get_uint("size", &size);
	if (size < NET_ETH_ZLEN || size > NET_ETH_FRAME_MAX) {
		printf("FAIL: size=%lu: %u..%u\n", size, NET_ETH_ZLEN,
		       NET_ETH_FRAME_MAX);
		return 13;
	}
	r = flood_tx(n, (unsigned int)size);
	if (!r)
		r = flood_rx(n, (unsigned int)size);
	return r;
}

int test_main(void)
{
	uint64_t count = 0, rxbuf = RX_BUF_MAX;
	int r;

	vtest_init();
	cmdline_get_uint("rxbuf", &rxbuf);
	if (rxbuf < 64 || rxbuf > RX_BUF_MAX)
		rxbuf = RX_BUF_MAX;
	r = start();
	if (r)
		return r;
	r = check_arp((unsigned int)rxbuf);
	if (!r && cmdline_get_uint("flood", &count) && count) {
		r = flood(count);
	} else {
		if (!r)
			r = check_echo();
		if (!r)
			r = check_short_frame();
		if (!r && cmdline_get_uint("count", &count) && count)
			r = bulk(count);
	}
	if (!r && vtest_irqs[VEC_CONFIG]) {
		printf("FAIL: %u configuration interrupts (NEEDS_RESET?)\n",
		       vtest_irqs[VEC_CONFIG]);
		r = 3;
	}
	printf("interrupts: %u RX, %u TX, %u without ISR bits\n",
	       vtest_irqs[VEC_RX], vtest_irqs[VEC_TX], vtest_intx_unclaimed);
	lapic_timer_stop();
	return r;
}
