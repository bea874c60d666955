// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu.c - one thread per vCPU: set up its boot state, run it, and turn
 * every exit into a device access or a decision about how the VM ends.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kvm.h"

int vcpu_init(struct vm *vm, struct vcpu *v, unsigned int id)
{
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		err_set("cannot create vCPU %u: %s", id, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		err_set("cannot map vCPU %u run area: %s", id, strerror(errno));
		return -1;
	}
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		    bool code64, bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = code64;
	s->db = db;
	s->g = 1;
}

#define SEG_CODE_XR	0xb	/* execute/read, accessed */
#define SEG_DATA_RW	0x3	/* read/write, accessed */
#define SEG_TSS_BUSY	0xb

#define CR0_PE		(1ULL << 0)
#define CR0_ET		(1ULL << 4)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/*
 * The BSP starts at the kernel entry in the state its protocol defines:
 * 64-bit (boot.rst "64-bit Boot Protocol") or PVH 32-bit flat (Xen's
 * docs/misc/pvh.pandoc: "CS: 32-bit read/execute code segment, base 0,
 * limit 0xFFFFFFFF ... TR: 32-bit TSS (active) with base 0 and limit 0x67
 * ... EBX: physical address of the start info").  APs stay in KVM's
 * wait-for-SIPI state and are started by the guest.
 */
int vcpu_setup_boot_regs(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	/* PVH and Multiboot both enter 32-bit flat, paging off. */
	bool pvh = vm->boot.proto == BOOT_PVH ||
		   vm->boot.proto == BOOT_MULTIBOOT;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;

	set_seg(&sregs.cs, pvh ? 0x08 : 0x10, SEG_CODE_XR, !pvh, pvh);
	set_seg(&sregs.ds, 0x18, SEG_DATA_RW, false, true);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;

	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.selector = 0x20;
	sregs.tr.limit = 0x67;
	sregs.tr.type = SEG_TSS_BUSY;
	sregs.tr.present = 1;

	sregs.gdt.base = GDT_ADDR;
	sregs.gdt.limit = 8 * 8 - 1;

	if (pvh) {
		sregs.cr0 = CR0_PE | CR0_ET;
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
	} else {
		sregs.cr0 = CR0_PE | CR0_ET | CR0_PG;
		sregs.cr3 = PML4_ADDR;
		sregs.cr4 = CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		goto fail;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;	/* bit 1 is reserved-one; IF clear */
	regs.rip = vm->boot.entry;
	regs.rsp = BOOT_STACK_TOP;
	if (vm->boot.proto == BOOT_MULTIBOOT) {
		/* 3.2: "EAX Must contain the magic value 0x2BADB002";
		 * "EBX Must contain the 32-bit physical address of the
		 * Multiboot information structure". */
		regs.rax = MB_BOOT_MAGIC;
		regs.rbx = MB_INFO_ADDR;
	} else if (pvh)
		regs.rbx = PVH_INFO_ADDR;
	else
		regs.rsi = BOOT_PARAMS_ADDR;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	return 0;
fail:
	err_set("cannot set boot registers of vCPU %u: %s", v->id,
		strerror(errno));
	return -1;
}

/* Copy n bytes at guest-virtual gva through the vCPU's page tables;
 * returns how many could be read (stops at the first unmapped byte). */
static int read_guest_virt(struct vcpu *v, uint64_t gva, uint8_t *buf,
			   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct kvm_translation tr = { .linear_address = gva + i };
		uint8_t *p;

		if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			break;
		p = guest_ptr(&v->vm->mem, tr.physical_address, 1);
		if (!p)
			break;
		buf[i] = *p;
	}
	return i ? (int)i : -1;
}

/* Read n instruction bytes at the vCPU's RIP through its page tables. */
int vcpu_read_guest_insn(struct vcpu *v, uint64_t *rip, uint8_t *bytes,
			 unsigned int n)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	*rip = regs.rip;
	return read_guest_virt(v, sregs.cs.base + regs.rip, bytes, n);
}

/*
 * With -v: the registers and the top of the stack of a vCPU that did not
 * finish, enough to name the lock or the caller a hung guest waits in.
 */
void vcpu_dump_state(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t stack[64];
	char line[64 * 19 + 1];
	int n, i, len = 0;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	log_debug(1, "vCPU %u: rax %llx rbx %llx rcx %llx rdx %llx rsi %llx "
		  "rdi %llx rbp %llx rsp %llx", v->id,
		  (unsigned long long)r.rax, (unsigned long long)r.rbx,
		  (unsigned long long)r.rcx, (unsigned long long)r.rdx,
		  (unsigned long long)r.rsi, (unsigned long long)r.rdi,
		  (unsigned long long)r.rbp, (unsigned long long)r.rsp);
	log_debug(1, "vCPU %u: r8 %llx r9 %llx r10 %llx r11 %llx r12 %llx "
		  "r13 %llx r14 %llx r15 %llx rflags %llx cr3 %llx", v->id,
		  (unsigned long long)r.r8, (unsigned long long)r.r9,
		  (unsigned long long)r.r10, (unsigned long long)r.r11,
		  (unsigned long long)r.r12, (unsigned long long)r.r13,
		  (unsigned long long)r.r14, (unsigned long long)r.r15,
		  (unsigned long long)r.rflags, (unsigned long long)s.cr3);
	n = read_guest_virt(v, s.ss.base + r.rsp, (uint8_t *)stack,
			    sizeof(stack));
	for (i = 0; i < n / 8; i++)
		len += snprintf(line + len, sizeof(line) - len, " %llx",
				(unsigned long long)stack[i]);
	if (n >= 8)
		log_debug(1, "vCPU %u: stack:%s", v->id, line);
}

static const char *internal_suberror(uint32_t sub)
{
	switch (sub) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "event delivery failed";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	}
	return "unknown";
}

static void report_internal_error(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t insn[15];
	char hex[15 * 3 + 1] = "";
	uint64_t rip = 0;
	int n, i;

	n = vcpu_read_guest_insn(v, &rip, insn, sizeof(insn));
	for (i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02x ", insn[i]);
	if (n <= 0)
		snprintf(hex, sizeof(hex), "(unreadable) ");
	vm_request_stop(v->vm, EXIT_KVM_INTERNAL,
			"KVM internal error on vCPU %u: suberror %u (%s) at RIP 0x%llx, bytes %s",
			v->id, run->internal.suberror,
			internal_suberror(run->internal.suberror),
			(unsigned long long)rip, hex);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	/* String I/O (rep ins/outs) arrives as `count` back-to-back items. */
	for (i = 0; i < run->io.count; i++) {
		io_bus_access(&v->vm->pio, run->io.port, data, run->io.size,
			      out);
		data += run->io.size;
	}
}

static void handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(v->vm, EXIT_GUEST_OK, "guest shut down");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(v->vm, v->vm->panicked ? EXIT_GUEST_PANIC :
				EXIT_GUEST_OK, "guest reset");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_stop(v->vm, EXIT_GUEST_PANIC, "guest crashed");
		break;
	default:
		vm_request_stop(v->vm, EXIT_KVM_INTERNAL,
				"unknown system event %u",
				v->run->system_event.type);
	}
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		io_bus_access(&vm->mmio, run->mmio.phys_addr, run->mmio.data,
			      run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: after a panic it is the reboot we asked for. */
		if (vm->panicked)
			vm_request_stop(vm, EXIT_GUEST_PANIC,
					"guest panicked and reset");
		else
			vm_request_stop(vm, EXIT_GUEST_RESET,
					"vCPU %u: triple fault", v->id);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(v);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		if (vm->pvm &&
		    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    pvm_handle_emulation_failure(v))
			return true;
		report_internal_error(v);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vm_request_stop(vm, EXIT_KVM_INTERNAL,
				"vCPU %u: entry failed, hardware reason 0x%llx",
				v->id, (unsigned long long)
				run->fail_entry.hardware_entry_failure_reason);
		return false;
	}
	vm_request_stop(vm, EXIT_KVM_INTERNAL, "vCPU %u: unexpected exit reason %u",
			v->id, run->exit_reason);
	return false;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;

	/* The kick signal interrupts KVM_RUN; everything else goes to main. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vm_stopping(vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_request_stop(vm, EXIT_VMM_ERROR,
					"KVM_RUN on vCPU %u failed: %s", v->id,
					strerror(errno));
			break;
		}
		v->exits++;
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

/*
 * Make the vCPU leave KVM_RUN: immediate_exit covers the window where the
 * thread is about to enter it, the signal the time it spends inside.
 */
void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, SIGUSR1);
}
