// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_blk.c - well-formed virtio-blk requests on top of virtio.c, for
 * test kernels that need a working disk around whatever they attack:
 * header (device-readable, 16 bytes), optional data, status byte
 * (device-writable), as virtio 1.x 5.2.6 lays a request out.
 *
 * One request at a time (vblk_request*) uses slot 0; several in flight
 * (vblk_put) one slot each, so every request has a header and a status
 * byte of its own.
 */
#include "runtime.h"

static struct virtio_blk_outhdr slot_hdr[VBLK_SLOTS] __aligned(16);
static volatile uint8_t slot_status[VBLK_SLOTS];
static struct vring_desc blk_table[3] __aligned(16);

/* Slot s's request in t[d..d+2]; without data the header skips to d+2. */
static void blk_chain(struct vring_desc *t, unsigned int d, unsigned int s,
		      uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	bool dev_writes = type == VIRTIO_BLK_T_IN ||
			  type == VIRTIO_BLK_T_GET_ID;

	slot_hdr[s].type = type;
	slot_hdr[s].ioprio = 0;
	slot_hdr[s].sector = sector;
	slot_status[s] = 0xff;
	vq_set_desc(t, d, (uintptr_t)&slot_hdr[s], sizeof(slot_hdr[s]),
		    VRING_DESC_F_NEXT, len ? d + 1 : d + 2);
	vq_set_desc(t, d + 1, (uintptr_t)buf, len, VRING_DESC_F_NEXT |
		    (dev_writes ? VRING_DESC_F_WRITE : 0), d + 2);
	vq_set_desc(t, d + 2, (uintptr_t)&slot_status[s], 1,
		    VRING_DESC_F_WRITE, 0);
}

/* Publish head 0 and wait for it: slot 0's status byte, or VBLK_*. */
static int blk_submit(struct vq *q, unsigned int ticks)
{
	uint16_t head = 0;
	struct vring_used_elem e;

	vq_publish(q, &head, 1);
	if (vq_wait(q, ticks))
		return VBLK_TIMEOUT;
	if (!vq_pop(q, &e) || e.id != 0) {
		printf("FAIL: used id %u, expected 0\n", e.id);
		return VBLK_BAD_USED;
	}
	return slot_status[0];
}

int vblk_request(struct vq *q, uint32_t type, uint64_t sector, void *buf,
		 uint32_t len, unsigned int ticks)
{
	blk_chain(q->desc, 0, 0, type, sector, buf, len);
	return blk_submit(q, ticks);
}

int vblk_request_indirect(struct vq *q, uint32_t type, uint64_t sector,
			  void *buf, uint32_t len, unsigned int ticks)
{
	blk_chain(blk_table, 0, 0, type, sector, buf, len);
	vq_set_desc(q->desc, 0, (uintptr_t)blk_table, sizeof(blk_table),
		    VRING_DESC_F_INDIRECT, 0);
	return blk_submit(q, ticks);
}

uint16_t vblk_put(struct vq *q, unsigned int s, uint32_t type,
		  uint64_t sector, void *buf, uint32_t len)
{
	blk_chain(q->desc, 3 * s, s, type, sector, buf, len);
	return (uint16_t)(3 * s);
}

/*
 * Where the guest's ring 0 is emulated instruction by instruction (PVM
 * hosts), writing three descriptors again per request made a 4 KiB run
 * three times slower: only what differs is written.
 */
uint16_t vblk_reput(struct vq *q, unsigned int s, uint32_t type,
		    uint64_t sector)
{
	bool dev_writes = type == VIRTIO_BLK_T_IN ||
			  type == VIRTIO_BLK_T_GET_ID;

	slot_hdr[s].type = type;
	slot_hdr[s].sector = sector;
	slot_status[s] = 0xff;
	q->desc[3 * s + 1].flags = VRING_DESC_F_NEXT |
				   (dev_writes ? VRING_DESC_F_WRITE : 0);
	return (uint16_t)(3 * s);
}

uint8_t vblk_slot_status(unsigned int s)
{
	return slot_status[s];
}

uint64_t vblk_capacity(const struct vdev *d)
{
	return vdev_config_read(d, 0, 4) |
	       (uint64_t)vdev_config_read(d, 4, 4) << 32;
}
