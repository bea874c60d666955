// SPDX-License-Identifier: GPL-2.0
/*
 * exceptions - each exception class reaches its handler, the handler sees
 * a sane frame, and execution resumes where the handler says:
 *
 *   1  int3        #BP, a trap: RIP already points past the int3
 *   2  ud2         #UD, a fault: the handler skips the 2-byte ud2
 *   3  div %ecx    #DE on a zero divisor: the handler skips the 2 bytes
 *   4  mov (%rax)  #PF on an unmapped address: CR2 and the error code are
 *                  checked, the handler skips the 3-byte load
 *
 * Status: 0 when all four ran in order, otherwise the number of the first
 * failing step (10 + step when a handler found a frame it did not expect).
 *
 *   noint3   skip step 1 (QEMU on PVM cannot emulate int3; lightvm can)
 */
#include "runtime.h"

const char test_name[] = "exceptions";

enum step { STEP_BP = 1, STEP_UD, STEP_DE, STEP_PF, NR_STEPS };

/*
 * Above the 4 GiB our page tables map: PML4[0] is present, its PDPT entry
 * 20 is not.  Not page aligned, so a wrong CR2 cannot match by accident.
 */
#define UNMAPPED_ADDR	0x500001238ul

/* A value the handlers must leave alone in a callee-saved register. */
#define MARKER		0x5a5a1234a5a5ul

static volatile enum step step;		/* what the test is doing now */
static volatile unsigned int hits[NR_STEPS];
static volatile uint64_t pf_cr2, pf_error;

static const char *const step_names[NR_STEPS] = {
	[STEP_BP] = "int3 -> #BP",
	[STEP_UD] = "ud2 -> #UD",
	[STEP_DE] = "divide by zero -> #DE",
	[STEP_PF] = "unmapped read -> #PF",
};

/*
 * A handler that finds itself at the wrong step, or at an instruction it
 * does not know how to skip, must not resume: stop with a status that
 * names the step.
 */
static void expect(struct trap_frame *f, enum step s, const uint8_t *insn,
		   const uint8_t *bytes, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (insn[i] != bytes[i])
			break;
	if (step == s && i == len) {
		hits[s]++;
		return;
	}
	printf("FAIL: %s at rip 0x%lx while testing step %u (%s)\n",
	       trap_name(f->vector), f->rip, step,
	       step < NR_STEPS ? step_names[step] : "?");
	exit_status(10 + s);
}

static void bp_handler(struct trap_frame *f)
{
	static const uint8_t int3[] = { 0xcc };

	/* A trap: the CPU reports the address after the instruction. */
	expect(f, STEP_BP, (const uint8_t *)f->rip - 1, int3, 1);
}

static void ud_handler(struct trap_frame *f)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };

	expect(f, STEP_UD, (const uint8_t *)f->rip, ud2, 2);
	f->rip += 2;
}

static void de_handler(struct trap_frame *f)
{
	static const uint8_t div_ecx[] = { 0xf7, 0xf1 };

	expect(f, STEP_DE, (const uint8_t *)f->rip, div_ecx, 2);
	f->rip += 2;
}

static void pf_handler(struct trap_frame *f)
{
	static const uint8_t load[] = { 0x48, 0x8b, 0x00 };

	/* Read CR2 first: printing could fault and overwrite it. */
	pf_cr2 = read_cr2();
	pf_error = f->error_code;
	expect(f, STEP_PF, (const uint8_t *)f->rip, load, 3);
	f->rip += 3;
}

/* After each step: exactly one hit for it, the marker intact. */
static int check(enum step s, uint64_t marker)
{
	if (hits[s] != 1) {
		printf("FAIL: %s: handler ran %u times\n", step_names[s],
		       hits[s]);
		return s;
	}
	if (marker != MARKER) {
		printf("FAIL: %s: rbx 0x%lx after the handler, expected 0x%lx\n",
		       step_names[s], marker, MARKER);
		return s;
	}
	printf("ok: %s handled, resumed after it\n", step_names[s]);
	return 0;
}

static int test_bp(void)
{
	uint64_t marker = MARKER;

	step = STEP_BP;
	asm volatile("int3" : "+b"(marker) : : "memory");
	return check(STEP_BP, marker);
}

static int test_ud(void)
{
	uint64_t marker = MARKER;

	step = STEP_UD;
	asm volatile("ud2" : "+b"(marker) : : "memory");
	return check(STEP_UD, marker);
}

static int test_de(void)
{
	uint64_t marker = MARKER;
	uint32_t lo = 1, hi = 0;

	step = STEP_DE;
	/* Exactly "divl %ecx" (f7 f1), with a zero divisor. */
	asm volatile("divl %%ecx"
		     : "+a"(lo), "+d"(hi), "+b"(marker)
		     : "c"(0) : "memory");
	return check(STEP_DE, marker);
}

static int test_pf(void)
{
	uint64_t marker = MARKER;
	uint64_t addr = UNMAPPED_ADDR;
	int r;

	step = STEP_PF;
	/* Exactly "movq (%rax), %rax" (48 8b 00). */
	asm volatile("movq (%%rax), %%rax"
		     : "+a"(addr), "+b"(marker) : : "memory");
	r = check(STEP_PF, marker);
	if (r)
		return r;
	/* Error code 0: not present, read, supervisor, data access. */
	if (pf_cr2 != UNMAPPED_ADDR || pf_error != 0) {
		printf("FAIL: #PF reported cr2 0x%lx error 0x%lx, expected cr2 0x%lx error 0\n",
		       pf_cr2, pf_error, UNMAPPED_ADDR);
		return STEP_PF;
	}
	printf("ok: #PF cr2 0x%lx error code 0x%lx\n", pf_cr2, pf_error);
	return 0;
}

int test_main(void)
{
	int r;

	trap_register(VEC_BP, bp_handler);
	trap_register(VEC_UD, ud_handler);
	trap_register(VEC_DE, de_handler);
	trap_register(VEC_PF, pf_handler);

	if (cmdline_has("noint3")) {
		printf("skipping int3 (noint3)\n");
		r = 0;
	} else {
		r = test_bp();
	}
	if (!r)
		r = test_ud();
	if (!r)
		r = test_de();
	if (!r)
		r = test_pf();
	if (r)
		return r;
	step = 0;
	printf("all exceptions handled in order\n");
	return 0;
}
