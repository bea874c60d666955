// SPDX-License-Identifier: GPL-2.0
/*
 * memory.c - guest RAM: one anonymous mapping split around the 32-bit PCI
 * hole, and the single bounds check every guest-physical access goes
 * through.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm.h"

int guest_mem_init(struct guest_mem *gm, uint64_t size)
{
	void *p;

	memset(gm, 0, sizeof(*gm));
	if (size < MEM_MIN || size > MEM_MAX || (size & 0xfff)) {
		err_set("guest memory size %llu bytes is out of range",
			(unsigned long long)size);
		return -1;
	}
	/*
	 * MAP_NORESERVE: RAM is touched lazily, so an idle 4 GiB guest costs
	 * what it uses.  The mapping is never accessed beyond `size`.
	 */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		err_set("cannot allocate %llu MiB of guest memory: %s",
			(unsigned long long)(size >> 20), strerror(errno));
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
