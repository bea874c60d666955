// SPDX-License-Identifier: GPL-2.0
/*
 * irq.c - KVM's GSI routing table, irqfd and ioeventfd.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so the table lives here:
 * the irqchip routes KVM installs by itself at KVM_CREATE_IRQCHIP (GSI
 * 0..15 to the PIC and the IOAPIC, 16..23 to the IOAPIC alone) rebuilt
 * exactly, so that owning the table changes nothing for ISA devices, plus
 * one MSI route per allocated GSI from IRQ_FIRST_MSI_GSI up.  An MSI GSI
 * whose address is still 0 has no route at all: an irqfd bound to it
 * signals nothing, which is what an unprogrammed MSI-X vector must do.
 *
 * A vm without KVM behind it (vm_fd < 0, only the unit tests build one)
 * keeps the table and answers every call as if KVM had accepted it, so
 * the PCI code above can be exercised without /dev/kvm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define IRQCHIP_GSIS		24	/* IOAPIC pins */
#define PIC_GSIS		16	/* both 8259s */
#define IRQCHIP_ROUTES		(IRQCHIP_GSIS + PIC_GSIS)

static bool detached(const struct vm *vm)
{
	return vm->vm_fd < 0;
}

static void irqchip_route(struct kvm_irq_routing_entry *e, uint32_t gsi,
			  uint32_t chip, uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* KVM's own default table, in KVM's order: IOAPIC pin n, then PIC pin. */
static unsigned int irqchip_routes(struct kvm_irq_routing_entry *e)
{
	unsigned int gsi, n = 0;

	for (gsi = 0; gsi < IRQCHIP_GSIS; gsi++) {
		irqchip_route(&e[n++], gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < 8)
			irqchip_route(&e[n++], gsi, KVM_IRQCHIP_PIC_MASTER,
				      gsi);
		else if (gsi < PIC_GSIS)
			irqchip_route(&e[n++], gsi, KVM_IRQCHIP_PIC_SLAVE,
				      gsi - 8);
	}
	return n;
}

static bool msi_routed(const struct irq_routing *r, uint32_t gsi)
{
	const struct kvm_irq_routing_entry *e = &r->msi[gsi];

	return r->msi_used[gsi] && (e->u.msi.address_lo || e->u.msi.address_hi);
}

/* Hand the whole table to KVM.  Called with the routing lock held, so two
 * updates cannot reach KVM in the opposite order from ours. */
static int routing_push(struct vm *vm)
{
	struct irq_routing *r = &vm->irq;
	struct kvm_irq_routing *t;
	unsigned int gsi, n;
	int ret = 0;

	if (detached(vm))
		return 0;
	t = calloc(1, sizeof(*t) + (IRQCHIP_ROUTES + IRQ_MAX_GSI) *
		   sizeof(t->entries[0]));
	if (!t) {
		err_set("out of memory for the GSI routing table");
		return -1;
	}
	n = irqchip_routes(t->entries);
	for (gsi = IRQ_FIRST_MSI_GSI; gsi < IRQ_MAX_GSI; gsi++)
		if (msi_routed(r, gsi))
			t->entries[n++] = r->msi[gsi];
	t->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, t) < 0) {
		err_set("KVM_SET_GSI_ROUTING (%u routes): %s", n,
			strerror(errno));
		ret = -1;
	}
	free(t);
	return ret;
}

/*
 * Nothing reaches KVM here: its built-in table is the one we would push,
 * so the first MSI route set is the first push.
 */
int irq_routing_init(struct vm *vm)
{
	struct irq_routing *r = &vm->irq;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->next_msi_gsi = IRQ_FIRST_MSI_GSI;
	return 0;
}

int irq_msi_gsi_alloc(struct vm *vm, uint32_t *gsi)
{
	struct irq_routing *r = &vm->irq;
	unsigned int i, g;
	int ret = -1;

	pthread_mutex_lock(&r->lock);
	/* next_msi_gsi is where the last search ended: start there. */
	for (i = 0; i < IRQ_MAX_GSI - IRQ_FIRST_MSI_GSI; i++) {
		g = IRQ_FIRST_MSI_GSI + (r->next_msi_gsi - IRQ_FIRST_MSI_GSI +
					 i) % (IRQ_MAX_GSI - IRQ_FIRST_MSI_GSI);
		if (r->msi_used[g])
			continue;
		r->msi_used[g] = true;
		memset(&r->msi[g], 0, sizeof(r->msi[g]));
		r->msi[g].gsi = g;
		r->msi[g].type = KVM_IRQ_ROUTING_MSI;
		r->next_msi_gsi = g + 1 < IRQ_MAX_GSI ? g + 1 :
				  IRQ_FIRST_MSI_GSI;
		*gsi = g;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	if (ret < 0)
		err_set("no free GSI for an MSI route (%d in use)",
			IRQ_MAX_GSI - IRQ_FIRST_MSI_GSI);
	return ret;
}

void irq_msi_gsi_free(struct vm *vm, uint32_t gsi)
{
	struct irq_routing *r = &vm->irq;
	bool routed;

	if (gsi < IRQ_FIRST_MSI_GSI || gsi >= IRQ_MAX_GSI)
		return;
	pthread_mutex_lock(&r->lock);
	routed = msi_routed(r, gsi);
	r->msi_used[gsi] = false;
	if (routed && routing_push(vm) < 0)
		log_warn("freeing GSI %u: %s", gsi, err_msg());
	pthread_mutex_unlock(&r->lock);
}

int irq_msi_route_set(struct vm *vm, uint32_t gsi, uint64_t addr,
		      uint32_t data)
{
	struct irq_routing *r = &vm->irq;
	struct kvm_irq_routing_entry *e;
	struct kvm_irq_routing_entry old;
	int ret = 0;

	if (gsi < IRQ_FIRST_MSI_GSI || gsi >= IRQ_MAX_GSI) {
		err_set("GSI %u is not an MSI GSI", gsi);
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	if (!r->msi_used[gsi]) {
		err_set("GSI %u was not allocated", gsi);
		ret = -1;
		goto out;
	}
	e = &r->msi[gsi];
	/* Every push costs an SRCU grace period in KVM: skip no-ops. */
	if (e->u.msi.address_lo == (uint32_t)addr &&
	    e->u.msi.address_hi == (uint32_t)(addr >> 32) &&
	    e->u.msi.data == data)
		goto out;
	old = *e;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	ret = routing_push(vm);
	if (ret < 0)
		*e = old;	/* keep the table what KVM really has */
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irqfd_assign(struct vm *vm, int fd, uint32_t gsi, int resample_fd)
{
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
	};

	if (resample_fd >= 0) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = (uint32_t)resample_fd;
	}
	if (detached(vm))
		return 0;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		err_set("KVM_IRQFD (fd %d to GSI %u%s): %s", fd, gsi,
			resample_fd >= 0 ? ", resampling" : "",
			strerror(errno));
		return -1;
	}
	return 0;
}

int irqfd_deassign(struct vm *vm, int fd, uint32_t gsi)
{
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (detached(vm))
		return 0;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		err_set("KVM_IRQFD deassign (fd %d from GSI %u): %s", fd, gsi,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int ioeventfd(struct vm *vm, int fd, uint64_t addr, unsigned int len,
		     bool pio, uint64_t datamatch, bool deassign)
{
	struct kvm_ioeventfd ev = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH |
			 (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
	};

	/* KVM also takes 0 ("any length"), but that cannot datamatch. */
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		err_set("ioeventfd at %s 0x%llx: length %u is not 1, 2, 4 or 8",
			pio ? "port" : "mmio", (unsigned long long)addr, len);
		return -1;
	}
	if (detached(vm))
		return 0;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ev) < 0) {
		err_set("KVM_IOEVENTFD %s at %s 0x%llx (%u bytes, data 0x%llx): %s",
			deassign ? "deassign" : "assign",
			pio ? "port" : "mmio", (unsigned long long)addr, len,
			(unsigned long long)datamatch, strerror(errno));
		return -1;
	}
	return 0;
}

int ioeventfd_assign(struct vm *vm, int fd, uint64_t addr, unsigned int len,
		     bool pio, uint64_t datamatch)
{
	return ioeventfd(vm, fd, addr, len, pio, datamatch, false);
}

int ioeventfd_deassign(struct vm *vm, int fd, uint64_t addr,
		       unsigned int len, bool pio, uint64_t datamatch)
{
	return ioeventfd(vm, fd, addr, len, pio, datamatch, true);
}
