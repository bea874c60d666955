/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runtime.h - the freestanding runtime shared by every lightvm test kernel:
 * port I/O, the serial console and printf, the exit port, traps, the local
 * APIC, PCI configuration space and the command line.
 *
 * A test kernel is one .c file that defines test_name and test_main(); the
 * runtime boots (PVH or 64-bit entry), sets everything up and passes
 * test_main()'s return value to exit_status().
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define __packed		__attribute__((packed))
#define __aligned(x)		__attribute__((aligned(x)))
#define __noreturn		__attribute__((noreturn))
#define __printf(fmt, args)	__attribute__((format(printf, fmt, args)))

/* ---- provided by each test kernel ---- */
extern const char test_name[];
int test_main(void);

/* ---- exit statuses the runtime itself uses ---- */
#define STATUS_BAD_BOOT		97	/* unusable boot information */
#define STATUS_BAD_INTERRUPT	98	/* interrupt on an unclaimed vector */
#define STATUS_BAD_EXCEPTION	99	/* exception nobody claimed */

/* ---- CPU helpers ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

static inline void irq_disable(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void irq_enable(void)
{
	asm volatile("sti" ::: "memory");
}

/*
 * sti takes effect after the next instruction, so no interrupt can slip
 * in between the caller's last check and the hlt and be missed.
 */
static inline void irq_enable_and_halt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

__noreturn void halt_forever(void);

/*
 * A pointer to a fixed physical address.  The empty asm hides the constant
 * from the compiler, which would otherwise warn about (or optimise away)
 * dereferences of small literal addresses such as the BIOS data area.
 */
static inline void *phys_to_virt(uint64_t pa)
{
	void *p = (void *)(uintptr_t)pa;

	asm("" : "+r"(p));
	return p;
}

/* ---- exit (console.c) ---- */
__noreturn void exit_status(unsigned int status);

/* ---- serial console and printf (console.c, format.c) ---- */
void serial_init(void);
void serial_putc(char c);
int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap) __printf(1, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__printf(3, 0);
/* Core formatter: emit() gets every output character. */
int format(void (*emit)(char c, void *arg), void *arg, const char *fmt,
	   va_list ap);

/* ---- spinlocks (console.c) ---- */
struct spinlock {
	volatile int locked;
};

void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* ---- traps (trap.c, isr.S) ---- */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler_t)(struct trap_frame *f);

#define VEC_DE		0
#define VEC_DB		1
#define VEC_NMI		2
#define VEC_BP		3
#define VEC_UD		6
#define VEC_DF		8
#define VEC_GP		13
#define VEC_PF		14
#define NR_EXCEPTIONS	32
#define NR_VECTORS	256

void trap_init(void);		/* build the IDT and load it */
void idt_load(void);		/* load the built IDT on this CPU */
void trap_register(unsigned int vector, trap_handler_t fn);
const char *trap_name(unsigned int vector);

/* ---- legacy 8259 PIC (trap.c) ---- */
#define PIC_VECTOR_BASE	0x20	/* IRQ 0-15 -> vectors 0x20-0x2f */
void pic_disable(void);

/* ---- local APIC, xAPIC MMIO mode (lapic.c) ---- */
#define APIC_ID			0x020
#define APIC_VERSION		0x030
#define APIC_TPR		0x080
#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_ESR		0x280
#define APIC_ICR_LO		0x300
#define APIC_ICR_HI		0x310
#define APIC_LVT_TIMER		0x320
#define APIC_TIMER_INIT		0x380
#define APIC_TIMER_CUR		0x390
#define APIC_TIMER_DIV		0x3e0

#define APIC_SVR_ENABLE		(1u << 8)
#define APIC_LVT_MASKED		(1u << 16)
#define APIC_LVT_PERIODIC	(1u << 17)
#define APIC_SPURIOUS_VECTOR	0xff

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
uint64_t lapic_base(void);
unsigned int lapic_id(void);
void lapic_enable(void);
void lapic_eoi(void);
/* Start the timer at divide-by-16 (62.5 MHz on KVM's 1 GHz APIC bus). */
void lapic_timer_start(uint8_t vector, uint32_t count, bool periodic,
		       bool masked);
void lapic_timer_stop(void);
/* Busy-wait about us microseconds on the (masked) one-shot timer. */
void lapic_udelay(uint32_t us);
#define LAPIC_TIMER_HZ		62500000u	/* after divide-by-16 */
/* IPIs: INIT (assert), INIT de-assert, STARTUP at vector page. */
int lapic_send_init(unsigned int apic_id);
int lapic_send_init_deassert(unsigned int apic_id);
int lapic_send_sipi(unsigned int apic_id, uint8_t page);

/* ---- PCI configuration mechanism #1 (pci.c) ---- */
uint8_t pci_read8(unsigned int bus, unsigned int dev, unsigned int fn,
		  unsigned int off);
uint16_t pci_read16(unsigned int bus, unsigned int dev, unsigned int fn,
		    unsigned int off);
uint32_t pci_read32(unsigned int bus, unsigned int dev, unsigned int fn,
		    unsigned int off);
void pci_write8(unsigned int bus, unsigned int dev, unsigned int fn,
		unsigned int off, uint8_t v);
void pci_write16(unsigned int bus, unsigned int dev, unsigned int fn,
		 unsigned int off, uint16_t v);
void pci_write32(unsigned int bus, unsigned int dev, unsigned int fn,
		 unsigned int off, uint32_t v);

/* ---- boot information and command line (start.c, cmdline.c) ---- */
/* BOOT_ENTRY_PVH or BOOT_ENTRY_64 (layout.h), set by head.S. */
extern uint32_t boot_entry;
/* Multiboot entries: EAX at entry, and where the information is. */
#define MB_BOOT_MAGIC		0x2BADB002u
extern uint32_t mb_magic;
extern uint64_t multiboot_info;
const char *cmdline(void);
/* Last "key=value" on the command line; value in decimal or 0x hex. */
bool cmdline_get_uint(const char *key, uint64_t *val);
/* True if "key" or "key=..." is on the command line. */
bool cmdline_has(const char *key);
/* The last "key=value": value (not terminated) and its length, or NULL. */
const char *cmdline_get_str(const char *key, size_t *len);

/* ---- secondary CPUs (start.c, head.S) ---- */
/* Called on each AP in 64-bit mode, on its own stack, IDT loaded. */
extern void (*ap_main_fn)(void);
extern const uint8_t trampoline_start[], trampoline_end[];

/* ---- the C side of head.S and isr.S ---- */
void rt_start(uint32_t entry, uint64_t info);	/* boot CPU */
void ap_start(void);				/* each secondary CPU */
void trap_dispatch(struct trap_frame *f);	/* every vector */
extern const char isr_stubs[];			/* 16 bytes per vector */

/* ---- string.c: what the compiler may call on its own ---- */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* ---- I/O APIC (ioapic.c) ---- */
#define IOAPIC_ACTIVE_LOW	(1u << 13)
#define IOAPIC_LEVEL		(1u << 15)
/* Pin to vector (edge, active high unless flags say) on this CPU. */
void ioapic_route(unsigned int pin, uint8_t vector, uint32_t flags);

/* ---- virtio-PCI driver core, legacy and modern (virtio.c, virtio_blk.c) ---- */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#define VDEV_MAX_QUEUES		3
#define VQ_MAX_SIZE		256
#define VTEST_VEC_TIMER		0x40	/* 100 Hz, counts vtest_ticks */

struct vq {
	unsigned int index;
	uint16_t size;
	uint16_t io;			/* the device's BAR0, for notifies */
	volatile uint16_t *notify;	/* modern: its notify address */
	bool event_idx;
	uint8_t vector;			/* its MSI-X vector on this CPU */
	uint8_t *mem;			/* 3 pages from the ring pool */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_used;
};

/* The step of vdev_start that failed (vdev.failed), 0 if none did. */
enum vdev_step {
	VDEV_STEP_NONE,
	VDEV_STEP_STATUS,		/* reset, or DRIVER_OK not kept */
	VDEV_STEP_FEATURES,
	VDEV_STEP_INTERRUPTS,		/* MSI-X, or INTx */
	VDEV_STEP_QUEUES,
};

struct vdev {
	unsigned int slot;
	uint16_t io;			/* BAR0, the legacy header */
	/* The modern interface (4.1.4), used when the command line says
	 * transport=modern or the device has no legacy BAR0: */
	bool modern;
	volatile uint8_t *common, *isr, *devcfg, *notify;
	uint32_t notify_mult;
	uint8_t vec_base;		/* entry i -> vector vec_base + i */
	uint8_t msix_cap;
	uint16_t msix_size;
	uint64_t msix_table, msix_pba;	/* guest-physical */
	bool msix;			/* MSI-X enabled: config at 24 */
	/* Set by the caller between vdev_open and vdev_start: */
	bool intx;			/* INTx instead of MSI-X */
	uint32_t offered;		/* must be offered, taken or not */
	/* Found by vdev_negotiate: */
	uint32_t host_features;		/* what the device offered */
	uint32_t features;		/* what we took */
	bool event_idx;
	enum vdev_step failed;		/* by the last vdev_start */
	unsigned int nr_vqs;
	struct vq vq[VDEV_MAX_QUEUES];
};

extern volatile unsigned int vtest_ticks;
/* MSI-X interrupts seen per vector (vdev_open registers the handler). */
extern volatile unsigned int vtest_irqs[NR_VECTORS];

/* LAPIC on, 100 Hz timer counting vtest_ticks, interrupts on. */
void vtest_init(void);
void vtest_sleep_ticks(unsigned int n);

/* Slot of the first 1af4:device_id at or after `from`, or -1: the
 * transitional ID, or the modern-only one (0x1040 + virtio ID). */
int vdev_find(uint16_t device_id, unsigned int from);
uint8_t vdev_find_cap(unsigned int slot, uint8_t id);
/*
 * A transitional device of virtio type `id` (VIRTIO_ID_*): class and
 * revision class_rev, subsystem 1af4:id, BAR0 in I/O space.  0, or -1
 * after printing FAIL.
 */
int vdev_check_ids(unsigned int slot, uint32_t class_rev, uint16_t id);
/* Read BAR0 and MSI-X location, enable decode; no virtio I/O yet. */
int vdev_open(struct vdev *d, unsigned int slot, uint8_t vec_base);
/* The steps of 3.1.1 "Driver Requirements: Device Initialization". */
int vdev_reset(struct vdev *d);
int vdev_negotiate(struct vdev *d, uint32_t want, uint32_t need);
int vdev_enable_msix(struct vdev *d, unsigned int nr_queues);
void vdev_disable_msix(struct vdev *d);
void vdev_msix_entry(const struct vdev *d, unsigned int i, uint8_t vector,
		     bool masked);
int vdev_setup_queue(struct vdev *d, unsigned int i);
void vdev_driver_ok(const struct vdev *d);
/*
 * All of the above in order (INTx instead of MSI-X if d->intx); 0, or -1
 * after printing FAIL with the step in d->failed.
 */
int vdev_start(struct vdev *d, uint32_t want, uint32_t need,
	       unsigned int nr_queues);
uint8_t vdev_status(const struct vdev *d);
void vdev_set_status(const struct vdev *d, uint8_t s);
bool vdev_needs_reset(const struct vdev *d);
unsigned int vdev_config_offset(const struct vdev *d);
/* Device configuration bytes, through whichever interface d uses. */
uint32_t vdev_config_read(const struct vdev *d, unsigned int off,
			  unsigned int len);
/* Read-and-clear ISR. */
uint8_t vdev_isr(const struct vdev *d);
/* "legacy" or "modern", for messages. */
const char *vdev_transport(const struct vdev *d);

static inline uint16_t vq_ld16(const volatile void *p)
{
	return *(const volatile uint16_t *)p;
}

static inline void vq_st16(volatile void *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
}

void vq_set_desc(struct vring_desc *t, unsigned int i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next);
/* Put heads on the avail ring and move idx, no notify. */
void vq_add_raw(struct vq *q, const uint16_t *heads, unsigned int n);
/* The same, then notify unless EVENT_IDX says the device is busy. */
void vq_publish(struct vq *q, const uint16_t *heads, unsigned int n);
void vq_kick(const struct vq *q);
/* Next used element, if any. */
bool vq_pop(struct vq *q, struct vring_used_elem *e);

/*
 * vq_pop without the call, for loops that run once per buffer: where the
 * guest's ring 0 is emulated instruction by instruction (PVM hosts),
 * every instruction of such a loop shows in the throughput.
 */
static inline bool vq_pop_inline(struct vq *q, struct vring_used_elem *e)
{
	if (vq_ld16(&q->used->idx) == q->last_used)
		return false;
	asm volatile("" ::: "memory");	/* idx before the element */
	*e = q->used->ring[q->last_used++ & (q->size - 1)];
	return true;
}

/* Sleep until the used ring moves: 0, or -1 after `ticks` (10 ms each). */
int vq_wait(struct vq *q, unsigned int ticks);
/* The same until used->idx is n past q->last_used. */
int vq_wait_for(struct vq *q, unsigned int n, unsigned int ticks);
/* The used length of the entry vq_pop returned last. */
uint32_t vq_last_len(const struct vq *q);
void vq_free(struct vq *q);

/* ---- legacy INTx instead of MSI-X (virtio_intx.c) ---- */
#define VTEST_VEC_INTX		0x4f	/* every device's pin */
/*
 * Route the pin INTERRUPT_LINE names to VTEST_VEC_INTX, MSI-X off.  The
 * handler reads each such device's ISR and counts like MSI-X would: the
 * queue bit in vtest_irqs[vec_base + 1], the config bit in
 * vtest_irqs[vec_base]; an interrupt no ISR claims in
 * vtest_intx_unclaimed.  0, or -1 after printing FAIL.
 */
int vdev_enable_intx(struct vdev *d);
extern volatile unsigned int vtest_intx_unclaimed;

#define VBLK_DEVICE_ID		0x1001
/* One request in descriptors 0-2 of q, waited for: the status byte, or */
#define VBLK_TIMEOUT		-1	/* no used entry within ticks */
#define VBLK_BAD_USED		-2	/* a used entry with the wrong id */
int vblk_request(struct vq *q, uint32_t type, uint64_t sector, void *buf,
		 uint32_t len, unsigned int ticks);
/* The same through a 3-entry indirect table in descriptor 0. */
int vblk_request_indirect(struct vq *q, uint32_t type, uint64_t sector,
			  void *buf, uint32_t len, unsigned int ticks);
uint64_t vblk_capacity(const struct vdev *d);

/*
 * Requests in flight: slot s is descriptors 3s..3s+2 (header, data,
 * status) with a header and status byte of its own.  vblk_put returns
 * the head to publish; the status is 0xff until the device writes it.
 * vblk_reput reuses slot s's chain (its data buffer and length) for
 * another type and sector.
 */
#define VBLK_SLOTS		(VQ_MAX_SIZE / 3)
uint16_t vblk_put(struct vq *q, unsigned int s, uint32_t type,
		  uint64_t sector, void *buf, uint32_t len);
uint16_t vblk_reput(struct vq *q, unsigned int s, uint32_t type,
		    uint64_t sector);
uint8_t vblk_slot_status(unsigned int s);

/* ---- Ethernet, ARP and ICMP echo frames (net_frame.c) ---- */
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#define NET_ARP_LEN		28	/* ARP for IPv4 over Ethernet */
#define NET_IP_HLEN		20	/* IPv4 without options */
#define NET_ICMP_HLEN		8
#define NET_ETH_ZLEN		60	/* shortest frame, no FCS */
#define NET_ETH_FRAME_MAX	1514	/* longest, no FCS, no VLAN tag */
#define NET_ARP_REQUEST		1
#define NET_ARP_REPLY		2
#define NET_ICMP_ECHO		8
#define NET_ICMP_ECHO_REPLY	0
#define NET_ECHO_ID		0x4c56	/* "LV" */

/* Our addresses and the host's (peer_mac once ARP found it). */
struct net_ends {
	uint8_t mac[ETH_ALEN], peer_mac[ETH_ALEN];
	uint8_t ip[4], peer_ip[4];
};

void net_put16(uint8_t *p, uint16_t v);		/* big-endian */
void net_put32(uint8_t *p, uint32_t v);
uint16_t net_get16(const uint8_t *p);
uint16_t net_csum(const uint8_t *p, unsigned int len);	/* RFC 1071 */
void net_eth_header(uint8_t *p, const uint8_t *dst, const uint8_t *src,
		    uint16_t type);
/* Frame builders return the frame's length. */
unsigned int net_build_arp(uint8_t *p, const struct net_ends *e, uint16_t op,
			   const uint8_t *tha, const uint8_t *tpa,
			   const uint8_t *eth_dst);
unsigned int net_build_arp_request(uint8_t *p, const struct net_ends *e);
unsigned int net_build_arp_reply(uint8_t *p, const struct net_ends *e,
				 const uint8_t *req);
bool net_is_arp_request_for_us(const uint8_t *f, unsigned int len,
			       const struct net_ends *e);
bool net_is_arp_reply(const uint8_t *f, unsigned int len,
		      const struct net_ends *e);
/* Echo request seq with `size` payload bytes of net_echo_byte(). */
uint8_t net_echo_byte(uint16_t seq, unsigned int i);
unsigned int net_build_echo(uint8_t *p, const struct net_ends *e,
			    uint16_t seq, unsigned int size);
bool net_is_echo_reply(const uint8_t *f, unsigned int len, uint16_t seq);
/* Every byte of the reply that matters: 0, or -1 after printing FAIL. */
int net_check_echo_reply(const uint8_t *f, unsigned int len,
			 const struct net_ends *e, uint16_t seq,
			 unsigned int size);

/* ---- a well-formed virtio-net driver on the core (virtio_net.c) ---- */
#define VNET_DEVICE_ID		0x1000
#define VNET_RXQ		0
#define VNET_TXQ		1
#define VNET_RX_MAX		64	/* receive buffers tracked */
#define VNET_FRAME_MAX		2048	/* frame buffers vnet_rx fills */

struct vnet {
	struct vdev d;			/* config vector d.vec_base */
	bool mrg;			/* MRG_RXBUF taken */
	unsigned int hdr_len;		/* 12 with MRG_RXBUF, else 10 */
	struct net_ends ends;		/* 10.0.2.15 and the host 10.0.2.1 */
	bool peer_known;
	/* Layouts, set by the caller after vnet_start (default: off): */
	bool rx_split;			/* no MRG_RXBUF: buffer b is a
					 * header (2b) -> frame (2b + 1) */
	bool tx_rotate;			/* TX in turn: one buffer, header
					 * apart, the two in an indirect
					 * table */
	unsigned int tx_seq;		/* whose turn it is */
	uint8_t *rx_mem;		/* the caller's receive buffers */
	unsigned int nr_rx, rx_size;
	struct virtio_net_hdr_mrg_rxbuf *rx_split_hdr;	/* lib memory */
	struct virtio_net_hdr_mrg_rxbuf rx_hdr;	/* of the last frame */
	unsigned int rx_len;		/* the last frame's length */
};

typedef bool (*vnet_match_fn)(const uint8_t *f, unsigned int len,
			      const void *arg);

/* Every call returns 0 (vnet_rx*: a length, 0 on timeout) or -1 after
 * printing FAIL. */
int vnet_find(struct vnet *n, uint8_t vec_base);	/* + vdev_open */
/* vdev_start with both queues, MAC read from the config. */
int vnet_start(struct vnet *n, uint32_t want);
/* nr buffers of size bytes at mem (buffer b at vnet_rx_head), published. */
void vnet_rx_post(struct vnet *n, uint8_t *mem, unsigned int nr,
		  unsigned int size);
int vnet_rx(struct vnet *n, uint8_t *frame, unsigned int max,
	    unsigned int ticks);
/*
 * Buffer by buffer, for a receive loop with as little work per frame as
 * can be: the next used buffer and its used length (1, 0 if none, -1
 * after printing FAIL); the head that posts buffer b again, its
 * descriptors as they are; and buffer b as the first of a frame, its
 * virtio header and its frame bytes.
 */
int vnet_rx_pop(struct vnet *n, unsigned int *b, uint32_t *len);

static inline uint16_t vnet_rx_head(const struct vnet *n, unsigned int b)
{
	return (uint16_t)(n->rx_split ? 2 * b : b);
}

static inline const struct virtio_net_hdr_mrg_rxbuf *
vnet_rx_header(const struct vnet *n, unsigned int b)
{
	if (n->rx_split)
		return &n->rx_split_hdr[b];
	return (const void *)(n->rx_mem + b * n->rx_size);
}

static inline const uint8_t *vnet_rx_frame(const struct vnet *n,
					   unsigned int b)
{
	return n->rx_mem + b * n->rx_size + (n->rx_split ? 0 : n->hdr_len);
}

int vnet_tx(struct vnet *n, const uint8_t *frame, unsigned int len,
	    unsigned int ticks);
/* The first frame match() accepts; ARP requests for us are answered. */
int vnet_rx_until(struct vnet *n, vnet_match_fn match, const void *arg,
		  uint8_t *frame, unsigned int ticks);
int vnet_resolve(struct vnet *n, uint8_t *frame, unsigned int ticks);
/* vnet_resolve's second half: the reply to a request already sent. */
int vnet_arp_reply(struct vnet *n, uint8_t *frame, unsigned int ticks);
/* An echo request of `size` payload bytes; the reply checked byte by byte. */
int vnet_ping(struct vnet *n, uint8_t *frame, uint16_t seq,
	      unsigned int size, unsigned int ticks);


/* ---- the frame of the hostile virtio-blk kernels (vblk_hostile.c) ---- */
/*
 * The frame every hostile virtio-blk test kernel runs its
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
