// SPDX-License-Identifier: GPL-2.0
/*
 * blk.c - fuzz virtio-blk end to end: ring, request headers, the device
 * (vmm/virtio/blk.c) and a real backend (vmm/disk) on image files.
 *
 * Four devices are built once, on 64 KiB images in a tmpfs: the sync
 * engine, libaio, libaio with O_DIRECT (when the file system has it) and
 * a read-only one.  An input picks one, resets it the way a driver does
 * (STATUS 0), brings it up with fuzzed features and ring placement, then
 * runs a small program: requests built from fuzzed type, sector, segment
 * count and lengths, data direction, indirect tables, split headers; raw
 * descriptors, avail entries and RAM bytes; kicks; register writes (a
 * reset or new QUEUE_PFN with requests in flight).
 *
 * Checked after the last kick has drained: the images kept their size
 * (nothing was written past the end) and the read-only one its bytes; a
 * device that is running and not in NEEDS_RESET consumed every chain
 * made available and completed each exactly once; and when the input only
 * built well-formed chains, every status byte is one of the three legal
 * values and every used length fits the chain's writable bytes.  Guest
 * RAM is on the heap (fuzz.h), so a byte written past its end is a
 * sanitizer report.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "fuzz.h"
#include "../../vmm/virtio/virtio.h"
#include "../../vmm/disk/disk.h"

#define LOW_RAM		(128ULL << 10)
#define HIGH_RAM	(64ULL << 10)
#define IMG_SIZE	(64ULL << 10)
#define QSIZE		VIRTIO_BLK_QUEUE_SIZE
#define RING_GPA	0x1000ULL	/* default ring: 3 pages */
#define TABLE_GPA	0x4000ULL	/* indirect tables, bump-allocated */
#define TABLE_END	0x8000ULL
#define DATA_GPA	0x8000ULL	/* headers, data, status bytes */
#define NR_DEVS		4
#define MAX_SPINS	1000000
#define MAX_TRACKED	QSIZE

struct blk_dev {
	struct virtio_dev *dev;
	int fd;			/* our own descriptor on the image */
	bool readonly;
	const char *what;
};

static struct vm *vm;
static struct blk_dev devs[NR_DEVS];
static unsigned int nr_devs;
static uint8_t ro_pattern[IMG_SIZE];

/* This input's state. */
static struct blk_dev *bd;
static uint64_t ring_gpa;
static struct vring_desc *desc;
static struct vring_avail *avail;
static uint16_t next_desc;
static uint64_t data_cur, table_cur;
static bool wrapped;		/* an allocator reused space */
static bool pristine;		/* only well-formed chains so far */

/* Requests this input built, by head, to check their completions. */
static struct {
	bool used;
	uint64_t status_gpa;
	uint64_t writable;	/* bytes the device may write */
} reqs[QSIZE];

/* ---- the device as the guest sees it ---- */

static void wr(unsigned int off, uint32_t v, unsigned int len)
{
	virtio_legacy_write(bd->dev, off, v, len);
}

static uint8_t status(void)
{
	return (uint8_t)virtio_legacy_read(bd->dev, VIRTIO_PCI_STATUS, 1);
}

/* One I/O-thread pass for the kick, then passes until nothing is left
 * in flight (libaio completes on its own time). */
static void kick(void)
{
	unsigned int spins = 0;

	virtio_dev_poll(bd->dev, 1, false, 1);
	while (bd->dev->inflight) {
		FUZZ_ASSERT(++spins < MAX_SPINS, "%u requests never completed",
			    bd->dev->inflight);
		virtio_dev_poll(bd->dev, 0, true, 0);
	}
}

static void map_ring(uint64_t gpa)
{
	uint8_t *p = guest_ptr(&vm->mem, gpa, vq_ring_bytes(QSIZE));

	ring_gpa = gpa;
	desc = (struct vring_desc *)p;
	avail = p ? (struct vring_avail *)(p + vq_avail_offset(QSIZE)) : NULL;
}

static void bring_up(uint32_t features, bool driver_ok)
{
	uint32_t host = virtio_legacy_read(bd->dev, VIRTIO_PCI_HOST_FEATURES,
					   4);

	wr(VIRTIO_PCI_STATUS, 0, 1);
	wr(VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	wr(VIRTIO_PCI_GUEST_FEATURES, host & features, 4);
	wr(VIRTIO_PCI_QUEUE_SEL, 0, 2);
	wr(VIRTIO_PCI_QUEUE_PFN, (uint32_t)(ring_gpa >> 12), 4);
	if (driver_ok)
		wr(VIRTIO_PCI_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	next_desc = 0;
	memset(reqs, 0, sizeof(reqs));
}

/* ---- building requests ---- */

static uint64_t alloc_data(uint64_t len)
{
	uint64_t at;

	len = (len + 7) & ~7ULL;
	if (len > LOW_RAM - DATA_GPA)
		len = LOW_RAM - DATA_GPA;
	if (data_cur + len > LOW_RAM) {
		data_cur = DATA_GPA;
		wrapped = true;
	}
	at = data_cur;
	data_cur += len;
	return at;
}

static uint16_t alloc_desc(void)
{
	uint16_t d = next_desc;

	next_desc = (next_desc + 1) % QSIZE;
	if (!next_desc)
		wrapped = true;
	return d;
}

static void add_avail(uint16_t head)
{
	if (!avail)
		return;
	avail->ring[avail->idx % QSIZE] = head;
	__atomic_store_n(&avail->idx, avail->idx + 1, __ATOMIC_RELEASE);
}

static void guest_write(uint64_t gpa, const void *src, size_t len)
{
	void *p = guest_ptr(&vm->mem, gpa, len);

	if (p)
		memcpy(p, src, len);
}

static uint64_t pick_sector(struct fuzz_in *in)
{
	uint8_t sel = fi_u8(in);
	uint64_t cap = IMG_SIZE / DISK_SECTOR;

	if (sel < 200)
		return sel;
	if (sel < 250)
		return cap - (sel - 200);
	return fi_u64(in);
}

static uint32_t pick_len(struct fuzz_in *in)
{
	uint16_t v = fi_u16(in);

	/* Mostly whole sectors, which is what gets past validation. */
	if (v & 0x8000)
		return (v & 0x7f) * DISK_SECTOR;
	return v & 0x7fff;
}

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

/*
 * kind bits 0-2: type (IN, OUT, FLUSH, GET_ID, DISCARD, WRITE_ZEROES, a
 * raw 32-bit type, IN); 3: through an indirect table; 4: the header in
 * two pieces; 5: the status byte at the end of the last data buffer; 6:
 * data in the wrong direction; 7: the header device-writable.
 */
static void build_request(struct fuzz_in *in)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES, 0, VIRTIO_BLK_T_IN,
	};
	uint8_t kind = fi_u8(in);
	uint32_t type = types[kind & 7];
	struct virtio_blk_outhdr hdr;
	struct seg s[12];
	unsigned int n = 0, nseg, k;
	uint64_t status_gpa, writable = 0;
	bool data_writable;
	uint16_t head;

	if ((kind & 7) == 6)
		type = fi_u32(in);
	hdr.type = type;
	hdr.ioprio = 0;
	hdr.sector = pick_sector(in);
	nseg = fi_u8(in) % 9;
	data_writable = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	if (kind & 0x40)
		data_writable = !data_writable;
	if (kind & 0xc0)
		pristine = false;

	/* The header, whole or in two. */
	if (kind & 0x10) {
		s[n++] = (struct seg){ alloc_data(8), 8, kind & 0x80 };
		s[n++] = (struct seg){ alloc_data(8), 8, kind & 0x80 };
		guest_write(s[0].gpa, &hdr, 8);
		guest_write(s[1].gpa, (uint8_t *)&hdr + 8, 8);
	} else {
		s[n++] = (struct seg){ alloc_data(16), 16, kind & 0x80 };
		guest_write(s[0].gpa, &hdr, 16);
	}
	/* Data: a discard/write-zeroes segment or plain buffers. */
	if ((type == VIRTIO_BLK_T_DISCARD ||
	     type == VIRTIO_BLK_T_WRITE_ZEROES) && nseg) {
		struct virtio_blk_discard_write_zeroes dz;

		dz.sector = pick_sector(in);
		dz.num_sectors = fi_u32(in) % 256;
		dz.flags = fi_u8(in) % 4;
		s[n] = (struct seg){ alloc_data(sizeof(dz)), sizeof(dz),
				     data_writable };
		guest_write(s[n].gpa, &dz, sizeof(dz));
		n++;
		nseg--;
	}
	for (k = 0; k < nseg; k++) {
		uint32_t len = pick_len(in);

		if (!len)
			len = 1;
		s[n++] = (struct seg){ alloc_data(len), len, data_writable };
	}
	/* The status byte: its own buffer, or the last data byte. */
	if ((kind & 0x20) && n > 1 && s[n - 1].writable) {
		status_gpa = s[n - 1].gpa + s[n - 1].len - 1;
	} else {
		status_gpa = alloc_data(1);
		s[n++] = (struct seg){ status_gpa, 1, true };
	}
	guest_write(status_gpa, &(uint8_t){ 0xee }, 1);
	for (k = 0; k < n; k++)
		writable += s[k].writable ? s[k].len : 0;

	if (!desc)
		return;
	if (kind & 0x08) {
		/* One ring descriptor naming a table of n. */
		uint64_t t = table_cur;

		if (t + 16ULL * n > TABLE_END) {
			t = TABLE_GPA;
			wrapped = true;
		}
		table_cur = t + 16ULL * n;
		for (k = 0; k < n; k++) {
			struct vring_desc d = {
				s[k].gpa, s[k].len,
				(s[k].writable ? VRING_DESC_F_WRITE : 0) |
				(k + 1 < n ? VRING_DESC_F_NEXT : 0),
				(uint16_t)(k + 1),
			};

			guest_write(t + 16ULL * k, &d, sizeof(d));
		}
		head = alloc_desc();
		desc[head] = (struct vring_desc){ t, 16 * n,
						  VRING_DESC_F_INDIRECT, 0 };
	} else {
		uint16_t d = alloc_desc(), nd;

		head = d;
		for (k = 0; k < n; k++, d = nd) {
			nd = k + 1 < n ? alloc_desc() : 0;
			desc[d] = (struct vring_desc){
				s[k].gpa, s[k].len,
				(s[k].writable ? VRING_DESC_F_WRITE : 0) |
				(k + 1 < n ? VRING_DESC_F_NEXT : 0), nd,
			};
		}
	}
	reqs[head].used = true;
	reqs[head].status_gpa = status_gpa;
	reqs[head].writable = writable;
	add_avail(head);
}

/* ---- the other operations ---- */

static void raw_desc(struct fuzz_in *in)
{
	uint16_t i = fi_u16(in) % QSIZE;
	struct vring_desc d;

	d.addr = fi_gpa(in, &vm->mem);
	d.len = fi_u32(in);
	d.flags = fi_u16(in);
	d.next = fi_u16(in);
	if (desc)
		desc[i] = d;
}

static void raw_bytes(struct fuzz_in *in)
{
	uint64_t gpa = fi_gpa(in, &vm->mem);
	uint8_t buf[64];
	unsigned int n = fi_u8(in) % sizeof(buf);

	fi_bytes(in, buf, n);
	guest_write(gpa, buf, n);
}

/* A legacy register write, mostly to the ones with side effects. */
static void reg_write(struct fuzz_in *in)
{
	static const uint8_t offs[] = {
		VIRTIO_PCI_GUEST_FEATURES, VIRTIO_PCI_QUEUE_PFN,
		VIRTIO_PCI_QUEUE_SEL, VIRTIO_PCI_QUEUE_NOTIFY,
		VIRTIO_PCI_STATUS, VIRTIO_PCI_STATUS,
	};
	static const uint8_t lens[] = { 4, 4, 2, 2, 1, 1 };
	uint8_t sel = fi_u8(in);
	uint32_t v = fi_u32(in);
	unsigned int k = sel % 8;

	if (k < 6) {
		/* QUEUE_PFN: mostly pages of RAM, so the ring moves. */
		if (offs[k] == VIRTIO_PCI_QUEUE_PFN && !(sel & 0x80)) {
			v %= (uint32_t)(LOW_RAM >> 12);
			map_ring((uint64_t)v << 12);
		}
		wr(offs[k], v, lens[k]);
	} else {
		/* Anywhere, any width: torn and misplaced writes. */
		uint8_t b[8];

		memcpy(b, &v, 4);
		memcpy(b + 4, &v, 4);
		virtio_legacy_access(bd->dev, fi_u8(in), b, fi_u8(in) % 9,
				     true);
	}
	kick();
}

static void run_op(struct fuzz_in *in)
{
	uint16_t v;

	switch (fi_u8(in) % 8) {
	case 0:
	case 1:
		build_request(in);
		break;
	case 2:
		kick();
		break;
	case 3:
		pristine = false;
		raw_desc(in);
		break;
	case 4:		/* any head */
		pristine = false;
		add_avail(fi_u16(in));
		break;
	case 5:		/* any avail index */
		pristine = false;
		v = fi_u16(in);
		if (avail)
			__atomic_store_n(&avail->idx, v, __ATOMIC_RELEASE);
		break;
	case 6:
		pristine = false;
		raw_bytes(in);
		break;
	default:
		pristine = false;
		reg_write(in);
		break;
	}
}

/* ---- checks ---- */

static void check_image(void)
{
	static uint8_t buf[IMG_SIZE];
	struct stat st;

	FUZZ_ASSERT(fstat(bd->fd, &st) == 0, "fstat: %s", strerror(errno));
	FUZZ_ASSERT((uint64_t)st.st_size == IMG_SIZE,
		    "%s image is %lld bytes, not %llu", bd->what,
		    (long long)st.st_size, IMG_SIZE);
	if (!bd->readonly)
		return;
	FUZZ_ASSERT(pread(bd->fd, buf, IMG_SIZE, 0) == (ssize_t)IMG_SIZE,
		    "read back");
	FUZZ_ASSERT(!memcmp(buf, ro_pattern, IMG_SIZE),
		    "the read-only image was written");
}

static void check_completions(void)
{
	struct virtqueue *vq = &bd->dev->vqs[0];
	struct vring_used *used;
	uint16_t i;

	/* A device that did not give up on the driver leaves nothing
	 * behind: every chain taken, every chain answered once. */
	if (!(status() & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (status() & VIRTIO_CONFIG_S_NEEDS_RESET) || !vq->ready)
		return;
	FUZZ_ASSERT(!vq->broken, "a broken queue without NEEDS_RESET");
	FUZZ_ASSERT(vq->last_avail_idx == vq->avail->idx,
		    "%u chains left in the ring",
		    (uint16_t)(vq->avail->idx - vq->last_avail_idx));
	FUZZ_ASSERT(vq->used_idx == vq->last_avail_idx,
		    "%u chains taken, %u completed", vq->last_avail_idx,
		    vq->used_idx);
	if (!pristine || wrapped || vq->pfn != ring_gpa >> 12)
		return;
	used = vq->used;
	for (i = 0; i < vq->used_idx; i++) {
		struct vring_used_elem e = used->ring[i % QSIZE];
		uint8_t st;

		FUZZ_ASSERT(e.id < QSIZE && reqs[e.id].used,
			    "used id %u was never made available", e.id);
		FUZZ_ASSERT(e.len >= 1 && e.len <= reqs[e.id].writable,
			    "used len %u, the chain had %llu writable bytes",
			    e.len, (unsigned long long)reqs[e.id].writable);
		st = *(uint8_t *)guest_ptr(&vm->mem, reqs[e.id].status_gpa, 1);
		FUZZ_ASSERT(st == VIRTIO_BLK_S_OK || st == VIRTIO_BLK_S_IOERR ||
			    st == VIRTIO_BLK_S_UNSUPP, "status byte 0x%02x", st);
	}
}

/* ---- set-up ---- */

static void add_dev(const char *what, bool ro, bool direct,
		    enum disk_engine engine)
{
	char path[256];
	struct disk_config dc = { .readonly = ro, .direct = direct,
				  .engine = engine, .serial = "fuzz-serial" };
	struct blk_dev *d = &devs[nr_devs];
	int fd;

	snprintf(path, sizeof(path), "%s/lightvm-fuzz-blk-XXXXXX",
		 fuzz_tmpdir());
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, IMG_SIZE) < 0 ||
	    (ro && pwrite(fd, ro_pattern, IMG_SIZE, 0) != (ssize_t)IMG_SIZE)) {
		fuzz_log("fuzz: cannot create a disk image\n");
		abort();
	}
	dc.path = path;
	d->dev = virtio_blk_new(vm, &dc);
	/* The image lives as long as its descriptors: no leftovers. */
	unlink(path);
	if (!d->dev) {
		/* O_DIRECT is not everywhere; the rest must work. */
		fuzz_log("fuzz: no %s device: %s\n", what, err_msg());
		close(fd);
		if (!direct)
			abort();
		return;
	}
	d->fd = fd;
	d->readonly = ro;
	d->what = what;
	nr_devs++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(ro_pattern, 0xa5, sizeof(ro_pattern));
	vm = fuzz_vm_new();
	fuzz_mem_init(&vm->mem, LOW_RAM, HIGH_RAM);
	add_dev("sync", false, false, DISK_ENGINE_SYNC);
	add_dev("aio", false, false, DISK_ENGINE_AIO);
	add_dev("read-only", true, false, DISK_ENGINE_SYNC);
	add_dev("aio O_DIRECT", false, true, DISK_ENGINE_AIO);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	uint8_t flags;
	uint32_t features;

	fi_init(&in, data, size);
	bd = &devs[fi_u8(&in) % nr_devs];
	flags = fi_u8(&in);
	features = fi_u32(&in);

	/* What the last input left: a reset, then clean RAM and image. */
	wr(VIRTIO_PCI_STATUS, 0, 1);
	memset(vm->mem.host, 0, vm->mem.size);
	if (!bd->readonly &&
	    (ftruncate(bd->fd, 0) < 0 || ftruncate(bd->fd, IMG_SIZE) < 0))
		abort();
	wrapped = false;
	pristine = true;
	data_cur = DATA_GPA;
	table_cur = TABLE_GPA;
	/* The ring at its usual place, or anywhere at all. */
	map_ring(flags & 1 ? fi_gpa(&in, &vm->mem) & ~0xfffULL : RING_GPA);
	bring_up(features, !(flags & 2));

	while (!fi_empty(&in))
		run_op(&in);
	kick();
	check_image();
	check_completions();
	return 0;
}
