// SPDX-License-Identifier: GPL-2.0
/*
 * testdev.c - QEMU's pc-testdev, for test kernels written against it
 * (kvm-unit-tests among them); only with --testdev:
 *
 *   0xe0-0xe3  a 32-bit latch: each byte written reads back
 *   0xe4       "flush page": a 4-byte write of a guest address drops that
 *              page from the guest's mapping (the host mapping is made
 *              inaccessible and accessible again, so KVM must fault the
 *              page in anew), as QEMU's mprotect() dance does
 *   0xe8-0xeb  the same latch, byte by byte
 *   0x2000+N   N = 0..23: writing a byte sets ISA interrupt line N to
 *              "value != 0" (KVM_IRQ_LINE, through the in-kernel PIC and
 *              IOAPIC)
 *   0xff000000 64 KiB of memory-like MMIO (every access exits to us)
 *
 * Reads of the flush and IRQ ports return 0, as QEMU's do.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm.h"

#define TESTDEV_PORT		0xe0
#define TESTDEV_PORTS		12
#define TESTDEV_FLUSH		4
#define TESTDEV_LATCH2		8
#define TESTDEV_IRQ_PORT	0x2000
#define TESTDEV_IRQS		24
#define TESTDEV_IOMEM		0xff000000ULL
#define TESTDEV_IOMEM_LEN	0x10000

struct testdev {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t latch[4];
	uint8_t iomem[TESTDEV_IOMEM_LEN];
	uint64_t flushes;
};

static void flush_page(struct testdev *t, uint32_t gpa)
{
	struct guest_mem *gm = &t->vm->mem;
	uint8_t *page = guest_ptr(gm, gpa & ~0xfffu, 4096);

	if (!page)
		return;		/* not RAM: nothing to drop */
	mprotect(page, 4096, PROT_NONE);
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	t->flushes++;
}

static void port_io(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int len, bool is_write)
{
	struct testdev *t = opaque;
	unsigned int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < len; i++) {
		uint64_t o = off + i;

		if (o >= TESTDEV_FLUSH && o < TESTDEV_LATCH2) {
			if (!is_write)
				data[i] = 0;
			continue;
		}
		o &= 3;		/* both latch windows */
		if (is_write)
			t->latch[o] = data[i];
		else
			data[i] = t->latch[o];
	}
	if (is_write && off == TESTDEV_FLUSH && len == 4)
		flush_page(t, (uint32_t)(data[0] | data[1] << 8 |
					 data[2] << 16 | (uint32_t)data[3] << 24));
	pthread_mutex_unlock(&t->lock);
}

static void irq_io(void *opaque, uint64_t off, uint8_t *data,
		   unsigned int len, bool is_write)
{
	struct testdev *t = opaque;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	/* One line per port: a wider write sets the line it starts at. */
	vm_irq_line(t->vm, (unsigned int)off, data[0] != 0);
}

static void iomem_io(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int len, bool is_write)
{
	struct testdev *t = opaque;

	pthread_mutex_lock(&t->lock);
	if (is_write)
		memcpy(t->iomem + off, data, len);
	else
		memcpy(data, t->iomem + off, len);
	pthread_mutex_unlock(&t->lock);
}

int testdev_init(struct vm *vm)
{
	struct testdev *t = calloc(1, sizeof(*t));

	if (!t) {
		err_set("testdev: out of memory");
		return -1;
	}
	t->vm = vm;
	pthread_mutex_init(&t->lock, NULL);
	vm->testdev = t;
	if (io_bus_register(&vm->pio, TESTDEV_PORT, TESTDEV_PORTS, port_io, t,
			    "pc-testdev") < 0 ||
	    io_bus_register(&vm->pio, TESTDEV_IRQ_PORT, TESTDEV_IRQS, irq_io, t,
			    "pc-testdev irq") < 0 ||
	    io_bus_register(&vm->mmio, TESTDEV_IOMEM, TESTDEV_IOMEM_LEN,
			    iomem_io, t, "pc-testdev iomem") < 0)
		return -1;
	return 0;
}

void testdev_destroy(struct vm *vm)
{
	struct testdev *t = vm->testdev;

	if (!t)
		return;
	if (t->flushes)
		log_debug(1, "pc-testdev: %llu page flushes",
			  (unsigned long long)t->flushes);
	pthread_mutex_destroy(&t->lock);
	free(t);
	vm->testdev = NULL;
}
