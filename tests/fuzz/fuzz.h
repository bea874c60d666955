/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz share: a reader
 * that turns the fuzzer's bytes into typed fields (running out of input
 * reads as zeroes, so every input is a valid program), a fake guest RAM
 * the sanitizers can see the edges of, guest addresses biased towards the
 * edges of that RAM, and a VM without KVM behind it.
 */
#ifndef LIGHTVM_FUZZ_H
#define LIGHTVM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../vmm/kvm/kvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * The harness's own messages go to a copy of stderr taken before main():
 * run.sh passes -close_fd_mask=2 to silence the VMM's warnings (a PCI
 * fuzzer toggles INTx, and each toggle without KVM logs one), which must
 * not silence ours.  libFuzzer moves the sanitizer reports likewise.
 */
extern int fuzz_report_fd;
#define fuzz_log(...)	dprintf(fuzz_report_fd, __VA_ARGS__)

/*
 * A broken invariant is a crash: libFuzzer saves the input and stops.
 * abort() rather than a return code, so the report carries the stack.
 */
#define FUZZ_ASSERT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fuzz_log("%s:%d: invariant '%s' broken: ",	\
				 __FILE__, __LINE__, #cond);		\
			fuzz_log(__VA_ARGS__);				\
			fuzz_log("\n");					\
			abort();					\
		}							\
	} while (0)

/* ---- input ---- */

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fi_init(struct fuzz_in *in, const uint8_t *data,
			   size_t size)
{
	in->p = data;
	in->left = size;
}

static inline bool fi_empty(const struct fuzz_in *in)
{
	return !in->left;
}

/* Little-endian, n <= 8 bytes; missing bytes are 0. */
static inline uint64_t fi_uint(struct fuzz_in *in, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n && in->left; i++, in->p++, in->left--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static inline uint8_t fi_u8(struct fuzz_in *in)
{
	return (uint8_t)fi_uint(in, 1);
}

static inline uint16_t fi_u16(struct fuzz_in *in)
{
	return (uint16_t)fi_uint(in, 2);
}

static inline uint32_t fi_u32(struct fuzz_in *in)
{
	return (uint32_t)fi_uint(in, 4);
}

static inline uint64_t fi_u64(struct fuzz_in *in)
{
	return fi_uint(in, 8);
}

/* Copy up to n bytes out; the rest of dst is zeroed.  Returns copied. */
size_t fi_bytes(struct fuzz_in *in, void *dst, size_t n);

/* ---- fake guest RAM ---- */

/*
 * guest_mem as guest_mem_init() lays it out (low RAM at 0, high RAM at
 * 4 GiB, the hole between), but small and on the heap: the sanitizer
 * then reports any byte touched past the end of RAM, and resetting it
 * between inputs is cheap.  guest_ptr() only needs low_size below the
 * hole, so a 1 MiB "low RAM" exercises the same code as 3 GiB does; the
 * GPAs from low_size up to 4 GiB play the PCI hole.  high may be 0.
 * Both sizes must be multiples of 4 KiB, so page-aligned GPAs stay
 * page-aligned host pointers.
 */
void fuzz_mem_init(struct guest_mem *gm, uint64_t low, uint64_t high);
/* Re-split the same buffer: total stays, low becomes `low`. */
void fuzz_mem_layout(struct guest_mem *gm, uint64_t low);
void fuzz_mem_free(struct guest_mem *gm);

/* Whether [p, p + len) lies inside one RAM region of gm: checked on
 * host pointers, independently of guest_ptr(). */
bool fuzz_in_ram(const struct guest_mem *gm, const void *p, uint64_t len);

/*
 * A guest-physical address the fuzzer can aim at the interesting places:
 * one selector byte picks an anchor (0, the end of low RAM, the hole's
 * start, 4 GiB, the end of high RAM, the top of the address space, or a
 * raw 64-bit value) and a 32-bit offset goes up or down from it.
 */
uint64_t fi_gpa(struct fuzz_in *in, const struct guest_mem *gm);

/* ---- a VM without KVM ---- */

/*
 * vm_fd and kvm_fd are -1: irq.c keeps its routing table and answers
 * irqfd/ioeventfd calls without ioctls (see test_pci.c).  The port and
 * MMIO buses, the routing table and the stop machinery are set up; PCI
 * and guest RAM are the caller's.
 */
struct vm *fuzz_vm_new(void);
void fuzz_vm_free(struct vm *vm);

/* Scratch files (disk images) go here: $FUZZ_TMPDIR, /dev/shm, /tmp. */
const char *fuzz_tmpdir(void);

/*
 * After a loader succeeded: what the rest of boot set-up makes of its
 * boot_image (the fields come from the untrusted file): place an initrd
 * (or, when it does not fit, none) and build the zero page or PVH start
 * info, and check the initrd landed in RAM, above the kernel and below
 * initrd_max.
 */
void fuzz_check_boot(struct guest_mem *gm, const struct boot_image *bi);
/* A failure is described in one line (the exit-125 contract). */
void fuzz_check_err(void);

#endif
