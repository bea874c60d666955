/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rootfs.h - interface of vmm/rootfs: `lightvm run --rootfs DIR -- CMD`.
 * lightvm builds the guest's initramfs itself (cpio.c): its /init is the
 * static program in guest/init.c, embedded in lightvm at build time
 * (init_blob.S), plus what to run; rootfs.c checks DIR and puts the
 * initramfs where the kernel loader takes an initrd from.
 */
#ifndef LIGHTVM_ROOTFS_H
#define LIGHTVM_ROOTFS_H

#include <stddef.h>
#include <stdint.h>

#include "../lightvm.h"

/* ---- cpio.c: the "newc" format the kernel unpacks (Documentation/
 * driver-api/early-userspace/buffer-format.rst) ---- */
struct cpio {
	uint8_t *buf;
	size_t len, cap;
	uint32_t ino;
};

/* Append one entry: a directory (S_IFDIR), a file with data (S_IFREG),
 * or a device node (S_IFCHR, rdev).  0, or -1 with err_set(). */
int cpio_add(struct cpio *c, const char *name, uint32_t mode,
	     const void *data, size_t len, uint32_t rdev_major,
	     uint32_t rdev_minor);
/* The TRAILER!!! entry that ends the archive. */
int cpio_finish(struct cpio *c);
void cpio_free(struct cpio *c);

/* ---- rootfs.c ---- */
/*
 * Check DIR (a directory with an executable /bin/sh, resolved inside
 * DIR), build the initramfs with the command, the guest's working
 * directory (the current one when it lies inside DIR) and TERM, and
 * point cfg->initrd at it (a sealed memfd) and prepend "quiet" to the
 * kernel parameters unless -v.  0, or -1 with err_set().
 */
int rootfs_prepare(struct vm_config *cfg);
/* The cwd the guest starts in for host cwd `cwd` and root `dir` (both
 * absolute, canonical): "/" + the rest when cwd is inside dir, else "/".
 * Returns out. */
const char *rootfs_guest_cwd(const char *dir, const char *cwd, char *out,
			     size_t len);

#endif
