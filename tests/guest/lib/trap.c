// SPDX-License-Identifier: GPL-2.0
/*
 * trap.c - the IDT, the C side of every exception and interrupt, and the
 * legacy PIC (which we only ever silence).
 *
 * All 256 vectors have a stub (isr.S) so that nothing can arrive through a
 * missing gate: a vector without a registered handler is reported and
 * ends the test with a status of its own.
 */
#include "runtime.h"

#define GATE_INTERRUPT	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define ISR_STUB_SIZE	16	/* .balign in isr.S */

struct idt_entry {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __packed;

struct table_desc {
	uint16_t limit;
	uint64_t base;
} __packed;

_Static_assert(sizeof(struct idt_entry) == 16, "64-bit IDT gate");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "isr.S frame layout");

static struct idt_entry idt[NR_VECTORS] __aligned(16);
static trap_handler_t handlers[NR_VECTORS];

static const char *const exception_names[NR_EXCEPTIONS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved (15)",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

const char *trap_name(unsigned int vector)
{
	if (vector < NR_EXCEPTIONS && exception_names[vector])
		return exception_names[vector];
	return vector < NR_EXCEPTIONS ? "reserved" : "interrupt";
}

static void set_gate(unsigned int vector, uint64_t addr)
{
	struct idt_entry *e = &idt[vector];

	e->offset_lo = (uint16_t)addr;
	e->selector = SEL_CODE64;
	e->ist = 0;
	e->type = GATE_INTERRUPT;
	e->offset_mid = (uint16_t)(addr >> 16);
	e->offset_hi = (uint32_t)(addr >> 32);
	e->reserved = 0;
}

void idt_load(void)
{
	struct table_desc d = { sizeof(idt) - 1, (uintptr_t)idt };

	asm volatile("lidt %0" : : "m"(d));
}

void trap_register(unsigned int vector, trap_handler_t fn)
{
	if (vector < NR_VECTORS)
		handlers[vector] = fn;
}

/* Spurious interrupts carry no work and (LAPIC, PIC IRQ 7) no EOI. */
static void ignore_spurious(struct trap_frame *f)
{
	(void)f;
}

/* A spurious IRQ 15 still needs an EOI on the master, for the cascade. */
static void ignore_spurious_slave(struct trap_frame *f)
{
	(void)f;
	outb(0x20, 0x20);
}

void trap_init(void)
{
	unsigned int v;

	for (v = 0; v < NR_VECTORS; v++)
		set_gate(v, (uintptr_t)isr_stubs + v * ISR_STUB_SIZE);
	trap_register(PIC_VECTOR_BASE + 7, ignore_spurious);
	trap_register(PIC_VECTOR_BASE + 15, ignore_spurious_slave);
	trap_register(APIC_SPURIOUS_VECTOR, ignore_spurious);
	idt_load();
}

static void dump_frame(const struct trap_frame *f)
{
	printf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n",
	       f->rax, f->rbx, f->rcx, f->rdx);
	printf("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n",
	       f->rsi, f->rdi, f->rbp, f->rsp);
	printf("  cs %lx ss %lx rflags %lx cr3 %lx\n",
	       f->cs, f->ss, f->rflags, read_cr3());
}

static void unexpected(const struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();

	if (f->vector < NR_EXCEPTIONS) {
		printf("unexpected exception %lu (%s), error code 0x%lx, rip 0x%lx, cr2 0x%lx\n",
		       f->vector, trap_name(f->vector), f->error_code, f->rip,
		       cr2);
		dump_frame(f);
		exit_status(STATUS_BAD_EXCEPTION);
	}
	printf("unexpected interrupt, vector 0x%lx, rip 0x%lx\n",
	       f->vector, f->rip);
	exit_status(STATUS_BAD_INTERRUPT);
}

void trap_dispatch(struct trap_frame *f)
{
	trap_handler_t fn = f->vector < NR_VECTORS ? handlers[f->vector] :
						     NULL;

	if (fn)
		fn(f);
	else
		unexpected(f);
}

/*
 * Move the PIC's IRQs off the exception vectors (a BIOS leaves IRQ 0 on
 * vector 8, #DF) and mask all of them: the tests use the local APIC only.
 */
void pic_disable(void)
{
	outb(0x20, 0x11);			/* ICW1: init, ICW4 follows */
	outb(0xa0, 0x11);
	outb(0x21, PIC_VECTOR_BASE);		/* ICW2: vector base */
	outb(0xa1, PIC_VECTOR_BASE + 8);
	outb(0x21, 0x04);			/* ICW3: slave on IRQ 2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);			/* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, 0xff);			/* mask everything */
	outb(0xa1, 0xff);
}
