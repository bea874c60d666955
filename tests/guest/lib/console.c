// SPDX-License-Identifier: GPL-2.0
/*
 * console.c - output on the first 8250 UART by polling, printf on top of
 * it, the debug exit port, and the spinlock that keeps lines from several
 * CPUs apart.
 */
#include "runtime.h"

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding register (DLAB 0) */
#define UART_DLL	0	/* divisor latch, low (DLAB 1) */
#define UART_IER	1
#define UART_DLM	1	/* divisor latch, high (DLAB 1) */
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_LSR_THRE	0x20	/* THR empty: room for a byte */

#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define MCR_DTR_RTS	0x03	/* no OUT2: we never want its IRQ */

/* isa-debug-exit in QEMU, the debug-exit port in lightvm. */
#define DEBUG_EXIT_PORT	0xf4

/*
 * Enough polls for a real 115200-baud UART to drain a byte many times
 * over; a missing UART must not hang the test.
 */
#define THRE_POLLS	100000

static struct spinlock console_lock;

void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_relax();
}

void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/*
 * The console lock gives up after a while and prints anyway: an exception
 * raised while this CPU holds it must still get its report out.
 */
static void console_lock_acquire(void)
{
	unsigned long tries = 0;

	while (__atomic_exchange_n(&console_lock.locked, 1, __ATOMIC_ACQUIRE)) {
		if (++tries > 10000000)
			return;
		cpu_relax();
	}
}

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);		/* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);		/* enable and clear FIFOs */
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

static void serial_put_raw(char c)
{
	unsigned int i;

	for (i = 0; i < THRE_POLLS; i++)
		if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

/* Like Linux's serial console: "\r\n", so a raw terminal shows lines. */
void serial_putc(char c)
{
	if (c == '\n')
		serial_put_raw('\r');
	serial_put_raw(c);
}

static void emit_serial(char c, void *arg)
{
	(void)arg;
	serial_putc(c);
}

int vprintf(const char *fmt, va_list ap)
{
	int n;

	console_lock_acquire();
	n = format(emit_serial, NULL, fmt, ap);
	spin_unlock(&console_lock);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

void exit_status(unsigned int status)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)status);
	halt_forever();
}
