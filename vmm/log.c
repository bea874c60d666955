// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - messages to stderr, prefixed so they can be told apart from the
 * guest console on stdout, and the one-line error record used on every
 * failure path that ends in EXIT_VMM_ERROR.
 */
#include <stdarg.h>
#include <stdio.h>

#include "lightvm.h"

int log_verbosity;

static _Thread_local char last_error[512];

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "lightvm: %s%s\n", prefix, line);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < level)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void err_set(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	/*
	 * Messages quote what the user or a file gave us (an argument, a
	 * path), and the exit-125 contract is one line on stderr: a newline
	 * or other control character in there becomes '?'.
	 */
	for (p = last_error; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

const char *err_msg(void)
{
	return last_error[0] ? last_error : "unknown error";
}
