// SPDX-License-Identifier: GPL-2.0
/*
 * test_blk.c - virtio-blk driven the way a guest would, without a VM: a
 * fake guest RAM holds the ring and the buffers, BAR0 accesses go
 * straight to the legacy transport, and each "kick" is one I/O-thread
 * pass run in the test.  Requests hit a temporary image file, which the
 * tests then read back with pread.  Covers every error status, the
 * read-only image staying untouched, FLUSH ordering behind writes, image
 * locking, NEEDS_RESET for unanswerable requests, reset with I/O in
 * flight, and the register file at every offset and width.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "unit.h"
#include "../../vmm/virtio/virtio.h"
#include "../../vmm/disk/disk.h"

#define MEM_SIZE	(16ULL << 20)
#define RING_GPA	0x10000ULL
#define HDR_GPA		0x20000ULL	/* 16 bytes per slot */
#define STATUS_GPA	0x21000ULL	/* 1 byte per slot */
#define TABLE_GPA	0x22000ULL
#define DATA_GPA	0x100000ULL
#define IMG_SECTORS	2048		/* 1 MiB image */
#define QSIZE		VIRTIO_BLK_QUEUE_SIZE

#define F(bit)		(1u << (bit))

struct bt {
	struct vm *vm;
	struct virtio_dev *dev;
	char path[64];
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

static void *gp(struct bt *t, uint64_t gpa, uint64_t len)
{
	void *p = guest_ptr(&t->vm->mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* ---- the image ---- */

static void make_image(char *path, size_t pathlen, uint8_t fill)
{
	static uint8_t buf[IMG_SECTORS * 512];
	int fd;

	snprintf(path, pathlen, "/tmp/lightvm-blk-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	memset(buf, fill, sizeof(buf));
	ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), 0), sizeof(buf));
	close(fd);
}

static void image_read(const char *path, uint64_t off, void *buf,
		       size_t len)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

/*
 * Offset of the first byte of buf that is not v, or len.  One assertion
 * on this instead of one per byte: Check records every assertion with a
 * syscall, and a megabyte of them outlasts the test timeout on a busy
 * machine.
 */
static size_t first_not(const uint8_t *buf, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len && buf[i] == v; i++)
		;
	return i;
}

/* ---- the transport, as the guest sees it ---- */

static uint32_t rd(struct bt *t, unsigned int off, unsigned int len)
{
	return virtio_legacy_read(t->dev, off, len);
}

static void wr(struct bt *t, unsigned int off, uint32_t v, unsigned int len)
{
	virtio_legacy_write(t->dev, off, v, len);
}

static void bt_open(struct bt *t, const struct disk_config *dc)
{
	t->vm = calloc(1, sizeof(*t->vm));
	ck_assert_ptr_nonnull(t->vm);
	t->vm->vm_fd = t->vm->kvm_fd = -1;
	ck_assert_int_eq(guest_mem_init(&t->vm->mem, MEM_SIZE), 0);
	t->dev = virtio_blk_new(t->vm, dc);
	ck_assert_msg(t->dev != NULL, "virtio_blk_new: %s", err_msg());
	t->desc = gp(t, RING_GPA, vq_ring_bytes(QSIZE));
	t->avail = (void *)((uint8_t *)t->desc + vq_avail_offset(QSIZE));
	t->used = (void *)((uint8_t *)t->desc + vq_used_offset(QSIZE));
}

/* The legacy driver's bring-up: reset, ACK|DRIVER, features, queue. */
static void bt_start(struct bt *t, uint32_t want)
{
	uint32_t host;

	wr(t, VIRTIO_PCI_STATUS, 0, 1);
	wr(t, VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	host = rd(t, VIRTIO_PCI_HOST_FEATURES, 4);
	wr(t, VIRTIO_PCI_GUEST_FEATURES, host & want, 4);
	wr(t, VIRTIO_PCI_QUEUE_SEL, 0, 2);
	ck_assert_uint_eq(rd(t, VIRTIO_PCI_QUEUE_NUM, 2), QSIZE);
	memset(t->desc, 0, vq_ring_bytes(QSIZE));
	wr(t, VIRTIO_PCI_QUEUE_PFN, RING_GPA >> 12, 4);
	wr(t, VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

static void bt_setup(struct bt *t, bool ro, enum disk_engine engine,
		     const char *serial)
{
	struct disk_config dc = { .readonly = ro, .serial = serial,
				  .engine = engine };

	memset(t, 0, sizeof(*t));
	make_image(t->path, sizeof(t->path), 0xaa);
	dc.path = t->path;
	bt_open(t, &dc);
	bt_start(t, ~0u);
}

static void bt_teardown(struct bt *t)
{
	virtio_blk_free(t->dev);
	guest_mem_free(&t->vm->mem);
	free(t->vm);
	unlink(t->path);
}

/* ---- requests ---- */

static void avail_add(struct bt *t, uint16_t head)
{
	t->avail->ring[t->avail->idx % QSIZE] = head;
	__atomic_store_n(&t->avail->idx, t->avail->idx + 1, __ATOMIC_RELEASE);
}

/*
 * Slot k: header at HDR_GPA + 16k, status byte at STATUS_GPA + k,
 * descriptors 3k..3k+2.  Data (len 0: none) is device-writable for
 * reads and GET_ID, readable otherwise.
 */
static void queue_req(struct bt *t, unsigned int k, uint32_t type,
		      uint64_t sector, uint64_t data, uint32_t len,
		      bool writable)
{
	struct virtio_blk_outhdr *h = gp(t, HDR_GPA + 16 * k, 16);
	uint16_t d = 3 * k;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*(uint8_t *)gp(t, STATUS_GPA + k, 1) = 0xee;
	t->desc[d] = (struct vring_desc){ HDR_GPA + 16 * k, 16,
					  VRING_DESC_F_NEXT, d + 1 };
	if (len) {
		t->desc[d + 1] = (struct vring_desc){ data, len,
			VRING_DESC_F_NEXT | (writable ? VRING_DESC_F_WRITE : 0),
			d + 2 };
	} else {
		t->desc[d].next = d + 2;
	}
	t->desc[d + 2] = (struct vring_desc){ STATUS_GPA + k, 1,
					      VRING_DESC_F_WRITE, 0 };
	avail_add(t, d);
}

/* Kick and run passes until the backend has nothing in flight. */
static void kick(struct bt *t)
{
	unsigned int spins = 0;

	virtio_dev_poll(t->dev, 1, false, 1);
	while (t->dev->inflight) {
		ck_assert_uint_lt(++spins, 100000);
		usleep(50);
		virtio_dev_poll(t->dev, 0, true, 0);
	}
}

static uint8_t status_of(struct bt *t, unsigned int k)
{
	return *(volatile uint8_t *)gp(t, STATUS_GPA + k, 1);
}

/* The used entry for slot k: its len, or -1 if never completed. */
static int64_t used_len(struct bt *t, unsigned int k)
{
	uint16_t i, n = __atomic_load_n(&t->used->idx, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if (t->used->ring[i % QSIZE].id == 3 * k)
			return t->used->ring[i % QSIZE].len;
	return -1;
}

static void fill_pattern(uint8_t *p, size_t len, uint64_t first_sector)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		((uint64_t *)p)[i] = first_sector + i / 64;
}

/* ---- reads and writes ---- */

static void write_read_back(enum disk_engine engine)
{
	struct bt t;
	uint8_t *out, *in, file[4096];

	bt_setup(&t, false, engine, NULL);
	out = gp(&t, DATA_GPA, 4096);
	in = gp(&t, DATA_GPA + 0x10000, 4096);
	fill_pattern(out, 4096, 10);
	queue_req(&t, 0, VIRTIO_BLK_T_OUT, 10, DATA_GPA, 4096, false);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(used_len(&t, 0), 1);
	image_read(t.path, 10 * 512, file, 4096);
	ck_assert_mem_eq(file, out, 4096);

	memset(in, 0, 4096);
	queue_req(&t, 1, VIRTIO_BLK_T_IN, 10, DATA_GPA + 0x10000, 4096, true);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(used_len(&t, 1), 4096 + 1);
	ck_assert_mem_eq(in, out, 4096);
	/* Around it the image still has its fill. */
	image_read(t.path, 9 * 512, file, 512);
	ck_assert_uint_eq(file[0], 0xaa);
	ck_assert_uint_eq(file[511], 0xaa);
	ck_assert_uint_eq(t.dev->stats.requests, 2);
	bt_teardown(&t);
}

START_TEST(write_read_sync)
{
	write_read_back(DISK_ENGINE_SYNC);
}
END_TEST

START_TEST(write_read_aio)
{
	write_read_back(DISK_ENGINE_AIO);
}
END_TEST

/* The last sector is readable; one past it is not. */
START_TEST(last_sector_and_past_the_end)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	queue_req(&t, 0, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, DATA_GPA, 512, true);
	queue_req(&t, 1, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, DATA_GPA, 1024,
		  true);
	queue_req(&t, 2, VIRTIO_BLK_T_IN, IMG_SECTORS, DATA_GPA, 512, true);
	queue_req(&t, 3, VIRTIO_BLK_T_OUT, IMG_SECTORS, DATA_GPA, 512, false);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 2), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 3), VIRTIO_BLK_S_IOERR);
	/* Failed requests report only the status byte as written. */
	ck_assert_int_eq(used_len(&t, 1), 1);
	ck_assert_int_eq(used_len(&t, 3), 1);
	bt_teardown(&t);
}
END_TEST

/* sector * 512 or sector + count overflowing 64 bits. */
static const uint64_t overflow_sectors[] = {
	UINT64_MAX, UINT64_MAX - 1, 1ULL << 55, (UINT64_MAX >> 9) + 1,
	UINT64_MAX / 512,
};

START_TEST(sector_overflow)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	queue_req(&t, 0, VIRTIO_BLK_T_IN, overflow_sectors[_i], DATA_GPA,
		  1024, true);
	queue_req(&t, 1, VIRTIO_BLK_T_OUT, overflow_sectors[_i], DATA_GPA,
		  1024, false);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_IOERR);
	bt_teardown(&t);
}
END_TEST

START_TEST(length_not_multiple_of_512)
{
	struct bt t;
	uint8_t file[512];

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	memset(gp(&t, DATA_GPA, 1000), 0x11, 1000);
	queue_req(&t, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 100, true);
	queue_req(&t, 1, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 1000, false);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_IOERR);
	image_read(t.path, 0, file, 512);
	ck_assert_uint_eq(file[0], 0xaa);
	bt_teardown(&t);
}
END_TEST

START_TEST(data_in_the_wrong_direction)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	/* a read whose data the device may not write */
	queue_req(&t, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, false);
	/* a write whose data is device-writable */
	queue_req(&t, 1, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 512, true);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_IOERR);
	bt_teardown(&t);
}
END_TEST

START_TEST(readonly_image_untouched)
{
	struct bt t;
	uint8_t file[IMG_SECTORS * 512];

	bt_setup(&t, true, DISK_ENGINE_SYNC, NULL);
	ck_assert(rd(&t, VIRTIO_PCI_HOST_FEATURES, 4) & F(VIRTIO_BLK_F_RO));
	ck_assert(!(rd(&t, VIRTIO_PCI_HOST_FEATURES, 4) &
		    F(VIRTIO_BLK_F_DISCARD)));
	memset(gp(&t, DATA_GPA, 4096), 0x55, 4096);
	queue_req(&t, 0, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 4096, false);
	queue_req(&t, 1, VIRTIO_BLK_T_WRITE_ZEROES, 0, 0, 0, false);
	queue_req(&t, 2, VIRTIO_BLK_T_IN, 0, DATA_GPA + 0x1000, 512, true);
	queue_req(&t, 3, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(status_of(&t, 2), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 3), VIRTIO_BLK_S_OK);
	image_read(t.path, 0, file, sizeof(file));
	ck_assert_uint_eq(first_not(file, sizeof(file), 0xaa), sizeof(file));
	bt_teardown(&t);
}
END_TEST

START_TEST(unknown_type_unsupported)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_SCSI_CMD, 3, 42, VIRTIO_BLK_T_SECURE_ERASE,
		VIRTIO_BLK_T_IN | VIRTIO_BLK_T_BARRIER, 0xffffffffu,
	};
	struct bt t;
	unsigned int i;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		queue_req(&t, i, types[i], 0, DATA_GPA, 512, true);
	kick(&t);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_uint_eq(status_of(&t, i), VIRTIO_BLK_S_UNSUPP);
		ck_assert_int_eq(used_len(&t, i), 1);
	}
	bt_teardown(&t);
}
END_TEST

/* ---- GET_ID ---- */

START_TEST(get_id)
{
	struct bt t;
	uint8_t *id;

	bt_setup(&t, false, DISK_ENGINE_SYNC, "lightvm-serial-0001");
	id = gp(&t, DATA_GPA, 64);
	memset(id, 0x77, 64);
	queue_req(&t, 0, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 20, true);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(used_len(&t, 0), 21);
	ck_assert_mem_eq(id, "lightvm-serial-0001\0", 20);
	ck_assert_uint_eq(id[20], 0x77);
	bt_teardown(&t);
}
END_TEST

START_TEST(get_id_full_20_bytes_and_none)
{
	struct bt t;
	uint8_t *id;

	bt_setup(&t, false, DISK_ENGINE_SYNC, "ABCDEFGHIJKLMNOPQRST");
	id = gp(&t, DATA_GPA, 20);
	queue_req(&t, 0, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 20, true);
	kick(&t);
	ck_assert_mem_eq(id, "ABCDEFGHIJKLMNOPQRST", 20);
	bt_teardown(&t);

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	id = gp(&t, DATA_GPA, 20);
	memset(id, 0x77, 20);
	queue_req(&t, 0, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 20, true);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(id, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	bt_teardown(&t);
}
END_TEST

START_TEST(get_id_bad_buffer)
{
	struct bt t;
	uint8_t *id;

	bt_setup(&t, false, DISK_ENGINE_SYNC, "serial");
	id = gp(&t, DATA_GPA, 64);
	memset(id, 0x77, 64);
	queue_req(&t, 0, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 10, true);
	queue_req(&t, 1, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 21, true);
	queue_req(&t, 2, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 20, false);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 2), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(id[0], 0x77);		/* nothing written */
	bt_teardown(&t);
}
END_TEST

/* ---- FLUSH, DISCARD, WRITE_ZEROES ---- */

/* Position of slot k's completion in the used ring. */
static int used_pos(struct bt *t, unsigned int k)
{
	uint16_t i, n = t->used->idx;

	for (i = 0; i < n; i++)
		if (t->used->ring[i % QSIZE].id == 3 * k)
			return i;
	return -1;
}

START_TEST(flush_waits_for_writes)
{
	struct bt t;
	unsigned int k;

	bt_setup(&t, false, DISK_ENGINE_AIO, NULL);
	for (k = 0; k < 8; k++) {
		fill_pattern(gp(&t, DATA_GPA + k * 0x10000, 0x10000), 0x10000,
			     k * 128);
		queue_req(&t, k, VIRTIO_BLK_T_OUT, k * 128,
			  DATA_GPA + k * 0x10000, 0x10000, false);
	}
	queue_req(&t, 8, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	/* Behind the flush: must not overtake it. */
	queue_req(&t, 9, VIRTIO_BLK_T_IN, 0, DATA_GPA + 0x100000, 512, true);
	virtio_dev_poll(t.dev, 1, false, 1);
	/* The flush waits while writes are in flight; so does the read. */
	if (t.dev->inflight) {
		ck_assert_int_eq(used_pos(&t, 8), -1);
		ck_assert_int_eq(used_pos(&t, 9), -1);
	}
	kick(&t);
	for (k = 0; k < 8; k++) {
		ck_assert_uint_eq(status_of(&t, k), VIRTIO_BLK_S_OK);
		ck_assert_int_lt(used_pos(&t, k), used_pos(&t, 8));
	}
	ck_assert_uint_eq(status_of(&t, 8), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 9), VIRTIO_BLK_S_OK);
	ck_assert_int_lt(used_pos(&t, 8), used_pos(&t, 9));
	ck_assert_uint_eq(t.used->idx, 10);
	bt_teardown(&t);
}
END_TEST

static void queue_zeroes(struct bt *t, unsigned int k, uint32_t type,
			 uint64_t sector, uint32_t count, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes *s =
		gp(t, TABLE_GPA + 16 * k, 16);

	s->sector = sector;
	s->num_sectors = count;
	s->flags = flags;
	queue_req(t, k, type, 0, TABLE_GPA + 16 * k, 16, false);
}

START_TEST(discard_and_write_zeroes)
{
	struct bt t;
	uint8_t file[8 * 512];

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	queue_zeroes(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, 16, 8, 0);
	queue_zeroes(&t, 1, VIRTIO_BLK_T_WRITE_ZEROES, 64, 8,
		     VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	queue_zeroes(&t, 2, VIRTIO_BLK_T_DISCARD, 128, 8, 0);
	/* "UNSUPP for discard commands if the unmap flag is set" */
	queue_zeroes(&t, 3, VIRTIO_BLK_T_DISCARD, 128, 8,
		     VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	/* unknown flags */
	queue_zeroes(&t, 4, VIRTIO_BLK_T_WRITE_ZEROES, 128, 8, 2);
	/* past the end, and overflowing */
	queue_zeroes(&t, 5, VIRTIO_BLK_T_WRITE_ZEROES, IMG_SECTORS - 4, 8, 0);
	queue_zeroes(&t, 6, VIRTIO_BLK_T_DISCARD, UINT64_MAX - 2, 8, 0);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 2), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 3), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(status_of(&t, 4), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(status_of(&t, 5), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(status_of(&t, 6), VIRTIO_BLK_S_IOERR);
	image_read(t.path, 16 * 512, file, sizeof(file));
	ck_assert_uint_eq(first_not(file, sizeof(file), 0), sizeof(file));
	image_read(t.path, 64 * 512, file, sizeof(file));
	ck_assert_uint_eq(first_not(file, sizeof(file), 0), sizeof(file));
	image_read(t.path, 15 * 512, file, 512);
	ck_assert_uint_eq(file[0], 0xaa);
	image_read(t.path, 24 * 512, file, 512);
	ck_assert_uint_eq(file[0], 0xaa);
	bt_teardown(&t);
}
END_TEST

/* ---- framing the device cannot answer: NEEDS_RESET ---- */

START_TEST(no_status_byte_needs_reset)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	/* header only: no device-writable byte at all */
	t.desc[0] = (struct vring_desc){ HDR_GPA, 16, 0, 0 };
	avail_add(&t, 0);
	kick(&t);
	ck_assert(rd(&t, VIRTIO_PCI_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(t.used->idx, 0);
	ck_assert_uint_eq(t.dev->stats.needs_reset, 1);
	/* The config-change interrupt (INTx here: ISR bit 1). */
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_ISR, 1) & VIRTIO_PCI_ISR_CONFIG,
			  VIRTIO_PCI_ISR_CONFIG);
	/* The queue is stopped: a good request now is ignored... */
	queue_req(&t, 1, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	kick(&t);
	ck_assert_uint_eq(t.used->idx, 0);
	/* ...until the driver resets the device. */
	bt_start(&t, ~0u);
	ck_assert(!(rd(&t, VIRTIO_PCI_STATUS, 1) &
		    VIRTIO_CONFIG_S_NEEDS_RESET));
	queue_req(&t, 1, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_OK);
	bt_teardown(&t);
}
END_TEST

START_TEST(short_header_needs_reset)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	t.desc[0] = (struct vring_desc){ HDR_GPA, 8, VRING_DESC_F_NEXT, 1 };
	t.desc[1] = (struct vring_desc){ STATUS_GPA, 1, VRING_DESC_F_WRITE,
					 0 };
	avail_add(&t, 0);
	kick(&t);
	ck_assert(rd(&t, VIRTIO_PCI_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	bt_teardown(&t);
}
END_TEST

START_TEST(malformed_chain_needs_reset)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	t.desc[0] = (struct vring_desc){ HDR_GPA, 16, VRING_DESC_F_NEXT, 0 };
	avail_add(&t, 0);
	kick(&t);
	ck_assert(rd(&t, VIRTIO_PCI_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(t.dev->vqs[0].broken);
	bt_teardown(&t);
}
END_TEST

/* Header and data/status sharing descriptors ("any layout"). */
START_TEST(any_layout)
{
	struct bt t;
	uint8_t *buf, *hdr;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	hdr = gp(&t, HDR_GPA, 16);
	*(uint32_t *)hdr = VIRTIO_BLK_T_IN;
	*(uint64_t *)(hdr + 8) = 3;
	buf = gp(&t, DATA_GPA, 513);
	memset(buf, 0, 513);
	/* header split 5 + 11, then one writable 513-byte buffer */
	t.desc[0] = (struct vring_desc){ HDR_GPA, 5, VRING_DESC_F_NEXT, 1 };
	t.desc[1] = (struct vring_desc){ HDR_GPA + 5, 11, VRING_DESC_F_NEXT,
					 2 };
	t.desc[2] = (struct vring_desc){ DATA_GPA, 513, VRING_DESC_F_WRITE,
					 0 };
	avail_add(&t, 0);
	kick(&t);
	ck_assert_uint_eq(buf[512], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(buf[0], 0xaa);
	ck_assert_uint_eq(buf[511], 0xaa);
	ck_assert_uint_eq(t.used->ring[0].len, 513);
	bt_teardown(&t);
}
END_TEST

START_TEST(indirect_request)
{
	struct bt t;
	struct vring_desc *tab;
	struct virtio_blk_outhdr *h;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	h = gp(&t, HDR_GPA, 16);
	h->type = VIRTIO_BLK_T_IN;
	h->sector = 0;
	tab = gp(&t, TABLE_GPA, 48);
	tab[0] = (struct vring_desc){ HDR_GPA, 16, VRING_DESC_F_NEXT, 1 };
	tab[1] = (struct vring_desc){ DATA_GPA, 1024, VRING_DESC_F_NEXT |
				      VRING_DESC_F_WRITE, 2 };
	tab[2] = (struct vring_desc){ STATUS_GPA, 1, VRING_DESC_F_WRITE, 0 };
	t.desc[0] = (struct vring_desc){ TABLE_GPA, 48,
					 VRING_DESC_F_INDIRECT, 0 };
	avail_add(&t, 0);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(t.used->ring[0].len, 1025);
	bt_teardown(&t);
}
END_TEST

/* A driver re-adding heads we still own cannot exceed our requests. */
START_TEST(more_requests_than_entries_needs_reset)
{
	struct bt t;
	unsigned int i;

	bt_setup(&t, false, DISK_ENGINE_AIO, NULL);
	queue_req(&t, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	/* The same head again and again (avail never more than QSIZE
	 * ahead of what we consumed in each pass). */
	virtio_dev_poll(t.dev, 1, false, 1);
	for (i = 0; i < 4 * QSIZE && !t.dev->vqs[0].broken; i++) {
		avail_add(&t, 0);
		virtio_dev_poll(t.dev, 1, false, 1);
	}
	kick(&t);
	ck_assert_uint_le(t.dev->inflight, QSIZE);
	bt_teardown(&t);
}
END_TEST

/* ---- reset ---- */

START_TEST(reset_with_io_in_flight)
{
	struct bt t;
	unsigned int k;

	bt_setup(&t, false, DISK_ENGINE_AIO, NULL);
	for (k = 0; k < 32; k++)
		queue_req(&t, k, k % 2 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
			  k * 64, DATA_GPA + k * 0x8000, 0x8000, !(k % 2));
	virtio_dev_poll(t.dev, 1, false, 1);
	/* Reset now: returns only once the backend gave everything back. */
	wr(&t, VIRTIO_PCI_STATUS, 0, 1);
	ck_assert_uint_eq(t.dev->inflight, 0);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_STATUS, 1), 0);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4), 0);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_QUEUE_PFN, 4), 0);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_ISR, 1), 0);
	/* Whatever completed during the drain was not written back. */
	virtio_dev_poll(t.dev, 1, true, 0);
	ck_assert_uint_eq(t.dev->stats.resets, 2);
	/* And the device works again after a fresh bring-up. */
	bt_start(&t, ~0u);
	queue_req(&t, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(t.used->idx, 1);
	bt_teardown(&t);
}
END_TEST

/*
 * The same with the real I/O thread: kicks arrive on the notify eventfd
 * (as KVM's ioeventfd would signal it) and the STATUS write waits on the
 * thread's drain, round after round, racing completions.
 */
START_TEST(threaded_reset_drains)
{
	struct bt t;
	unsigned int round, k, spins;
	uint64_t one = 1;

	bt_setup(&t, false, DISK_ENGINE_AIO, NULL);
	t.dev->notify_fd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ck_assert_int_ge(t.dev->notify_fd[0], 0);
	ck_assert_int_eq(virtio_iothread_start(t.dev), 0);
	for (round = 0; round < 20; round++) {
		for (k = 0; k < 32; k++)
			queue_req(&t, k, k % 2 ? VIRTIO_BLK_T_OUT :
				  VIRTIO_BLK_T_IN, k * 64,
				  DATA_GPA + k * 0x8000, 0x8000, !(k % 2));
		ck_assert_int_eq(write(t.dev->notify_fd[0], &one, 8), 8);
		usleep(round * 50);
		wr(&t, VIRTIO_PCI_STATUS, 0, 1);
		ck_assert_uint_eq(t.dev->inflight, 0);
		bt_start(&t, ~0u);
	}
	/* After all that, a request still completes. */
	queue_req(&t, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	ck_assert_int_eq(write(t.dev->notify_fd[0], &one, 8), 8);
	for (spins = 0; __atomic_load_n(&t.used->idx, __ATOMIC_ACQUIRE) != 1;
	     spins++) {
		ck_assert_uint_lt(spins, 100000);
		usleep(50);
	}
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(t.dev->stats.resets, 1 + 2 * 20);
	bt_teardown(&t);	/* stops and joins the thread */
}
END_TEST

/* ---- the register file ---- */

START_TEST(registers_every_offset_and_width)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	struct bt t;
	unsigned int off, w;
	uint8_t b[8];

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	for (w = 0; w < 4; w++)
		for (off = 0; off + widths[w] <= VIRTIO_BAR0_SIZE + 8; off++) {
			if (off == VIRTIO_PCI_STATUS)
				continue;	/* tested below */
			virtio_legacy_access(t.dev, off, b, widths[w], false);
			memset(b, 0xff, sizeof(b));
			virtio_legacy_access(t.dev, off, b, widths[w], true);
		}
	/* Nothing above took: the odd writes were all ignored except the
	 * exact ones, which got 0xff.. values and survived. */
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_QUEUE_NUM, 2), 0);	/* sel 0xffff */
	wr(&t, VIRTIO_PCI_QUEUE_SEL, 0, 2);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_QUEUE_NUM, 2), QSIZE);
	/* Past the config: zeroes. */
	ck_assert_uint_eq(rd(&t, VIRTIO_BAR0_SIZE - 4, 4), 0);
	bt_teardown(&t);
}
END_TEST

START_TEST(registers_values)
{
	struct bt t;
	uint32_t host;
	uint64_t cap;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	host = rd(&t, VIRTIO_PCI_HOST_FEATURES, 4);
	ck_assert(host & F(VIRTIO_BLK_F_FLUSH));
	ck_assert(host & F(VIRTIO_BLK_F_SEG_MAX));
	ck_assert(host & F(VIRTIO_BLK_F_SIZE_MAX));
	ck_assert(host & F(VIRTIO_BLK_F_BLK_SIZE));
	ck_assert(host & F(VIRTIO_BLK_F_DISCARD));
	ck_assert(host & F(VIRTIO_BLK_F_WRITE_ZEROES));
	ck_assert(host & F(VIRTIO_RING_F_INDIRECT_DESC));
	ck_assert(host & F(VIRTIO_RING_F_EVENT_IDX));
	ck_assert(!(host & F(VIRTIO_BLK_F_RO)));
	/* HOST_FEATURES is read-only. */
	wr(&t, VIRTIO_PCI_HOST_FEATURES, 0, 4);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_HOST_FEATURES, 4), host);
	/* A byte at a time gives the same bytes. */
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_HOST_FEATURES + 3, 1), host >> 24);
	/* Features in force: what was written before DRIVER_OK, masked. */
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4), host);
	wr(&t, VIRTIO_PCI_GUEST_FEATURES, 0, 4);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4), host);
	wr(&t, VIRTIO_PCI_STATUS, 0, 1);
	wr(&t, VIRTIO_PCI_GUEST_FEATURES, 0xffffffffu, 4);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4), host);
	/* Config at 20 without MSI-X: capacity, then size_max/seg_max. */
	cap = rd(&t, 20, 4) | (uint64_t)rd(&t, 24, 4) << 32;
	ck_assert_uint_eq(cap, IMG_SECTORS);
	ck_assert_uint_eq(rd(&t, 20 + 12, 4), QSIZE - 2);	/* seg_max */
	ck_assert_uint_eq(rd(&t, 20 + 20, 4), 512);		/* blk_size */
	/* A queue that does not exist: size 0, PFN writes ignored. */
	wr(&t, VIRTIO_PCI_QUEUE_SEL, 1, 2);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_QUEUE_NUM, 2), 0);
	wr(&t, VIRTIO_PCI_QUEUE_PFN, RING_GPA >> 12, 4);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_QUEUE_PFN, 4), 0);
	bt_teardown(&t);
}
END_TEST

START_TEST(registers_msix_layout)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	/* What msix_update() does when the guest enables MSI-X. */
	__atomic_store_n(&t.dev->msix_on, true, __ATOMIC_SEQ_CST);
	ck_assert_uint_eq(rd(&t, VIRTIO_MSI_CONFIG_VECTOR, 2),
			  VIRTIO_MSI_NO_VECTOR);
	wr(&t, VIRTIO_MSI_CONFIG_VECTOR, 0, 2);
	ck_assert_uint_eq(rd(&t, VIRTIO_MSI_CONFIG_VECTOR, 2), 0);
	wr(&t, VIRTIO_MSI_QUEUE_VECTOR, 1, 2);
	ck_assert_uint_eq(rd(&t, VIRTIO_MSI_QUEUE_VECTOR, 2), 1);
	/* Two vectors exist (config + one queue): 2 cannot be mapped. */
	wr(&t, VIRTIO_MSI_QUEUE_VECTOR, 2, 2);
	ck_assert_uint_eq(rd(&t, VIRTIO_MSI_QUEUE_VECTOR, 2),
			  VIRTIO_MSI_NO_VECTOR);
	/* Config moved to 24. */
	ck_assert_uint_eq(rd(&t, 24, 4), IMG_SECTORS);
	/* MSI-X off: 20 is config again; vector writes land nowhere. */
	__atomic_store_n(&t.dev->msix_on, false, __ATOMIC_SEQ_CST);
	ck_assert_uint_eq(rd(&t, 20, 4), IMG_SECTORS);
	wr(&t, 20, 0, 2);
	ck_assert_uint_eq(rd(&t, 20, 4), IMG_SECTORS);
	/* Reset: vectors back to NO_VECTOR. */
	__atomic_store_n(&t.dev->msix_on, true, __ATOMIC_SEQ_CST);
	wr(&t, VIRTIO_MSI_QUEUE_VECTOR, 1, 2);
	wr(&t, VIRTIO_PCI_STATUS, 0, 1);
	ck_assert_uint_eq(rd(&t, VIRTIO_MSI_CONFIG_VECTOR, 2),
			  VIRTIO_MSI_NO_VECTOR);
	ck_assert_uint_eq(rd(&t, VIRTIO_MSI_QUEUE_VECTOR, 2),
			  VIRTIO_MSI_NO_VECTOR);
	bt_teardown(&t);
}
END_TEST

START_TEST(features_after_driver_ok_ignored)
{
	struct bt t;

	memset(&t, 0, sizeof(t));
	{
		struct disk_config dc = { .engine = DISK_ENGINE_SYNC };

		make_image(t.path, sizeof(t.path), 0xaa);
		dc.path = t.path;
		bt_open(&t, &dc);
	}
	bt_start(&t, F(VIRTIO_BLK_F_FLUSH));
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4),
			  F(VIRTIO_BLK_F_FLUSH));
	wr(&t, VIRTIO_PCI_GUEST_FEATURES, F(VIRTIO_RING_F_INDIRECT_DESC), 4);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4),
			  F(VIRTIO_BLK_F_FLUSH));
	ck_assert(!t.dev->vqs[0].indirect);
	/* Taking DRIVER_OK back (2.1.1 forbids it) does not reopen them. */
	wr(&t, VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	wr(&t, VIRTIO_PCI_GUEST_FEATURES, F(VIRTIO_RING_F_INDIRECT_DESC), 4);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4),
			  F(VIRTIO_BLK_F_FLUSH));
	ck_assert(!t.dev->vqs[0].indirect);
	/* A reset does. */
	wr(&t, VIRTIO_PCI_STATUS, 0, 1);
	wr(&t, VIRTIO_PCI_GUEST_FEATURES, F(VIRTIO_RING_F_INDIRECT_DESC), 4);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_GUEST_FEATURES, 4),
			  F(VIRTIO_RING_F_INDIRECT_DESC));
	bt_teardown(&t);
}
END_TEST

START_TEST(queue_pfn_outside_ram_needs_reset)
{
	struct bt t;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	wr(&t, VIRTIO_PCI_STATUS, 0, 1);
	wr(&t, VIRTIO_PCI_QUEUE_PFN, (MEM_SIZE >> 12) - 1, 4);
	ck_assert(rd(&t, VIRTIO_PCI_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_QUEUE_PFN, 4), 0);
	/* Before DRIVER_OK: no configuration interrupt (2.1.2). */
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_ISR, 1), 0);
	bt_teardown(&t);
}
END_TEST

START_TEST(isr_and_suppression)
{
	struct bt t;
	uint16_t *used_event;

	bt_setup(&t, false, DISK_ENGINE_SYNC, NULL);
	queue_req(&t, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	kick(&t);
	/* INTx (MSI-X off): ISR bit 0, cleared by the read. */
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_ISR, 1), 1);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_ISR, 1), 0);
	ck_assert_uint_eq(t.dev->stats.irqs, 1);
	/* EVENT_IDX agreed: used_event far ahead mutes the next ones. */
	used_event = &t.avail->ring[QSIZE];
	*used_event = 100;
	queue_req(&t, 1, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	kick(&t);
	queue_req(&t, 2, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	kick(&t);
	ck_assert_uint_eq(rd(&t, VIRTIO_PCI_ISR, 1), 0);
	ck_assert_uint_eq(t.dev->stats.irqs_suppressed, 2);
	/* The device asked to be kicked for the next buffer. */
	ck_assert_uint_eq(*(uint16_t *)gp(&t, RING_GPA + vq_used_offset(QSIZE) +
					 4 + 8 * QSIZE, 2), 3);
	bt_teardown(&t);
}
END_TEST

/* ---- the disk layer: locks, O_DIRECT bounce ---- */

static struct disk *try_open(const char *path, bool ro)
{
	struct disk_config dc = { .path = path, .readonly = ro,
				  .engine = DISK_ENGINE_SYNC };

	return disk_open(&dc);
}

START_TEST(lock_conflicts)
{
	char path[64];
	struct disk *a, *b;

	make_image(path, sizeof(path), 0);
	a = try_open(path, false);
	ck_assert_ptr_nonnull(a);
	/* A second writer, or a reader, while one writes: refused. */
	ck_assert_ptr_null(try_open(path, false));
	ck_assert_msg(strstr(err_msg(), "locked by another process") &&
		      strstr(err_msg(), path), "message: %s", err_msg());
	ck_assert_ptr_null(try_open(path, true));
	disk_close(a);
	/* Readers share; a writer is refused while they hold it. */
	a = try_open(path, true);
	b = try_open(path, true);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(try_open(path, false));
	disk_close(a);
	disk_close(b);
	a = try_open(path, false);
	ck_assert_ptr_nonnull(a);
	disk_close(a);
	unlink(path);
}
END_TEST

START_TEST(open_errors)
{
	ck_assert_ptr_null(try_open("/nonexistent/lightvm.img", false));
	ck_assert_ptr_nonnull(strstr(err_msg(), "No such file"));
	ck_assert_ptr_null(try_open("/tmp", false));
	ck_assert_ptr_nonnull(strstr(err_msg(), "/tmp"));
}
END_TEST

/* O_DIRECT with a guest buffer that is not sector aligned: bounced. */
START_TEST(direct_misaligned_bounce)
{
	struct disk_config dc = { .direct = true, .engine = DISK_ENGINE_AIO };
	struct bt t;
	uint8_t *out, *in, file[1024];

	memset(&t, 0, sizeof(t));
	make_image(t.path, sizeof(t.path), 0xaa);
	dc.path = t.path;
	bt_open(&t, &dc);
	bt_start(&t, ~0u);
	out = gp(&t, DATA_GPA + 3, 1024);
	in = gp(&t, DATA_GPA + 0x10001, 1024);
	fill_pattern(gp(&t, DATA_GPA, 2048), 2048, 7);
	queue_req(&t, 0, VIRTIO_BLK_T_OUT, 5, DATA_GPA + 3, 1024, false);
	queue_req(&t, 1, VIRTIO_BLK_T_IN, 5, DATA_GPA + 0x10001, 1024, true);
	/* and an aligned one through the kernel directly */
	queue_req(&t, 2, VIRTIO_BLK_T_IN, 5, DATA_GPA + 0x20000, 1024, true);
	kick(&t);
	ck_assert_uint_eq(status_of(&t, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 1), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(status_of(&t, 2), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(in, out, 1024);
	ck_assert_mem_eq(gp(&t, DATA_GPA + 0x20000, 1024), out, 1024);
	image_read(t.path, 5 * 512, file, 1024);
	ck_assert_mem_eq(file, out, 1024);
	bt_teardown(&t);
}
END_TEST

/* ---- --disk on the command line ---- */

static int parse(int argc, const char **argv, struct vm_config *cfg)
{
	return options_parse(cfg, argc, (char **)argv);
}

START_TEST(disk_option_parsed)
{
	const char *argv[] = { "lightvm", "run", "-k", "k",
		"--disk", "/a/b.img",
		"--disk", "c.img,ro,direct,serial=SER-1 x,engine=sync",
		"--disk", "d.img,engine=aio,serial=ABCDEFGHIJKLMNOPQRST" };
	struct vm_config cfg;

	ck_assert_int_eq(parse(10, argv, &cfg), 0);
	ck_assert_uint_eq(cfg.nr_disks, 3);
	ck_assert_str_eq(cfg.disks[0].path, "/a/b.img");
	ck_assert(!cfg.disks[0].readonly && !cfg.disks[0].direct);
	ck_assert_ptr_null(cfg.disks[0].serial);
	ck_assert_int_eq(cfg.disks[0].engine, DISK_ENGINE_AIO);
	ck_assert_str_eq(cfg.disks[1].path, "c.img");
	ck_assert(cfg.disks[1].readonly && cfg.disks[1].direct);
	ck_assert_str_eq(cfg.disks[1].serial, "SER-1 x");
	ck_assert_int_eq(cfg.disks[1].engine, DISK_ENGINE_SYNC);
	ck_assert_str_eq(cfg.disks[2].serial, "ABCDEFGHIJKLMNOPQRST");
	ck_assert_int_eq(cfg.disks[2].engine, DISK_ENGINE_AIO);
}
END_TEST

static const struct {
	const char *arg;
	const char *msg;
} bad_disks[] = {
	{ "", "--disk needs a non-empty argument" },
	{ ",ro", "no image path" },
	{ "x.img,", "empty option" },
	{ "x.img,,ro", "empty option" },
	{ "x.img,rw", "unknown option 'rw'" },
	{ "x.img,engine=posix", "unknown option 'engine=posix'" },
	{ "x.img,serial=", "serial must be 1-20" },
	{ "x.img,serial=ABCDEFGHIJKLMNOPQRSTU", "serial must be 1-20" },
	{ "x.img,serial=a\tb", "serial must be 1-20" },
};

START_TEST(disk_option_rejected)
{
	const char *argv[] = { "lightvm", "run", "-k", "k", "--disk", NULL };
	struct vm_config cfg;

	argv[5] = bad_disks[_i].arg;
	ck_assert_int_eq(parse(6, argv, &cfg), -1);
	ck_assert_msg(strstr(err_msg(), bad_disks[_i].msg),
		      "'%s': message '%s'", bad_disks[_i].arg, err_msg());
	ck_assert(!strchr(err_msg(), '\n'));
}
END_TEST

START_TEST(disk_option_too_many)
{
	const char *argv[4 + 2 * (LIGHTVM_MAX_DISKS + 1)] = {
		"lightvm", "run", "-k", "k" };
	struct vm_config cfg;
	unsigned int i;

	for (i = 0; i <= LIGHTVM_MAX_DISKS; i++) {
		argv[4 + 2 * i] = "--disk";
		argv[5 + 2 * i] = "x.img";
	}
	ck_assert_int_eq(parse(4 + 2 * (LIGHTVM_MAX_DISKS + 1), argv, &cfg),
			 -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "at most 8 disks"));
	ck_assert_int_eq(parse(4 + 2 * LIGHTVM_MAX_DISKS, argv, &cfg), 0);
	ck_assert_uint_eq(cfg.nr_disks, LIGHTVM_MAX_DISKS);
}
END_TEST

Suite *blk_suite(void)
{
	Suite *s = suite_create("blk");
	TCase *io = tcase_create("requests");
	TCase *framing = tcase_create("framing");
	TCase *regs = tcase_create("transport");
	TCase *disk = tcase_create("disk");

	tcase_add_test(io, write_read_sync);
	tcase_add_test(io, write_read_aio);
	tcase_add_test(io, last_sector_and_past_the_end);
	tcase_add_loop_test(io, sector_overflow, 0, sizeof(overflow_sectors) /
			    sizeof(overflow_sectors[0]));
	tcase_add_test(io, length_not_multiple_of_512);
	tcase_add_test(io, data_in_the_wrong_direction);
	tcase_add_test(io, readonly_image_untouched);
	tcase_add_test(io, unknown_type_unsupported);
	tcase_add_test(io, get_id);
	tcase_add_test(io, get_id_full_20_bytes_and_none);
	tcase_add_test(io, get_id_bad_buffer);
	tcase_add_test(io, flush_waits_for_writes);
	tcase_add_test(io, discard_and_write_zeroes);
	tcase_add_test(io, any_layout);
	tcase_add_test(io, indirect_request);
	tcase_add_test(io, reset_with_io_in_flight);
	tcase_add_test(io, threaded_reset_drains);
	suite_add_tcase(s, io);

	tcase_add_test(framing, no_status_byte_needs_reset);
	tcase_add_test(framing, short_header_needs_reset);
	tcase_add_test(framing, malformed_chain_needs_reset);
	tcase_add_test(framing, more_requests_than_entries_needs_reset);
	suite_add_tcase(s, framing);

	tcase_add_test(regs, registers_every_offset_and_width);
	tcase_add_test(regs, registers_values);
	tcase_add_test(regs, registers_msix_layout);
	tcase_add_test(regs, features_after_driver_ok_ignored);
	tcase_add_test(regs, queue_pfn_outside_ram_needs_reset);
	tcase_add_test(regs, isr_and_suppression);
	suite_add_tcase(s, regs);

	tcase_add_test(disk, lock_conflicts);
	tcase_add_test(disk, open_errors);
	tcase_add_test(disk, direct_misaligned_bounce);
	tcase_add_test(disk, disk_option_parsed);
	tcase_add_loop_test(disk, disk_option_rejected, 0,
			    sizeof(bad_disks) / sizeof(bad_disks[0]));
	tcase_add_test(disk, disk_option_too_many);
	suite_add_tcase(s, disk);
	return s;
}
