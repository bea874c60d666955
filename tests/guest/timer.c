// SPDX-License-Identifier: GPL-2.0
/*
 * timer - the local APIC timer in periodic mode interrupts the CPU out of
 * hlt, through the IDT, ten times; then, masked, it stays quiet.
 *
 * Status: 1 no local APIC, 2 the timer does not count down, 3 hlt kept
 * returning without a timer interrupt, 4 interrupts went on after the
 * timer was stopped.  An interrupt on any other vector ends the test
 * with status 98 (the runtime's unclaimed-vector report).  If no interrupt
 * ever arrives the kernel halts for good: the VMM's timeout fails the run.
 *
 *   period_us=N   timer period (default 10000)
 */
#include "runtime.h"

const char test_name[] = "timer";

#define TIMER_VECTOR		0x40
#define TICKS_WANTED		10
#define DEFAULT_PERIOD_US	10000
/* hlt may also end for other reasons (an NMI, say), but not this often. */
#define MAX_WAKEUPS		(TICKS_WANTED * 10)

static volatile unsigned int ticks;
/* TSC at the first and the last wanted tick: the TSC's rate per period. */
static volatile uint64_t tsc_first, tsc_last;

static void timer_handler(struct trap_frame *f)
{
	(void)f;
	ticks++;
	if (ticks == 1)
		tsc_first = rdtsc();
	else if (ticks == TICKS_WANTED)
		tsc_last = rdtsc();
	lapic_eoi();
}

/* With the LVT masked, a running timer must still count down. */
static int check_counting(void)
{
	uint32_t first, second;
	unsigned int i;

	lapic_timer_start(TIMER_VECTOR, 0xffffffffu, false, true);
	first = lapic_read(APIC_TIMER_CUR);
	for (i = 0; i < 1000; i++)
		cpu_relax();
	second = lapic_read(APIC_TIMER_CUR);
	lapic_timer_stop();
	if (!first || second >= first) {
		printf("FAIL: timer current count went 0x%x -> 0x%x\n",
		       first, second);
		return 2;
	}
	printf("ok: timer counts down (0x%x -> 0x%x)\n", first, second);
	return 0;
}

static int wait_for_ticks(uint32_t period_us)
{
	uint32_t count = (uint32_t)((uint64_t)period_us *
				    (LAPIC_TIMER_HZ / 1000u) / 1000u);
	unsigned int wakeups = 0;

	lapic_timer_start(TIMER_VECTOR, count ? count : 1, true, false);
	/* Interrupts are off here; check, then sti+hlt as one step. */
	while (ticks < TICKS_WANTED) {
		irq_enable_and_halt();
		irq_disable();
		if (++wakeups > MAX_WAKEUPS) {
			lapic_timer_stop();
			printf("FAIL: %u wakeups from hlt but only %u timer interrupts\n",
			       wakeups, ticks);
			return 3;
		}
	}
	lapic_timer_stop();
	printf("ok: %u timer interrupts on vector 0x%x, %u wakeups, %lu TSC cycles per period\n",
	       ticks, TIMER_VECTOR, wakeups,
	       (tsc_last - tsc_first) / (TICKS_WANTED - 1));
	return 0;
}

/*
 * Leave interrupts on for three periods, timed with the TSC rate measured
 * above: a stopped timer must stay silent.  The poll bound only guards
 * against a TSC that does not move.
 */
static int check_stopped(void)
{
	uint64_t period = (tsc_last - tsc_first) / (TICKS_WANTED - 1);
	uint64_t end = rdtsc() + 3 * period;
	unsigned int before = ticks;
	unsigned long polls;

	irq_enable();
	for (polls = 0; polls < 10000000 && rdtsc() < end; polls++)
		cpu_relax();
	irq_disable();
	if (ticks != before) {
		printf("FAIL: %u timer interrupts after the timer was stopped\n",
		       ticks - before);
		return 4;
	}
	printf("ok: no interrupts once stopped\n");
	return 0;
}

int test_main(void)
{
	uint64_t period_us = DEFAULT_PERIOD_US;
	uint32_t version = lapic_read(APIC_VERSION);
	int r;

	cmdline_get_uint("period_us", &period_us);
	if (period_us == 0 || period_us > 1000000)
		period_us = DEFAULT_PERIOD_US;
	if (version == 0 || version == 0xffffffffu) {
		printf("FAIL: no local APIC (version register 0x%x)\n",
		       version);
		return 1;
	}
	printf("local APIC id %u version 0x%x at 0x%lx\n", lapic_id(),
	       version & 0xff, lapic_base());
	trap_register(TIMER_VECTOR, timer_handler);
	lapic_enable();
	r = check_counting();
	if (!r)
		r = wait_for_ticks((uint32_t)period_us);
	if (!r)
		r = check_stopped();
	return r;
}
