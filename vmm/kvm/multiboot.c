// SPDX-License-Identifier: GPL-2.0
/*
 * multiboot.c - Multiboot v1 kernels (The Multiboot Specification 0.6.96),
 * the way `qemu-system-x86_64 -kernel` boots them: test kernels written
 * for QEMU, and small OS kernels.
 *
 * "The Multiboot header must be contained completely within the first
 * 8192 bytes of the OS image, and must be longword (32-bit) aligned"
 * (3.1.1); magic 0x1BADB002 and "magic + flags + checksum" = 0.  With
 * flags bit 16 the header's own addresses say where the image goes (the
 * "a.out kludge", 3.1.3); without it the image must be an ELF32 whose
 * program headers do.  Flags bits 0-15 are requirements: "if the boot
 * loader sees any of these bits set but doesn't understand the flag or
 * can't fulfill the requirements it indicates for some reason, it must
 * notify the user and fail to load the OS image".  Bit 0 (page-aligned
 * modules) and bit 1 (memory information) are always fulfilled; bit 2
 * (a video mode) is ignored with a note, as QEMU does - there is no
 * framebuffer, and refusing would turn away kernels QEMU runs.
 *
 * The machine state at entry (3.2): EAX = 0x2BADB002, EBX = the physical
 * address of the Multiboot information structure, CS a 32-bit flat
 * read/execute segment, the data segments flat read/write, A20 on, CR0
 * with PG off and PE on, EFLAGS with VM and IF clear (vcpu.c sets that
 * up, as for PVH).
 *
 * The information lives at MB_INFO_ADDR in low RAM - the structure, the
 * memory map (lightvm's e820), the module list, the boot loader name and
 * the module strings - clear of page 0, the GDT, the stack and page
 * tables vcpu.c and vm.c place; the command line at CMDLINE_ADDR like
 * every boot protocol's.  Modules are page aligned above the kernel's
 * last byte, one after another, all in low RAM.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

#define MB_HEADER_MAGIC		0x1BADB002u
#define MB_SEARCH		8192
#define MB_HEADER_LEN		32	/* through entry_addr */
#define MB_F_PAGE_ALIGN		(1u << 0)
#define MB_F_MEMINFO		(1u << 1)
#define MB_F_VIDEO		(1u << 2)
#define MB_F_AOUT_KLUDGE	(1u << 16)
#define MB_F_REQUIRED		0x0000ffffu
#define MB_F_UNDERSTOOD		(MB_F_PAGE_ALIGN | MB_F_MEMINFO | MB_F_VIDEO)

/* The information structure (3.3): fields we fill, by byte offset. */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME		64
#define MBI_SIZE		120	/* through the framebuffer fields */
#define MBI_HAS_MEM		(1u << 0)
#define MBI_HAS_CMDLINE		(1u << 2)
#define MBI_HAS_MODS		(1u << 3)
#define MBI_HAS_MMAP		(1u << 6)
#define MBI_HAS_LOADER_NAME	(1u << 9)

/* Our layout inside [MB_INFO_ADDR, MB_INFO_END). */
#define MB_MMAP_ADDR		(MB_INFO_ADDR + 0x100)
#define MB_MODS_ADDR		(MB_INFO_ADDR + 0x400)	/* 64 x 16 bytes */
#define MB_NAME_ADDR		(MB_INFO_ADDR + 0x800)
#define MB_STRINGS_ADDR		(MB_INFO_ADDR + 0x840)
#define MB_INFO_END		BOOT_PARAMS_ADDR	/* unused here */
#define MB_LOADER_NAME		"lightvm"

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

int multiboot_find(const uint8_t *buf, size_t len, struct mb_header *h,
		   size_t *off)
{
	size_t end = len < MB_SEARCH ? len : MB_SEARCH, o;

	for (o = 0; o + 12 <= end; o += 4) {
		uint32_t magic = get32(buf + o), flags, sum;

		if (magic != MB_HEADER_MAGIC)
			continue;
		flags = get32(buf + o + 4);
		sum = get32(buf + o + 8);
		if ((uint32_t)(magic + flags + sum))
			continue;	/* not a header: a stray magic */
		memset(h, 0, sizeof(*h));
		h->flags = flags;
		/* The address fields are only meaningful with bit 16 and
		 * must then be in the file (3.1.1: "all of the fields"). */
		if (flags & MB_F_AOUT_KLUDGE) {
			if (o + MB_HEADER_LEN > len)
				return -1;
			h->header_addr = get32(buf + o + 12);
			h->load_addr = get32(buf + o + 16);
			h->load_end_addr = get32(buf + o + 20);
			h->bss_end_addr = get32(buf + o + 24);
			h->entry_addr = get32(buf + o + 28);
		}
		*off = o;
		return 1;
	}
	return 0;
}

/* [start, end) may hold kernel bytes: low RAM above 1 MiB, no wrap. */
static int check_range(const struct guest_mem *gm, uint64_t start,
		       uint64_t end, const char *what)
{
	if (end < start || start < HIMEM_START || end > guest_low_end(gm)) {
		err_set("Multiboot: %s [0x%llx, 0x%llx) is not inside RAM from 1 MiB to 0x%llx",
			what, (unsigned long long)start,
			(unsigned long long)end,
			(unsigned long long)guest_low_end(gm));
		return -1;
	}
	return 0;
}

static int load_aout(struct guest_mem *gm, const uint8_t *buf, size_t len,
		     const struct mb_header *h, size_t off,
		     struct boot_image *bi)
{
	uint64_t load_off, load_len, load_end, bss_end;

	/* 3.1.3: header_addr "the physical memory location at which the
	 * magic value is supposed to be loaded", so the file offset of
	 * load_addr is off - (header_addr - load_addr). */
	if (h->header_addr < h->load_addr ||
	    h->header_addr - h->load_addr > off) {
		err_set("Multiboot: header_addr 0x%x and load_addr 0x%x put the load before the file's start",
			h->header_addr, h->load_addr);
		return -1;
	}
	load_off = off - (h->header_addr - h->load_addr);
	if (!h->load_end_addr) {		/* "the whole file" */
		load_len = len - load_off;
	} else {
		if (h->load_end_addr < h->load_addr) {
			err_set("Multiboot: load_end_addr 0x%x below load_addr 0x%x",
				h->load_end_addr, h->load_addr);
			return -1;
		}
		load_len = h->load_end_addr - h->load_addr;
		if (load_len > len - load_off) {
			err_set("Multiboot: load_end_addr 0x%x is past the end of the file",
				h->load_end_addr);
			return -1;
		}
	}
	load_end = (uint64_t)h->load_addr + load_len;
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (bss_end < load_end) {
		err_set("Multiboot: bss_end_addr 0x%x below the loaded end 0x%llx",
			h->bss_end_addr, (unsigned long long)load_end);
		return -1;
	}
	if (check_range(gm, h->load_addr, bss_end, "the image") < 0)
		return -1;
	if (h->entry_addr < h->load_addr || h->entry_addr >= bss_end) {
		err_set("Multiboot: entry_addr 0x%x outside the image [0x%x, 0x%llx)",
			h->entry_addr, h->load_addr, (unsigned long long)bss_end);
		return -1;
	}
	if (load_len)
		memcpy(guest_ptr(gm, h->load_addr, load_len), buf + load_off,
		       load_len);
	if (bss_end > load_end)
		memset(guest_ptr(gm, load_end, bss_end - load_end), 0,
		       bss_end - load_end);
	bi->entry = h->entry_addr;
	bi->start = h->load_addr;
	bi->end = bss_end;
	return 0;
}

/* ELF32 program headers: every PT_LOAD checked before any is copied. */
static int load_elf32(struct guest_mem *gm, const uint8_t *buf, size_t len,
		      struct boot_image *bi)
{
	Elf32_Ehdr eh;
	Elf32_Phdr ph[64];
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned int i, j, n = 0;
	bool entry_ok = false;

	if (len < sizeof(eh)) {
		err_set("Multiboot: ELF header truncated");
		return -1;
	}
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS32) {
		err_set("Multiboot: a 64-bit ELF without the a.out kludge (flags bit 16): give a 32-bit ELF, as QEMU asks");
		return -1;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_386 ||
	    eh.e_type != ET_EXEC) {
		err_set("Multiboot: not a little-endian i386 ELF32 executable");
		return -1;
	}
	if (eh.e_phentsize != sizeof(Elf32_Phdr) || !eh.e_phnum ||
	    eh.e_phnum > 64 || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr) > len - eh.e_phoff) {
		err_set("Multiboot: bad ELF32 program header table");
		return -1;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		Elf32_Phdr p;

		memcpy(&p, buf + eh.e_phoff + i * sizeof(p), sizeof(p));
		if (p.p_type != PT_LOAD || !p.p_memsz)
			continue;
		if (p.p_filesz > p.p_memsz || p.p_offset > len ||
		    p.p_filesz > len - p.p_offset) {
			err_set("Multiboot: ELF32 segment %u runs past the file", i);
			return -1;
		}
		if (check_range(gm, p.p_paddr, (uint64_t)p.p_paddr + p.p_memsz,
				"a segment") < 0)
			return -1;
		for (j = 0; j < n; j++) {
			if (p.p_paddr < (uint64_t)ph[j].p_paddr + ph[j].p_memsz &&
			    ph[j].p_paddr < (uint64_t)p.p_paddr + p.p_memsz) {
				err_set("Multiboot: ELF32 segments %u and %u overlap",
					j, i);
				return -1;
			}
		}
		if (eh.e_entry >= p.p_paddr &&
		    eh.e_entry < (uint64_t)p.p_paddr + p.p_memsz)
			entry_ok = true;
		ph[n++] = p;
	}
	if (!n) {
		err_set("Multiboot: no loadable ELF32 segment");
		return -1;
	}
	if (!entry_ok) {
		err_set("Multiboot: entry 0x%x is in no loaded segment",
			eh.e_entry);
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint8_t *dst = guest_ptr(gm, ph[i].p_paddr, ph[i].p_memsz);

		memcpy(dst, buf + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		if (ph[i].p_paddr < lo)
			lo = ph[i].p_paddr;
		if ((uint64_t)ph[i].p_paddr + ph[i].p_memsz > hi)
			hi = (uint64_t)ph[i].p_paddr + ph[i].p_memsz;
	}
	bi->entry = eh.e_entry;
	bi->start = lo;
	bi->end = hi;
	return 0;
}

int multiboot_load(struct guest_mem *gm, const uint8_t *buf, size_t len,
		   const struct mb_header *h, size_t off, struct boot_image *bi)
{
	uint32_t unknown = h->flags & MB_F_REQUIRED & ~MB_F_UNDERSTOOD;
	int ret;

	if (unknown) {
		err_set("Multiboot: the kernel requires features lightvm lacks (flags 0x%x)",
			unknown);
		return -1;
	}
	if (h->flags & MB_F_AOUT_KLUDGE)
		ret = load_aout(gm, buf, len, h, off, bi);
	else
		ret = load_elf32(gm, buf, len, bi);
	if (ret < 0)
		return -1;
	bi->proto = BOOT_MULTIBOOT;
	bi->mb_flags = h->flags;
	snprintf(bi->desc, sizeof(bi->desc), "Multiboot %s, flags 0x%x%s",
		 h->flags & MB_F_AOUT_KLUDGE ? "a.out kludge" : "ELF32",
		 h->flags, h->flags & MB_F_VIDEO ?
		 " (video mode request ignored)" : "");
	return 0;
}

static uint64_t page_up(uint64_t a)
{
	return (a + 4095) & ~(uint64_t)4095;
}

int multiboot_info_build(struct guest_mem *gm, const struct boot_image *bi,
			 const char *cmdline, const struct mb_module *mods,
			 unsigned int nr_mods)
{
	uint8_t *info = guest_ptr(gm, MB_INFO_ADDR, MBI_SIZE);
	uint64_t next = page_up(bi->end > HIMEM_START ? bi->end : HIMEM_START);
	uint64_t str = MB_STRINGS_ADDR, len;
	struct e820_map map;
	unsigned int i;

	if (nr_mods > MB_MAX_MODULES) {
		err_set("Multiboot: at most %d modules", MB_MAX_MODULES);
		return -1;
	}
	len = strlen(cmdline) + 1;
	if (len > CMDLINE_MAX) {
		err_set("Multiboot: command line longer than %llu bytes",
			(unsigned long long)CMDLINE_MAX - 1);
		return -1;
	}
	memcpy(guest_ptr(gm, CMDLINE_ADDR, len), cmdline, len);
	memset(info, 0, MBI_SIZE);

	/* "mem_lower ... starting at address 0 ... maximum possible value
	 * for lower memory is 640 kilobytes"; mem_upper "starting at 1
	 * megabyte": RAM up to the PCI hole, below which e820 agrees. */
	put32(info + MBI_MEM_LOWER, EBDA_START / 1024);
	put32(info + MBI_MEM_UPPER,
	      (uint32_t)((guest_low_end(gm) - HIMEM_START) / 1024));
	put32(info + MBI_CMDLINE, CMDLINE_ADDR);

	/* The memory map: "size" (20) precedes each entry and is not
	 * counted in itself; mmap_length covers the whole buffer. */
	e820_build(gm, &map);
	for (i = 0; i < map.nr; i++) {
		uint8_t *e = guest_ptr(gm, MB_MMAP_ADDR + i * 24, 24);

		put32(e, 20);
		memcpy(e + 4, &map.e[i].addr, 8);
		memcpy(e + 12, &map.e[i].size, 8);
		put32(e + 20, map.e[i].type);
	}
	put32(info + MBI_MMAP_LENGTH, map.nr * 24);
	put32(info + MBI_MMAP_ADDR, MB_MMAP_ADDR);

	/* Modules, page aligned (flags bit 0 or not), one after another. */
	for (i = 0; i < nr_mods; i++) {
		uint8_t *m = guest_ptr(gm, MB_MODS_ADDR + i * 16, 16);
		uint64_t slen = strlen(mods[i].string) + 1;

		if (mods[i].len > guest_low_end(gm) ||
		    next + mods[i].len > guest_low_end(gm)) {
			err_set("Multiboot: module %u (%zu bytes) does not fit in RAM below 0x%llx",
				i, mods[i].len,
				(unsigned long long)guest_low_end(gm));
			return -1;
		}
		if (str + slen > MB_INFO_END) {
			err_set("Multiboot: module strings longer than %llu bytes in all",
				(unsigned long long)(MB_INFO_END - MB_STRINGS_ADDR));
			return -1;
		}
		if (mods[i].len)
			memcpy(guest_ptr(gm, next, mods[i].len), mods[i].data,
			       mods[i].len);
		memcpy(guest_ptr(gm, str, slen), mods[i].string, slen);
		put32(m, (uint32_t)next);
		put32(m + 4, (uint32_t)(next + mods[i].len));	/* exclusive */
		put32(m + 8, (uint32_t)str);
		put32(m + 12, 0);
		str += slen;
		next = page_up(next + mods[i].len);
	}
	put32(info + MBI_MODS_COUNT, nr_mods);
	put32(info + MBI_MODS_ADDR, MB_MODS_ADDR);
	memcpy(guest_ptr(gm, MB_NAME_ADDR, sizeof(MB_LOADER_NAME)),
	       MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	put32(info + MBI_LOADER_NAME, MB_NAME_ADDR);
	put32(info + MBI_FLAGS, MBI_HAS_MEM | MBI_HAS_CMDLINE | MBI_HAS_MODS |
	      MBI_HAS_MMAP | MBI_HAS_LOADER_NAME);
	return 0;
}

/*
 * The command line and modules as QEMU gives them: the kernel's path,
 * a space and the -p text ("%s %s" in QEMU's multiboot.c); -i FILE is
 * module 0 and each --module FILE[,STRING] the next, each module's string
 * being "FILE" or "FILE STRING" like a QEMU -initrd entry.
 */
int multiboot_boot_setup(struct guest_mem *gm, const struct boot_image *bi,
			 const struct vm_config *cfg)
{
	struct mb_module mods[LIGHTVM_MAX_MODULES + 1] = { { NULL, 0, NULL } };
	uint8_t *data[LIGHTVM_MAX_MODULES + 1] = { NULL };
	char *strings[LIGHTVM_MAX_MODULES + 1] = { NULL };
	char *cmdline = NULL;
	unsigned int n = 0, i;
	int ret = -1;

	if (asprintf(&cmdline, "%s %s", cfg->kernel,
		     cfg->params ? cfg->params : "") < 0) {
		cmdline = NULL;
		goto oom;
	}
	for (i = 0; i < cfg->nr_modules + 1; i++) {
		const char *path = i ? cfg->modules[i - 1].path : cfg->initrd;
		const char *str = i ? cfg->modules[i - 1].string : NULL;
		size_t len;

		if (!path)
			continue;
		if (file_read_all("module", path, guest_low_end(gm), &data[n],
				  &len) < 0)
			goto out;
		if (asprintf(&strings[n], "%s%s%s", path, str ? " " : "",
			     str ? str : "") < 0) {
			strings[n] = NULL;
			goto oom;
		}
		mods[n] = (struct mb_module){ data[n], len, strings[n] };
		n++;
	}
	ret = multiboot_info_build(gm, bi, cmdline, mods, n);
	if (!ret) {
		log_debug(1, "Multiboot: info at 0x%llx, command line \"%s\", %u module(s)",
			  (unsigned long long)MB_INFO_ADDR, cmdline, n);
		for (i = 0; i < n; i++)
			log_debug(1, "Multiboot: module %u \"%s\", %zu bytes", i,
				  strings[i], mods[i].len);
	}
	goto out;
oom:
	err_set("out of memory");
out:
	for (i = 0; i < LIGHTVM_MAX_MODULES + 1; i++) {
		free(data[i]);
		free(strings[i]);
	}
	free(cmdline);
	return ret;
}
