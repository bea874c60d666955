// SPDX-License-Identifier: GPL-2.0
/*
 * ioapic.c - the I/O APIC at its default address, as the MP table places
 * it: a register is selected through IOREGSEL (offset 0) and read or
 * written through IOWIN (offset 0x10).  Redirection entry `pin` is the
 * register pair 0x10 + 2 * pin: the low word holds vector, trigger mode,
 * polarity and mask, the high word the destination APIC ID.
 */
#include "runtime.h"

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_REDTBL(pin)	(0x10 + 2 * (pin))

static void ioapic_write(uint32_t reg, uint32_t v)
{
	volatile uint32_t *io = phys_to_virt(IOAPIC_BASE);

	io[0] = reg;
	io[4] = v;
}

/*
 * Destination first: the pin may be asserted already, and the entry is
 * unmasked the moment its low word is written.
 */
void ioapic_route(unsigned int pin, uint8_t vector, uint32_t flags)
{
	ioapic_write(IOAPIC_REDTBL(pin) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(pin), vector | flags);
}
