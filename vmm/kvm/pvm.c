// SPDX-License-Identifier: GPL-2.0
/*
 * pvm.c - contained handling for PVM hosts (kvm_pvm: no VMX/SVM, guest ring
 * 0 runs in the host's instruction emulator).  Nothing here runs unless the
 * host was detected as PVM or the user forced the path with --pvm; on
 * VMX/SVM hosts these instructions never reach user space.
 *
 * The emulator rejects some instructions with KVM_EXIT_INTERNAL_ERROR /
 * KVM_INTERNAL_ERROR_EMULATION (measured, shared/notes/pvm.md):
 *   int3 (0xcc)  - Linux runs it in int3_selftest(); we deliver the #BP
 *                  the instruction would have raised, after RIP, as a trap.
 *   fwait (0x9b) - with no x87 exception pending it is a no-op.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm.h"

#define INSN_INT3	0xcc
#define INSN_FWAIT	0x9b
#define BP_VECTOR	3

bool pvm_host_detect(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

static int advance_rip(struct vcpu *v, uint64_t by)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	regs.rip += by;
	return ioctl(v->fd, KVM_SET_REGS, &regs);
}

static int inject_bp(struct vcpu *v)
{
	struct kvm_vcpu_events ev;

	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	ev.exception.injected = 1;
	ev.exception.nr = BP_VECTOR;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev);
}

bool pvm_handle_emulation_failure(struct vcpu *v)
{
	uint64_t rip;
	uint8_t insn;

	if (vcpu_read_guest_insn(v, &rip, &insn, 1) < 0)
		return false;
	switch (insn) {
	case INSN_INT3:
		/* A trap: the handler sees RIP after the int3, as on hw. */
		if (advance_rip(v, 1) < 0 || inject_bp(v) < 0)
			return false;
		log_debug(2, "vCPU %u: int3 at 0x%llx delivered as #BP", v->id,
			  (unsigned long long)rip);
		return true;
	case INSN_FWAIT:
		if (advance_rip(v, 1) < 0)
			return false;
		log_debug(2, "vCPU %u: fwait at 0x%llx skipped", v->id,
			  (unsigned long long)rip);
		return true;
	}
	return false;
}
