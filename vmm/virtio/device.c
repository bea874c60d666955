// SPDX-License-Identifier: GPL-2.0
/*
 * device.c - what every virtio device shares: its life (init, register on
 * PCI, tear down), the reset a driver asks for by writing 0 to STATUS,
 * NEEDS_RESET when the driver breaks the rules, and the VM's device list
 * with its -v counters.
 *
 * Reset with requests in flight.  The spec leaves the device no room
 * after a reset: "A device MUST NOT send notifications or interact with
 * the queues after indicating completion of the reset by reinitializing
 * device status to 0" (2.4.1).  The STATUS write therefore does not
 * return - the vCPU stays in its OUT instruction - until the backend has
 * given back every request it was handed (the kernel may still be
 * writing read data into guest RAM until then).  Those requests are not
 * completed: the rings are dropped first (vq_reset bumps the queue's
 * generation), so their completions write neither status bytes nor used
 * entries and raise no interrupt.  A write the driver never saw complete
 * may or may not have reached the image, which is what an unacknowledged
 * write means anyway.  The device's own reset hook then runs (virtio-blk
 * fdatasyncs anything written since the last flush).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio.h"

int virtio_dev_init(struct virtio_dev *dev, struct vm *vm,
		    const struct virtio_dev_ops *ops, const char *name,
		    uint16_t device_id, enum virtio_transport_kind kind,
		    unsigned int nr_vqs, uint16_t queue_size,
		    uint64_t host_features, const uint8_t *config,
		    unsigned int config_len)
{
	unsigned int i, config_max;

	config_max = kind == VIRTIO_MODERN ?
		     VIRTIO_MODERN_NOTIFY - VIRTIO_MODERN_DEVICE :
		     VIRTIO_BAR0_SIZE - VIRTIO_PCI_CONFIG_OFF(true);
	if (!nr_vqs || nr_vqs > VIRTIO_MAX_QUEUES || !queue_size ||
	    queue_size > VQ_MAX_SIZE || (queue_size & (queue_size - 1)) ||
	    config_len > config_max || kind > VIRTIO_LEGACY) {
		err_set("%s: bad virtio device geometry", name);
		return -1;
	}
	dev->vm = vm;
	dev->ops = ops;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->device_id = device_id;
	dev->kind = kind;
	if (kind != VIRTIO_MODERN)
		dev->transports[dev->nr_transports++] = &virtio_legacy_transport;
	if (kind != VIRTIO_LEGACY) {
		dev->transports[dev->nr_transports++] = &virtio_modern_transport;
		/* "A device MUST offer VIRTIO_F_VERSION_1" (6.1) - modern
		 * drivers refuse a device without it. */
		host_features |= 1ULL << VIRTIO_F_VERSION_1;
	}
	dev->nr_vqs = nr_vqs;
	dev->host_features = host_features;
	dev->config = config;
	dev->config_len = config_len;
	dev->config_vector = VIRTIO_MSI_NO_VECTOR;
	dev->epoll_fd = dev->ctl_fd = dev->backend_fd = -1;
	for (i = 0; i < VIRTIO_MAX_QUEUES; i++)
		dev->notify_fd[i] = -1;
	for (i = 0; i < nr_vqs; i++) {
		vq_init(&dev->vqs[i], &vm->mem, i, queue_size);
		dev->mq[i].size = queue_size;
	}
	pthread_mutex_init(&dev->lock, NULL);
	pthread_cond_init(&dev->drained, NULL);
	pthread_mutex_init(&dev->irq_lock, NULL);
	pthread_mutex_init(&dev->notify_lock, NULL);
	/* The queues' kick eventfds exist from here on, so a device that
	 * hands them to a vhost-user backend can do so before it is on the
	 * bus (virtio_dev_cleanup() closes them). */
	for (i = 0; i < nr_vqs; i++) {
		dev->notify_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dev->notify_fd[i] < 0) {
			err_set("%s: eventfd: %s", name, strerror(errno));
			virtio_dev_cleanup(dev);
			return -1;
		}
	}
	return 0;
}

/* ---- PCI hooks: run under the PCI core's cfg_lock, never dev->lock ---- */

/* A BAR moved or its decoding changed: each transport moves the notify
 * ioeventfds it keeps there. */
static void bar_update(struct pci_device *pci, unsigned int bar,
		       uint64_t addr, bool mapped)
{
	struct virtio_dev *dev = (struct virtio_dev *)pci;
	unsigned int i;

	pthread_mutex_lock(&dev->notify_lock);
	for (i = 0; i < dev->nr_transports; i++)
		dev->transports[i]->bar_update(dev, bar, addr, mapped);
	pthread_mutex_unlock(&dev->notify_lock);
}

/* MSI-X on or off: where interrupts go, and where the legacy config
 * starts. */
static void msix_update(struct pci_device *pci, bool enabled)
{
	struct virtio_dev *dev = (struct virtio_dev *)pci;

	__atomic_store_n(&dev->msix_on, enabled, __ATOMIC_RELEASE);
	if (dev->ops->irq_changed)
		dev->ops->irq_changed(dev);
}

/* The modern transport's configuration access window (modern_pci.c). */
static void config_window(struct pci_device *pci, unsigned int off,
			  uint8_t *data, unsigned int len, bool is_write)
{
	virtio_modern_pci_cfg(pci, off, data, len, is_write);
}

static const struct pci_device_ops virtio_pci_ops = {
	.bar_update = bar_update,
	.msix_update = msix_update,
	.config_window = config_window,
};

int virtio_dev_plug(struct virtio_dev *dev, uint32_t class_code,
		    bool start_thread)
{
	bool modern_only = dev->kind == VIRTIO_MODERN;
	struct virtio_dev *last;
	unsigned int i;

	/* Modern-only devices are revision 1 ("Non-transitional devices
	 * SHOULD have a PCI Revision ID of 1 or higher"), transitional ones
	 * 0 like legacy ones ("MUST have a PCI Revision ID of 0"). */
	pci_device_init(&dev->pci, dev->vm, dev->name, VIRTIO_PCI_VENDOR,
			modern_only ? VIRTIO_PCI_MODERN_BASE + dev->device_id :
				      VIRTIO_PCI_DEVICE_BASE + dev->device_id - 1,
			class_code, modern_only ? 1 : VIRTIO_PCI_ABI_VERSION,
			VIRTIO_PCI_VENDOR, dev->device_id, &virtio_pci_ops, dev);
	if (pci_msix_init(&dev->pci, dev->nr_vqs + 1, 1) < 0)
		return -1;
	dev->msix_ready = true;
	for (i = 0; i < dev->nr_transports; i++)
		if (dev->transports[i]->setup(dev) < 0)
			return -1;
	/* The thread first: registering may map BAR0 (bar_update). */
	if (start_thread && virtio_iothread_start(dev) < 0)
		return -1;
	if (pci_device_register(&dev->pci) < 0)
		return -1;
	dev->registered = true;
	if (!start_thread)
		return 0;
	/* Append: -v lists devices in --disk, then --net order. */
	last = dev->vm->devices;
	while (last && last->next)
		last = last->next;
	if (last)
		last->next = dev;
	else
		dev->vm->devices = dev;
	return 0;
}

int virtio_dev_register(struct virtio_dev *dev, uint32_t class_code)
{
	return virtio_dev_plug(dev, class_code, true);
}

void virtio_dev_cleanup(struct virtio_dev *dev)
{
	unsigned int i;

	if (dev->thread_started)
		virtio_iothread_stop(dev);
	if (dev->registered)
		pci_device_unregister(&dev->pci);
	dev->registered = false;
	if (dev->msix_ready)
		pci_msix_destroy(&dev->pci);
	dev->msix_ready = false;
	pthread_mutex_lock(&dev->notify_lock);
	for (i = 0; i < dev->nr_transports; i++)
		dev->transports[i]->unplace(dev);
	pthread_mutex_unlock(&dev->notify_lock);
	for (i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (dev->notify_fd[i] >= 0)
			close(dev->notify_fd[i]);
		dev->notify_fd[i] = -1;
	}
	if (dev->ctl_fd >= 0)
		close(dev->ctl_fd);
	if (dev->epoll_fd >= 0)
		close(dev->epoll_fd);
	dev->ctl_fd = dev->epoll_fd = -1;
	pthread_mutex_destroy(&dev->notify_lock);
	pthread_mutex_destroy(&dev->irq_lock);
	pthread_cond_destroy(&dev->drained);
	pthread_mutex_destroy(&dev->lock);
}

void virtio_dev_needs_reset(struct virtio_dev *dev, struct virtqueue *vq,
			    const char *why)
{
	if (vq)
		vq->broken = true;
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	dev->stats.needs_reset++;
	/* The guest can repeat this at will: warn once per device. */
	if (!dev->needs_reset_logged)
		log_warn("%s: %s; device needs reset", dev->name, why);
	else
		log_debug(1, "%s: %s; device needs reset", dev->name, why);
	dev->needs_reset_logged = true;
	/*
	 * "If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the device
	 * MUST send a device configuration change notification to the
	 * driver." (2.1.2)
	 */
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		dev->config_irq_pending = true;
}

int virtio_vq_pop(struct virtio_dev *dev, struct virtqueue *vq,
		  struct vq_chain *c, struct iovec *iov, unsigned int max_iov)
{
	char why[96];
	int ret = vq_pop(vq, c, iov, max_iov);

	if (ret > 0)
		dev->stats.requests++;
	if (ret >= 0)
		return ret;
	snprintf(why, sizeof(why), "queue %u: %s", vq->index,
		 vq_err_str(vq->last_err));
	virtio_dev_needs_reset(dev, vq, why);
	return 0;
}

void virtio_vq_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	if (vq_should_notify(vq))
		dev->irq_pending |= 1u << vq->index;
	else
		dev->stats.irqs_suppressed++;
}

bool virtio_vq_live(struct virtio_dev *dev, struct virtqueue *vq)
{
	return (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) && vq->ready &&
	       !vq->broken && !dev->draining;
}

void virtio_dev_quiesce(struct virtio_dev *dev)
{
	bool was = dev->draining;

	dev->draining = true;
	if (dev->thread_started) {
		virtio_dev_kick_thread(dev);
		while (dev->inflight && !dev->thread_exited)
			pthread_cond_wait(&dev->drained, &dev->lock);
	} else {
		/* No I/O thread (unit tests): reap here until empty. */
		while (dev->inflight) {
			dev->ops->run(dev, 0, true);
			if (dev->inflight)
				sched_yield();
		}
	}
	dev->draining = was;
}

void virtio_dev_reset(struct virtio_dev *dev)
{
	unsigned int i;

	/* Drop the rings first: late completions then go nowhere. */
	for (i = 0; i < dev->nr_vqs; i++)
		vq_reset(&dev->vqs[i]);
	virtio_dev_quiesce(dev);
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (i = 0; i < dev->nr_vqs; i++) {
		dev->vqs[i].vector = VIRTIO_MSI_NO_VECTOR;
		vq_set_features(&dev->vqs[i], 0);
		dev->mq[i] = (struct virtio_mq){ .size = dev->vqs[i].max_size };
	}
	dev->status = 0;
	dev->guest_features = 0;
	dev->iface = VIRTIO_IFACE_NONE;
	dev->device_feature_select = dev->driver_feature_select = 0;
	dev->queue_sel = 0;
	dev->config_vector = VIRTIO_MSI_NO_VECTOR;
	dev->irq_pending = 0;
	dev->config_irq_pending = false;
	dev->features_locked = false;
	dev->features_late_logged = false;
	__atomic_add_fetch(&dev->reset_gen, 1, __ATOMIC_SEQ_CST);
	dev->stats.resets++;
}

bool virtio_iface_claim(struct virtio_dev *dev, enum virtio_iface iface)
{
	if (dev->iface == VIRTIO_IFACE_NONE) {
		dev->iface = iface;
		log_debug(1, "%s: the driver uses the %s interface", dev->name,
			  iface == VIRTIO_IFACE_MODERN ? "modern (virtio 1.x)" :
							 "legacy");
	}
	if (dev->iface == iface)
		return true;
	/*
	 * "A driver MUST NOT use both interfaces" is not in the spec in so
	 * many words, but a transitional device has one state behind two
	 * register sets with different feature and ring semantics.  The
	 * write is ignored and the device needs a reset, which either
	 * interface may then do.
	 */
	virtio_dev_needs_reset(dev, NULL, iface == VIRTIO_IFACE_LEGACY ?
			       "legacy register written by a modern driver" :
			       "modern register written by a legacy driver");
	return false;
}

bool virtio_features_acceptable(struct virtio_dev *dev)
{
	uint64_t unknown = dev->guest_features & ~dev->host_features;

	if (unknown) {
		log_debug(1, "%s: FEATURES_OK refused: bits 0x%llx were never offered",
			  dev->name, (unsigned long long)unknown);
		return false;
	}
	/* 6.1: "A driver MUST accept VIRTIO_F_VERSION_1 if it is offered";
	 * without it the modern interface has no defined semantics. */
	if (!(dev->guest_features & (1ULL << VIRTIO_F_VERSION_1))) {
		log_debug(1, "%s: FEATURES_OK refused: VERSION_1 not accepted",
			  dev->name);
		return false;
	}
	return true;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
	dev->features_locked = true;
	virtio_dev_kick_thread(dev);
}

void virtio_status_reset(struct virtio_dev *dev, struct virtio_write_ctx *ctx)
{
	virtio_dev_reset(dev);
	ctx->reset = true;
}

void virtio_write_done(struct virtio_dev *dev, struct virtio_write_ctx *ctx)
{
	struct virtio_irq_plan plan;

	virtio_irq_collect(dev, &plan);
	pthread_mutex_unlock(&dev->lock);
	if (ctx->reset)
		virtio_isr_read(dev);	/* "ISR cleared" and INTx down */
	virtio_irq_deliver(dev, &plan);
}

void virtio_dev_poll(struct virtio_dev *dev, uint32_t kicked, bool backend,
		     uint64_t notifies)
{
	struct virtio_irq_plan plan;

	pthread_mutex_lock(&dev->lock);
	dev->stats.notifies += notifies;
	dev->ops->run(dev, kicked, backend);
	if (!dev->inflight)
		pthread_cond_broadcast(&dev->drained);
	virtio_irq_collect(dev, &plan);
	pthread_mutex_unlock(&dev->lock);
	virtio_irq_deliver(dev, &plan);
}

/* ---- the VM's devices ---- */

void virtio_devices_destroy(struct vm *vm)
{
	struct virtio_dev *dev = vm->devices, *next;

	vm->devices = NULL;
	for (; dev; dev = next) {
		next = dev->next;
		virtio_dev_cleanup(dev);
		dev->ops->destroy(dev);
	}
}

void virtio_print_stats(struct vm *vm)
{
	struct virtio_dev *dev;
	unsigned int i;

	if (log_verbosity < 1)
		return;
	for (dev = vm->devices; dev; dev = dev->next) {
		struct virtio_stats snap, *s = &snap;
		char extra[512] = "";

		/*
		 * The I/O thread may still be completing requests: take the
		 * counters (and the device's) under its lock; interrupt.c
		 * bumps irqs and intx_ioctls atomically outside it.
		 */
		pthread_mutex_lock(&dev->lock);
		snap = dev->stats;
		snap.irqs = __atomic_load_n(&dev->stats.irqs, __ATOMIC_RELAXED);
		snap.intx_ioctls = __atomic_load_n(&dev->stats.intx_ioctls,
						   __ATOMIC_RELAXED);
		if (dev->ops->describe)
			dev->ops->describe(dev, extra, sizeof(extra));
		pthread_mutex_unlock(&dev->lock);
		log_msg("%s at 00:%02x.0: %llu requests, %llu notifies (%llu exited to user space), %llu interrupts (%llu suppressed, %llu INTx ioctls), %llu needs-reset, %llu resets%s%s",
			dev->name, dev->pci.slot,
			(unsigned long long)s->requests,
			(unsigned long long)s->notifies,
			(unsigned long long)s->notify_exits,
			(unsigned long long)s->irqs,
			(unsigned long long)s->irqs_suppressed,
			(unsigned long long)s->intx_ioctls,
			(unsigned long long)s->needs_reset,
			(unsigned long long)s->resets,
			extra[0] ? "; " : "", extra);
		if (log_verbosity < 2)
			continue;
		for (i = 0; i < dev->nr_vqs; i++) {
			char q[200];

			pthread_mutex_lock(&dev->lock);
			vq_describe(&dev->vqs[i], q, sizeof(q));
			pthread_mutex_unlock(&dev->lock);
			log_msg("%s queue %u: %s", dev->name, i, q);
		}
	}
}
