// SPDX-License-Identifier: GPL-2.0
/*
 * cpio.c - writing a "newc" cpio archive in memory, the initramfs format:
 * "070701", thirteen 8-digit hex fields (ino, mode, uid, gid, nlink,
 * mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize,
 * check), the NUL-terminated name padded to a multiple of four bytes,
 * then the data, padded the same way; a "TRAILER!!!" entry ends it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rootfs.h"

#define HDR_LEN		110

static int grow(struct cpio *c, size_t more)
{
	size_t cap = c->cap ? c->cap : 64 * 1024;
	uint8_t *p;

	if (c->len + more <= c->cap)
		return 0;
	while (cap < c->len + more)
		cap *= 2;
	p = realloc(c->buf, cap);
	if (!p) {
		err_set("initramfs: out of memory");
		return -1;
	}
	c->buf = p;
	c->cap = cap;
	return 0;
}

static void pad4(struct cpio *c)
{
	while (c->len & 3)
		c->buf[c->len++] = 0;
}

int cpio_add(struct cpio *c, const char *name, uint32_t mode,
	     const void *data, size_t len, uint32_t rdev_major,
	     uint32_t rdev_minor)
{
	size_t nlen = strlen(name) + 1;
	char hdr[HDR_LEN + 1];

	if (len > 0xffffffffu || nlen > 4096) {
		err_set("initramfs: entry %s too large", name);
		return -1;
	}
	if (grow(c, HDR_LEN + nlen + 3 + len + 3) < 0)
		return -1;
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u,
		 (uint32_t)len, 0u, 0u, rdev_major, rdev_minor,
		 (uint32_t)nlen, 0u);
	memcpy(c->buf + c->len, hdr, HDR_LEN);
	c->len += HDR_LEN;
	memcpy(c->buf + c->len, name, nlen);
	c->len += nlen;
	pad4(c);
	if (len) {
		memcpy(c->buf + c->len, data, len);
		c->len += len;
	}
	pad4(c);
	return 0;
}

int cpio_finish(struct cpio *c)
{
	return cpio_add(c, "TRAILER!!!", 0, NULL, 0, 0, 0);
}

void cpio_free(struct cpio *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}
