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
 *   ldmxcsr/stmxcsr (0f ae /2, /3 with a memory operand) - the stock
 *                  Debian kernel's kernel_fpu_begin() loads MXCSR; SSE
 *                  cannot be masked on x86-64, so we emulate both on the
 *                  vCPU's XSAVE state.
 * Only ring-0 code is emulated by the host (user mode runs natively), so
 * only kernel instructions arrive here.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm.h"

#define INSN_INT3	0xcc
#define INSN_FWAIT	0x9b
#define BP_VECTOR	3
#define MAX_INSN	15
#define MXCSR_VALID	0xffffU	/* bits above 15 are reserved: #GP */
/*
 * MXCSR through KVM_GET/SET_XSAVE: KVM_GET/SET_FPU do not carry it on
 * these hosts (measured: reads 0, writes ignored).  In the XSAVE area it is
 * at byte 24 of the FXSAVE-format legacy region, and KVM loads it only
 * when the header's XSTATE_BV (byte 512) has the SSE bit.
 */
#define XSAVE_MXCSR	(24 / 4)
#define XSAVE_XSTATE_BV	(512 / 4)
#define XFEATURE_SSE	(1U << 1)

/*
 * kvm_pvm being loaded is not enough: machines that are PVM guests
 * themselves have the module and no usable /dev/kvm.  Only one vendor
 * module backs /dev/kvm, so with kvm_intel or kvm_amd loaded it is theirs.
 */
bool pvm_host_detect(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0 &&
	       access("/sys/module/kvm_intel", F_OK) != 0 &&
	       access("/sys/module/kvm_amd", F_OK) != 0;
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

/* Copy to/from guest virtual memory through the vCPU's page tables. */
static int guest_virt_access(struct vcpu *v, uint64_t gva, void *buf,
			     unsigned int len, bool write)
{
	uint8_t *b = buf;
	unsigned int i;

	for (i = 0; i < len; i++) {
		struct kvm_translation tr = { .linear_address = gva + i };
		uint8_t *p;

		if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid ||
		    (write && !tr.writeable))
			return -1;
		p = guest_ptr(&v->vm->mem, tr.physical_address, 1);
		if (!p)
			return -1;
		if (write)
			*p = b[i];
		else
			b[i] = *p;
	}
	return 0;
}

/* General-purpose register n (ModRM/SIB numbering, REX-extended). */
static uint64_t gpr(const struct kvm_regs *r, unsigned int n)
{
	const uint64_t regs[16] = {
		r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
	};

	return regs[n & 15];
}

struct mem_operand {
	uint64_t addr;		/* linear address */
	unsigned int len;	/* whole instruction length */
	unsigned int reg;	/* ModRM.reg */
};

/*
 * Decode "[prefixes] 0f ae modrm [sib] [disp]" in 64-bit mode (Intel SDM
 * vol. 2, 2.1.5 and 2.2.1): the memory operand's linear address.  Returns
 * -1 for anything else, which then stays a reported emulation failure.
 */
static int decode_0fae_mem(const struct kvm_regs *r,
			   const struct kvm_sregs *sr, const uint8_t *b,
			   unsigned int n, struct mem_operand *op)
{
	unsigned int i = 0, mod, rm, base, index;
	uint64_t seg = 0, addr = 0;
	uint8_t rex = 0, modrm, sib;
	int64_t disp = 0;

	for (; i < n; i++) {
		if (b[i] == 0x64)
			seg = sr->fs.base;
		else if (b[i] == 0x65)
			seg = sr->gs.base;
		else if (b[i] != 0x2e && b[i] != 0x3e && b[i] != 0x26 &&
			 b[i] != 0x36)
			break;		/* CS/DS/ES/SS: base 0 in 64-bit mode */
	}
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 3 > n || b[i] != 0x0f || b[i + 1] != 0xae)
		return -1;
	i += 2;
	modrm = b[i++];
	mod = modrm >> 6;
	rm = modrm & 7;
	op->reg = (modrm >> 3) & 7;
	if (mod == 3)
		return -1;
	if (rm == 4) {			/* SIB follows */
		if (i >= n)
			return -1;
		sib = b[i++];
		base = (sib & 7) | ((rex & 1) << 3);
		index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		if (index != 4)		/* 100b without REX.X: no index */
			addr += gpr(r, index) << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			if (i + 4 > n)
				return -1;
			disp = (int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 |
					 (uint32_t)b[i + 3] << 24);
			i += 4;
		} else {
			addr += gpr(r, base);
		}
	} else if (rm == 5 && mod == 0) {	/* RIP-relative */
		if (i + 4 > n)
			return -1;
		disp = (int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 |
				 (uint32_t)b[i + 3] << 24);
		i += 4;
		addr = r->rip + i;	/* relative to the next instruction */
	} else {
		addr = gpr(r, rm | ((rex & 1) << 3));
	}
	if (mod == 1) {
		if (i >= n)
			return -1;
		disp = (int8_t)b[i++];
	} else if (mod == 2) {
		if (i + 4 > n)
			return -1;
		disp = (int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 |
				 (uint32_t)b[i + 3] << 24);
		i += 4;
	}
	op->addr = seg + addr + (uint64_t)disp;
	op->len = i;
	return 0;
}

/* ldmxcsr m32 (0f ae /2) and stmxcsr m32 (0f ae /3). */
static bool emulate_mxcsr(struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_xsave xs;
	struct mem_operand op;
	uint8_t b[MAX_INSN];
	uint64_t rip;
	uint32_t val;
	int n;

	n = vcpu_read_guest_insn(v, &rip, b, sizeof(b));
	if (n <= 0 || ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0 ||
	    decode_0fae_mem(&regs, &sregs, b, (unsigned int)n, &op) < 0 ||
	    (op.reg != 2 && op.reg != 3) ||
	    ioctl(v->fd, KVM_GET_XSAVE, &xs) < 0)
		return false;
	if (op.reg == 2) {
		if (guest_virt_access(v, op.addr, &val, 4, false) < 0 ||
		    (val & ~MXCSR_VALID))
			return false;	/* leave faults to the report */
		xs.region[XSAVE_MXCSR] = val;
		xs.region[XSAVE_XSTATE_BV] |= XFEATURE_SSE;
		if (ioctl(v->fd, KVM_SET_XSAVE, &xs) < 0)
			return false;
	} else {
		val = xs.region[XSAVE_MXCSR];
		if (guest_virt_access(v, op.addr, &val, 4, true) < 0)
			return false;
	}
	regs.rip += op.len;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return false;
	log_debug(2, "vCPU %u: %s at 0x%llx emulated", v->id,
		  op.reg == 2 ? "ldmxcsr" : "stmxcsr",
		  (unsigned long long)rip);
	return true;
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
	return emulate_mxcsr(v);
}
