// SPDX-License-Identifier: GPL-2.0
/*
 * rootfs.c - `--rootfs DIR [-- CMD]`: check that DIR can be a root, and
 * build the initramfs that mounts it and runs CMD (guest/init.c).
 *
 * The initramfs lives in a sealed memfd that the kernel loader reads as
 * the initrd through /proc/self/fd, so nothing is written to disk.  The
 * command travels as a list of NUL-terminated strings, never through the
 * kernel command line, so any argument - spaces, quotes, '--' - arrives
 * as given.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "rootfs.h"

extern const uint8_t lightvm_init_start[], lightvm_init_end[];

/* DIR/bin/sh resolved as the guest will: symlinks inside DIR (an
 * absolute "/usr/bin/dash" means DIR/usr/bin/dash). */
static int check_shell(const char *dir)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT,
	};
	struct stat st;
	int dfd, fd;

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err_set("--rootfs %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = (int)syscall(SYS_openat2, dfd, "bin/sh", &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)	/* before Linux 5.6 */
		fd = openat(dfd, "bin/sh", O_PATH | O_CLOEXEC);
	close(dfd);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & 0111)) {
		err_set("--rootfs %s: no executable /bin/sh in it, so it cannot be a root file system",
			dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

const char *rootfs_guest_cwd(const char *dir, const char *cwd, char *out,
			     size_t len)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		n = 0;		/* DIR is /: every cwd is inside */
	if (!strncmp(cwd, dir, n) && (cwd[n] == '/' || cwd[n] == '\0'))
		snprintf(out, len, "%s", cwd[n] ? cwd + n : "/");
	else
		snprintf(out, len, "/");
	return out;
}

/* NUL-terminated strings, one after another. */
static int add_strings(struct cpio *c, const char *name, char *const *s,
		       int n)
{
	size_t len = 0, off = 0;
	char *buf;
	int i, ret;

	for (i = 0; i < n; i++)
		len += strlen(s[i]) + 1;
	buf = malloc(len ? len : 1);
	if (!buf) {
		err_set("initramfs: out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		size_t l = strlen(s[i]) + 1;

		memcpy(buf + off, s[i], l);
		off += l;
	}
	ret = cpio_add(c, name, S_IFREG | 0644, buf, len, 0, 0);
	free(buf);
	return ret;
}

static int build(struct cpio *c, const struct vm_config *cfg,
		 const char *guest_cwd)
{
	static const char *const dirs[] = {
		"dev", "proc", "sys", "lower", "rw", "newroot", "lightvm",
	};
	char tag[64], rw[8], cwd[PATH_MAX + 8], term[80];
	char *env[] = { tag, rw, cwd, term };
	const char *t = getenv("TERM");
	unsigned int i;

	for (i = 0; i < cfg->nr_fs && !cfg->fs[i].root; i++)
		;
	if (i == cfg->nr_fs) {
		err_set("--rootfs: no root file system device");
		return -1;
	}
	snprintf(tag, sizeof(tag), "tag=%s", cfg->fs[i].tag);
	snprintf(rw, sizeof(rw), "rw=%d", cfg->rootfs_rw);
	snprintf(cwd, sizeof(cwd), "cwd=%s", guest_cwd);
	snprintf(term, sizeof(term), "term=%s", t && *t && strlen(t) < 64 ?
		 t : "linux");
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (cpio_add(c, dirs[i], S_IFDIR | 0755, NULL, 0, 0, 0) < 0)
			return -1;
	/* The kernel opens /dev/console for init's stdio before any
	 * devtmpfs is mounted: the node must be in the archive. */
	if (cpio_add(c, "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1) < 0 ||
	    cpio_add(c, "init", S_IFREG | 0755, lightvm_init_start,
		     (size_t)(lightvm_init_end - lightvm_init_start), 0, 0) < 0 ||
	    add_strings(c, "lightvm/cmd", cfg->cmd, cfg->cmd_argc) < 0 ||
	    add_strings(c, "lightvm/env", env, 4) < 0)
		return -1;
	return cpio_finish(c);
}

static int to_memfd(const struct cpio *c)
{
	size_t off = 0;
	int fd = memfd_create("lightvm-initramfs",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		err_set("initramfs: memfd_create: %s", strerror(errno));
		return -1;
	}
	while (off < c->len) {
		ssize_t n = write(fd, c->buf + off, c->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set("initramfs: write: %s", strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	      F_SEAL_SEAL);
	return fd;
}

int rootfs_prepare(struct vm_config *cfg)
{
	static char initrd[64], params[4096], dir[PATH_MAX];
	char host_cwd[PATH_MAX], guest_cwd[PATH_MAX];
	struct cpio c = { 0 };
	int fd;

	if (!realpath(cfg->rootfs, dir)) {
		err_set("--rootfs %s: %s", cfg->rootfs, strerror(errno));
		return -1;
	}
	if (check_shell(dir) < 0)
		return -1;
	if (!getcwd(host_cwd, sizeof(host_cwd)))
		snprintf(host_cwd, sizeof(host_cwd), "/");
	rootfs_guest_cwd(dir, host_cwd, guest_cwd, sizeof(guest_cwd));
	if (build(&c, cfg, guest_cwd) < 0) {
		cpio_free(&c);
		return -1;
	}
	fd = to_memfd(&c);
	cpio_free(&c);
	if (fd < 0)
		return -1;
	snprintf(initrd, sizeof(initrd), "/proc/self/fd/%d", fd);
	cfg->initrd = initrd;
	/* The console is the command's: the kernel's own messages only
	 * when asked for (-v, or loglevel= in -p, which comes later). */
	if (!cfg->verbose) {
		snprintf(params, sizeof(params), "quiet%s%s",
			 cfg->params ? " " : "", cfg->params ? cfg->params : "");
		cfg->params = params;
	}
	return 0;
}
