// SPDX-License-Identifier: GPL-2.0
/*
 * cmdline.c - look up "key=value" words on the kernel command line.  The
 * VMM puts its defaults first and the user's -p last, so as in Linux the
 * last occurrence of a key wins.
 */
#include "runtime.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decimal, or hex with 0x; the whole word must be a number. */
static bool parse_uint(const char *s, size_t len, uint64_t *val)
{
	unsigned int base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v * base + d;
	}
	*val = v;
	return true;
}

/*
 * Call fn for each word whose name is key: value points after the '='
 * (NULL for a bare "key").  Returns whether fn ever returned true.
 */
static bool each_match(const char *key,
		       bool (*fn)(const char *value, size_t len, void *arg),
		       void *arg)
{
	size_t klen = strlen(key);
	const char *p = cmdline();
	bool found = false;

	while (*p) {
		const char *w;
		size_t len;

		while (is_space(*p))
			p++;
		w = p;
		while (*p && !is_space(*p))
			p++;
		len = p - w;
		if (len < klen || strncmp(w, key, klen))
			continue;
		if (len == klen)
			found |= fn(NULL, 0, arg);
		else if (w[klen] == '=')
			found |= fn(w + klen + 1, len - klen - 1, arg);
	}
	return found;
}

static bool match_uint(const char *value, size_t len, void *arg)
{
	return value && parse_uint(value, len, arg);
}

bool cmdline_get_uint(const char *key, uint64_t *val)
{
	uint64_t v;

	if (!each_match(key, match_uint, &v))
		return false;
	*val = v;
	return true;
}

static bool match_any(const char *value, size_t len, void *arg)
{
	(void)value;
	(void)len;
	(void)arg;
	return true;
}

bool cmdline_has(const char *key)
{
	return each_match(key, match_any, NULL);
}

struct str_value {
	const char *value;
	size_t len;
};

static bool match_str(const char *value, size_t len, void *arg)
{
	struct str_value *v = arg;

	if (!value)
		return false;
	v->value = value;
	v->len = len;
	return true;
}

const char *cmdline_get_str(const char *key, size_t *len)
{
	struct str_value v = { NULL, 0 };

	if (!each_match(key, match_str, &v))
		return NULL;
	*len = v.len;
	return v.value;
}
