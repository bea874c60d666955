// SPDX-License-Identifier: GPL-2.0
/*
 * blk-service - lightvm's virtio-blk service path without KVM: the same
 * load as blk-raw (4 KiB random reads, QD in flight, O_DIRECT, libaio)
 * pushed through the real device, so the difference between the two is
 * what the VMM costs.
 *
 *   blk-service IMAGE [QD [SECONDS]]    (defaults: 32, 3)
 *
 * It is built from lightvm's own objects (everything but main.c).  A fake
 * VM holds guest RAM (guest_mem_init) and nothing else; virtio_blk_new()
 * opens the image with the aio engine and O_DIRECT as `--disk IMG,direct`
 * does, and the device's real I/O thread runs.  This program is the guest
 * driver: it brings the device up through the legacy BAR0 registers,
 * builds requests in the ring in guest RAM, kicks through the queue's
 * notify eventfd (what KVM's ioeventfd signals on QUEUE_NOTIFY) and
 * sleeps on the MSI-X vector's eventfd (what KVM's irqfd would consume)
 * until used entries arrive, with EVENT_IDX as the test kernel uses it.
 *
 * Prints one line: requests, seconds, iops, cpu_us (process CPU time per
 * request), io_us (the I/O thread's alone: the VMM's cost), drv_us (this
 * driver thread's), kicks and irqs per request.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "blk-common.h"
#include "../vmm/virtio/virtio.h"
#include "../vmm/disk/disk.h"

#define MEM_SIZE	(64ULL << 20)
#define RING_GPA	0x10000ULL	/* 256 entries: 3 pages */
#define HDR_GPA		0x20000ULL	/* 16 bytes per slot */
#define STATUS_GPA	0x21000ULL	/* 1 byte per slot */
#define DATA_GPA	0x100000ULL	/* 4 KiB per slot, page aligned */
#define QSIZE		VIRTIO_BLK_QUEUE_SIZE
#define VEC_CONFIG	0
#define VEC_QUEUE	1

#define F(bit)		(1u << (bit))

struct drv {
	struct vm *vm;
	struct virtio_dev *dev;
	int irq_fd;			/* both MSI-X vectors fire this */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *used_event;		/* avail->ring[QSIZE] */
	uint16_t *avail_event;		/* used->ring[QSIZE] */
	uint16_t last_used;
	struct virtio_blk_outhdr *hdr;
	volatile uint8_t *status;
	uint64_t capacity;		/* bytes */
	unsigned long long kicks, irqs;
};

static void die(const char *what)
{
	fprintf(stderr, "blk-service: %s\n", what);
	exit(1);
}

static void *gp(struct drv *t, uint64_t gpa, uint64_t len)
{
	void *p = guest_ptr(&t->vm->mem, gpa, len);

	if (!p)
		die("guest address outside the fake RAM");
	return p;
}

/* ---- BAR0, as a vCPU's port accesses reach it ---- */

static uint32_t rd(struct drv *t, unsigned int off, unsigned int len)
{
	return virtio_legacy_read(t->dev, off, len);
}

static void wr(struct drv *t, unsigned int off, uint32_t v, unsigned int len)
{
	virtio_legacy_write(t->dev, off, v, len);
}

/*
 * In a VM each MSI-X vector's irqfd is an eventfd bound to a KVM GSI
 * (pci_msix_init).  There is no KVM here to bind it to, so the vectors
 * get one eventfd of ours and the table is enabled, unmasked, by hand;
 * pci_msix_notify() then writes it exactly as it would in a VM, and this
 * driver sleeps on it as a vCPU sleeps in HLT.  msix_update is the hook
 * the PCI core calls when the guest enables MSI-X.
 */
static void fake_msix(struct drv *t)
{
	struct msix *m = &t->dev->pci.msix;

	m->table = calloc(2, 16);	/* every entry unmasked */
	m->v = calloc(2, sizeof(*m->v));
	if (!m->table || !m->v)
		die("out of memory");
	m->nr = 2;
	m->v[VEC_CONFIG].irqfd = m->v[VEC_QUEUE].irqfd = t->irq_fd;
	m->enabled = true;
	m->func_masked = false;
	/* What the PCI core's msix_update hook tells the device. */
	__atomic_store_n(&t->dev->msix_on, true, __ATOMIC_RELEASE);
}

static void unfake_msix(struct drv *t)
{
	struct msix *m = &t->dev->pci.msix;

	free(m->table);
	free(m->v);
	m->table = NULL;
	m->v = NULL;
	m->nr = 0;
}

static void setup(struct drv *t, const char *path)
{
	struct disk_config dc = { .path = path, .direct = true,
				  .engine = DISK_ENGINE_AIO };
	uint32_t host, want = F(VIRTIO_BLK_F_FLUSH) |
			      F(VIRTIO_RING_F_EVENT_IDX);
	unsigned int cfg = VIRTIO_PCI_CONFIG_OFF(true);
	uint8_t *ring;

	memset(t, 0, sizeof(*t));
	t->vm = calloc(1, sizeof(*t->vm));
	if (!t->vm)
		die("out of memory");
	t->vm->vm_fd = t->vm->kvm_fd = -1;
	if (guest_mem_init(&t->vm->mem, MEM_SIZE) < 0)
		die(err_msg());
	t->dev = virtio_blk_new(t->vm, &dc);
	if (!t->dev)
		die(err_msg());
	t->irq_fd = eventfd(0, EFD_CLOEXEC);
	t->dev->notify_fd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->irq_fd < 0 || t->dev->notify_fd[0] < 0)
		die(strerror(errno));
	fake_msix(t);
	/* Before DRIVER_OK, which wakes the thread to look at the ring. */
	if (virtio_iothread_start(t->dev) < 0)
		die(err_msg());

	wr(t, VIRTIO_PCI_STATUS, 0, 1);
	wr(t, VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	host = rd(t, VIRTIO_PCI_HOST_FEATURES, 4);
	if ((host & want) != want)
		die("the device lacks FLUSH or EVENT_IDX");
	wr(t, VIRTIO_PCI_GUEST_FEATURES, want, 4);
	wr(t, VIRTIO_MSI_CONFIG_VECTOR, VEC_CONFIG, 2);
	wr(t, VIRTIO_PCI_QUEUE_SEL, 0, 2);
	if (rd(t, VIRTIO_PCI_QUEUE_NUM, 2) != QSIZE)
		die("unexpected queue size");
	wr(t, VIRTIO_MSI_QUEUE_VECTOR, VEC_QUEUE, 2);
	if (rd(t, VIRTIO_MSI_QUEUE_VECTOR, 2) != VEC_QUEUE)
		die("queue vector not taken");
	ring = gp(t, RING_GPA, vq_ring_bytes(QSIZE));
	memset(ring, 0, vq_ring_bytes(QSIZE));
	t->desc = (struct vring_desc *)ring;
	t->avail = (struct vring_avail *)(ring + vq_avail_offset(QSIZE));
	t->used = (struct vring_used *)(ring + vq_used_offset(QSIZE));
	t->used_event = &t->avail->ring[QSIZE];
	t->avail_event = (uint16_t *)&t->used->ring[QSIZE];
	wr(t, VIRTIO_PCI_QUEUE_PFN, RING_GPA >> 12, 4);
	wr(t, VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	if (rd(t, VIRTIO_PCI_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET)
		die("device needs reset after set-up");
	t->capacity = ((uint64_t)rd(t, cfg + 4, 4) << 32 | rd(t, cfg, 4)) *
		      DISK_SECTOR;
	if (t->capacity < BLK_BS)
		die("image smaller than one request");
	t->hdr = gp(t, HDR_GPA, 16 * QSIZE);
	t->status = gp(t, STATUS_GPA, QSIZE);
}

static void teardown(struct drv *t)
{
	/* Reset first: it waits for the backend, so nothing fires later. */
	wr(t, VIRTIO_PCI_STATUS, 0, 1);
	virtio_blk_free(t->dev);	/* stops the thread, closes the disk */
	unfake_msix(t);
	close(t->irq_fd);
	guest_mem_free(&t->vm->mem);
	free(t->vm);
}

/* ---- the driver ---- */

/* Slot s: descriptors 3s..3s+2 (header, 4 KiB buffer, status). */
static void slot_init(struct drv *t, unsigned int s)
{
	t->desc[3 * s] = (struct vring_desc){
		HDR_GPA + 16 * s, 16, VRING_DESC_F_NEXT, 3 * s + 1 };
	t->desc[3 * s + 1] = (struct vring_desc){
		DATA_GPA + (uint64_t)s * BLK_BS, BLK_BS,
		VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3 * s + 2 };
	t->desc[3 * s + 2] = (struct vring_desc){
		STATUS_GPA + s, 1, VRING_DESC_F_WRITE, 0 };
	t->hdr[s].type = VIRTIO_BLK_T_IN;
	t->hdr[s].ioprio = 0;
}

static void slot_prepare(struct drv *t, unsigned int s, uint64_t offset)
{
	t->hdr[s].sector = offset / DISK_SECTOR;
	t->status[s] = 0xff;
}

/* Make heads available; kick unless EVENT_IDX says the device is busy. */
static void publish(struct drv *t, const uint16_t *heads, unsigned int n)
{
	uint16_t old = t->avail->idx, idx = old;
	uint64_t one = 1;
	unsigned int i;

	for (i = 0; i < n; i++)
		t->avail->ring[idx++ % QSIZE] = heads[i];
	__atomic_store_n(&t->avail->idx, idx, __ATOMIC_RELEASE);
	/* idx before reading avail_event, as the device does it the
	 * other way round: a full barrier. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vring_need_event(__atomic_load_n(t->avail_event,
					      __ATOMIC_RELAXED), idx, old))
		return;
	if (write(t->dev->notify_fd[0], &one, sizeof(one)) != sizeof(one))
		die("cannot kick");
	t->kicks++;
}

/* Sleep on the interrupt until the used ring moves past last_used. */
static void wait_used(struct drv *t)
{
	uint64_t cnt;

	for (;;) {
		__atomic_store_n(t->used_event, t->last_used,
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&t->used->idx, __ATOMIC_ACQUIRE) !=
		    t->last_used)
			return;
		if (read(t->irq_fd, &cnt, sizeof(cnt)) != sizeof(cnt) &&
		    errno != EINTR)
			die("cannot wait for the interrupt");
		t->irqs++;
	}
}

int main(int argc, char **argv)
{
	uint16_t heads[BLK_QD_MAX];
	unsigned long long done = 0;
	unsigned int s, n = 0, inflight = 0;
	double t0, t1, cpu0, cpu1, io0, io1, drv0, drv1, deadline;
	struct blk_args a;
	struct blk_rand rnd;
	clockid_t io_clock;
	struct drv t;

	blk_args_parse(&a, argc, argv, "blk-service");
	if (a.qd > QSIZE / 3)
		die("queue depth above 85 does not fit 3 descriptors each");
	setup(&t, a.path);
	if (pthread_getcpuclockid(t.dev->thread, &io_clock))
		die("no CPU clock for the I/O thread");
	blk_rand_init(&rnd, t.capacity);

	cpu0 = blk_process_cpu();
	io0 = blk_clock_cpu(io_clock);
	drv0 = blk_clock_cpu(CLOCK_THREAD_CPUTIME_ID);
	t0 = blk_now();
	deadline = t0 + a.seconds;
	for (s = 0; s < a.qd; s++) {
		slot_init(&t, s);
		slot_prepare(&t, s, blk_rand_offset(&rnd));
		heads[n++] = 3 * s;
	}
	publish(&t, heads, n);
	inflight = a.qd;
	while (inflight) {
		bool refill;

		wait_used(&t);
		refill = blk_now() < deadline;
		n = 0;
		while (__atomic_load_n(&t.used->idx, __ATOMIC_ACQUIRE) !=
		       t.last_used) {
			struct vring_used_elem e =
				t.used->ring[t.last_used++ % QSIZE];

			s = e.id / 3;
			if (e.id % 3 || s >= a.qd || e.len != BLK_BS + 1 ||
			    t.status[s] != VIRTIO_BLK_S_OK) {
				fprintf(stderr, "blk-service: bad completion: id %u len %u status %u\n",
					e.id, e.len,
					s < a.qd ? t.status[s] : 0xff);
				return 1;
			}
			done++;
			inflight--;
			if (!refill)
				continue;
			slot_prepare(&t, s, blk_rand_offset(&rnd));
			heads[n++] = 3 * s;
		}
		if (n)
			publish(&t, heads, n);
		inflight += n;
	}
	t1 = blk_now();
	drv1 = blk_clock_cpu(CLOCK_THREAD_CPUTIME_ID);
	io1 = blk_clock_cpu(io_clock);
	cpu1 = blk_process_cpu();

	printf("requests=%llu seconds=%.6f iops=%.0f cpu_us=%.3f io_us=%.3f drv_us=%.3f kicks=%.4f irqs=%.4f\n",
	       done, t1 - t0, done / (t1 - t0), (cpu1 - cpu0) * 1e6 / done,
	       (io1 - io0) * 1e6 / done, (drv1 - drv0) * 1e6 / done,
	       (double)t.kicks / done, (double)t.irqs / done);
	teardown(&t);
	return 0;
}
