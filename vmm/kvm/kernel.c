// SPDX-License-Identifier: GPL-2.0
/*
 * kernel.c - read the kernel (and initrd) files and hand the kernel to the
 * loader its format calls for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"

#define KERNEL_MAX	(1ULL << 30)
/* Growth step for files whose size stat() cannot tell (pipes, ttys). */
#define READ_CHUNK	(1U << 20)

static void size_str(char *s, size_t n, size_t bytes)
{
	if (bytes >= (1U << 20) && !(bytes & ((1U << 20) - 1)))
		snprintf(s, n, "%zu MiB", bytes >> 20);
	else
		snprintf(s, n, "%zu bytes", bytes);
}

int file_read_all(const char *what, const char *path, size_t max,
		  uint8_t **buf, size_t *len)
{
	uint8_t *p = NULL, *np;
	size_t cap, n = 0;
	struct stat st;
	char lim[32];
	int fd;

	*buf = NULL;
	*len = 0;
	/* Room for max + 1 bytes is how an oversized stream is detected. */
	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		err_set("%s %s: %s", what, path, strerror(errno));
		goto fail;
	}
	/* open() succeeds on a directory; read() would fail with EISDIR. */
	if (S_ISDIR(st.st_mode)) {
		err_set("%s %s: is a directory", what, path);
		goto fail;
	}
	size_str(lim, sizeof(lim), max);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		err_set("%s %s: file is larger than %s", what, path, lim);
		goto fail;
	}
	/*
	 * One byte more than stat() says, so a file that grows while we read
	 * is noticed instead of silently cut.
	 */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : READ_CHUNK;
	if (cap > max + 1)
		cap = max + 1;
	p = malloc(cap);
	if (!p) {
		err_set("%s %s: cannot allocate %zu bytes", what, path, cap);
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > max) {
				err_set("%s %s: file is larger than %s", what,
					path, lim);
				goto fail;
			}
			if (max + 1 - cap <= READ_CHUNK)
				cap = max + 1;
			else
				cap += READ_CHUNK;
			np = realloc(p, cap);
			if (!np) {
				err_set("%s %s: cannot allocate %zu bytes",
					what, path, cap);
				goto fail;
			}
			p = np;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_set("%s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		err_set("%s %s: file is larger than %s", what, path, lim);
		goto fail;
	}
	if (n == 0) {
		err_set("%s %s: file is empty", what, path);
		goto fail;
	}
	close(fd);
	*buf = p;
	*len = n;
	return 0;
fail:
	free(p);
	close(fd);
	return -1;
}

/* The loaders do not know the file name: put it in front of their error. */
static void err_prefix_path(const char *path)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", err_msg());
	err_set("kernel %s: %s", path, msg);
}

int kernel_load(struct guest_mem *gm, const struct vm_config *cfg,
		struct boot_image *bi)
{
	struct mb_header mbh;
	size_t len, mb_off;
	uint8_t *buf;
	int ret, mb;

	memset(bi, 0, sizeof(*bi));
	if (!cfg->kernel) {
		err_set("no kernel given");
		return -1;
	}
	if (file_read_all("kernel", cfg->kernel, KERNEL_MAX, &buf, &len) < 0)
		return -1;

	/* QEMU's order: a bzImage, else a Multiboot header, else ELF. */
	if (len >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4)) {
		/* boot.rst: the "HdrS" magic at 0x202 marks protocol 2.00+. */
		ret = bzimage_load(gm, buf, len, cfg->guest_decompress, bi);
	} else if ((mb = multiboot_find(buf, len, &mbh, &mb_off)) != 0) {
		ret = mb < 0 ? -1 : multiboot_load(gm, buf, len, &mbh, mb_off, bi);
		if (mb < 0)
			err_set("Multiboot header cut off by the end of the file");
	} else if (len >= 4 && !memcmp(buf, "\177ELF", 4)) {
		ret = elf_load(gm, buf, len, cfg->elf_entry, bi);
	} else {
		err_set("not an ELF, bzImage or Multiboot kernel");
		ret = -1;
	}
	free(buf);
	if (ret < 0)
		err_prefix_path(cfg->kernel);
	return ret;
}
