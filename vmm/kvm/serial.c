// SPDX-License-Identifier: GPL-2.0
/*
 * serial.c - a 16550A UART at 0x3f8 (COM1), IRQ 4: the guest console.
 *
 * Transmission is instant, so THR is always empty (LSR THRE|TEMT) and the
 * THRE interrupt fires as soon as it is enabled or a byte is written.
 * Received bytes wait in a FIFO.  The interrupt line follows the pending
 * state, gated by MCR OUT2 as on a PC, and is only driven on change.
 * Loopback (MCR bit 4) routes THR to RBR and MCR outputs to MSR inputs,
 * which Linux's 8250 probe checks.
 */
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

#define COM1_BASE	0x3f8
#define COM1_IRQ	4
#define RX_FIFO		256

/* Register offsets (DLAB = 0 unless noted). */
#define UART_RX		0	/* in: receive buffer */
#define UART_TX		0	/* out: transmit holding */
#define UART_DLL	0	/* DLAB = 1 */
#define UART_IER	1
#define UART_DLM	1	/* DLAB = 1 */
#define UART_IIR	2	/* in */
#define UART_FCR	2	/* out */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* transmit holding register empty */
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO_ON	0xc0
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;	/* THRE interrupt not yet acknowledged */
	int irq_level;
	uint8_t rx[RX_FIFO];
	unsigned int rx_head, rx_count;
};

static uint8_t iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0;

	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

static void update_irq(struct serial *s)
{
	int level = !(iir(s) & IIR_NO_INT) && (s->mcr & MCR_OUT2);

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, COM1_IRQ, level);
	}
}

static void rx_push(struct serial *s, uint8_t b)
{
	if (s->rx_count == RX_FIFO)
		return;	/* overrun: the byte is lost, as on hardware */
	s->rx[(s->rx_head + s->rx_count) % RX_FIFO] = b;
	s->rx_count++;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t b;

	if (!s->rx_count)
		return 0;
	b = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % RX_FIFO;
	s->rx_count--;
	return b;
}

static uint8_t msr(const struct serial *s)
{
	uint8_t m = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static void uart_write(struct serial *s, uint64_t off, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (off) {
	case UART_TX:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (s->mcr & MCR_LOOP)
			rx_push(s, v);
		else
			console_write(s->vm->con, &v, 1);
		s->thri_pending = true;
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI with THR empty raises it at once (16550). */
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		break;
	case UART_FCR:
		s->fcr = v & (FCR_ENABLE | 0xc0);
		if (v & FCR_CLEAR_RX)
			s->rx_count = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:	/* LSR, MSR: writes ignored */
		break;
	}
}

static uint8_t uart_read(struct serial *s, uint64_t off)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v;

	switch (off) {
	case UART_RX:
		return dlab ? s->dll : rx_pop(s);
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		v = iir(s);
		/* Reading IIR while it reports THRE acknowledges it. */
		if ((v & 0x0f) == IIR_THRI)
			s->thri_pending = false;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case UART_MSR:
		return msr(s);
	default:
		return s->scr;
	}
}

static void serial_io(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int len, bool is_write)
{
	struct serial *s = opaque;

	/* The UART has byte registers; wider accesses touch only the first. */
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		uart_write(s, off, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = uart_read(s, off);
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

int serial_init(struct vm *vm)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s) {
		err_set("out of memory");
		return -1;
	}
	s->vm = vm;
	pthread_mutex_init(&s->lock, NULL);
	s->lcr = 0x03;		/* 8N1 */
	s->dll = 0x0c;		/* 9600 baud, as after a BIOS */
	vm->uart = s;
	return io_bus_register(&vm->pio, COM1_BASE, 8, serial_io, s, "ttyS0");
}

/*
 * Host input is taken only while the guest has the receive interrupt on.
 * A driver clears the FIFO when it sets the port up (FCR), which would
 * drop bytes piped in at start; Linux's 8250 enables IER.RDI once the port
 * is open and ready and clears it to throttle.  Until then input waits in
 * the console's host-side buffer, so nothing typed or piped ahead is lost.
 */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t i = 0;

	pthread_mutex_lock(&s->lock);
	if (s->ier & IER_RDI)
		for (; i < len && s->rx_count < RX_FIFO; i++)
			rx_push(s, buf[i]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return i;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}
