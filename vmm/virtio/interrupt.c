// SPDX-License-Identifier: GPL-2.0
/*
 * interrupt.c - telling the driver that buffers were used or the device
 * changed: an MSI-X message through the vector's irqfd when the driver
 * enabled MSI-X, otherwise the ISR bit and the INTx line.
 *
 * "If MSI-X capability is disabled: Set the lower bit of the ISR Status
 * field for the device. Send the appropriate PCI interrupt for the
 * device.  If MSI-X capability is enabled: If queue_msix_vector is not
 * NO_VECTOR, request the appropriate MSI-X interrupt message for the
 * device" (4.1.5.3; 4.1.5.4 says the same for configuration changes with
 * the second ISR bit and config_msix_vector).
 *
 * Nothing here runs under dev->lock: pci_msix_notify() and pci_intx_set()
 * take the PCI core's locks, which are held around our PCI hooks.  ISR
 * and the line level are kept consistent by irq_lock instead, so a vCPU
 * reading ISR (which lowers the line) cannot interleave with an I/O
 * thread raising it and leave the line high with ISR clear.
 */
#include <linux/virtio_pci.h>

#include "virtio.h"

#define ISR_QUEUE	0x1

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

void virtio_irq_collect(struct virtio_dev *dev, struct virtio_irq_plan *p)
{
	unsigned int i;

	p->queues = dev->irq_pending;
	p->config = dev->config_irq_pending;
	p->config_vector = dev->config_vector;
	for (i = 0; i < dev->nr_vqs; i++)
		p->vector[i] = dev->vqs[i].vector;
	p->gen = dev->reset_gen;
	dev->irq_pending = 0;
	dev->config_irq_pending = false;
}

static void deliver_msix(struct virtio_dev *dev,
			 const struct virtio_irq_plan *p)
{
	unsigned int i;

	for (i = 0; i < dev->nr_vqs; i++) {
		if (!(p->queues & (1u << i)) ||
		    p->vector[i] == VIRTIO_MSI_NO_VECTOR)
			continue;
		if (pci_msix_notify(&dev->pci, p->vector[i]))
			count(&dev->stats.irqs);
	}
	if (p->config && p->config_vector != VIRTIO_MSI_NO_VECTOR &&
	    pci_msix_notify(&dev->pci, p->config_vector))
		count(&dev->stats.irqs);
}

static void deliver_intx(struct virtio_dev *dev,
			 const struct virtio_irq_plan *p)
{
	pthread_mutex_lock(&dev->irq_lock);
	/* A reset since the pass: those completions no longer exist. */
	if (p->gen != __atomic_load_n(&dev->reset_gen, __ATOMIC_SEQ_CST))
		goto out;
	if (p->queues)
		dev->isr |= ISR_QUEUE;
	if (p->config)
		dev->isr |= VIRTIO_PCI_ISR_CONFIG;
	count(&dev->stats.irqs);
	if (!dev->intx_high) {
		dev->intx_high = true;
		if (dev->registered) {
			pci_intx_set(&dev->pci, 1);
			count(&dev->stats.intx_ioctls);
		}
	}
out:
	pthread_mutex_unlock(&dev->irq_lock);
}

void virtio_irq_deliver(struct virtio_dev *dev,
			const struct virtio_irq_plan *p)
{
	if (!p->queues && !p->config)
		return;
	if (__atomic_load_n(&dev->msix_on, __ATOMIC_ACQUIRE))
		deliver_msix(dev, p);
	else
		deliver_intx(dev, p);
}

uint8_t virtio_isr_read(struct virtio_dev *dev)
{
	uint8_t v;

	pthread_mutex_lock(&dev->irq_lock);
	v = dev->isr;
	dev->isr = 0;
	if (dev->intx_high) {
		dev->intx_high = false;
		if (dev->registered) {
			pci_intx_set(&dev->pci, 0);
			count(&dev->stats.intx_ioctls);
		}
	}
	pthread_mutex_unlock(&dev->irq_lock);
	return v;
}
