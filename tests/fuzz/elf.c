// SPDX-License-Identifier: GPL-2.0
/*
 * elf.c - fuzz the ELF64 kernel loader (vmm/kvm/elf.c) on a fuzzed file
 * image into a fake guest RAM (4 MiB low, 64 KiB at 4 GiB), then the
 * boot set-up that consumes what it returns.
 *
 * Input: one byte choosing the entry mode (auto, pvh, 64), then the file.
 * libFuzzer hands over a heap copy of exactly the input's size, so a read
 * past the end of the file is a sanitizer report.
 *
 * Checked when the loader accepts the file: the entry is inside a loaded
 * segment and the protocol is the one asked for; every PT_LOAD segment is
 * in RAM holding exactly the file's bytes and zeroes up to p_memsz (where
 * no later segment overlaps it); start/end cover every segment.  When it
 * refuses: one line says why.
 */
#include <elf.h>
#include <string.h>

#include "fuzz.h"

static struct guest_mem gm;

static bool all_zero(const uint8_t *p, uint64_t n)
{
	static const uint8_t zero[4096];

	for (; n; ) {
		uint64_t k = n < sizeof(zero) ? n : sizeof(zero);

		if (memcmp(p, zero, k))
			return false;
		p += k;
		n -= k;
	}
	return true;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static void check_segments(const uint8_t *buf, const struct boot_image *bi)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph, later;
	unsigned int i, j;

	memcpy(&eh, buf, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		const uint8_t *ram;
		bool covered = false;

		memcpy(&ph, buf + eh.e_phoff + (uint64_t)i * eh.e_phentsize,
		       sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		ram = guest_ptr(&gm, ph.p_paddr, ph.p_memsz);
		FUZZ_ASSERT(ram, "segment %u is not in RAM", i);
		FUZZ_ASSERT(ph.p_paddr >= bi->start &&
			    ph.p_paddr + ph.p_memsz <= bi->end,
			    "segment %u outside start/end", i);
		for (j = i + 1; j < eh.e_phnum && !covered; j++) {
			memcpy(&later, buf + eh.e_phoff +
			       (uint64_t)j * eh.e_phentsize, sizeof(later));
			covered = later.p_type == PT_LOAD &&
				  overlaps(ph.p_paddr, ph.p_memsz,
					   later.p_paddr, later.p_memsz);
		}
		if (covered)
			continue;
		FUZZ_ASSERT(!memcmp(ram, buf + ph.p_offset, ph.p_filesz),
			    "segment %u: RAM differs from the file", i);
		FUZZ_ASSERT(all_zero(ram + ph.p_filesz,
				     ph.p_memsz - ph.p_filesz),
			    "segment %u: .bss is not zeroed", i);
	}
}

static void check_entry(const uint8_t *buf, const struct boot_image *bi)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;

	memcpy(&eh, buf, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, buf + eh.e_phoff + (uint64_t)i * eh.e_phentsize,
		       sizeof(ph));
		if (ph.p_type == PT_LOAD && bi->entry >= ph.p_paddr &&
		    bi->entry - ph.p_paddr < ph.p_memsz)
			return;
	}
	FUZZ_ASSERT(0, "entry 0x%llx outside every segment",
		    (unsigned long long)bi->entry);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mem_init(&gm, 4ULL << 20, 64ULL << 10);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum elf_entry_mode modes[] = {
		ELF_ENTRY_AUTO, ELF_ENTRY_PVH, ELF_ENTRY_64,
	};
	enum elf_entry_mode mode;
	struct boot_image bi;

	if (!size)
		return 0;
	mode = modes[data[0] % 3];
	if (elf_load(&gm, data + 1, size - 1, mode, &bi) < 0) {
		fuzz_check_err();
		return 0;
	}
	FUZZ_ASSERT(mode == ELF_ENTRY_AUTO ||
		    bi.proto == (mode == ELF_ENTRY_PVH ? BOOT_PVH :
				 BOOT_LINUX64), "protocol %d for mode %d",
		    bi.proto, mode);
	FUZZ_ASSERT(bi.proto != BOOT_PVH || bi.entry <= UINT32_MAX,
		    "PVH entry above 4 GiB");
	FUZZ_ASSERT(!bi.has_setup && bi.start < bi.end, "boot image");
	check_entry(data + 1, &bi);
	check_segments(data + 1, &bi);
	fuzz_check_boot(&gm, &bi);
	return 0;
}
