// SPDX-License-Identifier: GPL-2.0
/*
 * console.c - where the guest's serial output goes (stdout or
 * --console-log), where its input comes from (stdin, raw on a tty), and
 * the line scanner that recognises a Linux panic or power-off.
 *
 * Output is buffered and flushed at each newline, when the buffer fills,
 * and by the main loop every 100 ms, so a prompt without a newline still
 * shows promptly while a boot log costs one write per line.  On a tty the
 * terminal is put in raw mode and restored on every exit path, including
 * fatal signals (main.c installs the handlers that call console_restore).
 * Ctrl-A x quits, Ctrl-A Ctrl-A sends a literal Ctrl-A, as in QEMU.
 * Input is buffered here (bounded: stdin is not read while the buffer is
 * full) until the guest's UART accepts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kvm.h"

#define OUT_BUF		4096
#define IN_BUF		4096
#define LINE_MAX_SCAN	256
#define PANIC_GRACE_MS	2000
#define CTRL_A		0x01

struct console {
	struct vm *vm;
	pthread_mutex_t lock;
	int out_fd;
	bool own_out;
	uint8_t buf[OUT_BUF];
	size_t len;
	char line[LINE_MAX_SCAN];
	size_t line_len;
	int in_fd;		/* -1 once stdin is closed or absent */
	uint8_t in[IN_BUF];	/* read from stdin, not yet taken by the UART */
	size_t in_len;
	bool raw;
	bool escape;		/* previous input byte was Ctrl-A */
	struct termios saved;
};

/* Kept for the signal-path restore, which cannot take locks. */
static struct console *tty_console;

int console_init(struct vm *vm, const char *log_path)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c) {
		err_set("out of memory");
		return -1;
	}
	c->vm = vm;
	pthread_mutex_init(&c->lock, NULL);
	c->out_fd = STDOUT_FILENO;
	if (log_path) {
		c->out_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC |
				 O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			err_set("console log %s: %s", log_path,
				strerror(errno));
			free(c);
			return -1;
		}
		c->own_out = true;
	}
	c->in_fd = STDIN_FILENO;
	if (fcntl(c->in_fd, F_GETFL) < 0) {
		c->in_fd = -1;
	} else if (isatty(c->in_fd) && tcgetattr(c->in_fd, &c->saved) == 0) {
		struct termios raw = c->saved;

		cfmakeraw(&raw);
		raw.c_oflag |= OPOST;	/* keep \n -> \r\n for our messages */
		if (tcsetattr(c->in_fd, TCSANOW, &raw) == 0) {
			c->raw = true;
			tty_console = c;
		}
	}
	vm->con = c;
	return 0;
}

/* Async-signal-safe: only tcsetattr. */
void console_restore(struct console *c)
{
	if (!c)
		c = tty_console;
	if (c && c->raw) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
		c->raw = false;
	}
}

static void flush_locked(struct console *c)
{
	size_t off = 0;

	while (off < c->len) {
		ssize_t n = write(c->out_fd, c->buf + off, c->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* console gone: drop output, keep running */
		off += (size_t)n;
	}
	c->len = 0;
}

void console_flush(struct console *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	flush_locked(c);
	pthread_mutex_unlock(&c->lock);
}

void console_scan_line(struct vm *vm, const char *line)
{
	/* Linux's panic(): pr_emerg("Kernel panic - not syncing: %s\n") */
	if (strstr(line, "Kernel panic - not syncing")) {
		vm->panicked = true;
		/* Let the backtrace print, but don't wait for ever. */
		if (!vm->panic_deadline)
			vm->panic_deadline = monotonic_ms() + PANIC_GRACE_MS;
	} else if (vm->panicked && strstr(line, "---[ end Kernel panic")) {
		vm_request_stop(vm, EXIT_GUEST_PANIC,
				"guest kernel panicked (console)");
	} else if (strstr(line, "reboot: Power down") ||
		   strstr(line, "reboot: System halted")) {
		/* No ACPI: a powered-off Linux just halts after saying so. */
		vm_request_stop(vm, vm->panicked ? EXIT_GUEST_PANIC :
				EXIT_GUEST_OK, "guest powered off");
	}
}

static void scan_byte(struct console *c, uint8_t b)
{
	if (b == '\n' || c->line_len == LINE_MAX_SCAN - 1) {
		c->line[c->line_len] = '\0';
		c->line_len = 0;
		console_scan_line(c->vm, c->line);
		return;
	}
	if (b != '\r')
		c->line[c->line_len++] = (char)b;
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < len; i++) {
		if (c->len == OUT_BUF)
			flush_locked(c);
		c->buf[c->len++] = buf[i];
		if (buf[i] == '\n')
			flush_locked(c);
		scan_byte(c, buf[i]);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * Stdin is read whenever the host-side buffer has room, so Ctrl-A x works
 * even while the guest takes no input; the UART then takes bytes from the
 * buffer as it accepts them (see serial_receive()).
 */
int console_input_fd(struct console *c)
{
	if (!c || c->in_fd < 0 || c->in_len == IN_BUF)
		return -1;
	return c->in_fd;
}

bool console_input_pending(struct console *c)
{
	return c && c->in_len;
}

void console_deliver_input(struct vm *vm)
{
	struct console *c = vm->con;
	size_t n;

	if (!c || !c->in_len)
		return;
	n = serial_receive(vm->uart, c->in, c->in_len);
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Handle the Ctrl-A escape on a tty; returns bytes left for the guest. */
static size_t filter_escape(struct console *c, uint8_t *buf, size_t n)
{
	size_t i, out = 0;

	for (i = 0; i < n; i++) {
		if (c->escape) {
			c->escape = false;
			if (buf[i] == 'x') {
				vm_request_stop(c->vm, EXIT_SIGNAL_BASE + 2,
						"quit from the console (Ctrl-A x)");
				return out;
			}
			if (buf[i] != CTRL_A)
				continue;
		} else if (buf[i] == CTRL_A) {
			c->escape = true;
			continue;
		}
		buf[out++] = buf[i];
	}
	return out;
}

int console_read_input(struct vm *vm)
{
	struct console *c = vm->con;
	size_t space = IN_BUF - c->in_len;
	ssize_t n;

	if (c->in_fd < 0 || !space)
		return 0;
	n = read(c->in_fd, c->in + c->in_len, space);
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		c->in_fd = -1;	/* EOF: the guest just gets no more input */
		return 0;
	}
	if (c->raw)
		n = (ssize_t)filter_escape(c, c->in + c->in_len, (size_t)n);
	c->in_len += (size_t)n;
	console_deliver_input(vm);
	return (int)n;
}

void console_destroy(struct console *c)
{
	if (!c)
		return;
	console_flush(c);
	console_restore(c);
	if (tty_console == c)
		tty_console = NULL;
	if (c->own_out)
		close(c->out_fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
