// SPDX-License-Identifier: GPL-2.0
/*
 * serial_input - bytes the host writes to lightvm's stdin arrive through
 * the 16550's receive buffer and its interrupt: IRQ 4, routed by the
 * IOAPIC (pin 4, as the MP table says) to a vector of ours.
 *
 * The kernel waits for the line "ping-from-host" and exits 0 when it came
 * whole, by interrupt.  Status: 1 no interrupt ever arrived (the run then
 * ends on the VMM's timeout), 2 the bytes differ, 3 bytes were seen
 * without an interrupt having announced them.
 */
#include "runtime.h"

const char test_name[] = "serial_input";

#define COM1		0x3f8
#define UART_RX		0
#define UART_IER	1
#define UART_IIR	2
#define UART_MCR	4
#define UART_LSR	5
#define IER_RDI		0x01
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR		0x01

#define IOAPIC_BASE	0xfec00000ULL
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define COM1_IRQ	4
#define RX_VECTOR	0x44

#define EXPECTED	"ping-from-host"
#define MAX_WAKEUPS	100000

static volatile char line[64];
static volatile unsigned int len, irqs;
static volatile bool done;

static void ioapic_write(uint32_t reg, uint32_t v)
{
	volatile uint32_t *io = phys_to_virt(IOAPIC_BASE);

	io[0] = reg;		/* IOREGSEL */
	io[4] = v;		/* IOWIN at +0x10 */
}

static void rx_handler(struct trap_frame *f)
{
	(void)f;
	irqs++;
	while (inb(COM1 + UART_LSR) & LSR_DR) {
		char c = (char)inb(COM1 + UART_RX);

		if (c == '\n' || c == '\r') {
			if (len)
				done = true;
		} else if (len < sizeof(line) - 1) {
			line[len++] = c;
		}
	}
	lapic_eoi();
}

int test_main(void)
{
	unsigned int wakeups = 0, i;
	const char *want = EXPECTED;

	lapic_enable();
	trap_register(RX_VECTOR, rx_handler);
	/* Edge-triggered, active high, fixed delivery to this CPU. */
	ioapic_write(IOAPIC_REDTBL(COM1_IRQ) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(COM1_IRQ), RX_VECTOR);
	/* Route first, then enable: the line may already be up. */
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(COM1 + UART_IER, IER_RDI);
	printf("waiting for \"%s\" on the console input\n", EXPECTED);


	while (!done) {
		irq_enable_and_halt();
		irq_disable();
		if (++wakeups > MAX_WAKEUPS)
			break;

	}
	outb(COM1 + UART_IER, 0);
	if (!irqs) {
		printf("FAIL: no receive interrupt\n");
		return 1;
	}
	line[len] = '\0';
	for (i = 0; want[i] || i < len; i++) {
		if (i >= len || line[i] != want[i]) {
			printf("FAIL: got \"%s\"\n", (const char *)line);
			return 2;
		}
	}
	printf("ok: \"%s\" in %u interrupts\n", (const char *)line, irqs);
	return 0;
}
