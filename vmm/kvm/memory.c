// SPDX-License-Identifier: GPL-2.0
/*
 * memory.c - guest RAM: one shared mapping of a memfd, split around the
 * 32-bit PCI hole, and the single bounds check every guest-physical
 * access goes through.
 *
 * A memfd rather than anonymous memory so that another process - a
 * vhost-user backend - can map the very same pages (it receives the fd
 * and an offset); the file's size is sealed, so nobody can shrink it
 * under a mapping.  Where memfd_create() is refused (very old kernels,
 * seccomp), or with LIGHTVM_RAM=anon (for side-by-side benchmarks), RAM
 * is anonymous and cannot be shared; -v says which.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

/* A sealed memfd of `size` bytes, or -1 (errno set). */
static int ram_memfd(uint64_t size)
{
	const char *force = getenv("LIGHTVM_RAM");
	int fd;

	if (force && !strcmp(force, "anon")) {
		errno = EPERM;
		return -1;
	}
	fd = memfd_create("lightvm-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int guest_mem_init(struct guest_mem *gm, uint64_t size)
{
	void *p;

	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;
	if (size < MEM_MIN || size > MEM_MAX || (size & 0xfff)) {
		err_set("guest memory size %llu bytes is out of range",
			(unsigned long long)size);
		return -1;
	}
	/*
	 * MAP_NORESERVE: RAM is touched lazily, so an idle 4 GiB guest costs
	 * what it uses.  The mapping is never accessed beyond `size`.
	 */
	gm->fd = ram_memfd(size);
	if (gm->fd >= 0) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, gm->fd, 0);
	} else {
		log_debug(1, "guest RAM: no memfd (%s): anonymous, not shareable",
			  strerror(errno));
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	}
	if (p == MAP_FAILED) {
		err_set("cannot allocate %llu MiB of guest memory: %s",
			(unsigned long long)(size >> 20), strerror(errno));
		if (gm->fd >= 0)
			close(gm->fd);
		gm->fd = -1;
		return -1;
	}
	/*
	 * Guest RAM never goes to a child: the teardown reaper (vm.c) must
	 * not copy page tables of a big guest, and nothing else forks.
	 */
	madvise(p, size, MADV_DONTFORK);
	gm->host = p;
	gm->size = size;
	gm->low_size = size < PCI_HOLE_START ? size : PCI_HOLE_START;
	gm->high_size = size - gm->low_size;
	return 0;
}

void guest_mem_free(struct guest_mem *gm)
{
	if (gm->host)
		munmap(gm->host, gm->size);
	gm->host = NULL;
	if (gm->fd >= 0)
		close(gm->fd);
	gm->fd = -1;
}

void *guest_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t off;

	if (!gm->host)
		return NULL;
	/* Low RAM: [0, low_size).  Written so nothing can overflow. */
	if (gpa < gm->low_size) {
		if (len > gm->low_size - gpa)
			return NULL;
		return gm->host + gpa;
	}
	if (gpa < PCI_HOLE_END)
		return NULL;
	off = gpa - PCI_HOLE_END;
	if (off >= gm->high_size || len > gm->high_size - off)
		return NULL;
	return gm->host + gm->low_size + off;
}

/*
 * Bytes of guest RAM backed by host pages now: what the guest has touched.
 * Lets -v separate lightvm's own footprint from the guest's.
 */
uint64_t guest_mem_resident(const struct guest_mem *gm)
{
	static const uint64_t chunk = 1ULL << 30;
	unsigned char *vec = malloc(chunk >> 12);
	uint64_t off, pages = 0, n, i;

	if (!vec || !gm->host) {
		free(vec);
		return 0;
	}
	for (off = 0; off < gm->size; off += chunk) {
		n = gm->size - off < chunk ? gm->size - off : chunk;
		if (mincore(gm->host + off, n, vec) < 0)
			break;
		for (i = 0; i < (n + 4095) >> 12; i++)
			pages += vec[i] & 1;
	}
	free(vec);
	return pages << 12;
}
