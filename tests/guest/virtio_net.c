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
 * TX frames alternate between one descriptor (header and frame together,
 * ANY_LAYOUT), two (header apart), and an indirect table.  RX buffers
 * are single descriptors of rxbuf= bytes (default 2048) with
 * MRG_RXBUF, so a small rxbuf makes frames span several buffers
 * (num_buffers is checked against the used entries); with nomrg they are
 * two-descriptor chains (10-byte header, 2048-byte data) and each frame
 * must fit one chain.  ARP requests for our address are answered all
 * along, so the host's neighbour probes find us.
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
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "runtime.h"

const char test_name[] = "virtio_net";

#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CLASS_REVISION	0x08
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM		0x2c
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_CAP_ID_MSIX		0x11
#define MSIX_ENABLE		0x8000
#define MSIX_MASKALL		0x4000

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_REDTBL(pin)	(0x10 + 2 * (pin))
#define IOAPIC_ACTIVE_LOW	(1u << 13)
#define IOAPIC_LEVEL		(1u << 15)

#define VEC_TIMER		0x40
#define VEC_CONFIG		0x41
#define VEC_RX			0x42
#define VEC_TX			0x43
#define VEC_INTX		0x44

#define RXQ			0
#define TXQ			1
#define QSIZE			256
#define NR_RX			64	/* buffers we keep posted */
#define RX_BUF_MAX		2048
#define FRAME_MAX		1514	/* Ethernet, no FCS, no VLAN */
#define WAIT_TICKS		500	/* 5 s at 100 Hz */

#define ETH_P_LVGO		0x88b5	/* flood: the request to the host */
#define ETH_P_FLOOD		0x88b6	/* flood: the frames either way */
#define FLOOD_MIN		60	/* shortest Ethernet frame, no FCS */
#define FLOOD_IDLE_TICKS	100	/* 1 s without a frame ends RX */

#define F(bit)			(1u << (bit))

static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const uint8_t host_ip[4] = { 10, 0, 2, 1 };

struct queue {
	unsigned int index;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_used;
};

static struct {
	unsigned int slot;
	uint16_t io;
	uint32_t features;
	bool mrg, event_idx, intx;
	unsigned int hdr_len;		/* 12 with MRG_RXBUF, else 10 */
	unsigned int rxbuf;		/* MRG: bytes per buffer */
	struct net_ends ends;		/* mac; the host's peer_mac */
	bool host_mac_known;
	struct queue q[2];
} nic;

static uint8_t ring_mem[2][3 * PAGE_SIZE] __aligned(PAGE_SIZE);
static uint8_t rx_buf[NR_RX][RX_BUF_MAX] __aligned(64);
static struct virtio_net_hdr rx_hdr[NR_RX];	/* nomrg: header apart */
static uint8_t tx_buf[RX_BUF_MAX] __aligned(64);
static struct virtio_net_hdr_mrg_rxbuf tx_hdr;
static struct vring_desc tx_table[2] __aligned(16);
static uint8_t frame[2 * RX_BUF_MAX];		/* a received frame */
static uint8_t pkt[FRAME_MAX];			/* one being built */

static volatile unsigned int ticks, rx_irqs, tx_irqs, config_irqs;
static volatile unsigned int spurious;
static uint16_t tx_seq;

/* ---- interrupts ---- */

static void on_timer(struct trap_frame *f)
{
	(void)f;
	ticks++;
	lapic_eoi();
}

static void on_rx(struct trap_frame *f)
{
	(void)f;
	rx_irqs++;
	lapic_eoi();
}

static void on_tx(struct trap_frame *f)
{
	(void)f;
	tx_irqs++;
	lapic_eoi();
}

static void on_config(struct trap_frame *f)
{
	(void)f;
	config_irqs++;
	lapic_eoi();
}

/* One line for both queues: ISR says there was something; which queue
 * is for the used rings to tell.  Reading ISR lowers the line. */
static void on_intx(struct trap_frame *f)
{
	uint8_t isr = inb(nic.io + VIRTIO_PCI_ISR);

	(void)f;
	if (isr & 1)
		rx_irqs++;
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		config_irqs++;
	if (!isr)
		spurious++;
	lapic_eoi();
}

/* x86: only a store followed by a load needs a real fence. */
static inline void mb(void)
{
	asm volatile("lock addl $0, (%%rsp)" ::: "memory", "cc");
}

static inline void barrier(void)
{
	asm volatile("" ::: "memory");
}

static uint16_t ld16(const void *p)
{
	return *(const volatile uint16_t *)p;
}

static void st16(void *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
}

/* The frames' bytes: lib/net_frame.c. */

/* ---- finding and starting the device ---- */

static int find_net(void)
{
	unsigned int dev;

	for (dev = 0; dev < 32; dev++)
		if (pci_read32(0, dev, 0, 0) == 0x10001af4)
			return (int)dev;
	return -1;
}

static int check_ids(void)
{
	uint32_t class = pci_read32(0, nic.slot, 0, PCI_CLASS_REVISION);
	uint32_t sub = pci_read32(0, nic.slot, 0, PCI_SUBSYSTEM);
	uint32_t bar0 = pci_read32(0, nic.slot, 0, PCI_BAR0);

	/* Class 02 (network) 00 (Ethernet), legacy ABI revision 0;
	 * subsystem device = the virtio device ID, 1. */
	if (class != 0x02000000 || sub != 0x00011af4 || !(bar0 & 1)) {
		printf("FAIL: class/rev %08x, subsystem %08x, BAR0 %08x\n",
		       class, sub, bar0);
		return 2;
	}
	nic.io = (uint16_t)(bar0 & ~3u);
	pci_write16(0, nic.slot, 0, PCI_COMMAND, 0x7);
	return 0;
}

static int handshake(void)
{
	uint8_t both = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	outb(nic.io + VIRTIO_PCI_STATUS, 0);
	if (inb(nic.io + VIRTIO_PCI_STATUS) != 0)
		return 3;
	outb(nic.io + VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	outb(nic.io + VIRTIO_PCI_STATUS, both);
	return inb(nic.io + VIRTIO_PCI_STATUS) == both ? 0 : 3;
}

static int negotiate(void)
{
	uint32_t host = inl(nic.io + VIRTIO_PCI_HOST_FEATURES);
	uint32_t want = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
			F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_ANY_LAYOUT) |
			F(VIRTIO_RING_F_INDIRECT_DESC) |
			F(VIRTIO_RING_F_EVENT_IDX);
	/* Offered, not taken here: the Linux boot test uses them. */
	uint32_t offered = want | F(VIRTIO_NET_F_CSUM) |
			   F(VIRTIO_NET_F_GUEST_CSUM) |
			   F(VIRTIO_NET_F_HOST_TSO4) |
			   F(VIRTIO_NET_F_HOST_TSO6) |
			   F(VIRTIO_NET_F_GUEST_TSO4) |
			   F(VIRTIO_NET_F_GUEST_TSO6);

	if ((host & offered) != offered ||
	    ((host & F(VIRTIO_NET_F_CTRL_VQ)) && !cmdline_has("flood"))) {
		printf("FAIL: host features %08x (want %08x, no CTRL_VQ)\n",
		       host, offered);
		return 4;
	}
	if (cmdline_has("nomrg"))
		want &= ~F(VIRTIO_NET_F_MRG_RXBUF);
	if (cmdline_has("noevent_idx"))
		want &= ~F(VIRTIO_RING_F_EVENT_IDX);
	outl(nic.io + VIRTIO_PCI_GUEST_FEATURES, want);
	nic.features = inl(nic.io + VIRTIO_PCI_GUEST_FEATURES);
	if (nic.features != want) {
		printf("FAIL: guest features read back %08x\n", nic.features);
		return 4;
	}
	nic.mrg = want & F(VIRTIO_NET_F_MRG_RXBUF);
	nic.event_idx = want & F(VIRTIO_RING_F_EVENT_IDX);
	nic.hdr_len = nic.mrg ? sizeof(struct virtio_net_hdr_mrg_rxbuf) :
				sizeof(struct virtio_net_hdr);
	return 0;
}

static uint8_t find_cap(uint8_t id)
{
	unsigned int n;
	uint8_t p;

	if (!(pci_read16(0, nic.slot, 0, PCI_STATUS) & 0x10))
		return 0;
	p = pci_read8(0, nic.slot, 0, PCI_CAPABILITY_LIST) & 0xfc;
	for (n = 0; p && n < 48; n++) {
		if (pci_read8(0, nic.slot, 0, p) == id)
			return p;
		p = pci_read8(0, nic.slot, 0, p + 1) & 0xfc;
	}
	return 0;
}

static void msix_entry(uint64_t table, unsigned int i, uint8_t vector)
{
	volatile uint32_t *e = phys_to_virt(table + 16 * i);

	e[0] = 0xfee00000u | lapic_id() << 12;
	e[1] = 0;
	e[2] = vector;
	e[3] = 0;
}

static int setup_msix(void)
{
	uint8_t cap = find_cap(PCI_CAP_ID_MSIX);
	uint32_t tbl, bar;
	uint64_t table;
	uint16_t ctrl;

	if (!cap) {
		printf("FAIL: no MSI-X capability\n");
		return 5;
	}
	ctrl = pci_read16(0, nic.slot, 0, cap + 2);
	tbl = pci_read32(0, nic.slot, 0, cap + 4);
	bar = pci_read32(0, nic.slot, 0, PCI_BAR0 + 4 * (tbl & 7));
	/* One vector for config changes and one per queue. */
	if ((ctrl & 0x7ff) + 1 < 3 || (bar & 1) || !(bar & ~0xfu)) {
		printf("FAIL: MSI-X ctrl %04x table %08x BAR %08x\n", ctrl,
		       tbl, bar);
		return 5;
	}
	table = (bar & ~0xfu) + (tbl & ~7u);
	msix_entry(table, 0, VEC_CONFIG);
	msix_entry(table, 1, VEC_RX);
	msix_entry(table, 2, VEC_TX);
	pci_write16(0, nic.slot, 0, cap + 2,
		    (ctrl | MSIX_ENABLE) & ~MSIX_MASKALL);
	outw(nic.io + VIRTIO_MSI_CONFIG_VECTOR, 0);
	if (inw(nic.io + VIRTIO_MSI_CONFIG_VECTOR) != 0) {
		printf("FAIL: config vector not taken\n");
		return 5;
	}
	return 0;
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	volatile uint32_t *io = phys_to_virt(IOAPIC_BASE);

	io[0] = reg;
	io[4] = v;
}

static int setup_intx(void)
{
	uint8_t pin = pci_read8(0, nic.slot, 0, PCI_INTERRUPT_LINE);

	if (pin < 16 || pin > 23) {
		printf("FAIL: INTERRUPT_LINE %u is not an IOAPIC PCI pin\n",
		       pin);
		return 5;
	}
	ioapic_write(IOAPIC_REDTBL(pin) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(pin), VEC_INTX | IOAPIC_ACTIVE_LOW |
		     IOAPIC_LEVEL);
	return 0;
}

static int setup_queue(unsigned int i)
{
	struct queue *q = &nic.q[i];
	uint8_t *ring = ring_mem[i];

	memset(ring, 0, sizeof(ring_mem[i]));
	q->index = i;
	q->desc = (struct vring_desc *)ring;
	q->avail = (struct vring_avail *)(ring + QSIZE * 16);
	q->used = (struct vring_used *)(ring + 2 * PAGE_SIZE);
	q->last_used = 0;
	outw(nic.io + VIRTIO_PCI_QUEUE_SEL, i);
	if (inw(nic.io + VIRTIO_PCI_QUEUE_NUM) != QSIZE ||
	    inl(nic.io + VIRTIO_PCI_QUEUE_PFN) != 0) {
		printf("FAIL: queue %u size %u\n", i,
		       inw(nic.io + VIRTIO_PCI_QUEUE_NUM));
		return 6;
	}
	if (!nic.intx) {
		outw(nic.io + VIRTIO_MSI_QUEUE_VECTOR, i + 1);
		if (inw(nic.io + VIRTIO_MSI_QUEUE_VECTOR) != i + 1) {
			printf("FAIL: queue %u vector not taken\n", i);
			return 6;
		}
	}
	outl(nic.io + VIRTIO_PCI_QUEUE_PFN, (uint32_t)((uintptr_t)ring >> 12));
	return 0;
}

static int read_mac(void)
{
	unsigned int cfg = VIRTIO_PCI_CONFIG_OFF(!nic.intx), i;
	uint8_t *mac = nic.ends.mac;
	uint64_t want;
	uint16_t status;

	for (i = 0; i < 6; i++)
		mac[i] = inb(nic.io + cfg + i);
	status = inw(nic.io + cfg + 6);
	printf("virtio-net at 00:%02x.0, io 0x%x, features %08x, mac %02x:%02x:%02x:%02x:%02x:%02x, status %x\n",
	       nic.slot, nic.io, nic.features, mac[0], mac[1], mac[2], mac[3],
	       mac[4], mac[5], status);
	if (!(status & VIRTIO_NET_S_LINK_UP) || (mac[0] & 1)) {
		printf("FAIL: link down or multicast MAC\n");
		return 7;
	}
	if (cmdline_get_uint("mac", &want)) {
		for (i = 0; i < 6; i++) {
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
	int r = check_ids();

	if (!r)
		r = handshake();
	if (!r)
		r = negotiate();
	if (!r)
		r = nic.intx ? setup_intx() : setup_msix();
	if (!r)
		r = setup_queue(RXQ);
	if (!r)
		r = setup_queue(TXQ);
	if (!r)
		r = read_mac();
	if (r)
		return r;
	outb(nic.io + VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	return 0;
}

/* ---- rings ---- */

/* Make heads available; kick unless EVENT_IDX says no need. */
static void publish(struct queue *q, const uint16_t *heads, unsigned int n)
{
	uint16_t old = ld16(&q->avail->idx), idx = old;
	unsigned int i;

	for (i = 0; i < n; i++)
		q->avail->ring[idx++ % QSIZE] = heads[i];
	barrier();
	st16(&q->avail->idx, idx);
	mb();
	if (nic.event_idx &&
	    !vring_need_event(ld16(&q->used->ring[QSIZE]), idx, old))
		return;
	outw(nic.io + VIRTIO_PCI_QUEUE_NOTIFY, q->index);
}

/* Sleep until q's used ring moves or `limit` ticks pass: 0 or 15. */
static int wait_used(struct queue *q, unsigned int limit)
{
	unsigned int start = ticks;

	for (;;) {
		irq_disable();
		if (nic.event_idx) {
			st16(&q->avail->ring[QSIZE], q->last_used);
			mb();
		}
		if (ld16(&q->used->idx) != q->last_used) {
			irq_enable();
			return 0;
		}
		if (ticks - start >= limit) {
			irq_enable();
			return 15;
		}
		irq_enable_and_halt();
	}
}

static void set_desc(struct vring_desc *t, unsigned int i, const void *addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	t[i].addr = (uintptr_t)addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
}

/* RX buffer b: descriptor b (MRG), or 2b -> 2b+1 (header apart). */
static uint16_t rx_post_desc(unsigned int b)
{
	struct vring_desc *d = nic.q[RXQ].desc;

	if (nic.mrg) {
		set_desc(d, b, rx_buf[b], nic.rxbuf, VRING_DESC_F_WRITE, 0);
		return (uint16_t)b;
	}
	set_desc(d, 2 * b, &rx_hdr[b], sizeof(rx_hdr[b]),
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2 * b + 1);
	set_desc(d, 2 * b + 1, rx_buf[b], RX_BUF_MAX, VRING_DESC_F_WRITE, 0);
	return (uint16_t)(2 * b);
}

static void rx_fill(void)
{
	uint16_t heads[NR_RX];
	unsigned int b;

	for (b = 0; b < NR_RX; b++)
		heads[b] = rx_post_desc(b);
	publish(&nic.q[RXQ], heads, NR_RX);
}

/* Take the next used RX entry: its buffer index and length.  0 or 12. */
static int rx_used(unsigned int *b, uint32_t *len)
{
	struct queue *q = &nic.q[RXQ];
	struct vring_used_elem e = q->used->ring[q->last_used++ % QSIZE];
	unsigned int per = nic.mrg ? 1 : 2;
	uint32_t max = nic.mrg ? nic.rxbuf : sizeof(rx_hdr[0]) + RX_BUF_MAX;

	if (e.id % per || e.id / per >= NR_RX || e.len > max) {
		printf("FAIL: RX used id %u len %u\n", e.id, e.len);
		return 12;
	}
	*b = e.id / per;
	*len = e.len;
	return 0;
}

/*
 * Receive one frame into frame[], its header into *h.  Returns the frame
 * length, 0 when nothing came within `limit` ticks, or -status.
 */
static int rx_frame(struct virtio_net_hdr_mrg_rxbuf *h, unsigned int limit)
{
	struct queue *q = &nic.q[RXQ];
	uint16_t reposts[NR_RX];
	unsigned int b, i, nbufs = 1, flen = 0;
	uint32_t len;
	int r;

	if (wait_used(q, limit))
		return 0;
	r = rx_used(&b, &len);
	if (r)
		return -r;
	reposts[0] = (uint16_t)b;
	if (nic.mrg) {
		if (len < nic.hdr_len)
			return -12;
		memcpy(h, rx_buf[b], sizeof(*h));
		nbufs = h->num_buffers;
		if (!nbufs || nbufs > NR_RX) {
			printf("FAIL: num_buffers %u\n", nbufs);
			return -12;
		}
		flen = len - nic.hdr_len;
		memcpy(frame, rx_buf[b] + nic.hdr_len, flen);
		/* The rest of the frame: the next nbufs - 1 used entries. */
		for (i = 1; i < nbufs; i++) {
			if (wait_used(q, WAIT_TICKS))
				return -15;
			r = rx_used(&b, &len);
			if (r)
				return -r;
			if (flen + len > sizeof(frame)) {
				printf("FAIL: frame over %u bytes\n", flen);
				return -12;
			}
			memcpy(frame + flen, rx_buf[b], len);
			flen += len;
			reposts[i] = (uint16_t)b;
		}
	} else {
		if (len < sizeof(rx_hdr[0]))
			return -12;
		memset(h, 0, sizeof(*h));
		memcpy(&h->hdr, &rx_hdr[b], sizeof(rx_hdr[b]));
		flen = len - sizeof(rx_hdr[0]);
		memcpy(frame, rx_buf[b], flen);
	}
	for (i = 0; i < nbufs; i++)
		reposts[i] = rx_post_desc(reposts[i]);
	publish(q, reposts, nbufs);
	return (int)flen;
}

/*
 * Send pkt[0..len) with `hdr_bytes` of virtio header (the device's idea
 * of its length may differ: the short-frame test lies) and wait until the
 * device gives the buffer back.  0 or 15.
 */
static int tx_raw(unsigned int len, unsigned int hdr_bytes)
{
	struct queue *q = &nic.q[TXQ];
	unsigned int layout = tx_seq++ % 3;
	uint16_t head = 0;

	memset(&tx_hdr, 0, sizeof(tx_hdr));
	switch (layout) {
	case 0:		/* header and frame in one buffer */
		memcpy(tx_buf, &tx_hdr, hdr_bytes);
		memcpy(tx_buf + hdr_bytes, pkt, len);
		set_desc(q->desc, 0, tx_buf, hdr_bytes + len, 0, 0);
		break;
	case 1:		/* header apart, as legacy drivers do */
		memcpy(tx_buf, pkt, len);
		set_desc(q->desc, 0, &tx_hdr, hdr_bytes, VRING_DESC_F_NEXT, 1);
		set_desc(q->desc, 1, tx_buf, len, 0, 0);
		break;
	default:	/* the same through an indirect table */
		memcpy(tx_buf, pkt, len);
		set_desc(tx_table, 0, &tx_hdr, hdr_bytes, VRING_DESC_F_NEXT, 1);
		set_desc(tx_table, 1, tx_buf, len, 0, 0);
		set_desc(q->desc, 0, tx_table, sizeof(tx_table),
			 VRING_DESC_F_INDIRECT, 0);
		break;
	}
	publish(q, &head, 1);
	if (wait_used(q, WAIT_TICKS)) {
		printf("FAIL: TX buffer not returned within 5 s\n");
		return 15;
	}
	if (q->used->ring[q->last_used++ % QSIZE].id != head) {
		printf("FAIL: TX used id is not %u\n", head);
		return 12;
	}
	return 0;
}

static int tx(unsigned int len)
{
	return tx_raw(len, nic.hdr_len);
}

/* ---- protocols ---- */

/* An ARP request for our address: answer it.  True if it was one. */
static bool answer_arp(unsigned int len)
{
	if (!net_is_arp_request_for_us(frame, len, &nic.ends))
		return false;
	tx(net_build_arp_reply(pkt, &nic.ends, frame));
	return true;
}

/*
 * Wait for a frame `match` accepts, answering ARP requests and skipping
 * anything else (the host's IPv6 chatter).  Returns its length, or
 * -status.
 */
static int rx_until(bool (*match)(unsigned int len, void *arg), void *arg,
		    struct virtio_net_hdr_mrg_rxbuf *h)
{
	unsigned int start = ticks;
	int len;

	while (ticks - start < WAIT_TICKS) {
		len = rx_frame(h, WAIT_TICKS - (ticks - start));
		if (len < 0)
			return len;
		if (!len)
			break;
		if (match((unsigned int)len, arg))
			return len;
		answer_arp((unsigned int)len);
	}
	return -15;
}

static bool match_arp_reply(unsigned int len, void *arg)
{
	(void)arg;
	return net_is_arp_reply(frame, len, &nic.ends);
}

/* Step 1: the reply to an ARP request sent before any RX buffer. */
static int check_arp(void)
{
	struct virtio_net_hdr_mrg_rxbuf h;
	unsigned int t0;
	int len;

	if (tx(net_build_arp_request(pkt, &nic.ends)))
		return 8;
	/* 50 ms with an empty RX ring: the reply must wait for us. */
	t0 = ticks;
	while (ticks - t0 < 5)
		irq_enable_and_halt();
	/* (With INTx the TX completion sets the same ISR bit.) */
	if (rx_irqs && !nic.intx) {
		printf("FAIL: RX interrupt with no RX buffers\n");
		return 8;
	}
	rx_fill();
	len = rx_until(match_arp_reply, NULL, &h);
	if (len < 0) {
		printf("FAIL: no ARP reply from the host (%d)\n", len);
		return 8;
	}
	memcpy(nic.ends.peer_mac, frame + ETH_HLEN + 8, ETH_ALEN);
	nic.host_mac_known = true;
	printf("ok: ARP reply from %02x:%02x:%02x:%02x:%02x:%02x after filling the RX ring\n",
	       frame[ETH_HLEN + 8], frame[ETH_HLEN + 9], frame[ETH_HLEN + 10],
	       frame[ETH_HLEN + 11], frame[ETH_HLEN + 12],
	       frame[ETH_HLEN + 13]);
	return 0;
}

struct echo {
	uint16_t seq;
	unsigned int size;
};

static bool match_echo_reply(unsigned int len, void *arg)
{
	const struct echo *e = arg;

	return net_is_echo_reply(frame, len, e->seq);
}

/* One echo request, its reply checked in every byte that matters. */
static int echo(uint16_t seq, unsigned int size, bool quiet)
{
	struct echo e = { seq, size };
	struct virtio_net_hdr_mrg_rxbuf h;
	int len;

	if (tx(net_build_echo(pkt, &nic.ends, seq, size)))
		return 9;
	len = rx_until(match_echo_reply, &e, &h);
	if (len < 0) {
		printf("FAIL: no echo reply to seq %u (%u bytes)\n", seq,
		       size);
		return 9;
	}
	/* No checksum or GSO offload was agreed: a plain header. */
	if (h.hdr.flags || h.hdr.gso_type) {
		printf("FAIL: RX header flags %x gso_type %x\n", h.hdr.flags,
		       h.hdr.gso_type);
		return 9;
	}
	if (net_check_echo_reply(frame, (unsigned int)len, &nic.ends, seq,
				 size))
		return 9;
	if (!quiet)
		printf("ok: echo seq %u, %u-byte payload, %d-byte frame\n",
		       seq, size, len);
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
	if (tx_raw(4, nic.hdr_len)) {
		printf("FAIL: short frame not returned\n");
		return 10;
	}
	printf("ok: a 4-byte frame came back unsent\n");
	return 0;
}

static int bulk(uint64_t count)
{
	unsigned int t0 = ticks, irqs = rx_irqs;
	uint64_t i;

	for (i = 0; i < count; i++) {
		if (echo((uint16_t)(100 + i), 56 + i % 1400, true)) {
			printf("FAIL: bulk echo %lu\n", i);
			return 11;
		}
	}
	printf("ok: %lu echo requests answered, %u RX interrupts, %u ticks\n",
	       count, rx_irqs - irqs, ticks - t0);
	return 0;
}

/* ---- flood=N: throughput with little work per frame ---- */

/* Header and frame, shared by every TX descriptor of the flood. */
static uint8_t flood_buf[sizeof(struct virtio_net_hdr_mrg_rxbuf) +
			 FRAME_MAX] __aligned(64);

/*
 * N frames of `size` bytes to the host, up to QSIZE in flight: a batch of
 * free heads goes into the avail ring with one publish, and whatever the
 * device has used comes back to the free list.  The frames need not
 * differ, so the descriptors are written once.
 */
static int flood_tx(uint64_t n, unsigned int size)
{
	struct queue *q = &nic.q[TXQ];
	uint16_t free_heads[QSIZE], heads[QSIZE];
	unsigned int i, k, nr_free = QSIZE, irqs = tx_irqs, t = ticks;
	uint64_t queued = 0, done = 0, tsc;

	memset(flood_buf, 0, sizeof(flood_buf));
	net_eth_header(flood_buf + nic.hdr_len, nic.ends.peer_mac, nic.ends.mac,
		       ETH_P_FLOOD);
	for (i = 0; i < QSIZE; i++) {
		set_desc(q->desc, i, flood_buf, nic.hdr_len + size, 0, 0);
		free_heads[i] = (uint16_t)i;
	}
	tsc = rdtsc();
	while (done < n) {
		for (k = 0; nr_free && queued < n; k++, queued++)
			heads[k] = free_heads[--nr_free];
		if (k)
			publish(q, heads, k);
		if (wait_used(q, WAIT_TICKS)) {
			printf("FAIL: flood TX: nothing used within 5 s (%lu of %lu done)\n",
			       done, n);
			return 13;
		}
		while (q->last_used != ld16(&q->used->idx)) {
			uint32_t id = q->used->ring[q->last_used++ % QSIZE].id;

			if (id >= QSIZE || nr_free == QSIZE) {
				printf("FAIL: flood TX used id %u\n", id);
				return 12;
			}
			free_heads[nr_free++] = (uint16_t)id;
			done++;
		}
	}
	tsc = rdtsc() - tsc;
	printf("flood: tx %lu of %lu frames of %u bytes in %lu TSC cycles, %u interrupts, %u ticks\n",
	       done, n, size, tsc, tx_irqs - irqs, ticks - t);
	return 0;
}

/*
 * Ask the host for N frames of `size` bytes and take them as they come:
 * count the ones with our EtherType (skipping the host's other chatter),
 * give every used buffer straight back, one publish per batch.  Ends at
 * N frames, or after 1 s without one (the line then says how many came).
 */
static int flood_rx(uint64_t n, unsigned int size)
{
	struct queue *q = &nic.q[RXQ];
	unsigned int k, b, cont = 0, limit = WAIT_TICKS;
	unsigned int irqs = rx_irqs, t = ticks;
	uint64_t got = 0, bad_len = 0, tsc, last;
	uint16_t reposts[NR_RX];
	uint32_t len;
	int r;

	net_eth_header(pkt, nic.ends.peer_mac, nic.ends.mac, ETH_P_LVGO);
	memset(pkt + ETH_HLEN, 0, FLOOD_MIN - ETH_HLEN);
	memcpy(pkt + ETH_HLEN, "LVGO", 4);
	net_put32(pkt + ETH_HLEN + 4, (uint32_t)n);
	net_put16(pkt + ETH_HLEN + 8, (uint16_t)size);
	tsc = last = rdtsc();
	if (tx(FLOOD_MIN))
		return 13;
	while (got < n && !wait_used(q, limit)) {
		uint64_t before = got;

		for (k = 0; q->last_used != ld16(&q->used->idx); k++) {
			const uint8_t *f;

			r = rx_used(&b, &len);
			if (r)
				return r;
			reposts[k] = rx_post_desc(b);
			/* The rest of a frame that spans MRG buffers. */
			if (cont) {
				cont--;
				continue;
			}
			if (nic.mrg) {
				const struct virtio_net_hdr_mrg_rxbuf *h =
					(const void *)rx_buf[b];

				f = rx_buf[b] + nic.hdr_len;
				cont = h->num_buffers ? h->num_buffers - 1 : 0;
			} else {
				f = rx_buf[b];
			}
			if (net_get16(f + 12) != ETH_P_FLOOD)
				continue;
			got++;
			if (!cont && len != nic.hdr_len + size)
				bad_len++;
		}
		publish(q, reposts, k);
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
	       got, n, size, last - tsc, rx_irqs - irqs, ticks - t, bad_len);
	return 0;
}

static int flood(uint64_t n)
{
	uint64_t size = FRAME_MAX;
	int r;

	cmdline_get_uint("size", &size);
	if (size < FLOOD_MIN || size > FRAME_MAX) {
		printf("FAIL: size=%lu: %u..%u\n", size, FLOOD_MIN,
		       FRAME_MAX);
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
	int slot, r;

	trap_register(VEC_TIMER, on_timer);
	trap_register(VEC_RX, on_rx);
	trap_register(VEC_TX, on_tx);
	trap_register(VEC_CONFIG, on_config);
	trap_register(VEC_INTX, on_intx);
	nic.intx = cmdline_has("intx");
	lapic_enable();
	lapic_timer_start(VEC_TIMER, LAPIC_TIMER_HZ / 100, true, false);
	irq_enable();

	slot = find_net();
	if (slot < 0) {
		printf("FAIL: no 1af4:1000 device on bus 0\n");
		return 1;
	}
	nic.slot = (unsigned int)slot;
	memcpy(nic.ends.ip, our_ip, sizeof(our_ip));
	memcpy(nic.ends.peer_ip, host_ip, sizeof(host_ip));
	cmdline_get_uint("rxbuf", &rxbuf);
	if (rxbuf < 64 || rxbuf > RX_BUF_MAX)
		rxbuf = RX_BUF_MAX;
	nic.rxbuf = (unsigned int)rxbuf;
	r = start();
	if (r)
		return r;
	r = check_arp();
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
	if (!r && config_irqs) {
		printf("FAIL: %u configuration interrupts (NEEDS_RESET?)\n",
		       config_irqs);
		r = 3;
	}
	printf("interrupts: %u RX, %u TX, %u without ISR bits\n", rx_irqs,
	       tx_irqs, spurious);
	lapic_timer_stop();
	return r;
}
