// SPDX-License-Identifier: GPL-2.0
/*
 * mptable.c - an Intel MultiProcessor Specification 1.4 table, so a guest
 * without ACPI finds every vCPU, the IOAPIC and how ISA interrupts reach it.
 *
 * Linux looks for the floating pointer in "the first kilobyte of the EBDA"
 * among other places (MP spec 4.0); we put it at the EBDA start, followed
 * by the configuration table, all inside the e820-reserved range.
 */
#include <string.h>

#include "kvm.h"

#define MPC_SPEC_REV		4	/* MP spec 1.4 */
#define MP_PROCESSOR		0
#define MP_BUS			1
#define MP_IOAPIC		2
#define MP_INTSRC		3
#define MP_LINTSRC		4

#define CPU_ENABLED		1
#define CPU_BOOTPROCESSOR	2
#define IOAPIC_VERSION		0x11	/* 82093AA, 24 pins */
#define IOAPIC_PINS		24

#define MP_INT			0	/* vectored interrupt */
#define MP_NMI			1
#define MP_EXTINT		3
#define MP_IRQPOL_DEFAULT	0	/* conforms to the bus */
/* MP spec 4.3.4: PO bits 1:0 = 11 active low, EL bits 3:2 = 11 level. */
#define MP_IRQ_PCI		0x0f

#define BUS_ID_PCI		0
#define BUS_ID_ISA		1

struct mpf_intel {
	char signature[4];		/* "_MP_" */
	uint32_t physptr;
	uint8_t length;			/* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature1;		/* 0: a config table is present */
	uint8_t feature2;
	uint8_t feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];		/* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf_intel) == 16, "MP floating pointer");
_Static_assert(sizeof(struct mpc_table) == 44, "MP config header");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry");
_Static_assert(sizeof(struct mpc_bus) == 8, "MP bus entry");
_Static_assert(sizeof(struct mpc_ioapic) == 8, "MP ioapic entry");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "MP interrupt entry");

#define MPTABLE_MAX	(HIMEM_START - EBDA_START)

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

struct mp_writer {
	uint8_t *base;
	size_t off;
	uint16_t count;
};

static void *mp_entry(struct mp_writer *w, size_t size)
{
	void *p = w->base + w->off;

	memset(p, 0, size);
	w->off += size;
	w->count++;
	return p;
}

/* I/O and local interrupt entries share one layout (MP spec 4.3.4/4.3.5). */
static void add_irq(struct mp_writer *w, uint8_t type, uint8_t irqtype,
		    uint16_t flags, uint8_t bus, uint8_t busirq,
		    uint8_t dstapic, uint8_t dstirq)
{
	struct mpc_intsrc *e = mp_entry(w, sizeof(*e));

	e->type = type;
	e->irqtype = irqtype;
	e->irqflag = flags;
	e->srcbus = bus;
	e->srcbusirq = busirq;
	e->dstapic = dstapic;
	e->dstirq = dstirq;
}

int mptable_build(struct guest_mem *gm, unsigned int nr_cpus,
		  const struct mp_pci_irq *pci_irqs, unsigned int nr_pci_irqs)
{
	size_t need = sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
		      nr_cpus * sizeof(struct mpc_cpu) + 2 * 8 + 8 +
		      (16 + 2 + nr_pci_irqs) * 8;
	uint8_t *base = guest_ptr(gm, EBDA_START, MPTABLE_MAX);
	struct mpf_intel *mpf;
	struct mpc_table *mpc;
	struct mp_writer w;
	struct mpc_bus *bus;
	struct mpc_ioapic *ioapic;
	uint8_t ioapic_id = nr_cpus;	/* APIC IDs 0..nr_cpus-1 are CPUs */
	unsigned int i;

	if (!base || need > MPTABLE_MAX || nr_cpus > LIGHTVM_MAX_CPUS ||
	    nr_pci_irqs > MP_MAX_PCI_IRQS) {
		err_set("MP table for %u CPUs does not fit", nr_cpus);
		return -1;
	}
	memset(base, 0, need);	/* only what we write: keep RAM untouched */
	mpf = (struct mpf_intel *)base;
	mpc = (struct mpc_table *)(base + sizeof(*mpf));

	w.base = (uint8_t *)mpc;
	w.off = sizeof(*mpc);
	w.count = 0;

	for (i = 0; i < nr_cpus; i++) {
		struct mpc_cpu *c = mp_entry(&w, sizeof(*c));

		c->type = MP_PROCESSOR;
		c->apicid = i;
		c->apicver = 0x14;
		c->cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0);
		c->cpufeature = 0x600;		/* family 6 */
		c->featureflag = 0x201;		/* FPU, APIC */
	}

	bus = mp_entry(&w, sizeof(*bus));
	bus->type = MP_BUS;
	bus->busid = BUS_ID_PCI;
	memcpy(bus->bustype, "PCI   ", 6);
	bus = mp_entry(&w, sizeof(*bus));
	bus->type = MP_BUS;
	bus->busid = BUS_ID_ISA;
	memcpy(bus->bustype, "ISA   ", 6);

	ioapic = mp_entry(&w, sizeof(*ioapic));
	ioapic->type = MP_IOAPIC;
	ioapic->apicid = ioapic_id;
	ioapic->apicver = IOAPIC_VERSION;
	ioapic->flags = 1;			/* usable */
	ioapic->apicaddr = (uint32_t)IOAPIC_ADDR;

	/*
	 * KVM's default GSI routing wires ISA IRQ n to IOAPIC pin n (and to
	 * the PIC), IRQ 0 included: say exactly that, so Linux programs the
	 * pins the in-kernel PIT and our UART really raise.  IRQ 2 is the
	 * PIC cascade and has no ISA source.
	 */
	for (i = 0; i < 16; i++) {
		if (i == 2)
			continue;
		add_irq(&w, MP_INTSRC, MP_INT, MP_IRQPOL_DEFAULT, BUS_ID_ISA,
			i, ioapic_id, i);
	}

	/*
	 * PCI INTx (MP spec D.3): the source bus IRQ is the device number in
	 * bits 6:2 and the pin (0 = INTA#) in bits 1:0; PCI interrupts are
	 * active low and level triggered.
	 */
	for (i = 0; i < nr_pci_irqs; i++)
		add_irq(&w, MP_INTSRC, MP_INT, MP_IRQ_PCI, BUS_ID_PCI,
			(uint8_t)((pci_irqs[i].slot << 2) |
				  (pci_irqs[i].pin - 1)),
			ioapic_id, pci_irqs[i].gsi);

	/* Local interrupts: 8259 ExtINT on LINT0, NMI on LINT1, all CPUs. */
	add_irq(&w, MP_LINTSRC, MP_EXTINT, MP_IRQPOL_DEFAULT, BUS_ID_ISA, 0,
		0xff, 0);
	add_irq(&w, MP_LINTSRC, MP_NMI, MP_IRQPOL_DEFAULT, BUS_ID_ISA, 0,
		0xff, 1);

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = (uint16_t)w.off;
	mpc->spec = MPC_SPEC_REV;
	memcpy(mpc->oem, "LIGHTVM ", 8);
	memcpy(mpc->productid, "LIGHTVM     ", 12);
	mpc->oemcount = w.count;
	mpc->lapic = (uint32_t)LAPIC_ADDR;
	mpc->checksum = checksum(mpc, w.off);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(EBDA_START + sizeof(*mpf));
	mpf->length = 1;
	mpf->specification = MPC_SPEC_REV;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
