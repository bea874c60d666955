// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_intx.c - legacy INTx for the virtio core, instead of MSI-X: the
 * device raises the pin PCI INTERRUPT_LINE names, the I/O APIC turns it
 * into VTEST_VEC_INTX, and reading the device's ISR register tells what
 * happened and lowers the line (virtio 1.x 4.1.4.5).
 *
 * The pin is level-triggered and active low, as the MP table declares
 * PCI interrupts: without the ISR read before the EOI it would fire
 * again at once.  Every INTx device shares the one vector (two disks may
 * share a pin too), so the handler asks each of them.
 */
#include "runtime.h"

#define PCI_INTERRUPT_LINE	0x3c
#define ISR_QUEUE		0x1	/* some virtqueue has used entries */
#define INTX_MAX		4

/* What the handler needs of each device: a struct vdev may be on a stack. */
static struct {
	unsigned int slot;
	uint16_t io;			/* legacy ISR at io + VIRTIO_PCI_ISR */
	volatile uint8_t *isr;		/* or the modern ISR byte */
	uint8_t vec_base;
} intx_dev[INTX_MAX];
static unsigned int nr_intx;

volatile unsigned int vtest_intx_unclaimed;

static void on_intx(struct trap_frame *f)
{
	unsigned int i;
	uint8_t isr, any = 0;

	(void)f;
	for (i = 0; i < nr_intx; i++) {
		isr = intx_dev[i].isr ? *intx_dev[i].isr :
					inb(intx_dev[i].io + VIRTIO_PCI_ISR);
		if (isr & ISR_QUEUE)
			vtest_irqs[intx_dev[i].vec_base + 1]++;
		if (isr & VIRTIO_PCI_ISR_CONFIG)
			vtest_irqs[intx_dev[i].vec_base]++;
		any |= isr;
	}
	if (!any)
		vtest_intx_unclaimed++;
	lapic_eoi();
}

/* The device's entry in the table, added if new; -1 when full. */
static int intx_add(const struct vdev *d)
{
	unsigned int i;

	for (i = 0; i < nr_intx && intx_dev[i].slot != d->slot; i++)
		;
	if (i == INTX_MAX)
		return -1;
	intx_dev[i].slot = d->slot;
	intx_dev[i].io = d->io;
	intx_dev[i].isr = d->modern ? d->isr : NULL;
	intx_dev[i].vec_base = d->vec_base;
	if (i == nr_intx)
		nr_intx++;
	return 0;
}

int vdev_enable_intx(struct vdev *d)
{
	uint8_t pin = pci_read8(0, d->slot, 0, PCI_INTERRUPT_LINE);

	/* The I/O APIC's pins 16-23 are the ones left to PCI. */
	if (pin < 16 || pin > 23) {
		printf("FAIL: INTERRUPT_LINE %u is not an IOAPIC PCI pin\n",
		       pin);
		return -1;
	}
	if (intx_add(d)) {
		printf("FAIL: more than %u INTx devices\n", INTX_MAX);
		return -1;
	}
	if (d->msix)
		vdev_disable_msix(d);
	trap_register(VTEST_VEC_INTX, on_intx);
	ioapic_route(pin, VTEST_VEC_INTX, IOAPIC_ACTIVE_LOW | IOAPIC_LEVEL);
	return 0;
}
