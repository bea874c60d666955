// SPDX-License-Identifier: GPL-2.0
/*
 * format.c - a small printf engine: %d %i %u %x %X %p %s %c %%, the flags
 * '-' and '0', a width (or '*'), a precision for %s (for fixed-size
 * fields without a NUL), and the length modifiers l, ll, z and h.
 */
#include "runtime.h"

struct out {
	void (*emit)(char c, void *arg);
	void *arg;
	int count;
};

struct spec {
	bool left;		/* '-': pad on the right */
	bool zero;		/* '0': pad numbers with zeros */
	int width;
	int prec;		/* %s: at most this many chars; -1: all */
	int size;		/* 0 int, 1 long, 2 long long, -1 short */
};

static void put(struct out *o, char c)
{
	o->emit(c, o->arg);
	o->count++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
	int len;

	if (!s)
		s = "(null)";
	for (len = 0; s[len] && len != sp->prec; len++)
		;
	if (!sp->left)
		pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

/* sign and prefix ("-", "0x") come before zero padding, after spaces. */
static void put_num(struct out *o, uint64_t v, unsigned int base, bool upper,
		    const char *prefix, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0, len;

	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v);
	len = n + (int)strlen(prefix);
	if (!sp->left && !sp->zero)
		pad(o, ' ', sp->width - len);
	while (*prefix)
		put(o, *prefix++);
	if (!sp->left && sp->zero)
		pad(o, '0', sp->width - len);
	while (n)
		put(o, buf[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

static int64_t arg_signed(va_list *ap, int size)
{
	if (size == 2)
		return va_arg(*ap, long long);
	if (size == 1)
		return va_arg(*ap, long);
	if (size < 0)
		return (short)va_arg(*ap, int);
	return va_arg(*ap, int);
}

static uint64_t arg_unsigned(va_list *ap, int size)
{
	if (size == 2)
		return va_arg(*ap, unsigned long long);
	if (size == 1)
		return va_arg(*ap, unsigned long);
	if (size < 0)
		return (unsigned short)va_arg(*ap, unsigned int);
	return va_arg(*ap, unsigned int);
}

/* Parse flags, width and length after the '%'; returns the conversion. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		sp->prec = 0;
		if (*++f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	for (;; f++) {
		if (*f == 'l')
			sp->size++;
		else if (*f == 'z')
			sp->size = 1;
		else if (*f == 'h')
			sp->size = -1;
		else
			break;
	}
	if (sp->left)
		sp->zero = false;
	return f;
}

static void convert(struct out *o, char c, const struct spec *sp, va_list *ap)
{
	int64_t s;
	char ch;

	switch (c) {
	case 'd':
	case 'i':
		s = arg_signed(ap, sp->size);
		/* Negate in unsigned arithmetic: INT64_MIN has no positive. */
		if (s < 0)
			put_num(o, -(uint64_t)s, 10, false, "-", sp);
		else
			put_num(o, (uint64_t)s, 10, false, "", sp);
		break;
	case 'u':
		put_num(o, arg_unsigned(ap, sp->size), 10, false, "", sp);
		break;
	case 'x':
	case 'X':
		put_num(o, arg_unsigned(ap, sp->size), 16, c == 'X', "", sp);
		break;
	case 'p':
		put_num(o, (uintptr_t)va_arg(*ap, void *), 16, false, "0x", sp);
		break;
	case 's':
		put_str(o, va_arg(*ap, const char *), sp);
		break;
	case 'c':
		ch = (char)va_arg(*ap, int);
		if (!sp->left)
			pad(o, ' ', sp->width - 1);
		put(o, ch);
		if (sp->left)
			pad(o, ' ', sp->width - 1);
		break;
	case '%':
		put(o, '%');
		break;
	default:
		/* Unknown conversion: show it rather than guess. */
		put(o, '%');
		put(o, c);
	}
}

int format(void (*emit)(char c, void *arg), void *arg, const char *fmt,
	   va_list ap)
{
	struct out o = { emit, arg, 0 };
	struct spec sp;
	va_list args;

	/* Helpers take a va_list pointer: copy so that works everywhere. */
	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &args);
		if (!*fmt)
			break;
		convert(&o, *fmt++, &sp, &args);
	}
	va_end(args);
	return o.count;
}

struct buf {
	char *p;
	size_t size, len;
};

static void emit_buf(char c, void *arg)
{
	struct buf *b = arg;

	if (b->len + 1 < b->size)
		b->p[b->len++] = c;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf b = { buf, size, 0 };
	int n = format(emit_buf, &b, fmt, ap);

	if (size)
		buf[b.len] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
