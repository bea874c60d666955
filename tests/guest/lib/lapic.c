// SPDX-License-Identifier: GPL-2.0
/*
 * lapic.c - the local APIC in xAPIC (MMIO) mode: identification, enable
 * and EOI, the timer, and the INIT/STARTUP IPIs that wake other CPUs.
 */
#include "runtime.h"

#define APIC_BASE_MASK		0xfffff000ull
#define APIC_BASE_ENABLE	(1ull << 11)

#define TIMER_DIV_16		0x3

#define ICR_DM_INIT		0x00000500u
#define ICR_DM_STARTUP		0x00000600u
#define ICR_BUSY		0x00001000u	/* delivery status */
#define ICR_LEVEL_ASSERT	0x00004000u
#define ICR_TRIGGER_LEVEL	0x00008000u

/* Bound on polls of the ICR's delivery status. */
#define ICR_POLLS		100000

static uint64_t base;

/* Every CPU sees its own LAPIC at the same address: cache it once. */
uint64_t lapic_base(void)
{
	if (!base)
		base = rdmsr(MSR_APIC_BASE) & APIC_BASE_MASK;
	return base;
}

uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)phys_to_virt(lapic_base() + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)phys_to_virt(lapic_base() + reg) = v;
}

unsigned int lapic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

void lapic_enable(void)
{
	lapic_write(APIC_TPR, 0);	/* accept every priority */
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

void lapic_timer_start(uint8_t vector, uint32_t count, bool periodic,
		       bool masked)
{
	uint32_t lvt = vector;

	if (periodic)
		lvt |= APIC_LVT_PERIODIC;
	if (masked)
		lvt |= APIC_LVT_MASKED;
	lapic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(APIC_LVT_TIMER, lvt);
	/* Writing the initial count is what starts the timer. */
	lapic_write(APIC_TIMER_INIT, count);
}

void lapic_timer_stop(void)
{
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(APIC_TIMER_INIT, 0);
}

/*
 * Wait for a masked one-shot countdown to reach zero.  The poll count is
 * bounded too (each poll takes well over a microsecond: it is an MMIO
 * read the hypervisor emulates), so a timer that never counts cannot hang
 * us.
 */
void lapic_udelay(uint32_t us)
{
	uint64_t ticks = (uint64_t)us * (LAPIC_TIMER_HZ / 1000u) / 1000u;
	uint64_t polls;

	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	lapic_timer_start(APIC_SPURIOUS_VECTOR, (uint32_t)ticks, false, true);
	for (polls = 0; polls < (uint64_t)us + 1000; polls++) {
		if (!lapic_read(APIC_TIMER_CUR))
			break;
		cpu_relax();
	}
	lapic_timer_stop();
}

static int icr_wait_idle(void)
{
	unsigned int i;

	for (i = 0; i < ICR_POLLS; i++) {
		if (!(lapic_read(APIC_ICR_LO) & ICR_BUSY))
			return 0;
		cpu_relax();
	}
	return -1;
}

/* The high half names the target; writing the low half sends. */
static int icr_send(unsigned int apic_id, uint32_t lo)
{
	if (icr_wait_idle() < 0)
		return -1;
	lapic_write(APIC_ICR_HI, apic_id << 24);
	lapic_write(APIC_ICR_LO, lo);
	return icr_wait_idle();
}

int lapic_send_init(unsigned int apic_id)
{
	return icr_send(apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT |
			ICR_TRIGGER_LEVEL);
}

/* MP spec B.4: older APICs need the INIT level de-asserted again. */
int lapic_send_init_deassert(unsigned int apic_id)
{
	return icr_send(apic_id, ICR_DM_INIT | ICR_TRIGGER_LEVEL);
}

int lapic_send_sipi(unsigned int apic_id, uint8_t page)
{
	return icr_send(apic_id, ICR_DM_STARTUP | page);
}
