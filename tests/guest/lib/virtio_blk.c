// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_blk.c - well-formed virtio-blk requests on top of virtio.c, for
 * test kernels that need a working disk around whatever they attack:
 * header (device-readable, 16 bytes), optional data, status byte
 * (device-writable), as virtio 1.x 5.2.6 lays a request out.
 */
#include "runtime.h"

static struct virtio_blk_outhdr blk_hdr __aligned(16);
static volatile uint8_t blk_status;

int vblk_request(struct vq *q, uint32_t type, uint64_t sector, void *buf,
		 uint32_t len, unsigned int ticks)
{
	bool dev_writes = type == VIRTIO_BLK_T_IN ||
			  type == VIRTIO_BLK_T_GET_ID;
	uint16_t head = 0;
	struct vring_used_elem e;

	blk_hdr.type = type;
	blk_hdr.ioprio = 0;
	blk_hdr.sector = sector;
	blk_status = 0xff;
	vq_set_desc(q->desc, 0, (uintptr_t)&blk_hdr, sizeof(blk_hdr),
		    VRING_DESC_F_NEXT, len ? 1 : 2);
	vq_set_desc(q->desc, 1, (uintptr_t)buf, len, VRING_DESC_F_NEXT |
		    (dev_writes ? VRING_DESC_F_WRITE : 0), 2);
	vq_set_desc(q->desc, 2, (uintptr_t)&blk_status, 1, VRING_DESC_F_WRITE,
		    0);
	vq_publish(q, &head, 1);
	if (vq_wait(q, ticks))
		return VBLK_TIMEOUT;
	if (!vq_pop(q, &e) || e.id != 0) {
		printf("FAIL: used id %u, expected 0\n", e.id);
		return VBLK_BAD_USED;
	}
	return blk_status;
}

uint64_t vblk_capacity(const struct vdev *d)
{
	unsigned int cfg = d->io + vdev_config_offset(d);

	return inl(cfg) | (uint64_t)inl(cfg + 4) << 32;
}
