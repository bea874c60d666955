// SPDX-License-Identifier: GPL-2.0
/*
 * modern_pci.c - the virtio 1.x PCI transport ("4.1 Virtio Over PCI
 * Bus"): four vendor-specific capabilities point into one 64-bit memory
 * BAR (VIRTIO_MODERN_BAR), laid out like QEMU's, a page per region:
 *
 *   0x0000  common configuration   struct virtio_pci_common_cfg (56 bytes)
 *   0x1000  ISR status             1 byte, read-and-clear
 *   0x2000  device configuration   the device's config bytes
 *   0x3000  notifications          queue i at i * 4 (notify_off_multiplier
 *                                  4, queue_notify_off = i)
 *
 * Reads of any width at any offset are assembled byte by byte from a
 * snapshot, as in legacy_pci.c; only the ISR byte has a read side effect.
 * Writes must hit a writable field exactly, except that the 64-bit queue
 * addresses also take each 32-bit half ("the driver MAY access ... 64-bit
 * fields ... as two 32-bit accesses", 4.1.3.1); anything else is ignored
 * and logged once with -v.
 *
 * What the common configuration means to the device:
 *  - features: 64 bits through the select/window pairs.  FEATURES_OK is
 *    accepted only for features that were offered and include
 *    VERSION_1 ("the device MUST NOT accept" others, 2.2.2 / 6.1); a
 *    refused FEATURES_OK simply does not read back (3.1.1 step 6).  From
 *    FEATURES_OK on the features are fixed until a reset.
 *  - queue_size: the driver may lower it to any power of 2 ("Queue Size
 *    ... the driver MAY write a smaller value", 4.1.4.3).  queue_desc,
 *    queue_driver, queue_device: three independent addresses.  All are
 *    checked once, when queue_enable is written with 1 (virtq.c); a
 *    queue that does not pass marks the device NEEDS_RESET and stays
 *    disabled.  Once enabled they no longer change ("The driver MUST
 *    configure the other virtqueue fields before enabling"); 0 to
 *    queue_enable is ignored (no VIRTIO_F_RING_RESET offered).
 *  - DRIVER_OK without FEATURES_OK, like any driver error, marks the
 *    device NEEDS_RESET.
 *  - config_generation: the device config never changes under a driver
 *    here except the net link status, which bumps it.
 * Mixing this interface with the legacy one on a transitional device is
 * a driver error with one outcome: see virtio_iface_claim().
 *
 * Notifications: each queue's 16-bit write of its index at its notify
 * address is a KVM ioeventfd (datamatch on the index), assigned wherever
 * the BAR currently is; any other write there exits here, is counted in
 * notify_exits and kicks that queue.
 */
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio.h"

#define CAP_LEN			sizeof(struct virtio_pci_cap)
#define NOTIFY_CAP_LEN		sizeof(struct virtio_pci_notify_cap)
#define ISR_LEN			1

static void put64(uint8_t *p, uint64_t v)
{
	pci_put_le32(p, (uint32_t)v);
	pci_put_le32(p + 4, (uint32_t)(v >> 32));
}

static struct virtqueue *selected(struct virtio_dev *dev)
{
	return dev->queue_sel < dev->nr_vqs ? &dev->vqs[dev->queue_sel] :
					      NULL;
}

/* The common configuration as the guest reads it now. */
static void common_snapshot(struct virtio_dev *dev, uint8_t *c)
{
	struct virtqueue *vq = selected(dev);
	struct virtio_mq *mq = vq ? &dev->mq[vq->index] : NULL;
	uint32_t df = 0, gf = 0;

	memset(c, 0, VIRTIO_MODERN_COMMON_LEN);
	if (dev->device_feature_select < 2)
		df = (uint32_t)(dev->host_features >>
				(32 * dev->device_feature_select));
	if (dev->driver_feature_select < 2)
		gf = (uint32_t)(dev->guest_features >>
				(32 * dev->driver_feature_select));
	pci_put_le32(c + VIRTIO_PCI_COMMON_DFSELECT, dev->device_feature_select);
	pci_put_le32(c + VIRTIO_PCI_COMMON_DF, df);
	pci_put_le32(c + VIRTIO_PCI_COMMON_GFSELECT, dev->driver_feature_select);
	pci_put_le32(c + VIRTIO_PCI_COMMON_GF, gf);
	pci_put_le16(c + VIRTIO_PCI_COMMON_MSIX, dev->config_vector);
	pci_put_le16(c + VIRTIO_PCI_COMMON_NUMQ, dev->nr_vqs);
	c[VIRTIO_PCI_COMMON_STATUS] = dev->status;
	c[VIRTIO_PCI_COMMON_CFGGENERATION] = dev->config_generation;
	pci_put_le16(c + VIRTIO_PCI_COMMON_Q_SELECT, dev->queue_sel);
	/* "0 ... if the queue is unavailable" (4.1.4.3). */
	pci_put_le16(c + VIRTIO_PCI_COMMON_Q_SIZE, mq ? mq->size : 0);
	pci_put_le16(c + VIRTIO_PCI_COMMON_Q_MSIX,
	      vq ? vq->vector : VIRTIO_MSI_NO_VECTOR);
	pci_put_le16(c + VIRTIO_PCI_COMMON_Q_ENABLE, mq ? mq->enabled : 0);
	pci_put_le16(c + VIRTIO_PCI_COMMON_Q_NOFF, vq ? vq->index : 0);
	put64(c + VIRTIO_PCI_COMMON_Q_DESCLO, mq ? mq->desc : 0);
	put64(c + VIRTIO_PCI_COMMON_Q_AVAILLO, mq ? mq->driver : 0);
	put64(c + VIRTIO_PCI_COMMON_Q_USEDLO, mq ? mq->device : 0);
}

static uint8_t read_byte(struct virtio_dev *dev, const uint8_t *common,
			 uint64_t o)
{
	if (o < VIRTIO_MODERN_COMMON_LEN)
		return common[o];
	if (o >= VIRTIO_MODERN_DEVICE &&
	    o - VIRTIO_MODERN_DEVICE < dev->config_len)
		return dev->config[o - VIRTIO_MODERN_DEVICE];
	return 0;
}

static void modern_read(struct virtio_dev *dev, uint64_t off, uint8_t *data,
			unsigned int len)
{
	uint8_t common[VIRTIO_MODERN_COMMON_LEN];
	unsigned int i;

	pthread_mutex_lock(&dev->lock);
	common_snapshot(dev, common);
	for (i = 0; i < len; i++)
		data[i] = read_byte(dev, common, off + i);
	pthread_mutex_unlock(&dev->lock);
	/* The ISR: "To avoid an extra access, simply reading this register
	 * resets it to 0 and causes the device to de-assert the interrupt"
	 * (4.1.4.5). */
	if (off <= VIRTIO_MODERN_ISR && VIRTIO_MODERN_ISR < off + len)
		data[VIRTIO_MODERN_ISR - off] = virtio_isr_read(dev);
}

/* ---- common configuration writes, dev->lock held ---- */

static void w_dfselect(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	(void)half;
	dev->device_feature_select = (uint32_t)v;
}

static void w_gfselect(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	(void)half;
	dev->driver_feature_select = (uint32_t)v;
}

static void w_gf(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	unsigned int sel = dev->driver_feature_select, i;
	uint64_t mask;

	(void)half;
	if (dev->features_locked) {
		if (!dev->features_late_logged)
			log_debug(1, "%s: driver_feature written after FEATURES_OK: ignored",
				  dev->name);
		dev->features_late_logged = true;
		return;
	}
	/* Words beyond the 64 bits we know read back 0 and stay 0. */
	if (sel > 1)
		return;
	mask = 0xffffffffULL << (32 * sel);
	dev->guest_features = (dev->guest_features & ~mask) |
			      ((v & 0xffffffffULL) << (32 * sel));
	for (i = 0; i < dev->nr_vqs; i++)
		vq_set_features(&dev->vqs[i], dev->guest_features);
}

static uint16_t checked_vector(struct virtio_dev *dev, uint64_t v)
{
	return v < dev->nr_vqs + 1 ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void w_msix(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	(void)half;
	dev->config_vector = checked_vector(dev, v);
}

static void w_status(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	uint8_t old = dev->status, new = (uint8_t)v;

	(void)half;
	/* Bits are the driver's to set, never to clear but by a reset
	 * (2.1.1); NEEDS_RESET is the device's. */
	new |= old;
	if ((new & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		if (virtio_features_acceptable(dev))
			dev->features_locked = true;
		else
			new &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	dev->status = new;
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		if (!(new & VIRTIO_CONFIG_S_FEATURES_OK)) {
			/* Nothing may run on unagreed features. */
			dev->status &= ~VIRTIO_CONFIG_S_DRIVER_OK;
			virtio_dev_needs_reset(dev, NULL,
					       "DRIVER_OK without FEATURES_OK");
			return;
		}
		virtio_driver_ok(dev);
	}
}

static void w_qselect(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	(void)half;
	dev->queue_sel = (uint16_t)v;
}

/* The selected queue while the driver may still set it up, or NULL. */
static struct virtio_mq *settable(struct virtio_dev *dev)
{
	struct virtqueue *vq = selected(dev);

	if (!vq || dev->mq[vq->index].enabled)
		return NULL;
	return &dev->mq[vq->index];
}

static void w_qsize(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	struct virtio_mq *mq = settable(dev);

	(void)half;
	if (mq)
		mq->size = (uint16_t)v;	/* checked at queue_enable */
}

static void w_qmsix(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	struct virtqueue *vq = selected(dev);

	(void)half;
	if (vq)
		vq->vector = checked_vector(dev, v);
}

static void w_qenable(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	struct virtio_mq *mq = settable(dev);
	struct virtqueue *vq;
	enum vq_err err;
	char why[128];

	(void)half;
	if (!mq || v != 1)
		return;
	vq = selected(dev);
	err = vq_set_rings(vq, mq->size, mq->desc, mq->driver, mq->device);
	vq_set_features(vq, dev->guest_features);
	if (err != VQ_OK) {
		snprintf(why, sizeof(why), "queue %u: enabled with %s", vq->index,
			 vq_err_str(err));
		virtio_dev_needs_reset(dev, vq, why);
		return;
	}
	mq->enabled = true;
}

/* A 64-bit address, whole or one 32-bit half (half 1 = the upper). */
static void set_addr(uint64_t *a, uint64_t v, unsigned int half)
{
	if (half == 2)
		*a = v;
	else if (half == 0)
		*a = (*a & 0xffffffff00000000ULL) | (uint32_t)v;
	else
		*a = (*a & 0xffffffffULL) | (v << 32);
}

static void w_qdesc(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	struct virtio_mq *mq = settable(dev);

	if (mq)
		set_addr(&mq->desc, v, half);
}

static void w_qdriver(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	struct virtio_mq *mq = settable(dev);

	if (mq)
		set_addr(&mq->driver, v, half);
}

static void w_qdevice(struct virtio_dev *dev, uint64_t v, unsigned int half)
{
	struct virtio_mq *mq = settable(dev);

	if (mq)
		set_addr(&mq->device, v, half);
}

static const struct {
	uint8_t off, size;
	void (*write)(struct virtio_dev *dev, uint64_t v, unsigned int half);
} regs[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4, w_dfselect },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4, w_gfselect },
	{ VIRTIO_PCI_COMMON_GF, 4, w_gf },
	{ VIRTIO_PCI_COMMON_MSIX, 2, w_msix },
	{ VIRTIO_PCI_COMMON_STATUS, 1, w_status },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2, w_qselect },
	{ VIRTIO_PCI_COMMON_Q_SIZE, 2, w_qsize },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2, w_qmsix },
	{ VIRTIO_PCI_COMMON_Q_ENABLE, 2, w_qenable },
	{ VIRTIO_PCI_COMMON_Q_DESCLO, 8, w_qdesc },
	{ VIRTIO_PCI_COMMON_Q_AVAILLO, 8, w_qdriver },
	{ VIRTIO_PCI_COMMON_Q_USEDLO, 8, w_qdevice },
};

static void notify_exit(struct virtio_dev *dev, uint64_t off)
{
	uint64_t q = (off - VIRTIO_MODERN_NOTIFY) / VIRTIO_MODERN_NOTIFY_MULT;
	uint64_t one = 1;

	dev->stats.notify_exits++;
	if (q < dev->nr_vqs && dev->notify_fd[q] >= 0 &&
	    write(dev->notify_fd[q], &one, sizeof(one)) != sizeof(one))
		log_warn("%s: cannot signal queue %llu", dev->name,
			 (unsigned long long)q);
}

static void modern_write(struct virtio_dev *dev, uint64_t off,
			 const uint8_t *data, unsigned int len)
{
	struct virtio_write_ctx ctx = { false };
	bool handled = false;
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	pthread_mutex_lock(&dev->lock);
	if (off >= VIRTIO_MODERN_NOTIFY &&
	    off < VIRTIO_MODERN_NOTIFY + (uint64_t)dev->nr_vqs *
					 VIRTIO_MODERN_NOTIFY_MULT) {
		if (virtio_iface_claim(dev, VIRTIO_IFACE_MODERN))
			notify_exit(dev, off);
		handled = true;
	}
	for (i = 0; !handled && i < sizeof(regs) / sizeof(regs[0]); i++) {
		unsigned int half;

		if (regs[i].size == 8 && len == 4 &&
		    (off == regs[i].off || off == regs[i].off + 4u))
			half = off != regs[i].off;
		else if (off == regs[i].off && len == regs[i].size)
			half = 2;
		else
			continue;
		handled = true;
		/* A reset, through either interface, is always allowed. */
		if (regs[i].write == w_status && !v)
			virtio_status_reset(dev, &ctx);
		else if (virtio_iface_claim(dev, VIRTIO_IFACE_MODERN))
			regs[i].write(dev, v, half);
	}
	/* Read-only fields, device config (read-only for our devices), the
	 * ISR, torn or misplaced writes: ignored. */
	if (!handled && !dev->odd_access_logged) {
		log_debug(1, "%s: ignored %u-byte write of 0x%llx at BAR%u+0x%llx",
			  dev->name, len, (unsigned long long)v,
			  VIRTIO_MODERN_BAR, (unsigned long long)off);
		dev->odd_access_logged = true;
	}
	virtio_write_done(dev, &ctx);
}

void virtio_modern_access(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int len, bool is_write)
{
	struct virtio_dev *dev = opaque;

	if (!len || len > 8 || off >= VIRTIO_MODERN_BAR_SIZE ||
	    len > VIRTIO_MODERN_BAR_SIZE - off) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		modern_write(dev, off, data, len);
	else
		modern_read(dev, off, data, len);
}

/* ---- the transport ---- */

/* One vendor-specific capability pointing at [offset, offset+length). */
static int add_cap(struct virtio_dev *dev, uint8_t type, uint32_t offset,
		   uint32_t length, unsigned int cap_len)
{
	int at = pci_cap_add(&dev->pci, PCI_CAP_ID_VNDR, cap_len);
	uint8_t *c;

	if (at < 0)
		return -1;
	c = dev->pci.cfg + at;
	c[VIRTIO_PCI_CAP_LEN] = (uint8_t)cap_len;
	c[VIRTIO_PCI_CAP_CFG_TYPE] = type;
	c[VIRTIO_PCI_CAP_BAR] = VIRTIO_MODERN_BAR;
	pci_put_le32(c + VIRTIO_PCI_CAP_OFFSET, offset);
	pci_put_le32(c + VIRTIO_PCI_CAP_LENGTH, length);
	return at;
}

/*
 * The PCI configuration access capability (4.1.4.9): "The device MUST
 * present at least one VIRTIO_PCI_CAP_PCI_CFG capability."  The driver
 * writes cap.bar, cap.offset and cap.length, then reads or writes
 * pci_cfg_data: "Upon detecting driver write access to pci_cfg_data, the
 * device MUST execute a write access at offset cap.offset at BAR selected
 * by cap.bar using the first cap.length bytes from pci_cfg_data" - and
 * the read likewise.  Only the modern BAR is reachable this way, with a
 * length of 1, 2 or 4 aligned to itself inside the BAR; anything else is
 * ignored ("The driver MUST NOT" ask for it, 4.1.4.9.1).  The PCI core
 * hands us the data dword without its cfg_lock, because the access takes
 * dev->lock and may raise INTx, which takes cfg_lock.
 */
#define PCI_CFG_CAP_LEN		sizeof(struct virtio_pci_cfg_cap)
#define PCI_CFG_DATA		offsetof(struct virtio_pci_cfg_cap, pci_cfg_data)

void virtio_modern_pci_cfg(struct pci_device *pci, unsigned int off,
			   uint8_t *data, unsigned int len, bool is_write)
{
	struct virtio_dev *dev = (struct virtio_dev *)pci;
	uint8_t *cap = pci->cfg + pci->window - PCI_CFG_DATA, buf[4];
	uint32_t boff, blen;
	bool valid;

	if (off + len > 4)
		return;
	pthread_mutex_lock(&pci->cfg_lock);
	if (is_write)
		memcpy(cap + PCI_CFG_DATA + off, data, len);
	boff = pci_get_le32(cap + VIRTIO_PCI_CAP_OFFSET);
	blen = pci_get_le32(cap + VIRTIO_PCI_CAP_LENGTH);
	valid = cap[VIRTIO_PCI_CAP_BAR] == VIRTIO_MODERN_BAR &&
		(blen == 1 || blen == 2 || blen == 4) && !(boff % blen) &&
		boff < VIRTIO_MODERN_BAR_SIZE;
	memcpy(buf, cap + PCI_CFG_DATA, 4);
	pthread_mutex_unlock(&pci->cfg_lock);

	if (valid)
		virtio_modern_access(dev, boff, buf, blen, is_write);
	if (is_write)
		return;
	pthread_mutex_lock(&pci->cfg_lock);
	if (valid)
		memcpy(cap + PCI_CFG_DATA, buf, blen);
	memcpy(data, cap + PCI_CFG_DATA + off, len);
	pthread_mutex_unlock(&pci->cfg_lock);
}

static int add_pci_cfg_cap(struct virtio_dev *dev)
{
	int at = add_cap(dev, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, PCI_CFG_CAP_LEN);

	if (at < 0)
		return -1;
	/* The driver chooses bar, offset and length ("the driver MAY
	 * write"); the data dword is served by virtio_modern_pci_cfg(). */
	dev->pci.cfg[at + VIRTIO_PCI_CAP_BAR] = 0;
	dev->pci.wmask[at + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(dev->pci.wmask + at + VIRTIO_PCI_CAP_OFFSET, 0xff, 8);
	/* pci_cfg_data is the driver's to write too (the window stores it
	 * before acting), so the write mask says so. */
	memset(dev->pci.wmask + at + PCI_CFG_DATA, 0xff, 4);
	dev->pci.window = (uint8_t)(at + PCI_CFG_DATA);
	return 0;
}

static int modern_setup(struct virtio_dev *dev)
{
	int notify;

	if (pci_bar_add(&dev->pci, VIRTIO_MODERN_BAR, PCI_BAR_MEM64,
			VIRTIO_MODERN_BAR_SIZE, virtio_modern_access, dev) < 0)
		return -1;
	if (add_cap(dev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_MODERN_COMMON,
		    VIRTIO_MODERN_COMMON_LEN, CAP_LEN) < 0 ||
	    add_cap(dev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_MODERN_ISR, ISR_LEN,
		    CAP_LEN) < 0 ||
	    (dev->config_len &&
	     add_cap(dev, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_MODERN_DEVICE,
		     dev->config_len, CAP_LEN) < 0))
		return -1;
	notify = add_cap(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_MODERN_NOTIFY,
			 dev->nr_vqs * VIRTIO_MODERN_NOTIFY_MULT,
			 NOTIFY_CAP_LEN);
	if (notify < 0)
		return -1;
	pci_put_le32(dev->pci.cfg + notify + VIRTIO_PCI_NOTIFY_CAP_MULT,
	      VIRTIO_MODERN_NOTIFY_MULT);
	return add_pci_cfg_cap(dev);
}

static uint64_t notify_addr(const struct virtio_dev *dev, unsigned int q)
{
	return dev->notify_mmio + (uint64_t)q * VIRTIO_MODERN_NOTIFY_MULT;
}

static void modern_unplace(struct virtio_dev *dev)
{
	unsigned int i;

	for (i = 0; dev->notify_mmio_assigned && i < dev->nr_vqs; i++)
		ioeventfd_deassign(dev->vm, dev->notify_fd[i],
				   notify_addr(dev, i), 2, false, i);
	dev->notify_mmio_assigned = false;
}

static void modern_bar_update(struct virtio_dev *dev, unsigned int bar,
			      uint64_t addr, bool mapped)
{
	unsigned int i;

	if (bar != VIRTIO_MODERN_BAR)
		return;
	modern_unplace(dev);
	if (!mapped)
		return;
	dev->notify_mmio = addr + VIRTIO_MODERN_NOTIFY;
	for (i = 0; i < dev->nr_vqs; i++) {
		if (ioeventfd_assign(dev->vm, dev->notify_fd[i],
				     notify_addr(dev, i), 2, false, i) == 0)
			continue;
		/* Still correct, only slower: kicks exit to us. */
		log_warn("%s: no ioeventfd for modern queue notifies (%s)",
			 dev->name, err_msg());
		while (i--)
			ioeventfd_deassign(dev->vm, dev->notify_fd[i],
					   notify_addr(dev, i), 2, false, i);
		return;
	}
	dev->notify_mmio_assigned = true;
}

const struct virtio_transport virtio_modern_transport = {
	.name = "modern",
	.setup = modern_setup,
	.bar_update = modern_bar_update,
	.unplace = modern_unplace,
};
