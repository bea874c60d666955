// SPDX-License-Identifier: GPL-2.0
/*
 * multiboot.c - fuzz the Multiboot v1 loader (vmm/kvm/multiboot.c): the
 * input is the kernel file.  The header scan, the a.out kludge addresses
 * and the ELF32 program headers are all the file's to lie about.
 *
 * Checked on every accepted image: the entry lies in [start, end), the
 * image between 1 MiB and the end of (4 MiB of) low RAM, and the
 * information built for it - two modules, a command line - says what it
 * must: flags, mem_upper, modules page-aligned after the image and inside
 * RAM with their contents, the memory map of e820's size.  A rejected
 * image leaves a one-line reason.
 */
#include <string.h>

#include "fuzz.h"

static struct guest_mem gm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mem_init(&gm, 4ULL << 20, 0);
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void check_info(const struct boot_image *bi)
{
	static const uint8_t m0[] = "module zero", m1[] = "1";
	const struct mb_module mods[2] = {
		{ m0, sizeof(m0), "m0" }, { m1, sizeof(m1), "m1 arg" },
	};
	const uint8_t *info, *m;
	unsigned int i;

	if (multiboot_info_build(&gm, bi, "k a=1", mods, 2) < 0) {
		/* Only a full RAM may refuse two tiny modules. */
		FUZZ_ASSERT(bi->end + 2 * 4096 > guest_low_end(&gm),
			    "modules refused: %s", err_msg());
		fuzz_check_err();
		return;
	}
	info = guest_ptr(&gm, MB_INFO_ADDR, 120);
	FUZZ_ASSERT(get32(info) == 0x24d, "flags 0x%x", get32(info));
	FUZZ_ASSERT(get32(info + 8) == (guest_low_end(&gm) - (1 << 20)) / 1024,
		    "mem_upper %u", get32(info + 8));
	FUZZ_ASSERT(get32(info + 20) == 2, "mods_count");
	m = guest_ptr(&gm, get32(info + 24), 32);
	for (i = 0; i < 2; i++) {
		uint32_t start = get32(m + i * 16), end = get32(m + i * 16 + 4);

		FUZZ_ASSERT(!(start & 0xfff) && start >= bi->end &&
			    end <= guest_low_end(&gm) && end >= start,
			    "module %u at [0x%x, 0x%x), image ends 0x%llx", i,
			    start, end, (unsigned long long)bi->end);
		FUZZ_ASSERT(!memcmp(guest_ptr(&gm, start, end - start),
				    i ? m1 : m0, end - start), "module bytes");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_image bi;
	struct mb_header h;
	uint8_t *copy;
	size_t off;
	int r;

	/* An exact-size copy: ASan sees every overread. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&bi, 0, sizeof(bi));
	r = multiboot_find(copy, size, &h, &off);
	if (r > 0) {
		FUZZ_ASSERT(off % 4 == 0 && off + 12 <= size && off < 8192,
			    "header at %zu", off);
		if (multiboot_load(&gm, copy, size, &h, off, &bi) < 0) {
			fuzz_check_err();
		} else {
			FUZZ_ASSERT(bi.proto == BOOT_MULTIBOOT, "protocol");
			FUZZ_ASSERT(bi.entry >= bi.start && bi.entry < bi.end,
				    "entry 0x%llx outside [0x%llx, 0x%llx)",
				    (unsigned long long)bi.entry,
				    (unsigned long long)bi.start,
				    (unsigned long long)bi.end);
			FUZZ_ASSERT(bi.start >= 0x100000 &&
				    bi.end <= guest_low_end(&gm),
				    "image [0x%llx, 0x%llx)",
				    (unsigned long long)bi.start,
				    (unsigned long long)bi.end);
			check_info(&bi);
		}
	}
	free(copy);
	return 0;
}
