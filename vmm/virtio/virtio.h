/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio.h - interface of vmm/virtio: the split virtqueue walker every
 * device uses (virtq.c), the generic device state (device.c, iothread.c)
 * behind the two virtio-PCI transports - legacy (legacy_pci.c) and
 * modern (modern_pci.c), one or both per device - and the devices
 * themselves (blk.c, net.c), which never learn which transport a driver
 * uses.
 *
 * Threads and locks.  Register accesses come from vCPU threads; rings are
 * walked and completed by the device's own I/O thread.  dev->lock guards
 * everything in struct virtio_dev and the device model's state; nothing
 * in vmm/pci is ever called with it held (the PCI core calls our
 * bar_update/msix_update hooks under its cfg_lock, so taking dev->lock
 * there and cfg_lock under dev->lock would be an ABBA deadlock).  Two leaf
 * locks sit beside it: irq_lock keeps ISR and the INTx level in step,
 * notify_lock guards the ioeventfd assignment.
 */
#ifndef LIGHTVM_VIRTIO_H
#define LIGHTVM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "../kvm/kvm.h"
#include "../pci/pci.h"

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* ---- split virtqueue (virtq.c) ---- */

/*
 * The most iovecs one chain may produce.  The walker bounds a direct
 * chain by the queue size and an indirect table by the queue size too,
 * so a chain is at most 2 * size - 1 segments: with the 256-entry queues
 * our devices offer it never reaches this cap, which exists for queues up
 * to 32768 entries.  A longer chain is a violation, not split.
 */
#define VQ_MAX_SEGS		1024
#define VQ_MAX_SIZE		32768	/* legacy QUEUE_NUM is 16 bits */
#define VQ_ALIGN		4096	/* VIRTIO_PCI_VRING_ALIGN */

enum vq_err {
	VQ_OK = 0,
	VQ_ERR_AVAIL_IDX,	/* avail->idx more than size ahead of us */
	VQ_ERR_HEAD,		/* head index >= size */
	VQ_ERR_NEXT,		/* next >= size (or >= indirect table size) */
	VQ_ERR_LOOP,		/* chain longer than size / table entries */
	VQ_ERR_INDIRECT_FEATURE,/* indirect, but the feature not agreed */
	VQ_ERR_INDIRECT_NESTED,	/* indirect inside an indirect table */
	VQ_ERR_INDIRECT_NEXT,	/* INDIRECT together with NEXT */
	VQ_ERR_INDIRECT_LEN,	/* table len 0, not 16*n, or > size entries */
	VQ_ERR_ADDR,		/* (addr, len) not inside guest RAM */
	VQ_ERR_LEN0,		/* zero-length buffer */
	VQ_ERR_ORDER,		/* device-readable after device-writable */
	VQ_ERR_TOO_MANY,	/* more segments than the caller's iovecs */
	VQ_ERR_SIZE,		/* queue size 0, not a power of 2, > max */
	VQ_ERR_ALIGN,		/* a ring misaligned (2.7: 16, 2, 4 bytes) */
};

struct virtqueue {
	const struct guest_mem *mem;
	unsigned int index;
	uint16_t size;			/* entries now, a power of two */
	uint16_t max_size;		/* what the device offers (QUEUE_NUM) */
	uint32_t pfn;			/* QUEUE_PFN; 0 = not set up */
	bool ready;			/* rings validated, host pointers set */
	bool broken;			/* a violation stopped it until reset */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC agreed */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX agreed */
	struct vring_desc *desc;	/* host pointers into guest RAM */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail_idx;	/* next avail entry to consume */
	uint16_t used_idx;		/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx when we last decided */
	bool signalled_valid;		/* ...and whether that happened yet */
	uint16_t vector;		/* MSI-X entry, VIRTIO_MSI_NO_VECTOR */
	uint32_t gen;			/* bumped when the rings are dropped */
	enum vq_err last_err;
};

/* One popped chain: readable iovecs first, then writable. */
struct vq_chain {
	uint16_t head;
	unsigned int nr_out, nr_in;
	uint64_t out_len, in_len;	/* bytes in each part */
	struct iovec *iov;		/* nr_out + nr_in entries */
};

/* Layout of a legacy ring of `size` entries at guest address `base`. */
uint64_t vq_avail_offset(uint16_t size);
uint64_t vq_used_offset(uint16_t size);
uint64_t vq_ring_bytes(uint16_t size);

void vq_init(struct virtqueue *vq, const struct guest_mem *mem,
	     unsigned int index, uint16_t size);
/* Validate and map the rings at page frame pfn (pfn 0: disable).
 * Returns VQ_OK or VQ_ERR_ADDR (the queue stays disabled). */
enum vq_err vq_set_pfn(struct virtqueue *vq, uint32_t pfn);
/* The modern transport's queue_enable: `size` entries with the three
 * rings at their own guest-physical addresses.  VQ_OK, or VQ_ERR_SIZE,
 * VQ_ERR_ALIGN, VQ_ERR_ADDR (the queue stays disabled). */
enum vq_err vq_set_rings(struct virtqueue *vq, uint16_t size, uint64_t desc,
			 uint64_t avail, uint64_t used);
/* Bytes of each ring for `size` entries, event-index fields included. */
uint64_t vq_desc_bytes(uint16_t size);
uint64_t vq_avail_bytes(uint16_t size);
uint64_t vq_used_bytes(uint16_t size);
/* Forget the rings and every index: the state after a device reset. */
void vq_reset(struct virtqueue *vq);
/* Apply negotiated ring features (guest feature bits). */
void vq_set_features(struct virtqueue *vq, uint64_t features);

/*
 * Take the next available chain into iov[0..max_iov).  Returns 1 with *c
 * filled, 0 when the ring is empty (or the queue is not ready or broken),
 * -1 on a violation: the queue is marked broken, vq->last_err says why.
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *c, struct iovec *iov,
	   unsigned int max_iov);
/* Whether avail->idx is ahead of what we consumed. */
bool vq_has_avail(struct virtqueue *vq);
/* Both sides' ring indices and flags, for -vv. */
void vq_describe(struct virtqueue *vq, char *buf, size_t len);
/* Return a chain to the driver with `len` bytes written into it. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/*
 * After pushing: whether the driver wants an interrupt now (EVENT_IDX's
 * used_event, else VRING_AVAIL_F_NO_INTERRUPT).  Call once per batch.
 */
bool vq_should_notify(struct virtqueue *vq);
/*
 * About to sleep with the ring drained: with EVENT_IDX publish
 * avail_event so the driver kicks for the next buffer.  Returns true if
 * buffers arrived meanwhile (process again instead of sleeping).
 */
bool vq_enable_kicks(struct virtqueue *vq);
const char *vq_err_str(enum vq_err e);

/* ---- generic virtio device (device.c, iothread.c) ---- */

#define VIRTIO_MAX_QUEUES	8
#define VIRTIO_PCI_VENDOR	0x1af4
/* 4.1.2.1: "Transitional devices MUST have a PCI Device ID in the range
 * 0x1000 to 0x103f" (0x1000 + virtio device ID - 1, as legacy had), and
 * "The PCI Device ID is calculated by adding 0x1040 to the Virtio Device
 * ID" for devices without the legacy interface. */
#define VIRTIO_PCI_DEVICE_BASE	0x1000
#define VIRTIO_PCI_MODERN_BASE	0x1040

struct virtio_dev;

/*
 * A way for a driver to reach the device (legacy_pci.c, modern_pci.c).
 * A device registers the transports its kind offers; the PCI hooks and
 * the teardown go through this table, never to a transport by name.
 */
struct virtio_transport {
	const char *name;
	/* Before registering on PCI: add BARs and capabilities. */
	int (*setup)(struct virtio_dev *dev);
	/* notify_lock held (and the PCI core's cfg_lock): BAR `bar` is
	 * decoded at addr now, or no longer - (re)place the notify
	 * ioeventfds that live in it. */
	void (*bar_update)(struct virtio_dev *dev, unsigned int bar,
			   uint64_t addr, bool mapped);
	/* notify_lock held: drop every notify ioeventfd (teardown). */
	void (*unplace)(struct virtio_dev *dev);
};

extern const struct virtio_transport virtio_legacy_transport;
extern const struct virtio_transport virtio_modern_transport;

/* Which interface the driver uses since the last reset: the first write
 * (other than a reset) through either one binds it. */
enum virtio_iface {
	VIRTIO_IFACE_NONE,
	VIRTIO_IFACE_LEGACY,
	VIRTIO_IFACE_MODERN,
};

/* What the modern driver wrote for a queue before enabling it. */
struct virtio_mq {
	uint16_t size;
	bool enabled;
	uint64_t desc, driver, device;
};

struct virtio_dev_ops {
	/*
	 * I/O thread, dev->lock held: queues in `kicked` (bit per queue)
	 * were notified, and/or the backend fd was readable.  Consume,
	 * complete, and mark interrupts with virtio_vq_notify().
	 */
	void (*run)(struct virtio_dev *dev, uint32_t kicked, bool backend);
	/* dev->lock held, device quiesced (inflight == 0): forget every
	 * request and return to the power-on state. */
	void (*reset)(struct virtio_dev *dev);
	/* After the I/O thread stopped: release the backend. */
	void (*destroy)(struct virtio_dev *dev);
	/* -v: one line of device-specific detail (may be NULL). */
	void (*describe)(struct virtio_dev *dev, char *buf, size_t len);
	/* Under the PCI core's cfg_lock, never dev->lock (may be NULL):
	 * MSI-X was switched, or a vector (un)masked. */
	void (*irq_changed)(struct virtio_dev *dev);
};

struct virtio_stats {
	uint64_t notifies;		/* eventfd counts: guest kicks */
	uint64_t notify_exits;		/* kicks that exited to user space */
	uint64_t requests;		/* chains consumed */
	uint64_t irqs;			/* interrupts sent (MSI-X or INTx) */
	uint64_t irqs_suppressed;	/* completions the driver muted */
	uint64_t intx_ioctls;		/* KVM_IRQ_LINE calls for INTx */
	uint64_t needs_reset;		/* NEEDS_RESET events */
	uint64_t resets;		/* driver resets (status 0) */
};

struct virtio_dev {
	struct pci_device pci;		/* first: container_of is a cast */
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	char name[48];			/* "virtio-blk disk.img", for logs */
	uint16_t device_id;		/* virtio device ID: blk 2, net 1 */
	enum virtio_transport_kind kind;
	const struct virtio_transport *transports[2];
	unsigned int nr_transports;
	bool registered;		/* on the PCI bus, thread running */
	bool msix_ready;		/* pci_msix_init done */

	pthread_mutex_t lock;
	pthread_cond_t drained;		/* inflight reached 0 */
	uint8_t status;
	uint64_t host_features;		/* VERSION_1 unless legacy only */
	uint64_t guest_features;
	enum virtio_iface iface;
	uint16_t queue_sel;
	uint16_t config_vector;
	bool features_locked;		/* FEATURES_OK / DRIVER_OK since reset */
	bool features_late_logged;
	bool needs_reset_logged;
	/* modern common configuration */
	uint32_t device_feature_select, driver_feature_select;
	uint8_t config_generation;
	struct virtio_mq mq[VIRTIO_MAX_QUEUES];
	unsigned int nr_vqs;
	struct virtqueue vqs[VIRTIO_MAX_QUEUES];
	const uint8_t *config;		/* device config, guest byte order */
	unsigned int config_len;
	unsigned int inflight;		/* requests the backend still owns */
	bool draining;			/* quiesce/stop: take no new work */
	uint32_t reset_gen;		/* bumped by every reset */
	uint32_t irq_pending;		/* queues to interrupt after the pass */
	bool config_irq_pending;

	pthread_mutex_t irq_lock;	/* leaf: ISR and the INTx line */
	uint8_t isr;
	bool intx_high;
	bool msix_on;			/* atomic: MSI-X enabled by the guest */

	pthread_mutex_t notify_lock;	/* leaf: ioeventfd assignment */
	int notify_fd[VIRTIO_MAX_QUEUES];	/* one per queue, any transport */
	bool notify_assigned;		/* legacy: on the port below */
	uint32_t notify_port;		/* BAR0 base + QUEUE_NOTIFY */
	bool notify_mmio_assigned;	/* modern: one address per queue */
	uint64_t notify_mmio;		/* the notify region's address */

	bool external_queues;		/* a vhost-user backend serves the
					 * rings: notify_fd are its kicks */
	int epoll_fd;			/* I/O thread */
	int ctl_fd;			/* eventfd: re-check state / stop */
	int backend_fd;			/* the device's completion fd or -1 */
	bool backend_data;		/* ...carries data (a tap): not read here */
	bool backend_watched;		/* ...is in the epoll set */
	bool stop;
	pthread_t thread;
	bool thread_started;
	bool thread_exited;		/* gave up (host failure) */
	bool odd_access_logged;

	struct virtio_stats stats;
	struct virtio_dev *next;	/* vm->devices list */
};

/*
 * Fill the generic part (dev must be zeroed memory): IDs, the transports
 * of `kind`, queues of `queue_size`, offered features (VERSION_1 added
 * unless legacy only), config bytes.  Does not touch PCI or start a
 * thread: a device built this way can be driven directly (unit tests)
 * through virtio_legacy_access(), virtio_modern_access() and
 * virtio_dev_poll().
 */
int virtio_dev_init(struct virtio_dev *dev, struct vm *vm,
		    const struct virtio_dev_ops *ops, const char *name,
		    uint16_t device_id, enum virtio_transport_kind kind,
		    unsigned int nr_vqs, uint16_t queue_size,
		    uint64_t host_features, const uint8_t *config,
		    unsigned int config_len);
/* Put it on the PCI bus (class code), create ioeventfds, start the
 * I/O thread, and add it to vm->devices. */
int virtio_dev_register(struct virtio_dev *dev, uint32_t class_code);
/* The same, optionally without the I/O thread and the device list
 * (fuzzers drive such a device with virtio_dev_poll()). */
int virtio_dev_plug(struct virtio_dev *dev, uint32_t class_code,
		    bool start_thread);
/* Stop the thread (draining the backend), leave PCI, free fds. */
void virtio_dev_cleanup(struct virtio_dev *dev);

/* dev->lock held: a write (not a reset) through `iface`: true if that
 * is the interface this reset's driver uses (the first write binds it);
 * false - and NEEDS_RESET - when the driver mixes the two. */
bool virtio_iface_claim(struct virtio_dev *dev, enum virtio_iface iface);
/* dev->lock held: FEATURES_OK for the features the driver wrote? */
bool virtio_features_acceptable(struct virtio_dev *dev);
/* dev->lock held: the driver set DRIVER_OK just now. */
void virtio_driver_ok(struct virtio_dev *dev);

/* BAR0: the legacy virtio header and device config (legacy_pci.c). */
void virtio_legacy_access(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int len, bool is_write);
/* The same, one register value at a time (little-endian, len 1, 2 or 4). */
static inline uint32_t virtio_legacy_read(void *dev, unsigned int off,
					  unsigned int len)
{
	uint8_t b[4] = { 0 };
	uint32_t v = 0;
	unsigned int i;

	virtio_legacy_access(dev, off, b, len, false);
	for (i = 0; i < len && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static inline void virtio_legacy_write(void *dev, unsigned int off,
				       uint32_t v, unsigned int len)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	virtio_legacy_access(dev, off, b, len, true);
}
#define VIRTIO_BAR0_SIZE	128	/* 24 + config, power of two */

/*
 * The modern interface (modern_pci.c): a 64-bit memory BAR with the
 * common configuration, ISR, device configuration and notify regions,
 * each found through a vendor-specific PCI capability (4.1.4).
 */
#define VIRTIO_MODERN_BAR	4	/* and 5: 64-bit */
#define VIRTIO_MODERN_BAR_SIZE	0x4000
#define VIRTIO_MODERN_COMMON	0x0000
#define VIRTIO_MODERN_COMMON_LEN 0x38	/* up to queue_device, 1.0/1.1 */
#define VIRTIO_MODERN_ISR	0x1000
#define VIRTIO_MODERN_DEVICE	0x2000
#define VIRTIO_MODERN_NOTIFY	0x3000
#define VIRTIO_MODERN_NOTIFY_MULT 4	/* notify_off_multiplier */
void virtio_modern_access(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int len, bool is_write);
/* The VIRTIO_PCI_CAP_PCI_CFG data dword (the PCI core's config_window). */
void virtio_modern_pci_cfg(struct pci_device *pci, unsigned int off,
			   uint8_t *data, unsigned int len, bool is_write);
static inline uint64_t virtio_modern_read(void *dev, unsigned int off,
					  unsigned int len)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;
	unsigned int i;

	virtio_modern_access(dev, off, b, len, false);
	for (i = 0; i < len && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static inline void virtio_modern_write(void *dev, unsigned int off,
				       uint64_t v, unsigned int len)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	virtio_modern_access(dev, off, b, len, true);
}

/* Both transports' register writes, on the device's state. */
struct virtio_write_ctx {
	bool reset;		/* STATUS 0: clear ISR after unlocking */
};
/* dev->lock held: the driver wrote 0 to the status register. */
void virtio_status_reset(struct virtio_dev *dev, struct virtio_write_ctx *ctx);
/* After a register write, dev->lock held on entry: unlock, finish a
 * reset, deliver the interrupts the write caused. */
void virtio_write_done(struct virtio_dev *dev, struct virtio_write_ctx *ctx);

/* With dev->lock held: */
/* Mark a violation: NEEDS_RESET, stop vq (may be NULL), config IRQ. */
void virtio_dev_needs_reset(struct virtio_dev *dev, struct virtqueue *vq,
			    const char *why);
/* Pop with the violation handled: 1 chain, 0 nothing (or broken). */
int virtio_vq_pop(struct virtio_dev *dev, struct virtqueue *vq,
		  struct vq_chain *c, struct iovec *iov, unsigned int max_iov);
/* After pushing a batch: interrupt the driver if it wants one. */
void virtio_vq_notify(struct virtio_dev *dev, struct virtqueue *vq);
/* Whether the queue may be processed: DRIVER_OK, ready, not draining. */
bool virtio_vq_live(struct virtio_dev *dev, struct virtqueue *vq);
/* Stop taking new work and wait until the backend gave back every
 * request (inflight == 0); completions for reset rings are dropped. */
void virtio_dev_quiesce(struct virtio_dev *dev);
/* Driver wrote 0 to STATUS: drain, then back to the power-on state.
 * The caller clears ISR/INTx (virtio_isr_read) after unlocking. */
void virtio_dev_reset(struct virtio_dev *dev);

/*
 * Interrupts (interrupt.c).  A pass marks queues in dev->irq_pending under
 * dev->lock; virtio_irq_collect() takes them (and the vectors) out, and
 * virtio_irq_deliver() sends them after the lock is dropped.
 */
struct virtio_irq_plan {
	uint32_t queues;		/* bit per queue */
	bool config;
	uint16_t vector[VIRTIO_MAX_QUEUES];
	uint16_t config_vector;
	uint32_t gen;			/* dev->reset_gen when collected */
};

void virtio_irq_collect(struct virtio_dev *dev, struct virtio_irq_plan *p);
void virtio_irq_deliver(struct virtio_dev *dev,
			const struct virtio_irq_plan *p);
/* Read-and-clear ISR, lowering INTx ("a read-and-acknowledge"). */
uint8_t virtio_isr_read(struct virtio_dev *dev);

/* One I/O-thread pass (also run directly by tests): lock, run the
 * device, collect, unlock, deliver.  notifies: kicks seen. */
void virtio_dev_poll(struct virtio_dev *dev, uint32_t kicked, bool backend,
		     uint64_t notifies);
/* I/O thread body (iothread.c). */
int virtio_iothread_start(struct virtio_dev *dev);
void virtio_iothread_stop(struct virtio_dev *dev);
/* Wake the I/O thread to look at every queue again. */
void virtio_dev_kick_thread(struct virtio_dev *dev);
/*
 * Add or remove the backend fd from the thread's epoll set, so a device
 * with nowhere to put data (no receive buffers) is not woken for it.
 * Idempotent; a no-op without an I/O thread.  0 or -1 with err_set().
 */
int virtio_dev_watch_backend(struct virtio_dev *dev, bool on);

/* ---- the VM's virtio devices (device.c) ---- */
/* Stop every device: drain its I/O, flush, leave PCI. */
void virtio_devices_destroy(struct vm *vm);
/* -v: per-device counters. */
void virtio_print_stats(struct vm *vm);

/* ---- virtio-blk (blk.c) ---- */
#define VIRTIO_BLK_QUEUE_SIZE	256
#define VIRTIO_BLK_CLASS	0x018000	/* mass storage, other */

/* Build a disk device without registering it (tests), or create and
 * register it (the machine does, once the PCI bus exists). */
struct virtio_dev *virtio_blk_new(struct vm *vm, const struct disk_config *dc);
int virtio_blk_create(struct vm *vm, const struct disk_config *dc);
void virtio_blk_free(struct virtio_dev *dev);

/* ---- virtio-fs through a vhost-user backend (fs.c) ---- */
#define VIRTIO_FS_QUEUE_SIZE	128	/* QEMU's vhost-user-fs default */
#define VIRTIO_FS_CLASS		0x018000	/* mass storage, other */
#define VIRTIO_FS_TAG_LEN	36

/* Build and register a virtio-fs device for `fc`: start virtiofsd for a
 * directory or attach to fc->socket.  The device is modern-only (virtio
 * 1.x has no legacy virtio-fs). */
int virtio_fs_create(struct vm *vm, const struct fs_config *fc);
/* Build one on an already-connected vhost-user socket without
 * registering it (tests: one end of a socketpair). */
struct virtio_dev *virtio_fs_new(struct vm *vm, const struct fs_config *fc,
				 int sock);
void virtio_fs_free(struct virtio_dev *dev);
/* Whether the guest's driver ever set DRIVER_OK on the device that
 * carries fc->root, so main.c can tell a kernel without virtio-fs. */
bool virtio_fs_root_driven(struct vm *vm);

/* ---- virtio-net (net.c) ---- */
#define VIRTIO_NET_QUEUE_SIZE	256
#define VIRTIO_NET_CLASS	0x020000	/* network, Ethernet */

struct tap;
/* Build a NIC on `tap` (which it then owns, even on failure) without
 * registering it (tests), or open the tap, build and register it. */
struct virtio_dev *virtio_net_new(struct vm *vm, const struct net_config *nc,
				  struct tap *tap);
int virtio_net_create(struct vm *vm, const struct net_config *nc);
void virtio_net_free(struct virtio_dev *dev);

#endif
