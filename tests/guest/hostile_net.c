// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_net - a virtio-net driver that breaks the rules on purpose,
 * against lightvm's virtio-net on a tap (1af4:1000, --net tap0, the host
 * kernel at 10.0.2.1 in the runner's network namespace).  Each case
 * brings the NIC up with the lib (lib/virtio_net.c), attacks it, checks
 * the outcome lightvm defines for it (vmm/virtio/net.c), then resets the
 * device, starts it again and proves it works with an ARP and ICMP round
 * trip to the host.
 *
 * Outcomes, per vmm/virtio/net.c and the walker (vmm/virtio/virtq.c):
 *
 *   dropped      the chain comes back used (len 0), nothing is sent, the
 *                device stays up; lightvm counts it (-v: "tx N short",
 *                "N too big"); the runner checks the counts
 *   NEEDS_RESET  status bit 0x40 and a configuration interrupt ("If
 *                DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the
 *                device MUST send a device configuration change
 *                notification", 2.1.2); the queue stops, the chain is
 *                never used
 *   waits        the frame stays in the tap until the buffers can hold it
 *
 * case=tx (statuses 1-6):
 *   1 tx-short         chains of 4 bytes (less than the 12-byte header),
 *                      exactly the header, and header + 13 bytes (less
 *                      than an Ethernet header): dropped
 *   2 tx-zero-length   a header descriptor followed by one of length 0,
 *                      and a lone descriptor of length 0: NEEDS_RESET
 *                      ("zero-length buffer", the walker's invariant 6)
 *   3 tx-64k           header + 65536 and + 65554 bytes (a 64 KiB GSO
 *                      frame with a VLAN-tagged Ethernet header, lightvm's
 *                      NET_MAX_FRAME): handed to the tap, which sends or
 *                      refuses them; the device keeps working
 *   4 tx-over-64k      header + 65555 bytes, and header + 1 MiB through
 *                      a full indirect table: dropped ("too big")
 *   5 tx-writable-tail an ARP request followed by a device-writable
 *                      descriptor: sent (the host answers), the writable
 *                      part untouched, used len 0
 *   6 tx-bad-header    headers with a checksum request past the frame and
 *                      an unknown GSO type (we took neither CSUM nor
 *                      HOST_TSO*): lightvm passes the header on, the tap
 *                      refuses the frame ("refused"), the device stays up
 * case=rx (statuses 11-16):
 *  11 rx-readable      an RX chain of one device-readable descriptor, and
 *                      a readable one before a writable one: NEEDS_RESET
 *                      (5.1.6.3.1: receive buffers are device-writable);
 *                      the readable bytes untouched
 *  12 rx-tiny-mrg      with MRG_RXBUF, buffers of 11 and 1 bytes, shorter
 *                      than the 12-byte header ("each buffer MUST be at
 *                      least the size of the struct virtio_net_hdr",
 *                      5.1.6.3.1): NEEDS_RESET
 *  13 rx-tiny-nomrg    without MRG_RXBUF, a 9-byte buffer (< 10): the
 *                      same
 *  14 rx-hdr-only      without MRG_RXBUF, one 10-byte buffer: no room for
 *                      any frame ("The device MUST use only a single
 *                      descriptor", 5.1.6.3.2): the host's reply to our
 *                      ARP request is dropped ("rx too big"), the buffer
 *                      never used, no NEEDS_RESET
 *  15 rx-small-nomrg   without MRG_RXBUF, 100-byte buffers: a 242-byte
 *                      echo reply is dropped, a 42-byte ARP reply then
 *                      arrives in one
 *  16 rx-mrg-short     with MRG_RXBUF, one 1024-byte buffer: lightvm reads
 *                      nothing until the buffers can hold a 1514-byte
 *                      frame, so the ARP reply waits in the tap; a second
 *                      buffer lets it in
 * case=flood (status 21): the host floods the tap while the RX ring is
 *   empty (the runner does, between our "rx-flood: waiting" line and the
 *   byte it then sends to the console input); no RX interrupt and no used
 *   entry meanwhile, then once buffers are posted the waiting frames
 *   (EtherType 0x88b6) arrive and a round trip works.  The runner checks
 *   that lightvm burnt no CPU and grew no memory during the flood.
 *
 * Every case ends with reset, re-init and the round trip; the run ends
 * with a check that the configuration interrupts counted match the
 * NEEDS_RESET cases.  Status 30: the first bring-up failed.
 */
#include "runtime.h"

const char test_name[] = "hostile_net";

#define VEC_BASE		0x50	/* config 0x50, RX 0x51, TX 0x52 */
#define VEC_CONFIG		VEC_BASE
#define VEC_RX			(VEC_BASE + 1)
#define VEC_SERIAL		0x48

#define WAIT			300	/* ticks: what must come (3 s) */
#define QUIET			30	/* ticks: what must not come */
#define NR_RX			32
#define RX_SIZE			2048
#define PAGE			4096
#define ETH_P_FLOOD		0x88b6	/* IEEE local experimental */

#define F(bit)			(1u << (bit))
#define WANT_MRG	(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | \
			 F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_ANY_LAYOUT) | \
			 F(VIRTIO_RING_F_INDIRECT_DESC) | \
			 F(VIRTIO_RING_F_EVENT_IDX))
#define WANT_NOMRG	(WANT_MRG & ~F(VIRTIO_NET_F_MRG_RXBUF))

#define COM1			0x3f8
#define UART_RX			0
#define UART_IER		1
#define UART_MCR		4
#define UART_LSR		5
#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_REDTBL(pin)	(0x10 + 2 * (pin))

static struct vnet nic;
static uint8_t rx_mem[NR_RX * RX_SIZE] __aligned(PAGE);
static uint8_t frame[VNET_FRAME_MAX];
static uint8_t pkt[NET_ETH_FRAME_MAX];
/* TX attacks: a header, a page that starts with an Ethernet header. */
static struct virtio_net_hdr_mrg_rxbuf tx_hdr;
static uint8_t tx_page[PAGE] __aligned(PAGE);
static struct vring_desc tx_table[VQ_MAX_SIZE] __aligned(16);
static uint8_t canary[64];

static uint16_t seq = 1;
static unsigned int needs_resets;	/* NEEDS_RESET cases so far */

/* ---- bring-up and the good round trip ---- */

static int bring_up(uint32_t want)
{
	if (vnet_start(&nic, want))
		return -1;
	vnet_rx_post(&nic, rx_mem, NR_RX, RX_SIZE);
	return 0;
}

static int round_trip(const char *after)
{
	if (vnet_resolve(&nic, frame, WAIT) ||
	    vnet_ping(&nic, frame, seq++, 56, WAIT) ||
	    vnet_ping(&nic, frame, seq++, 1472, WAIT)) {
		printf("FAIL: %s: no good round trip after reset\n", after);
		return -1;
	}
	return 0;
}

/* Reset, re-init (MRG_RXBUF on), ARP + ICMP: the device works again. */
static int recover(const char *name)
{
	if (vdev_reset(&nic.d) || bring_up(WANT_MRG) || round_trip(name))
		return -1;
	printf("ok: %s\n", name);
	return 0;
}

/* ---- outcomes ---- */

static bool wait_needs_reset(unsigned int cfg_irqs)
{
	unsigned int start = vtest_ticks;

	while (vtest_ticks - start < WAIT) {
		if (vdev_needs_reset(&nic.d) &&
		    vtest_irqs[VEC_CONFIG] > cfg_irqs)
			return true;
		irq_enable_and_halt();
	}
	return false;
}

/* NEEDS_RESET with a config interrupt, and queue qi's used ring still. */
static int expect_needs_reset(const char *name, unsigned int qi,
			      unsigned int cfg_irqs)
{
	struct vq *q = &nic.d.vq[qi];

	if (!wait_needs_reset(cfg_irqs)) {
		printf("FAIL: %s: status %#x, %u config interrupts (had %u): no NEEDS_RESET\n",
		       name, vdev_status(&nic.d), vtest_irqs[VEC_CONFIG],
		       cfg_irqs);
		return -1;
	}
	if (vq_ld16(&q->used->idx) != q->last_used) {
		printf("FAIL: %s: the device used the bad chain\n", name);
		return -1;
	}
	needs_resets++;
	return 0;
}

static int expect_up(const char *name)
{
	if (vdev_status(&nic.d) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		printf("FAIL: %s: NEEDS_RESET (status %#x)\n", name,
		       vdev_status(&nic.d));
		return -1;
	}
	return 0;
}

/*
 * Publish head 0 of the TX queue and wait for it: its used length, or
 * -1 when it never came back (printed).
 */
static int64_t tx_wait_used(const char *name)
{
	struct vq *q = &nic.d.vq[VNET_TXQ];
	struct vring_used_elem e;
	uint16_t head = 0;

	vq_publish(q, &head, 1);
	if (vq_wait(q, WAIT) || !vq_pop(q, &e) || e.id != head) {
		printf("FAIL: %s: TX chain not given back (status %#x)\n",
		       name, vdev_status(&nic.d));
		return -1;
	}
	return e.len;
}

/* ---- case=tx ---- */

static int tx_short(void)
{
	static const unsigned int lens[] = { 4, 12, 12 + ETH_HLEN - 1 };
	struct vq *q = &nic.d.vq[VNET_TXQ];
	unsigned int i;

	memset(tx_page, 0xee, sizeof(tx_page));
	for (i = 0; i < 3; i++) {
		vq_set_desc(q->desc, 0, (uintptr_t)tx_page, lens[i], 0, 0);
		if (tx_wait_used("tx-short") < 0 || expect_up("tx-short"))
			return -1;
	}
	return recover("tx-short");
}

static int tx_zero_length(void)
{
	struct vq *q = &nic.d.vq[VNET_TXQ];
	unsigned int cfg = vtest_irqs[VEC_CONFIG];
	uint16_t head = 0;

	/* Header, then a frame descriptor of length 0. */
	vq_set_desc(q->desc, 0, (uintptr_t)&tx_hdr, nic.hdr_len,
		    VRING_DESC_F_NEXT, 1);
	vq_set_desc(q->desc, 1, (uintptr_t)tx_page, 0, 0, 0);
	vq_publish(q, &head, 1);
	if (expect_needs_reset("tx-zero-length", VNET_TXQ, cfg) ||
	    recover("tx-zero-length (in a chain)"))
		return -1;
	/* A lone descriptor of length 0. */
	q = &nic.d.vq[VNET_TXQ];
	cfg = vtest_irqs[VEC_CONFIG];
	vq_set_desc(q->desc, 0, (uintptr_t)tx_page, 0, 0, 0);
	vq_publish(q, &head, 1);
	if (expect_needs_reset("tx-zero-length", VNET_TXQ, cfg))
		return -1;
	return recover("tx-zero-length (alone)");
}

/*
 * Header + `len` bytes of frame in direct descriptors: the Ethernet
 * header page, then the same page again as often as needed.
 */
static void tx_big_chain(uint32_t len)
{
	struct vq *q = &nic.d.vq[VNET_TXQ];
	unsigned int i = 1;

	vq_set_desc(q->desc, 0, (uintptr_t)&tx_hdr, nic.hdr_len,
		    VRING_DESC_F_NEXT, 1);
	while (len) {
		uint32_t k = len < PAGE ? len : PAGE;

		len -= k;
		vq_set_desc(q->desc, i, (uintptr_t)tx_page, k,
			    len ? VRING_DESC_F_NEXT : 0, i + 1);
		i++;
	}
}

static void tx_page_frame(void)
{
	memset(tx_page, 0x5a, sizeof(tx_page));
	net_eth_header(tx_page, nic.ends.peer_mac, nic.ends.mac, ETH_P_FLOOD);
	memset(&tx_hdr, 0, sizeof(tx_hdr));
}

static int tx_64k(void)
{
	static const uint32_t lens[] = { 65536, 65536 + ETH_HLEN + 4 };
	unsigned int i;

	tx_page_frame();
	for (i = 0; i < 2; i++) {
		tx_big_chain(lens[i]);
		if (tx_wait_used("tx-64k") < 0 || expect_up("tx-64k"))
			return -1;
	}
	return recover("tx-64k");
}

static int tx_over_64k(void)
{
	struct vq *q = &nic.d.vq[VNET_TXQ];
	unsigned int i;

	tx_page_frame();
	tx_big_chain(65536 + ETH_HLEN + 4 + 1);
	if (tx_wait_used("tx-over-64k") < 0 || expect_up("tx-over-64k"))
		return -1;
	/* Header + 255 pages (1020 KiB) in a table of the queue's size. */
	vq_set_desc(tx_table, 0, (uintptr_t)&tx_hdr, nic.hdr_len,
		    VRING_DESC_F_NEXT, 1);
	for (i = 1; i < q->size; i++)
		vq_set_desc(tx_table, i, (uintptr_t)tx_page, PAGE,
			    i + 1 < q->size ? VRING_DESC_F_NEXT : 0, i + 1);
	vq_set_desc(q->desc, 0, (uintptr_t)tx_table,
		    q->size * sizeof(struct vring_desc), VRING_DESC_F_INDIRECT,
		    0);
	if (tx_wait_used("tx-over-64k") < 0 || expect_up("tx-over-64k"))
		return -1;
	return recover("tx-over-64k");
}

static bool match_arp_reply(const uint8_t *f, unsigned int len,
			    const void *arg)
{
	return net_is_arp_reply(f, len, arg);
}

static int tx_writable_tail(void)
{
	struct vq *q = &nic.d.vq[VNET_TXQ];
	unsigned int len, i;
	int64_t used;
	int r;

	memset(tx_page, 0, nic.hdr_len);
	len = net_build_arp_request(tx_page + nic.hdr_len, &nic.ends);
	memset(canary, 0xc5, sizeof(canary));
	vq_set_desc(q->desc, 0, (uintptr_t)tx_page, nic.hdr_len + len,
		    VRING_DESC_F_NEXT, 1);
	vq_set_desc(q->desc, 1, (uintptr_t)canary, sizeof(canary),
		    VRING_DESC_F_WRITE, 0);
	used = tx_wait_used("tx-writable-tail");
	if (used < 0 || expect_up("tx-writable-tail"))
		return -1;
	if (used) {
		printf("FAIL: tx-writable-tail: used len %ld\n", (long)used);
		return -1;
	}
	for (i = 0; i < sizeof(canary); i++) {
		if (canary[i] != 0xc5) {
			printf("FAIL: tx-writable-tail: byte %u written\n", i);
			return -1;
		}
	}
	r = vnet_rx_until(&nic, match_arp_reply, &nic.ends, frame, WAIT);
	if (r <= 0) {
		printf("FAIL: tx-writable-tail: the ARP request was not sent\n");
		return -1;
	}
	return recover("tx-writable-tail");
}

/*
 * Headers no driver that took neither CSUM nor HOST_TSO* may send: a
 * checksum request pointing past the frame, an unknown GSO type.
 * lightvm does not parse the header; the tap does and refuses both.
 */
static int tx_bad_header(void)
{
	struct vq *q = &nic.d.vq[VNET_TXQ];
	unsigned int i;

	tx_page_frame();
	for (i = 0; i < 2; i++) {
		memset(&tx_hdr, 0, sizeof(tx_hdr));
		if (!i) {
			tx_hdr.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			tx_hdr.hdr.csum_start = 60000;
			tx_hdr.hdr.csum_offset = 6;
		} else {
			tx_hdr.hdr.gso_type = 0x7f;
			tx_hdr.hdr.gso_size = 1;
			tx_hdr.hdr.hdr_len = 0xffff;
		}
		vq_set_desc(q->desc, 0, (uintptr_t)&tx_hdr, nic.hdr_len,
			    VRING_DESC_F_NEXT, 1);
		vq_set_desc(q->desc, 1, (uintptr_t)tx_page, NET_ETH_ZLEN, 0,
			    0);
		if (tx_wait_used("tx-bad-header") < 0 ||
		    expect_up("tx-bad-header"))
			return -1;
	}
	return recover("tx-bad-header");
}

static int run_tx(void)
{
	if (tx_short())
		return 1;
	if (tx_zero_length())
		return 2;
	if (tx_64k())
		return 3;
	if (tx_over_64k())
		return 4;
	if (tx_writable_tail())
		return 5;
	if (tx_bad_header())
		return 6;
	return 0;
}

/* ---- case=rx ---- */

/*
 * Start afresh with `want` and one RX chain of our making (descriptors
 * 0..n-1 as given), published and kicked.
 */
static int rx_attack_start(uint32_t want, const struct vring_desc *d,
			   unsigned int n)
{
	struct vq *q;
	uint16_t head = 0;
	unsigned int i;

	if (vdev_reset(&nic.d) || vnet_start(&nic, want))
		return -1;
	q = &nic.d.vq[VNET_RXQ];
	for (i = 0; i < n; i++)
		q->desc[i] = d[i];
	vq_publish(q, &head, 1);
	return 0;
}

/* One bad RX chain must get NEEDS_RESET, then the device must recover. */
static int rx_bad_chain(const char *name, uint32_t want,
			const struct vring_desc *d, unsigned int n)
{
	unsigned int cfg = vtest_irqs[VEC_CONFIG];

	if (rx_attack_start(want, d, n) ||
	    expect_needs_reset(name, VNET_RXQ, cfg))
		return -1;
	return 0;
}

static int rx_readable(void)
{
	struct vring_desc d[2] = {
		{ (uintptr_t)rx_mem, RX_SIZE, 0, 0 },
	};
	unsigned int i;

	memset(rx_mem, 0xa5, 2 * RX_SIZE);
	if (rx_bad_chain("rx-readable", WANT_MRG, d, 1) ||
	    recover("rx-readable (alone)"))
		return -1;
	memset(rx_mem, 0xa5, 2 * RX_SIZE);
	d[0].flags = VRING_DESC_F_NEXT;
	d[0].next = 1;
	d[1] = (struct vring_desc){ (uintptr_t)rx_mem + RX_SIZE, RX_SIZE,
				    VRING_DESC_F_WRITE, 0 };
	if (rx_bad_chain("rx-readable", WANT_MRG, d, 2))
		return -1;
	for (i = 0; i < 2 * RX_SIZE; i++) {
		if (rx_mem[i] != 0xa5) {
			printf("FAIL: rx-readable: byte %u of the buffers written\n",
			       i);
			return -1;
		}
	}
	return recover("rx-readable (before a writable one)");
}

static int rx_tiny(const char *name, uint32_t want, const uint32_t *lens,
		   unsigned int n)
{
	struct vring_desc d = { (uintptr_t)rx_mem, 0, VRING_DESC_F_WRITE, 0 };
	unsigned int i;

	for (i = 0; i < n; i++) {
		d.len = lens[i];
		if (rx_bad_chain(name, want, &d, 1) || recover(name))
			return -1;
	}
	return 0;
}

/* Ask the host for an ARP reply: it comes whatever it knows of us. */
static int send_arp_request(const char *name)
{
	if (vnet_tx(&nic, pkt, net_build_arp_request(pkt, &nic.ends), WAIT)) {
		printf("FAIL: %s: ARP request not sent\n", name);
		return -1;
	}
	return 0;
}

static int rx_hdr_only(void)
{
	struct vring_desc d = { (uintptr_t)rx_mem, 10, VRING_DESC_F_WRITE, 0 };
	struct vq *q;

	if (rx_attack_start(WANT_NOMRG, &d, 1) ||
	    send_arp_request("rx-hdr-only"))
		return -1;
	vtest_sleep_ticks(QUIET);
	q = &nic.d.vq[VNET_RXQ];
	if (vq_ld16(&q->used->idx) != 0 || expect_up("rx-hdr-only")) {
		printf("FAIL: rx-hdr-only: a 10-byte buffer was used\n");
		return -1;
	}
	return recover("rx-hdr-only");
}

static bool match_echo_reply(const uint8_t *f, unsigned int len,
			     const void *arg)
{
	return net_is_echo_reply(f, len, *(const uint16_t *)arg);
}

static int rx_small_nomrg(void)
{
	uint16_t s = seq++;
	int r;

	if (vdev_reset(&nic.d) || vnet_start(&nic, WANT_NOMRG))
		return -1;
	vnet_rx_post(&nic, rx_mem, 8, 100);
	/* 14 + 20 + 8 + 200 bytes come back: more than 90. */
	if (vnet_tx(&nic, pkt, net_build_echo(pkt, &nic.ends, s, 200), WAIT))
		return -1;
	r = vnet_rx_until(&nic, match_echo_reply, &s, frame, QUIET);
	if (r) {
		printf("FAIL: rx-small-nomrg: echo reply %s\n",
		       r > 0 ? "arrived in a 100-byte buffer" : "error");
		return -1;
	}
	if (expect_up("rx-small-nomrg") || send_arp_request("rx-small-nomrg"))
		return -1;
	r = vnet_rx_until(&nic, match_arp_reply, &nic.ends, frame, WAIT);
	if (r <= 0) {
		printf("FAIL: rx-small-nomrg: no ARP reply in a 100-byte buffer\n");
		return -1;
	}
	return recover("rx-small-nomrg");
}

static int rx_mrg_short(void)
{
	struct vq *q;
	uint16_t head;
	int r;

	if (vdev_reset(&nic.d) || vnet_start(&nic, WANT_MRG))
		return -1;
	/* Buffers 0 and 1 of 1024 bytes; only 0 posted for now. */
	nic.rx_mem = rx_mem;
	nic.nr_rx = 2;
	nic.rx_size = 1024;
	q = &nic.d.vq[VNET_RXQ];
	vq_set_desc(q->desc, 0, (uintptr_t)rx_mem, 1024, VRING_DESC_F_WRITE, 0);
	vq_set_desc(q->desc, 1, (uintptr_t)rx_mem + 1024, 1024,
		    VRING_DESC_F_WRITE, 0);
	head = 0;
	vq_publish(q, &head, 1);
	if (send_arp_request("rx-mrg-short"))
		return -1;
	vtest_sleep_ticks(QUIET);
	if (vq_ld16(&q->used->idx) != 0 || expect_up("rx-mrg-short")) {
		printf("FAIL: rx-mrg-short: a frame arrived while the buffers could not hold 1514 bytes\n");
		return -1;
	}
	head = 1;
	vq_publish(q, &head, 1);
	r = vnet_rx_until(&nic, match_arp_reply, &nic.ends, frame, WAIT);
	if (r <= 0) {
		printf("FAIL: rx-mrg-short: the ARP reply did not come with a second buffer\n");
		return -1;
	}
	return recover("rx-mrg-short");
}

static int run_rx(void)
{
	static const uint32_t tiny_mrg[] = { 11, 1 }, tiny_nomrg[] = { 9 };

	if (rx_readable())
		return 11;
	if (rx_tiny("rx-tiny-mrg", WANT_MRG, tiny_mrg, 2))
		return 12;
	if (rx_tiny("rx-tiny-nomrg", WANT_NOMRG, tiny_nomrg, 1))
		return 13;
	if (rx_hdr_only())
		return 14;
	if (rx_small_nomrg())
		return 15;
	if (rx_mrg_short())
		return 16;
	return 0;
}

/* ---- case=flood ---- */

static volatile unsigned int serial_bytes;

static void on_serial(struct trap_frame *f)
{
	(void)f;
	while (inb(COM1 + UART_LSR) & 1) {
		inb(COM1 + UART_RX);
		serial_bytes++;
	}
	lapic_eoi();
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	volatile uint32_t *io = phys_to_virt(IOAPIC_BASE);

	io[0] = reg;
	io[4] = v;
}

/* Console input by interrupt (IRQ 4, edge), so waiting costs nothing. */
static void serial_rx_on(void)
{
	trap_register(VEC_SERIAL, on_serial);
	ioapic_write(IOAPIC_REDTBL(4) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(4), VEC_SERIAL);
	outb(COM1 + UART_MCR, 0x0b);	/* DTR, RTS, OUT2 */
	outb(COM1 + UART_IER, 1);	/* received data available */
}

static bool is_flood(const uint8_t *f, unsigned int len)
{
	return len >= ETH_HLEN + 4 && net_get16(f + 12) == ETH_P_FLOOD &&
	       !memcmp(f + ETH_HLEN, "LVFL", 4);
}

static int run_flood(void)
{
	struct vq *q;
	unsigned int rx_irqs, start, flood = 0, other = 0;
	int r;

	/* Learn each other's MAC first, then an empty RX ring. */
	if (round_trip("bring-up") || vdev_reset(&nic.d) ||
	    vnet_start(&nic, WANT_MRG))
		return 21;
	q = &nic.d.vq[VNET_RXQ];
	rx_irqs = vtest_irqs[VEC_RX];
	serial_rx_on();
	printf("rx-flood: waiting, RX ring empty\n");
	start = vtest_ticks;
	while (!serial_bytes && vtest_ticks - start < 3000)
		irq_enable_and_halt();
	if (!serial_bytes) {
		printf("FAIL: rx-flood: no word from the runner in 30 s\n");
		return 21;
	}
	if (vtest_irqs[VEC_RX] != rx_irqs || vq_ld16(&q->used->idx) != 0 ||
	    expect_up("rx-flood")) {
		printf("FAIL: rx-flood: %u RX interrupts, used idx %u with no buffers\n",
		       vtest_irqs[VEC_RX] - rx_irqs, vq_ld16(&q->used->idx));
		return 21;
	}
	/* The frames that waited in the tap come in now. */
	vnet_rx_post(&nic, rx_mem, NR_RX, RX_SIZE);
	while ((r = vnet_rx(&nic, frame, sizeof(frame), QUIET)) > 0) {
		if (is_flood(frame, (unsigned int)r))
			flood++;
		else
			other++;
	}
	if (r < 0 || !flood) {
		printf("FAIL: rx-flood: %u flood frames after posting buffers\n",
		       flood);
		return 21;
	}
	if (round_trip("rx-flood"))
		return 21;
	printf("ok: rx-flood: %u flood frames (and %u others) waited in the tap, round trip after\n",
	       flood, other);
	return 0;
}

int test_main(void)
{
	bool all = !cmdline_has("case");
	int r = 0;

	vtest_init();
	if (vnet_find(&nic, VEC_BASE) || bring_up(WANT_MRG))
		return 30;
	if (cmdline_has("case=flood"))
		return run_flood();
	if (all || cmdline_has("case=tx"))
		r = run_tx();
	if (!r && (all || cmdline_has("case=rx")))
		r = run_rx();
	if (r)
		return r;
	/* Every configuration interrupt was one of ours. */
	if (vtest_irqs[VEC_CONFIG] != needs_resets) {
		printf("FAIL: %u configuration interrupts for %u NEEDS_RESET cases\n",
		       vtest_irqs[VEC_CONFIG], needs_resets);
		return 29;
	}
	printf("ok: all cases, %u NEEDS_RESET\n", needs_resets);
	return 0;
}
