// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid.c - what each vCPU's CPUID says: KVM_GET_SUPPORTED_CPUID, with the
 * topology made to match our vCPUs and the MP table, the hypervisor bit
 * set, and features removed that the guest must not use here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define CPUID_MAX_ENTRIES	256

/* Leaf 1 ECX */
#define ECX_MONITOR	(1U << 3)
#define ECX_CX16	(1U << 13)
#define ECX_XSAVE	(1U << 26)
#define ECX_OSXSAVE	(1U << 27)
#define ECX_HYPERVISOR	(1U << 31)
/* Leaf 1 EDX */
#define EDX_HTT		(1U << 28)

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	unsigned int n = CPUID_MAX_ENTRIES;
	struct kvm_cpuid2 *c;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096)
			return NULL;
		n *= 2;
	}
}

/*
 * Per-vCPU adjustments of leaf values that name the CPU or the topology.
 * APIC IDs are the vCPU indices, as in the MP table.
 */
static void fixup_entry(struct kvm_cpuid_entry2 *e, unsigned int id,
			unsigned int nr_cpus, bool pvm)
{
	switch (e->function) {
	case 1:
		e->ebx &= 0x0000ffff;
		e->ebx |= (id << 24) | (nr_cpus << 16);
		e->ecx |= ECX_HYPERVISOR;
		e->ecx &= ~ECX_MONITOR;	/* no MWAIT: idle with HLT */
		if (nr_cpus > 1)
			e->edx |= EDX_HTT;
		/*
		 * PVM's emulator rejects cmpxchg16b and xrstor; masking CX16
		 * works there, XSAVE is also handled by `noxsave`.
		 */
		if (pvm)
			e->ecx &= ~(ECX_CX16 | ECX_XSAVE | ECX_OSXSAVE);
		break;
	case 4:
		/* EAX[31:26]: cores per package - 1; one core per vCPU. */
		e->eax &= 0x03ffffff;
		e->eax |= (nr_cpus - 1) << 26;
		break;
	case 0xa:
		/* No virtual PMU: guests probing it only slow down. */
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0xb:
	case 0x1f:
		/* x2APIC topology: EDX is this CPU's x2APIC ID. */
		e->edx = id;
		break;
	}
}

int cpuid_setup(struct vm *vm)
{
	struct kvm_cpuid2 *c = supported_cpuid(vm->kvm_fd);
	unsigned int i, j;

	if (!c) {
		err_set("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < vm->nr_cpus; i++) {
		for (j = 0; j < c->nent; j++)
			fixup_entry(&c->entries[j], i, vm->nr_cpus, vm->pvm);
		if (ioctl(vm->vcpus[i].fd, KVM_SET_CPUID2, c) < 0) {
			err_set("KVM_SET_CPUID2 on vCPU %u failed: %s", i,
				strerror(errno));
			free(c);
			return -1;
		}
	}
	vm->cpuid = c;
	return 0;
}
