// SPDX-License-Identifier: GPL-2.0
/*
 * test_modern.c - the modern virtio-PCI transport (modern_pci.c) driven
 * the way a guest would, on a virtio-blk over a temporary image and a
 * fake guest RAM: every common-configuration field at every width and
 * offset, what is read-only, 64-bit feature negotiation (VERSION_1
 * required, FEATURES_OK refused for bits never offered, features fixed
 * from then on), queue_enable with every kind of bad size and ring
 * placement (outside RAM, straddling the PCI hole, misaligned), the
 * lowered queue size carrying real requests, notify offsets, ISR,
 * config_generation, a driver mixing the two interfaces, and - on a
 * PCI bus without KVM - the capabilities, IDs and BARs of transitional,
 * modern-only and legacy-only devices.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "unit.h"
#include "../../vmm/virtio/virtio.h"

#define LOW_SIZE	(16ULL << 20)
#define QSIZE		VIRTIO_BLK_QUEUE_SIZE
#define DESC_GPA	0x10000ULL
#define AVAIL_GPA	0x30002ULL	/* 2-byte aligned only, on purpose */
#define USED_GPA	0x50004ULL	/* 4-byte aligned only, on purpose */
#define HDR_GPA		0x70000ULL
#define STATUS_GPA	0x71000ULL
#define DATA_GPA	0x100000ULL

#define S_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV		VIRTIO_CONFIG_S_DRIVER
#define S_FOK		VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK		VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET

#define COMMON(f)	(VIRTIO_MODERN_COMMON + VIRTIO_PCI_COMMON_##f)

struct mt {
	struct vm *vm;
	struct virtio_dev *dev;
	char path[64];
};

static uint64_t rd(struct mt *t, unsigned int off, unsigned int len)
{
	return virtio_modern_read(t->dev, off, len);
}

static void wr(struct mt *t, unsigned int off, uint64_t v, unsigned int len)
{
	virtio_modern_write(t->dev, off, v, len);
}

static void *gp(struct mt *t, uint64_t gpa, uint64_t len)
{
	void *p = guest_ptr(&t->vm->mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void mt_open(struct mt *t, uint64_t mem, enum virtio_transport_kind k)
{
	struct disk_config dc = { .transport = k };
	char zero[4096] = { 0 };
	int fd, i;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "/tmp/lightvm-modern-XXXXXX");
	fd = mkstemp(t->path);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < 256; i++)	/* 1 MiB */
		ck_assert_int_eq(write(fd, zero, sizeof(zero)), sizeof(zero));
	close(fd);
	dc.path = t->path;
	t->vm = calloc(1, sizeof(*t->vm));
	ck_assert_ptr_nonnull(t->vm);
	t->vm->vm_fd = t->vm->kvm_fd = -1;
	ck_assert_int_eq(guest_mem_init(&t->vm->mem, mem), 0);
	t->dev = virtio_blk_new(t->vm, &dc);
	ck_assert_msg(t->dev != NULL, "virtio_blk_new: %s", err_msg());
}

static void mt_close(struct mt *t)
{
	virtio_blk_free(t->dev);
	guest_mem_free(&t->vm->mem);
	free(t->vm);
	unlink(t->path);
}

static uint64_t device_features(struct mt *t)
{
	wr(t, COMMON(DFSELECT), 0, 4);
	uint64_t lo = rd(t, COMMON(DF), 4);

	wr(t, COMMON(DFSELECT), 1, 4);
	return lo | rd(t, COMMON(DF), 4) << 32;
}

static void driver_features(struct mt *t, uint64_t f)
{
	wr(t, COMMON(GFSELECT), 0, 4);
	wr(t, COMMON(GF), (uint32_t)f, 4);
	wr(t, COMMON(GFSELECT), 1, 4);
	wr(t, COMMON(GF), f >> 32, 4);
}

static uint8_t status(struct mt *t)
{
	return (uint8_t)rd(t, COMMON(STATUS), 1);
}

/* Reset, ACK|DRIVER, offered features, FEATURES_OK: true if accepted. */
static bool negotiate(struct mt *t, uint64_t f)
{
	wr(t, COMMON(STATUS), 0, 1);
	wr(t, COMMON(STATUS), S_ACK | S_DRV, 1);
	driver_features(t, f);
	wr(t, COMMON(STATUS), S_ACK | S_DRV | S_FOK, 1);
	return status(t) & S_FOK;
}

static void queue_place(struct mt *t, uint16_t q, uint16_t size, uint64_t desc,
			uint64_t avail, uint64_t used)
{
	wr(t, COMMON(Q_SELECT), q, 2);
	wr(t, COMMON(Q_SIZE), size, 2);
	wr(t, COMMON(Q_DESCLO), desc, 8);
	/* The driver half as Linux writes it: two 32-bit halves. */
	wr(t, COMMON(Q_AVAILLO), (uint32_t)avail, 4);
	wr(t, COMMON(Q_AVAILHI), avail >> 32, 4);
	wr(t, COMMON(Q_USEDLO), (uint32_t)used, 4);
	wr(t, COMMON(Q_USEDHI), used >> 32, 4);
	wr(t, COMMON(Q_ENABLE), 1, 2);
}

/* ---- the register file ---- */

START_TEST(common_config_values)
{
	struct mt t;
	uint64_t f;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	f = device_features(&t);
	ck_assert(f & (1ULL << VIRTIO_F_VERSION_1));
	ck_assert(f & (1ULL << VIRTIO_BLK_F_FLUSH));
	ck_assert(f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	/* Words past the second read 0. */
	wr(&t, COMMON(DFSELECT), 2, 4);
	ck_assert_uint_eq(rd(&t, COMMON(DF), 4), 0);
	ck_assert_uint_eq(rd(&t, COMMON(NUMQ), 2), 1);
	ck_assert_uint_eq(rd(&t, COMMON(MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	ck_assert_uint_eq(rd(&t, COMMON(CFGGENERATION), 1), 0);
	wr(&t, COMMON(Q_SELECT), 0, 2);
	ck_assert_uint_eq(rd(&t, COMMON(Q_SIZE), 2), QSIZE);
	ck_assert_uint_eq(rd(&t, COMMON(Q_NOFF), 2), 0);
	ck_assert_uint_eq(rd(&t, COMMON(Q_ENABLE), 2), 0);
	ck_assert_uint_eq(rd(&t, COMMON(Q_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	/* A queue that does not exist: size 0, "unavailable". */
	wr(&t, COMMON(Q_SELECT), 1, 2);
	ck_assert_uint_eq(rd(&t, COMMON(Q_SIZE), 2), 0);
	wr(&t, COMMON(Q_SELECT), 0xffff, 2);
	ck_assert_uint_eq(rd(&t, COMMON(Q_SIZE), 2), 0);
	wr(&t, COMMON(Q_ENABLE), 1, 2);		/* nothing to enable */
	ck_assert_uint_eq(status(&t) & S_NEEDS_RESET, 0);
	/* The device configuration: capacity, 2048 sectors of 512. */
	ck_assert_uint_eq(rd(&t, VIRTIO_MODERN_DEVICE, 8), 2048);
	mt_close(&t);
}
END_TEST

/* Any width at any offset reads the same bytes as single-byte reads. */
START_TEST(reads_every_width_every_offset)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	uint8_t bytes[VIRTIO_MODERN_NOTIFY + 16];
	unsigned int off, w, i;
	struct mt t;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	wr(&t, COMMON(Q_SELECT), 0, 2);
	wr(&t, COMMON(Q_DESCLO), 0x123456789abcdef0ULL, 8);
	for (off = 0; off < sizeof(bytes); off++)
		bytes[off] = (uint8_t)rd(&t, off, 1);
	ck_assert_uint_eq(bytes[COMMON(Q_DESCLO)], 0xf0);
	ck_assert_uint_eq(bytes[COMMON(Q_DESCHI) + 3], 0x12);
	for (w = 0; w < 4; w++) {
		for (off = 0; off + widths[w] <= sizeof(bytes); off++) {
			uint64_t v = rd(&t, off, widths[w]);

			/* ISR is read-and-clear: 0 both times here. */
			for (i = 0; i < widths[w]; i++)
				ck_assert_msg((uint8_t)(v >> 8 * i) == bytes[off + i],
					      "%u-byte read at 0x%x, byte %u",
					      widths[w], off, i);
		}
	}
	/* Past the BAR, or reaching past it: all ones. */
	ck_assert_uint_eq(rd(&t, VIRTIO_MODERN_BAR_SIZE, 4), 0xffffffff);
	ck_assert_uint_eq(rd(&t, VIRTIO_MODERN_BAR_SIZE - 2, 4), 0xffffffff);
	mt_close(&t);
}
END_TEST

START_TEST(readonly_fields_and_torn_writes)
{
	struct mt t;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	wr(&t, COMMON(DF), 0, 4);
	wr(&t, COMMON(NUMQ), 7, 2);
	wr(&t, COMMON(CFGGENERATION), 9, 1);
	wr(&t, COMMON(Q_NOFF), 5, 2);
	wr(&t, VIRTIO_MODERN_DEVICE, 0, 8);	/* blk config: read-only */
	wr(&t, VIRTIO_MODERN_ISR, 1, 1);
	ck_assert(device_features(&t) & (1ULL << VIRTIO_F_VERSION_1));
	ck_assert_uint_eq(rd(&t, COMMON(NUMQ), 2), 1);
	ck_assert_uint_eq(rd(&t, COMMON(CFGGENERATION), 1), 0);
	ck_assert_uint_eq(rd(&t, COMMON(Q_NOFF), 2), 0);
	ck_assert_uint_eq(rd(&t, VIRTIO_MODERN_DEVICE, 8), 2048);
	/* Wrong widths on writable fields change nothing. */
	wr(&t, COMMON(Q_SELECT), 1, 1);
	wr(&t, COMMON(Q_SELECT), 1, 4);
	ck_assert_uint_eq(rd(&t, COMMON(Q_SELECT), 2), 0);
	wr(&t, COMMON(STATUS), S_ACK, 2);
	ck_assert_uint_eq(status(&t), 0);
	wr(&t, COMMON(Q_SIZE) + 1, 0x40, 1);
	ck_assert_uint_eq(rd(&t, COMMON(Q_SIZE), 2), QSIZE);
	/* A 64-bit field: whole, or either 32-bit half. */
	wr(&t, COMMON(Q_USEDLO), 0x1111111122222222ULL, 8);
	wr(&t, COMMON(Q_USEDHI), 0x33333333, 4);
	ck_assert_uint_eq(rd(&t, COMMON(Q_USEDLO), 8), 0x3333333322222222ULL);
	wr(&t, COMMON(Q_USEDLO), 0x44444444, 4);
	ck_assert_uint_eq(rd(&t, COMMON(Q_USEDLO), 8), 0x3333333344444444ULL);
	wr(&t, COMMON(Q_USEDLO) + 2, 0x5555, 2);	/* torn: ignored */
	ck_assert_uint_eq(rd(&t, COMMON(Q_USEDLO), 8), 0x3333333344444444ULL);
	ck_assert_uint_eq(status(&t) & S_NEEDS_RESET, 0);
	mt_close(&t);
}
END_TEST

/* ---- features ---- */

START_TEST(features_negotiation)
{
	struct mt t;
	uint64_t offered;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	offered = device_features(&t);
	/* Without VERSION_1: FEATURES_OK does not read back. */
	ck_assert(!negotiate(&t, offered & ~(1ULL << VIRTIO_F_VERSION_1)));
	/* A bit never offered (ACCESS_PLATFORM, 33): refused. */
	ck_assert(!negotiate(&t, offered | 1ULL << VIRTIO_F_ACCESS_PLATFORM));
	ck_assert(!negotiate(&t, offered | 1ULL << 63));
	/* What was offered: accepted, and read back as written. */
	ck_assert(negotiate(&t, offered));
	wr(&t, COMMON(GFSELECT), 1, 4);
	ck_assert_uint_eq(rd(&t, COMMON(GF), 4), offered >> 32);
	/* From FEATURES_OK on, writes to driver_feature are ignored. */
	wr(&t, COMMON(GFSELECT), 0, 4);
	wr(&t, COMMON(GF), 0, 4);
	ck_assert_uint_eq(rd(&t, COMMON(GF), 4), (uint32_t)offered);
	ck_assert_uint_eq(t.dev->guest_features, offered);
	/* A reset opens negotiation again. */
	wr(&t, COMMON(STATUS), 0, 1);
	ck_assert_uint_eq(status(&t), 0);
	ck_assert_uint_eq(t.dev->guest_features, 0);
	mt_close(&t);
}
END_TEST

START_TEST(driver_ok_without_features_ok)
{
	struct mt t;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	wr(&t, COMMON(STATUS), S_ACK | S_DRV, 1);
	driver_features(&t, device_features(&t));
	wr(&t, COMMON(STATUS), S_ACK | S_DRV | S_DOK, 1);
	ck_assert_uint_eq(status(&t) & (S_NEEDS_RESET | S_DOK), S_NEEDS_RESET);
	wr(&t, COMMON(STATUS), 0, 1);
	ck_assert_uint_eq(status(&t), 0);
	mt_close(&t);
}
END_TEST

/* ---- queues ---- */

struct bad_queue {
	const char *what;
	uint16_t size;
	uint64_t desc, avail, used;	/* offsets from LOW_SIZE if ~0 >> 1 */
};

#define END_OF_LOW	0x8000000000000000ULL	/* marker: relative to RAM end */

static const struct bad_queue bad_queues[] = {
	{ "size 0", 0, DESC_GPA, AVAIL_GPA, USED_GPA },
	{ "size 3", 3, DESC_GPA, AVAIL_GPA, USED_GPA },
	{ "size 512 > 256", 512, DESC_GPA, AVAIL_GPA, USED_GPA },
	{ "desc misaligned", 64, DESC_GPA + 8, AVAIL_GPA, USED_GPA },
	{ "avail odd", 64, DESC_GPA, AVAIL_GPA + 1, USED_GPA },
	{ "used 2-aligned", 64, DESC_GPA, AVAIL_GPA, USED_GPA + 2 },
	{ "desc past RAM", 64, END_OF_LOW - 16 * 63, AVAIL_GPA, USED_GPA },
	{ "avail past RAM", 64, DESC_GPA, END_OF_LOW - 130, USED_GPA },
	{ "used past RAM", 64, DESC_GPA, AVAIL_GPA, END_OF_LOW - 516 },
	{ "used in the PCI hole", 64, DESC_GPA, AVAIL_GPA, PCI_HOLE_START },
	{ "desc above 2^64", 64, 0xfffffffffffffc00ULL, AVAIL_GPA, USED_GPA },
};

START_TEST(queue_enable_refuses)
{
	const struct bad_queue *b = &bad_queues[_i];
	uint64_t desc = b->desc, avail = b->avail, used = b->used;
	struct mt t;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	if (desc & END_OF_LOW)
		desc = LOW_SIZE - (END_OF_LOW - desc);
	if (avail & END_OF_LOW)
		avail = LOW_SIZE - (END_OF_LOW - avail);
	if (used & END_OF_LOW)
		used = LOW_SIZE - (END_OF_LOW - used);
	ck_assert(negotiate(&t, device_features(&t)));
	queue_place(&t, 0, b->size, desc, avail, used);
	ck_assert_msg(status(&t) & S_NEEDS_RESET, "%s accepted", b->what);
	ck_assert_uint_eq(rd(&t, COMMON(Q_ENABLE), 2), 0);
	ck_assert(!t.dev->vqs[0].ready);
	/* A reset clears it, and the same queue done right works. */
	ck_assert(negotiate(&t, device_features(&t)));
	queue_place(&t, 0, 64, DESC_GPA, AVAIL_GPA, USED_GPA);
	ck_assert_uint_eq(status(&t) & S_NEEDS_RESET, 0);
	ck_assert_uint_eq(rd(&t, COMMON(Q_ENABLE), 2), 1);
	mt_close(&t);
}
END_TEST

/* Rings in high RAM (above the hole) are fine; one straddling the end
 * of low RAM into the hole is not. */
START_TEST(queue_enable_around_the_hole)
{
	uint64_t high = PCI_HOLE_END, low_end = PCI_HOLE_START;
	struct mt t;

	mt_open(&t, PCI_HOLE_START + LOW_SIZE, VIRTIO_TRANSITIONAL);
	ck_assert(negotiate(&t, device_features(&t)));
	queue_place(&t, 0, 64, high, high + 0x2000, high + 0x4000);
	ck_assert_uint_eq(status(&t) & S_NEEDS_RESET, 0);
	ck_assert(t.dev->vqs[0].ready);
	ck_assert(negotiate(&t, device_features(&t)));
	queue_place(&t, 0, 64, DESC_GPA, AVAIL_GPA, low_end - 8);
	ck_assert(status(&t) & S_NEEDS_RESET);
	mt_close(&t);
}
END_TEST

/* Once enabled, the queue's fields no longer change; 0 to queue_enable
 * is ignored. */
START_TEST(enabled_queue_is_fixed)
{
	struct mt t;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	ck_assert(negotiate(&t, device_features(&t)));
	queue_place(&t, 0, 64, DESC_GPA, AVAIL_GPA, USED_GPA);
	wr(&t, COMMON(Q_SIZE), 128, 2);
	wr(&t, COMMON(Q_DESCLO), 0x20000, 8);
	wr(&t, COMMON(Q_ENABLE), 0, 2);
	ck_assert_uint_eq(rd(&t, COMMON(Q_SIZE), 2), 64);
	ck_assert_uint_eq(rd(&t, COMMON(Q_DESCLO), 8), DESC_GPA);
	ck_assert_uint_eq(rd(&t, COMMON(Q_ENABLE), 2), 1);
	ck_assert_uint_eq(t.dev->vqs[0].size, 64);
	mt_close(&t);
}
END_TEST

/* A lowered queue size at three unrelated addresses carries requests. */
START_TEST(small_queue_carries_io)
{
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct virtio_blk_outhdr *h;
	uint8_t *data, file[512];
	unsigned int spins = 0;
	struct mt t;
	int fd;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	ck_assert(negotiate(&t, device_features(&t)));
	queue_place(&t, 0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	wr(&t, COMMON(STATUS), S_ACK | S_DRV | S_FOK | S_DOK, 1);
	ck_assert_uint_eq(status(&t), S_ACK | S_DRV | S_FOK | S_DOK);
	desc = gp(&t, DESC_GPA, 16 * 16);
	avail = gp(&t, AVAIL_GPA, vq_avail_bytes(16));
	used = gp(&t, USED_GPA, vq_used_bytes(16));
	h = gp(&t, HDR_GPA, 16);
	data = gp(&t, DATA_GPA, 512);
	*h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_OUT, .sector = 7 };
	memset(data, 0x5c, 512);
	desc[13] = (struct vring_desc){ HDR_GPA, 16, VRING_DESC_F_NEXT, 2 };
	desc[2] = (struct vring_desc){ DATA_GPA, 512, VRING_DESC_F_NEXT, 15 };
	desc[15] = (struct vring_desc){ STATUS_GPA, 1, VRING_DESC_F_WRITE, 0 };
	avail->ring[0] = 13;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	virtio_dev_poll(t.dev, 1, false, 1);
	while (t.dev->inflight) {
		ck_assert_uint_lt(++spins, 100000);
		usleep(50);
		virtio_dev_poll(t.dev, 0, true, 0);
	}
	ck_assert_uint_eq(used->idx, 1);
	ck_assert_uint_eq(used->ring[0].id, 13);
	ck_assert_uint_eq(*(uint8_t *)gp(&t, STATUS_GPA, 1), VIRTIO_BLK_S_OK);
	fd = open(t.path, O_RDONLY);
	ck_assert_int_eq(pread(fd, file, 512, 7 * 512), 512);
	close(fd);
	ck_assert_mem_eq(file, data, 512);
	/* A head >= 16 is out of range for this queue, whatever the max. */
	avail->ring[1] = 20;
	__atomic_store_n(&avail->idx, 2, __ATOMIC_RELEASE);
	virtio_dev_poll(t.dev, 1, false, 1);
	ck_assert(status(&t) & S_NEEDS_RESET);
	mt_close(&t);
}
END_TEST

/* ---- notify, ISR, vectors ---- */

START_TEST(notify_region)
{
	struct mt t;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	/* Kicks that reach the device (not ioeventfds): counted. */
	wr(&t, VIRTIO_MODERN_NOTIFY, 0, 2);
	wr(&t, VIRTIO_MODERN_NOTIFY + 1, 0, 1);
	wr(&t, VIRTIO_MODERN_NOTIFY, 0, 4);
	ck_assert_uint_eq(t.dev->stats.notify_exits, 3);
	/* Past the last queue's slot: not a notification. */
	wr(&t, VIRTIO_MODERN_NOTIFY + VIRTIO_MODERN_NOTIFY_MULT, 1, 2);
	ck_assert_uint_eq(t.dev->stats.notify_exits, 3);
	/* Vectors: past the table reads back NO_VECTOR. */
	wr(&t, COMMON(MSIX), 1, 2);
	ck_assert_uint_eq(rd(&t, COMMON(MSIX), 2), 1);
	wr(&t, COMMON(MSIX), 2, 2);
	ck_assert_uint_eq(rd(&t, COMMON(MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	wr(&t, COMMON(Q_MSIX), 0, 2);
	ck_assert_uint_eq(rd(&t, COMMON(Q_MSIX), 2), 0);
	wr(&t, COMMON(Q_MSIX), 9, 2);
	ck_assert_uint_eq(rd(&t, COMMON(Q_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	/* ISR: read-and-clear. */
	t.dev->isr = 1;
	ck_assert_uint_eq(rd(&t, VIRTIO_MODERN_ISR, 1), 1);
	ck_assert_uint_eq(rd(&t, VIRTIO_MODERN_ISR, 1), 0);
	mt_close(&t);
}
END_TEST

/* ---- one interface per reset ---- */

START_TEST(mixing_interfaces)
{
	struct mt t;

	mt_open(&t, LOW_SIZE, VIRTIO_TRANSITIONAL);
	/* A legacy driver starts... */
	virtio_legacy_write(t.dev, VIRTIO_PCI_STATUS, S_ACK, 1);
	/* ...then writes the modern registers: ignored, NEEDS_RESET. */
	wr(&t, COMMON(Q_SELECT), 0, 2);
	wr(&t, COMMON(Q_SIZE), 16, 2);
	ck_assert_uint_eq(rd(&t, COMMON(Q_SIZE), 2), QSIZE);
	ck_assert(status(&t) & S_NEEDS_RESET);
	/* Reading both is harmless; a reset through either clears it. */
	ck_assert_uint_eq(virtio_legacy_read(t.dev, VIRTIO_PCI_QUEUE_NUM, 2), QSIZE);
	wr(&t, COMMON(STATUS), 0, 1);
	ck_assert_uint_eq(status(&t), 0);
	/* Now modern first, and a legacy write is the intruder. */
	ck_assert(negotiate(&t, device_features(&t)));
	virtio_legacy_write(t.dev, VIRTIO_PCI_GUEST_FEATURES, 0, 4);
	ck_assert(status(&t) & S_NEEDS_RESET);
	ck_assert(t.dev->guest_features & (1ULL << VIRTIO_F_VERSION_1));
	virtio_legacy_write(t.dev, VIRTIO_PCI_STATUS, 0, 1);
	ck_assert_uint_eq(status(&t), 0);
	/* Legacy sees 32 feature bits: never VERSION_1. */
	ck_assert_uint_eq(virtio_legacy_read(t.dev, VIRTIO_PCI_HOST_FEATURES, 4),
			  (uint32_t)device_features(&t));
	mt_close(&t);
}
END_TEST

/* ---- on a PCI bus: IDs, BARs, capabilities ---- */

static struct vm *bus_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	ck_assert_ptr_nonnull(vm);
	vm->kvm_fd = vm->vm_fd = -1;
	vm->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&vm->stop_lock, NULL);
	io_bus_init(&vm->pio, "port");
	io_bus_init(&vm->mmio, "mmio");
	ck_assert_int_eq(irq_routing_init(vm), 0);
	ck_assert_int_eq(pci_init(vm), 0);
	ck_assert_int_eq(guest_mem_init(&vm->mem, LOW_SIZE), 0);
	return vm;
}

static uint32_t le32(const uint8_t *p)
{
	return pci_get_le32(p);
}

/* The config offset of the vendor capability of cfg_type, or 0. */
static unsigned int find_vcap(const uint8_t *cfg, uint8_t type)
{
	unsigned int off = cfg[PCI_CAPABILITY_LIST], n = 0;

	while (off && n++ < 48) {
		if (cfg[off] == PCI_CAP_ID_VNDR &&
		    cfg[off + VIRTIO_PCI_CAP_CFG_TYPE] == type)
			return off;
		off = cfg[off + 1];
	}
	return 0;
}

START_TEST(pci_identity_and_capabilities)
{
	static const struct {
		enum virtio_transport_kind kind;
		uint16_t device;
		uint8_t revision;
		bool legacy, modern;
	} kinds[] = {
		{ VIRTIO_TRANSITIONAL, 0x1001, 0, true, true },
		{ VIRTIO_MODERN, 0x1042, 1, false, true },
		{ VIRTIO_LEGACY, 0x1001, 0, true, false },
	};
	struct vm *vm = bus_vm();
	struct disk_config dc = { .transport = kinds[_i].kind };
	struct virtio_dev *dev;
	char path[64] = "/tmp/lightvm-modern-XXXXXX";
	unsigned int common, notify, isr, devcfg;
	const uint8_t *cfg;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	dc.path = path;
	dev = virtio_blk_new(vm, &dc);
	ck_assert_ptr_nonnull(dev);
	ck_assert_int_eq(virtio_dev_plug(dev, VIRTIO_BLK_CLASS, false), 0);
	cfg = dev->pci.cfg;
	ck_assert_uint_eq(cfg[PCI_DEVICE_ID] | cfg[PCI_DEVICE_ID + 1] << 8,
			  kinds[_i].device);
	ck_assert_uint_eq(cfg[PCI_REVISION_ID], kinds[_i].revision);
	ck_assert_uint_eq(cfg[PCI_SUBSYSTEM_ID], VIRTIO_ID_BLOCK);
	ck_assert_uint_eq(dev->pci.bars[0].type,
			  kinds[_i].legacy ? PCI_BAR_IO : PCI_BAR_NONE);
	ck_assert_uint_eq(dev->pci.bars[1].type, PCI_BAR_MEM32);	/* MSI-X */
	common = find_vcap(cfg, VIRTIO_PCI_CAP_COMMON_CFG);
	notify = find_vcap(cfg, VIRTIO_PCI_CAP_NOTIFY_CFG);
	isr = find_vcap(cfg, VIRTIO_PCI_CAP_ISR_CFG);
	devcfg = find_vcap(cfg, VIRTIO_PCI_CAP_DEVICE_CFG);
	if (!kinds[_i].modern) {
		ck_assert_uint_eq(common | notify | isr | devcfg, 0);
		ck_assert_uint_eq(dev->pci.bars[4].type, PCI_BAR_NONE);
		ck_assert(!(dev->host_features & (1ULL << VIRTIO_F_VERSION_1)));
		goto out;
	}
	ck_assert(common && notify && isr && devcfg);
	ck_assert_uint_eq(dev->pci.bars[4].type, PCI_BAR_MEM64);
	ck_assert_uint_eq(dev->pci.bars[5].type, PCI_BAR_MEM64_HI);
	ck_assert_uint_eq(le32(cfg + PCI_BAR0 + 16) & 0xf, 0x4);	/* 64-bit */
	ck_assert(dev->pci.bars[4].mapped);
	ck_assert_uint_eq(cfg[common + VIRTIO_PCI_CAP_BAR], 4);
	ck_assert_uint_eq(le32(cfg + common + VIRTIO_PCI_CAP_OFFSET),
			  VIRTIO_MODERN_COMMON);
	ck_assert_uint_ge(le32(cfg + common + VIRTIO_PCI_CAP_LENGTH), 0x38);
	ck_assert_uint_eq(le32(cfg + isr + VIRTIO_PCI_CAP_OFFSET),
			  VIRTIO_MODERN_ISR);
	ck_assert_uint_eq(le32(cfg + devcfg + VIRTIO_PCI_CAP_OFFSET),
			  VIRTIO_MODERN_DEVICE);
	ck_assert_uint_eq(le32(cfg + devcfg + VIRTIO_PCI_CAP_LENGTH),
			  sizeof(struct virtio_blk_config));
	ck_assert_uint_eq(cfg[notify + VIRTIO_PCI_CAP_LEN],
			  sizeof(struct virtio_pci_notify_cap));
	ck_assert_uint_eq(le32(cfg + notify + VIRTIO_PCI_NOTIFY_CAP_MULT),
			  VIRTIO_MODERN_NOTIFY_MULT);
	ck_assert_uint_eq(le32(cfg + notify + VIRTIO_PCI_CAP_OFFSET),
			  VIRTIO_MODERN_NOTIFY);
	/* The PCI configuration access capability (4.1.4.9), through
	 * mechanism #1 as a driver would use it: num_queues read through
	 * pci_cfg_data, queue_select written through it. */
	{
		unsigned int pcfg = find_vcap(cfg, VIRTIO_PCI_CAP_PCI_CFG);
		uint32_t addr = 0x80000000u | dev->pci.slot << 11, v;
		uint8_t b[4];

		ck_assert_uint_ne(pcfg, 0);
		ck_assert_uint_eq(cfg[pcfg + VIRTIO_PCI_CAP_LEN],
				  sizeof(struct virtio_pci_cfg_cap));
#define CFG_OUT(reg, val, n)						\
	do {								\
		v = addr | ((reg) & 0xfc);				\
		ck_assert(io_bus_access(&vm->pio, 0xcf8, (uint8_t *)&v, 4, true)); \
		v = (val);						\
		ck_assert(io_bus_access(&vm->pio, 0xcfc + ((reg) & 3),	\
					(uint8_t *)&v, (n), true));	\
	} while (0)
		CFG_OUT(pcfg + VIRTIO_PCI_CAP_BAR, 4, 1);
		CFG_OUT(pcfg + VIRTIO_PCI_CAP_OFFSET, COMMON(NUMQ), 4);
		CFG_OUT(pcfg + VIRTIO_PCI_CAP_LENGTH, 2, 4);
		v = addr | (pcfg + 16);
		ck_assert(io_bus_access(&vm->pio, 0xcf8, (uint8_t *)&v, 4, true));
		memset(b, 0, sizeof(b));
		ck_assert(io_bus_access(&vm->pio, 0xcfc, b, 4, false));
		ck_assert_uint_eq(b[0] | b[1] << 8, 1);		/* one queue */
		/* A write: queue_select = 7, read back through the BAR. */
		CFG_OUT(pcfg + VIRTIO_PCI_CAP_OFFSET, COMMON(Q_SELECT), 4);
		CFG_OUT(pcfg + 16, 7, 2);
		ck_assert_uint_eq(virtio_modern_read(dev, COMMON(Q_SELECT), 2), 7);
		/* A bad length or another BAR is ignored. */
		CFG_OUT(pcfg + VIRTIO_PCI_CAP_LENGTH, 3, 4);
		CFG_OUT(pcfg + 16, 5, 2);
		ck_assert_uint_eq(virtio_modern_read(dev, COMMON(Q_SELECT), 2), 7);
		CFG_OUT(pcfg + VIRTIO_PCI_CAP_LENGTH, 2, 4);
		CFG_OUT(pcfg + VIRTIO_PCI_CAP_BAR, 1, 1);
		CFG_OUT(pcfg + 16, 5, 2);
		ck_assert_uint_eq(virtio_modern_read(dev, COMMON(Q_SELECT), 2), 7);
#undef CFG_OUT
	}
	/* The BAR on the MMIO bus answers like the transport. */
	{
		uint64_t base = dev->pci.bars[4].addr;
		uint16_t numq = 0;

		ck_assert(io_bus_access(&vm->mmio, base + COMMON(NUMQ),
					(uint8_t *)&numq, 2, false));
		ck_assert_uint_eq(numq, 1);
		ck_assert_uint_eq(dev->notify_mmio, base + VIRTIO_MODERN_NOTIFY);
		ck_assert(dev->notify_mmio_assigned);
	}
out:
	virtio_blk_free(dev);
	pci_destroy(vm);
	guest_mem_free(&vm->mem);
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	close(vm->stop_fd);
	free(vm);
	unlink(path);
}
END_TEST

Suite *modern_suite(void)
{
	Suite *s = suite_create("modern");
	TCase *tc = tcase_create("modern");

	tcase_add_test(tc, common_config_values);
	tcase_add_test(tc, reads_every_width_every_offset);
	tcase_add_test(tc, readonly_fields_and_torn_writes);
	tcase_add_test(tc, features_negotiation);
	tcase_add_test(tc, driver_ok_without_features_ok);
	tcase_add_loop_test(tc, queue_enable_refuses, 0,
			    sizeof(bad_queues) / sizeof(bad_queues[0]));
	tcase_add_test(tc, queue_enable_around_the_hole);
	tcase_add_test(tc, enabled_queue_is_fixed);
	tcase_add_test(tc, small_queue_carries_io);
	tcase_add_test(tc, notify_region);
	tcase_add_test(tc, mixing_interfaces);
	tcase_add_loop_test(tc, pci_identity_and_capabilities, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}
