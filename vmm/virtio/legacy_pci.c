// SPDX-License-Identifier: GPL-2.0
/*
 * legacy_pci.c - the legacy virtio-PCI transport ("4.1.4.8 Legacy
 * Interfaces: A Note on PCI Device Layout"): an I/O BAR0 holding the
 * virtio header and, after it, the device-specific configuration.
 *
 *    0  HOST_FEATURES   32  r/o      14  QUEUE_SEL     16  r/w
 *    4  GUEST_FEATURES  32  r/w      16  QUEUE_NOTIFY  16  w
 *    8  QUEUE_PFN       32  r/w      18  STATUS         8  r/w
 *   12  QUEUE_NUM       16  r/o      19  ISR            8  r, clears
 *   20  CONFIG_VECTOR   16  r/w  } only while MSI-X is enabled; the
 *   22  QUEUE_VECTOR    16  r/w  } device config starts at 24, else 20
 *
 * Reads of any width at any offset are assembled byte by byte from a
 * snapshot of the registers, so a partial or unaligned read returns the
 * matching bytes; bytes past the device config read as 0.  Only the
 * ISR byte has a read side effect.  Writes must hit a writable register
 * exactly (offset and width); anything else is ignored and logged once
 * with -v: the guest cannot reach device state through a torn write.
 *
 * The notify register normally never gets here: each queue's QUEUE_NOTIFY
 * write of its index is a KVM ioeventfd (bar_update assigns them where
 * BAR0 currently is), so a kick costs no exit.  What does arrive here is
 * counted as notify_exits and forwarded to the same eventfd.
 */
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio.h"

#define HDR_MAX		24

static struct virtqueue *selected(struct virtio_dev *dev)
{
	return dev->queue_sel < dev->nr_vqs ? &dev->vqs[dev->queue_sel] :
					      NULL;
}

static bool msix_enabled(struct virtio_dev *dev)
{
	return __atomic_load_n(&dev->msix_on, __ATOMIC_ACQUIRE);
}

/* The registers as the guest reads them; ISR is left to the caller. */
static void header_snapshot(struct virtio_dev *dev, uint8_t *h)
{
	struct virtqueue *vq = selected(dev);

	memset(h, 0, HDR_MAX);
	/* Legacy has 32 feature bits: VERSION_1 and up are modern only. */
	pci_put_le32(h + VIRTIO_PCI_HOST_FEATURES, (uint32_t)dev->host_features);
	pci_put_le32(h + VIRTIO_PCI_GUEST_FEATURES, (uint32_t)dev->guest_features);
	pci_put_le32(h + VIRTIO_PCI_QUEUE_PFN, vq ? vq->pfn : 0);
	/* A queue that does not exist has size 0: the driver stops there. */
	pci_put_le16(h + VIRTIO_PCI_QUEUE_NUM, vq ? vq->max_size : 0);
	pci_put_le16(h + VIRTIO_PCI_QUEUE_SEL, dev->queue_sel);
	h[VIRTIO_PCI_STATUS] = dev->status;
	pci_put_le16(h + VIRTIO_MSI_CONFIG_VECTOR, dev->config_vector);
	pci_put_le16(h + VIRTIO_MSI_QUEUE_VECTOR,
	      vq ? vq->vector : VIRTIO_MSI_NO_VECTOR);
}

static void legacy_read(struct virtio_dev *dev, uint64_t off, uint8_t *data,
			unsigned int len)
{
	unsigned int hdr = VIRTIO_PCI_CONFIG_OFF(msix_enabled(dev));
	uint8_t h[HDR_MAX];
	unsigned int i;

	pthread_mutex_lock(&dev->lock);
	header_snapshot(dev, h);
	for (i = 0; i < len; i++) {
		uint64_t o = off + i;

		if (o < hdr)
			data[i] = h[o];
		else if (o - hdr < dev->config_len)
			data[i] = dev->config[o - hdr];
		else
			data[i] = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	/* "Reading the value will return the current contents of the ISR
	 * and will also clear it. This is effectively a read-and-
	 * acknowledge." - and it lowers INTx. */
	if (off <= VIRTIO_PCI_ISR && VIRTIO_PCI_ISR < off + len)
		data[VIRTIO_PCI_ISR - off] = virtio_isr_read(dev);
}

static void write_features(struct virtio_dev *dev, uint32_t v,
			   struct virtio_write_ctx *ctx)
{
	unsigned int i;

	(void)ctx;
	/*
	 * Legacy has no FEATURES_OK: the features in force are whatever was
	 * written before DRIVER_OK.  Changing them under a running device
	 * would change the ring format under us, so later writes are
	 * ignored - also once the driver took DRIVER_OK back, which it may
	 * not do ("The driver MUST NOT clear a device status bit", 2.1.1):
	 * the rings and the backend were set up for these features, and
	 * only a reset reopens negotiation.  Bits we did not offer are
	 * refused by masking.
	 */
	if (dev->features_locked) {
		if (!dev->features_late_logged)
			log_debug(1, "%s: GUEST_FEATURES 0x%x after DRIVER_OK ignored",
				  dev->name, v);
		dev->features_late_logged = true;
		return;
	}
	dev->guest_features = v & (uint32_t)dev->host_features;
	for (i = 0; i < dev->nr_vqs; i++)
		vq_set_features(&dev->vqs[i], dev->guest_features);
}

static void write_queue_pfn(struct virtio_dev *dev, uint32_t v,
			    struct virtio_write_ctx *ctx)
{
	struct virtqueue *vq = selected(dev);
	char why[96];

	(void)ctx;
	if (!vq)
		return;
	/* Replacing or removing live rings: let the backend finish first. */
	if (vq->pfn) {
		vq_reset(vq);
		virtio_dev_quiesce(dev);
	}
	if (vq_set_pfn(vq, v) != VQ_OK) {
		snprintf(why, sizeof(why),
			 "queue %u: QUEUE_PFN 0x%x puts the ring outside guest RAM",
			 vq->index, v);
		virtio_dev_needs_reset(dev, vq, why);
	}
	vq_set_features(vq, dev->guest_features);
}

static void write_queue_sel(struct virtio_dev *dev, uint32_t v,
			    struct virtio_write_ctx *ctx)
{
	(void)ctx;
	dev->queue_sel = v;
}

static void write_queue_notify(struct virtio_dev *dev, uint32_t v,
			       struct virtio_write_ctx *ctx)
{
	uint64_t one = 1;

	(void)ctx;
	dev->stats.notify_exits++;
	if (v < dev->nr_vqs && dev->notify_fd[v] >= 0 &&
	    write(dev->notify_fd[v], &one, sizeof(one)) != sizeof(one))
		log_warn("%s: cannot signal queue %u", dev->name, v);
}

static void write_status(struct virtio_dev *dev, uint32_t v,
			 struct virtio_write_ctx *ctx)
{
	uint8_t old = dev->status;

	(void)ctx;
	/* NEEDS_RESET is the device's to clear, by a reset. */
	dev->status = v | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if (v & VIRTIO_CONFIG_S_DRIVER_OK)
		dev->features_locked = true;
	if (!(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    (v & VIRTIO_CONFIG_S_DRIVER_OK))
		virtio_driver_ok(dev);
}

/*
 * Vectors: "the device MUST return vector mapped to a given event,
 * (NO_VECTOR if unmapped) on read"; an entry past the table cannot be
 * mapped, so it reads back as NO_VECTOR and the driver sees the failure.
 */
static uint16_t checked_vector(struct virtio_dev *dev, uint32_t v)
{
	return v < dev->nr_vqs + 1 ? v : VIRTIO_MSI_NO_VECTOR;
}

static void write_config_vector(struct virtio_dev *dev, uint32_t v,
				struct virtio_write_ctx *ctx)
{
	(void)ctx;
	dev->config_vector = checked_vector(dev, v);
}

static void write_queue_vector(struct virtio_dev *dev, uint32_t v,
			       struct virtio_write_ctx *ctx)
{
	struct virtqueue *vq = selected(dev);

	(void)ctx;
	if (vq)
		vq->vector = checked_vector(dev, v);
}

static const struct {
	uint8_t off, size;
	bool msix_only;
	void (*write)(struct virtio_dev *dev, uint32_t v,
		      struct virtio_write_ctx *ctx);
} regs[] = {
	{ VIRTIO_PCI_GUEST_FEATURES, 4, false, write_features },
	{ VIRTIO_PCI_QUEUE_PFN, 4, false, write_queue_pfn },
	{ VIRTIO_PCI_QUEUE_SEL, 2, false, write_queue_sel },
	{ VIRTIO_PCI_QUEUE_NOTIFY, 2, false, write_queue_notify },
	{ VIRTIO_PCI_STATUS, 1, false, write_status },
	{ VIRTIO_MSI_CONFIG_VECTOR, 2, true, write_config_vector },
	{ VIRTIO_MSI_QUEUE_VECTOR, 2, true, write_queue_vector },
};

static void legacy_write(struct virtio_dev *dev, uint64_t off,
			 const uint8_t *data, unsigned int len)
{
	bool msix = msix_enabled(dev);
	struct virtio_write_ctx ctx = { false };
	bool handled = false;
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < len && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	pthread_mutex_lock(&dev->lock);
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (regs[i].off != off || regs[i].size != len ||
		    (regs[i].msix_only && !msix))
			continue;
		handled = true;
		/* A reset, through either interface, is always allowed. */
		if (regs[i].write == write_status && !v)
			virtio_status_reset(dev, &ctx);
		else if (virtio_iface_claim(dev, VIRTIO_IFACE_LEGACY))
			regs[i].write(dev, v, &ctx);
		break;
	}
	/* Read-only registers, device config (read-only for our devices),
	 * torn or misplaced writes: all ignored. */
	if (!handled && !dev->odd_access_logged) {
		log_debug(1, "%s: ignored %u-byte write of 0x%x at BAR0+%llu",
			  dev->name, len, v, (unsigned long long)off);
		dev->odd_access_logged = true;
	}
	virtio_write_done(dev, &ctx);
}

void virtio_legacy_access(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int len, bool is_write)
{
	struct virtio_dev *dev = opaque;

	if (!len || len > 8 || off >= VIRTIO_BAR0_SIZE) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		legacy_write(dev, off, data, len);
	else
		legacy_read(dev, off, data, len);
}

/* ---- the transport ---- */

static int legacy_setup(struct virtio_dev *dev)
{
	return pci_bar_add(&dev->pci, 0, PCI_BAR_IO, VIRTIO_BAR0_SIZE,
			   virtio_legacy_access, dev);
}

static void legacy_unplace(struct virtio_dev *dev)
{
	unsigned int i;

	for (i = 0; dev->notify_assigned && i < dev->nr_vqs; i++)
		ioeventfd_deassign(dev->vm, dev->notify_fd[i],
				   dev->notify_port, 2, true, i);
	dev->notify_assigned = false;
}

/* BAR0 moved or its decoding changed: move the notify ioeventfds. */
static void legacy_bar_update(struct virtio_dev *dev, unsigned int bar,
			      uint64_t addr, bool mapped)
{
	unsigned int i;

	if (bar != 0)
		return;
	legacy_unplace(dev);
	if (!mapped)
		return;
	dev->notify_port = (uint32_t)addr + VIRTIO_PCI_QUEUE_NOTIFY;
	for (i = 0; i < dev->nr_vqs; i++) {
		if (ioeventfd_assign(dev->vm, dev->notify_fd[i],
				     dev->notify_port, 2, true, i) == 0)
			continue;
		/* Still correct, only slower: kicks exit to us. */
		log_warn("%s: no ioeventfd for queue notifies (%s)",
			 dev->name, err_msg());
		while (i--)
			ioeventfd_deassign(dev->vm, dev->notify_fd[i],
					   dev->notify_port, 2, true, i);
		return;
	}
	dev->notify_assigned = true;
}

const struct virtio_transport virtio_legacy_transport = {
	.name = "legacy",
	.setup = legacy_setup,
	.bar_update = legacy_bar_update,
	.unplace = legacy_unplace,
};
