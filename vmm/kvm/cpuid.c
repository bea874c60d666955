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
#define ECX_FMA		(1U << 12)
#define ECX_CX16	(1U << 13)
#define ECX_XSAVE	(1U << 26)
#define ECX_OSXSAVE	(1U << 27)
#define ECX_AVX		(1U << 28)
#define ECX_F16C	(1U << 29)
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
		/* PVM's emulator rejects cmpxchg16b (and xrstor: below). */
		if (pvm)
			e->ecx &= ~ECX_CX16;
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

/*
 * No XSAVE, and nothing that needs it: the AVX families and PKU (their
 * state exists only in XSAVE areas; Linux's cpuid-deps drop them without
 * XSAVE too, other guests might not), and leaf 0xD.  The guest then
 * switches FPU state with FXSAVE, which always holds x87 and SSE.
 */
static void hide_xsave(struct kvm_cpuid2 *c)
{
	static const struct {
		uint32_t function, index, reg, bits;
	} masks[] = {
		/* leaf 1 ECX */
		{ 1, 0, 2, ECX_XSAVE | ECX_OSXSAVE | ECX_AVX | ECX_FMA | ECX_F16C },
		/* leaf 7.0 EBX: AVX2, AVX512 F/DQ/IFMA/PF/ER/CD/BW/VL */
		{ 7, 0, 1, (1U << 5) | (1U << 16) | (1U << 17) | (1U << 21) |
			   (1U << 26) | (1U << 27) | (1U << 28) | (1U << 30) |
			   (1U << 31) },
		/* leaf 7.0 ECX: AVX512_VBMI, PKU, OSPKE, VBMI2, VAES,
		 * VPCLMULQDQ, AVX512 VNNI/BITALG/VPOPCNTDQ */
		{ 7, 0, 2, (1U << 1) | (1U << 3) | (1U << 4) | (1U << 6) |
			   (1U << 9) | (1U << 10) | (1U << 11) | (1U << 12) |
			   (1U << 14) },
		/* leaf 7.0 EDX: AVX512 4VNNIW/4FMAPS/VP2INTERSECT/FP16, AMX */
		{ 7, 0, 3, (1U << 2) | (1U << 3) | (1U << 8) | (1U << 22) |
			   (1U << 23) | (1U << 24) | (1U << 25) },
		/* leaf 7.1 EAX: AVX_VNNI, AVX512_BF16 */
		{ 7, 1, 0, (1U << 4) | (1U << 5) },
		/* leaf 0x80000001 ECX: XOP, FMA4 */
		{ 0x80000001, 0, 2, (1U << 11) | (1U << 16) },
	};
	unsigned int i, j;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t *regs[4] = { &e->eax, &e->ebx, &e->ecx, &e->edx };

		if (e->function == 0xd) {
			e->eax = e->ebx = e->ecx = e->edx = 0;
			continue;
		}
		for (j = 0; j < sizeof(masks) / sizeof(masks[0]); j++)
			if (masks[j].function == e->function &&
			    masks[j].index == e->index)
				*regs[masks[j].reg] &= ~masks[j].bits;
	}
}

static bool offers_xsave(const struct kvm_cpuid2 *c)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			return c->entries[i].ecx & ECX_XSAVE;
	return false;
}

/*
 * Whether the guest may have XSAVE: not on PVM (its emulator rejects
 * xrstor; `noxsave` on the command line says so to Linux too), and not
 * where a hypervisor below KVM swallows the guest's XSETBV
 * (xsetbv_probe.c).
 */
static bool xsave_allowed(struct vm *vm, const struct kvm_cpuid2 *c)
{
	if (vm->pvm)
		return false;
	if (!offers_xsave(c) || !xsetbv_host_is_guest())
		return true;
	switch (xsetbv_probe(vm->kvm_fd, vm->run_size, c)) {
	case XSETBV_LOST:
		log_debug(1, "cpuid: the guest's XSETBV never reaches KVM on "
			  "this host (a hypervisor below drops the intercept, "
			  "as QEMU's TCG does): XSAVE and AVX hidden");
		return false;
	case XSETBV_UNKNOWN:
		log_debug(1, "cpuid: the XSETBV probe could not run; XSAVE offered");
		return true;
	default:
		return true;
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
	if (!xsave_allowed(vm, c)) {
		hide_xsave(c);
		vm->xsave_hidden = true;
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
