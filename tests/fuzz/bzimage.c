// SPDX-License-Identifier: GPL-2.0
/*
 * bzimage.c - fuzz the bzImage loader (vmm/kvm/bzimage.c): the setup
 * header, the payload found through it, host decompression of every
 * format Linux uses (vmm/kvm/decompress.c, bounded by the RAM size) and
 * the ELF inside; or, with guest decompression, the placement of the
 * protected-mode kernel.  Then the boot set-up that consumes the header.
 *
 * Input: one byte (bit 0: guest decompression; bit 1: the larger RAM),
 * then the file, in a heap buffer of exactly its size.  Fake guest RAM is
 * small on purpose: the loader bounds decompression by the RAM size, and
 * a corrupt stream may cost up to that bound (lz4 retries a block with
 * twice the room until it reaches it), which the fuzzer produces all the
 * time.  So mostly 256 KiB low + 64 KiB high (kernels linked low, no room
 * for an initrd above 1 MiB); the larger one, 1.25 MiB low, is for what
 * needs RAM above 1 MiB: a relocatable guest-decompressed kernel (loaded
 * at 1 MiB) and the initrd.
 *
 * Checked when the loader accepts the file: the setup header was kept
 * (magic, length); the entry is inside start..end; with guest
 * decompression the protected-mode part sits in low RAM byte for byte at
 * start, the entry is start + 0x200 inside it, and start..end (which
 * covers init_size) is low RAM.  Then fuzz_check_boot().  When it
 * refuses: one line says why.
 */
#include <string.h>

#include "fuzz.h"

static struct guest_mem small_ram, large_ram;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mem_init(&small_ram, 256ULL << 10, 64ULL << 10);
	fuzz_mem_init(&large_ram, 0x140000, 64ULL << 10);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *file = data + 1;
	size_t len = size - 1, setup;
	struct guest_mem *gm;
	struct boot_image bi;
	bool guest;

	if (!size)
		return 0;
	guest = data[0] & 1;
	gm = data[0] & 2 ? &large_ram : &small_ram;
	if (bzimage_load(gm, file, len, guest, &bi) < 0) {
		fuzz_check_err();
		return 0;
	}
	FUZZ_ASSERT(bi.has_setup && bi.setup.header == 0x53726448 &&
		    bi.setup.boot_flag == 0xaa55 &&
		    bi.setup_len <= sizeof(bi.setup) &&
		    bi.proto == BOOT_LINUX64, "setup header kept");
	FUZZ_ASSERT(bi.start < bi.end && bi.entry >= bi.start &&
		    bi.entry < bi.end, "entry 0x%llx, kernel 0x%llx-0x%llx",
		    (unsigned long long)bi.entry,
		    (unsigned long long)bi.start,
		    (unsigned long long)bi.end);
	if (guest) {
		const uint8_t *ram;

		setup = ((size_t)(file[0x1f1] ? file[0x1f1] : 4) + 1) * 512;
		ram = guest_ptr(gm, bi.start, len - setup);
		FUZZ_ASSERT(bi.entry == bi.start + 0x200 &&
			    bi.entry < bi.start + (len - setup) &&
			    bi.end <= gm->low_size && ram &&
			    guest_ptr(gm, bi.start, bi.end - bi.start) &&
			    !memcmp(ram, file + setup, len - setup),
			    "protected-mode kernel at 0x%llx",
			    (unsigned long long)bi.start);
	}
	fuzz_check_boot(gm, &bi);
	return 0;
}
