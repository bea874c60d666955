// SPDX-License-Identifier: GPL-2.0
/*
 * xsetbv_probe.c - does a guest's XSETBV reach KVM on this host?
 *
 * KVM keeps the guest's XCR0 in its own state: it learns each new value
 * from the XSETBV intercept, answers CPUID 0xD.0 EBX from it, and loads it
 * into the CPU on every VM entry.  When KVM itself runs under a hypervisor
 * that never delivers that intercept - QEMU's TCG emulation of SVM has no
 * XSETBV intercept at all, which is the nested test host this project
 * runs on (../shared/notes/nested.md) - the guest's XSETBV changes the
 * (emulated) CPU directly, KVM still believes XCR0 = x87 only, and the
 * next VM entry puts that back.  Linux then warns "XSAVE consistency
 * problem" at boot and, worse, its XSAVE-based context switches stop
 * saving the SSE/AVX registers of user processes.
 *
 * The probe runs the question on a throwaway VM: one vCPU in 32-bit flat
 * mode with CR4.OSXSAVE executes "xsetbv" (XCR0 = x87|SSE) and "out" (an
 * exit to us), and KVM_GET_XCRS tells whether KVM saw the new XCR0.  It
 * only runs where KVM is itself a guest (the hypervisor bit of the host's
 * CPUID): on bare metal nothing sits between KVM and the CPU.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

#define PROBE_PORT		0x80
#define XCR0_X87_SSE		0x3ULL
#define CR0_PE			(1ULL << 0)
#define CR0_ET			(1ULL << 4)
#define CR4_OSFXSR		(1ULL << 9)
#define CR4_OSXSAVE		(1ULL << 18)
#define CPUID1_ECX_HYPERVISOR	(1U << 31)

/* xsetbv; out $PROBE_PORT, %al; hlt */
static const uint8_t probe_code[] = {
	0x0f, 0x01, 0xd1, 0xe6, PROBE_PORT, 0xf4,
};

bool xsetbv_host_is_guest(void)
{
	uint32_t a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(1), "c"(0));
	return c & CPUID1_ECX_HYPERVISOR;
}

static void flat32(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

static enum xsetbv_result run_probe(int vcpu_fd, int run_size,
				    const struct kvm_cpuid2 *cpuid)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0, .rax = XCR0_X87_SSE, .rflags = 2 };
	struct kvm_xcrs xcrs;
	struct kvm_run *run;
	enum xsetbv_result res = XSETBV_UNKNOWN;
	unsigned int i;

	if (ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return XSETBV_UNKNOWN;
	flat32(&sregs.cs, 0x08, 0xb);
	flat32(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.ss = sregs.fs = sregs.gs = sregs.ds;
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr4 = CR4_OSFXSR | CR4_OSXSAVE;
	sregs.efer = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return XSETBV_UNKNOWN;

	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu_fd, 0);
	if (run == MAP_FAILED)
		return XSETBV_UNKNOWN;
	if (ioctl(vcpu_fd, KVM_RUN, 0) == 0 &&
	    run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == PROBE_PORT &&
	    ioctl(vcpu_fd, KVM_GET_XCRS, &xcrs) == 0) {
		for (i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
			if (xcrs.xcrs[i].xcr == 0)
				res = xcrs.xcrs[i].value == XCR0_X87_SSE ?
				      XSETBV_SEEN : XSETBV_LOST;
	}
	munmap(run, run_size);
	return res;
}

/* Destroying a VM waits for RCU grace periods: not on the start-up path. */
static void *close_vm(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

static void close_in_background(int vm_fd)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, close_vm, (void *)(intptr_t)vm_fd))
		close(vm_fd);
	pthread_attr_destroy(&attr);
}

enum xsetbv_result xsetbv_probe(int kvm_fd, int run_size,
				const struct kvm_cpuid2 *cpuid)
{
	struct kvm_userspace_memory_region region = { .slot = 0 };
	enum xsetbv_result res = XSETBV_UNKNOWN;
	long page = sysconf(_SC_PAGESIZE);
	int vm_fd, vcpu_fd = -1;
	void *mem;

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		return XSETBV_UNKNOWN;
	mem = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		goto out_vm;
	memcpy(mem, probe_code, sizeof(probe_code));
	region.memory_size = page;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto out_mem;
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd >= 0) {
		res = run_probe(vcpu_fd, run_size, cpuid);
		close(vcpu_fd);
	}
out_mem:
	munmap(mem, page);
out_vm:
	close_in_background(vm_fd);
	return res;
}
