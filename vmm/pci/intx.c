// SPDX-License-Identifier: GPL-2.0
/*
 * intx.c - a device's INTA# line: wired to IOAPIC pin 16 + slot % 8 (the
 * MP table tells the guest so), asserted while the device asks for it and
 * the guest has not silenced it.
 *
 * PCI Local Bus 3.0, 6.2.3: the Interrupt Status bit "reflects the state
 * of the interrupt in the device/function.  Only when the Interrupt
 * Disable bit in the command register is a 0 and this Interrupt Status bit
 * is a 1, will the device's/function's INTx# signal be asserted."  And
 * 6.8.2: while MSI-X is enabled a function "is prohibited from using its
 * INTx# pin".  KVM_IRQ_LINE is only issued when the pin really changes.
 */
#include <string.h>

#include "pci.h"

int pci_intx_route(struct pci_device *dev)
{
	struct vm *vm = dev->vm;
	struct mp_pci_irq *irq;

	if (!dev->irq_pin)
		return 0;
	if (vm->nr_pci_irqs >= MP_MAX_PCI_IRQS) {
		err_set("%s: no room for its INTx line in the MP table",
			dev->name);
		return -1;
	}
	/* Eight pins for 31 slots: neighbours share, as on real boards. */
	dev->irq_gsi = IRQ_FIRST_PCI_GSI + dev->slot % 8;
	dev->cfg[PCI_INTERRUPT_LINE] = (uint8_t)dev->irq_gsi;
	dev->cfg[PCI_INTERRUPT_PIN] = dev->irq_pin;
	irq = &vm->pci_irqs[vm->nr_pci_irqs++];
	irq->slot = (uint8_t)dev->slot;
	irq->pin = dev->irq_pin;
	irq->gsi = (uint8_t)dev->irq_gsi;
	return 0;
}

void pci_intx_unroute(struct pci_device *dev)
{
	struct vm *vm = dev->vm;
	unsigned int i;

	if (!dev->irq_pin)
		return;
	if (dev->intx_asserted) {
		dev->intx_asserted = false;
		vm_irq_line(vm, dev->irq_gsi, 0);
	}
	for (i = 0; i < vm->nr_pci_irqs; i++) {
		if (vm->pci_irqs[i].slot != dev->slot)
			continue;
		memmove(&vm->pci_irqs[i], &vm->pci_irqs[i + 1],
			(vm->nr_pci_irqs - i - 1) * sizeof(vm->pci_irqs[0]));
		vm->nr_pci_irqs--;
		break;
	}
	dev->irq_gsi = 0;
}

void pci_intx_update(struct pci_device *dev)
{
	bool disabled = dev->cfg[PCI_COMMAND + 1] &
			(PCI_COMMAND_INTX_DISABLE >> 8);
	bool line;

	/* No GSI before registration or after unregistration: no line. */
	if (!dev->irq_pin || !dev->irq_gsi)
		return;
	if (dev->intx_level)
		dev->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	line = dev->intx_level && !disabled && !pci_msix_enabled(dev);
	if (line == dev->intx_asserted)
		return;
	dev->intx_asserted = line;
	vm_irq_line(dev->vm, dev->irq_gsi, line);
}

void pci_intx_set(struct pci_device *dev, int level)
{
	pthread_mutex_lock(&dev->cfg_lock);
	dev->intx_level = !!level;
	pci_intx_update(dev);
	pthread_mutex_unlock(&dev->cfg_lock);
}
