// SPDX-License-Identifier: GPL-2.0
/*
 * modern.c - fuzz the modern virtio-PCI transport (vmm/virtio/
 * modern_pci.c) of a transitional virtio-blk on a real image: an input
 * is a program of accesses to the modern BAR - biased towards the
 * common configuration's fields, any width at any offset, values biased
 * towards sizes and guest addresses at the edges of RAM and the PCI hole
 * - mixed with legacy BAR0 writes (a driver using both interfaces),
 * requests put on whatever queue the driver enabled, and kicks.
 *
 * Checked after every step:
 *  - an enabled queue's size is a power of 2 no larger than offered, and
 *    its three rings lie wholly in guest RAM where the driver put them;
 *  - FEATURES_OK reads back only for offered features that include
 *    VERSION_1, and the features in force then never change until a
 *    reset;
 *  - DRIVER_OK through the modern interface never stands without
 *    FEATURES_OK;
 *  - num_queues and the offered features read what the device has;
 *  - the image keeps its size.
 * Guest RAM is on the heap (fuzz.h): a byte touched outside it is a
 * sanitizer report.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "fuzz.h"
#include "../../vmm/virtio/virtio.h"

#define LOW_RAM		(128ULL << 10)
#define HIGH_RAM	(64ULL << 10)
#define IMG_SIZE	(64ULL << 10)
#define DATA_GPA	0x8000ULL
#define MAX_SPINS	1000000

#define COMMON(f)	(VIRTIO_MODERN_COMMON + VIRTIO_PCI_COMMON_##f)

static struct vm *vm;
static struct virtio_dev *dev;
static int img_fd;

/* What this input's driver agreed, to see it hold. */
static bool agreed;
static uint64_t agreed_features;

static uint64_t mrd(unsigned int off, unsigned int len)
{
	return virtio_modern_read(dev, off, len);
}

static void mwr(unsigned int off, uint64_t v, unsigned int len)
{
	virtio_modern_write(dev, off, v, len);
}

/* The common configuration's writable fields, with their widths. */
static const struct {
	uint8_t off, len;
} fields[] = {
	{ COMMON(DFSELECT), 4 }, { COMMON(GFSELECT), 4 }, { COMMON(GF), 4 },
	{ COMMON(MSIX), 2 }, { COMMON(STATUS), 1 }, { COMMON(Q_SELECT), 2 },
	{ COMMON(Q_SIZE), 2 }, { COMMON(Q_MSIX), 2 }, { COMMON(Q_ENABLE), 2 },
	{ COMMON(Q_DESCLO), 8 }, { COMMON(Q_DESCLO), 4 }, { COMMON(Q_DESCHI), 4 },
	{ COMMON(Q_AVAILLO), 8 }, { COMMON(Q_AVAILLO), 4 }, { COMMON(Q_AVAILHI), 4 },
	{ COMMON(Q_USEDLO), 8 }, { COMMON(Q_USEDLO), 4 }, { COMMON(Q_USEDHI), 4 },
};

/* A value for a field: small numbers, sizes, statuses, guest addresses. */
static uint64_t fuzz_value(struct fuzz_in *in)
{
	switch (fi_u8(in) % 6) {
	case 0:
		return fi_u8(in);
	case 1:
		return 1u << (fi_u8(in) % 16);		/* sizes */
	case 2:
		return fi_gpa(in, &vm->mem);
	case 3:
		return fi_gpa(in, &vm->mem) >> 32;	/* an upper half */
	case 4:
		return VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       (fi_u8(in) & (VIRTIO_CONFIG_S_FEATURES_OK |
				     VIRTIO_CONFIG_S_DRIVER_OK));
	default:
		return fi_u64(in);
	}
}

/* A chain of up to 3 descriptors from fuzzed addresses on queue 0. */
static void put_request(struct fuzz_in *in)
{
	struct virtqueue *vq = &dev->vqs[0];
	struct virtio_blk_outhdr *h;
	unsigned int i, n = 1 + fi_u8(in) % 3;
	uint16_t head, idx;

	if (!vq->ready)
		return;
	head = fi_u16(in) % vq->size;
	h = guest_ptr(&vm->mem, DATA_GPA, sizeof(*h));
	h->type = fi_u8(in) & 1;
	h->sector = fi_u8(in);
	for (i = 0; i < n; i++) {
		uint16_t d = (head + i) % vq->size;
		bool last = i == n - 1;

		vq->desc[d].addr = i ? fi_gpa(in, &vm->mem) : DATA_GPA;
		vq->desc[d].len = i ? 1 + fi_u16(in) % 4096 : sizeof(*h);
		vq->desc[d].flags = (last ? 0 : VRING_DESC_F_NEXT) |
				    (i && (fi_u8(in) & 1) ? VRING_DESC_F_WRITE : 0);
		vq->desc[d].next = (head + i + 1) % vq->size;
	}
	idx = vq->avail->idx;
	vq->avail->ring[idx % vq->size] = head;
	__atomic_store_n(&vq->avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static void kick(void)
{
	unsigned int spins = 0;

	virtio_dev_poll(dev, 1, false, 1);
	while (dev->inflight) {
		FUZZ_ASSERT(++spins < MAX_SPINS, "%u requests never completed",
			    dev->inflight);
		virtio_dev_poll(dev, 0, true, 0);
	}
}

static void check(void)
{
	uint8_t status = (uint8_t)mrd(COMMON(STATUS), 1);
	struct virtqueue *vq = &dev->vqs[0];
	struct stat st;

	FUZZ_ASSERT(mrd(COMMON(NUMQ), 2) == dev->nr_vqs, "num_queues %llu",
		    (unsigned long long)mrd(COMMON(NUMQ), 2));
	if (vq->ready) {
		struct virtio_mq *mq = &dev->mq[0];

		FUZZ_ASSERT(vq->size && !(vq->size & (vq->size - 1)) &&
			    vq->size <= vq->max_size, "queue size %u", vq->size);
		if (dev->iface == VIRTIO_IFACE_MODERN) {
			FUZZ_ASSERT(mq->enabled && mq->size == vq->size &&
				    (void *)vq->desc == guest_ptr(&vm->mem, mq->desc, 16) &&
				    (void *)vq->avail == guest_ptr(&vm->mem, mq->driver, 2) &&
				    (void *)vq->used == guest_ptr(&vm->mem, mq->device, 4),
				    "queue 0 rings not where the driver put them");
		}
		FUZZ_ASSERT(fuzz_in_ram(&vm->mem, vq->desc, vq_desc_bytes(vq->size)) &&
			    fuzz_in_ram(&vm->mem, vq->avail, vq_avail_bytes(vq->size)) &&
			    fuzz_in_ram(&vm->mem, vq->used, vq_used_bytes(vq->size)),
			    "queue 0 rings outside guest RAM");
	}
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    dev->iface == VIRTIO_IFACE_MODERN) {
		FUZZ_ASSERT(!(dev->guest_features & ~dev->host_features) &&
			    (dev->guest_features & (1ULL << VIRTIO_F_VERSION_1)),
			    "FEATURES_OK for 0x%llx",
			    (unsigned long long)dev->guest_features);
		if (!agreed) {
			agreed = true;
			agreed_features = dev->guest_features;
		}
		FUZZ_ASSERT(dev->guest_features == agreed_features,
			    "features changed after FEATURES_OK");
	}
	if (!(status & VIRTIO_CONFIG_S_FEATURES_OK))
		agreed = false;
	if (dev->iface == VIRTIO_IFACE_MODERN &&
	    (status & VIRTIO_CONFIG_S_DRIVER_OK))
		FUZZ_ASSERT(status & VIRTIO_CONFIG_S_FEATURES_OK,
			    "DRIVER_OK without FEATURES_OK (status 0x%x)", status);
	FUZZ_ASSERT(fstat(img_fd, &st) == 0 && (uint64_t)st.st_size == IMG_SIZE,
		    "the image changed size");
}

static void run_op(struct fuzz_in *in)
{
	uint8_t op = fi_u8(in);
	unsigned int i;

	switch (op % 8) {
	case 0:
	case 1:
	case 2:
		i = fi_u8(in) % (sizeof(fields) / sizeof(fields[0]));
		mwr(fields[i].off, fuzz_value(in), fields[i].len);
		break;
	case 3:		/* any width at any offset */
		mwr(fi_u16(in) % (VIRTIO_MODERN_BAR_SIZE + 8), fuzz_value(in),
		    1u << (fi_u8(in) % 4));
		break;
	case 4:
		(void)mrd(fi_u16(in) % (VIRTIO_MODERN_BAR_SIZE + 8),
			  1u << (fi_u8(in) % 4));
		break;
	case 5:		/* the legacy interface, too */
		virtio_legacy_write(dev, fi_u8(in) % 28, (uint32_t)fuzz_value(in),
				    1u << (fi_u8(in) % 3));
		break;
	case 6:
		put_request(in);
		break;
	default:
		kick();
		break;
	}
	check();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct disk_config dc = { .engine = DISK_ENGINE_SYNC };
	char path[256];

	(void)argc;
	(void)argv;
	vm = fuzz_vm_new();
	fuzz_mem_init(&vm->mem, LOW_RAM, HIGH_RAM);
	snprintf(path, sizeof(path), "%s/lightvm-fuzz-modern-XXXXXX",
		 fuzz_tmpdir());
	img_fd = mkstemp(path);
	if (img_fd < 0 || ftruncate(img_fd, IMG_SIZE) < 0)
		abort();
	dc.path = path;
	dev = virtio_blk_new(vm, &dc);
	unlink(path);
	if (!dev) {
		fuzz_log("fuzz: no device: %s\n", err_msg());
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;

	fi_init(&in, data, size);
	/* What the last input left: a reset and clean RAM. */
	mwr(COMMON(STATUS), 0, 1);
	memset(vm->mem.host, 0, vm->mem.size);
	agreed = false;
	while (!fi_empty(&in))
		run_op(&in);
	kick();
	check();
	return 0;
}
