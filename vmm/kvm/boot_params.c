// SPDX-License-Identifier: GPL-2.0
/*
 * boot_params.c - the 64-bit Linux boot protocol (Documentation/x86/boot.rst,
 * "64-bit Boot Protocol"): a zero page holding a copy of the kernel's setup
 * header, the e820 map, the command line pointer and the initrd, with RSI
 * pointing at it on entry.
 */
#include <string.h>

#include "kvm.h"

/* "HdrS", the setup header magic. */
#define SETUP_HDR_MAGIC		0x53726448
#define BOOT_FLAG		0xaa55
/* "type_of_loader: 0xFF = undefined" - we are not a registered loader. */
#define LOADER_TYPE_UNDEFINED	0xff

int initrd_place(struct guest_mem *gm, const struct boot_image *bi,
		 const uint8_t *data, size_t len, uint64_t *gpa)
{
	uint64_t top = guest_low_end(gm), addr, floor;
	void *dst;

	/*
	 * boot.rst: "initrd_addr_max: The maximum address that may be occupied
	 * by the initial ramdisk contents."  Put it as high as allowed, page
	 * aligned, and above everything the kernel claims.
	 */
	if (bi->initrd_max && bi->initrd_max + 1 < top)
		top = bi->initrd_max + 1;
	floor = bi->end > HIMEM_START ? bi->end : HIMEM_START;
	if (len > top || top - len < floor) {
		err_set("initrd of %zu KiB does not fit in guest RAM between the kernel end (0x%llx) and 0x%llx; use a larger -m",
			len >> 10, (unsigned long long)floor,
			(unsigned long long)top);
		return -1;
	}
	addr = (top - len) & ~0xfffULL;
	if (addr < floor) {
		err_set("initrd does not fit below 0x%llx",
			(unsigned long long)top);
		return -1;
	}
	dst = guest_ptr(gm, addr, len);
	if (!dst) {
		err_set("initrd at 0x%llx is outside guest RAM",
			(unsigned long long)addr);
		return -1;
	}
	memcpy(dst, data, len);
	*gpa = addr;
	return 0;
}

static int cmdline_copy(struct guest_mem *gm, const char *cmdline,
			uint32_t max)
{
	size_t n = strlen(cmdline);
	char *dst;

	if (n > max) {
		err_set("kernel command line is %zu bytes; this kernel accepts at most %u",
			n, max);
		return -1;
	}
	dst = guest_ptr(gm, CMDLINE_ADDR, n + 1);
	if (!dst || n + 1 > CMDLINE_MAX) {
		err_set("kernel command line does not fit in guest RAM");
		return -1;
	}
	memcpy(dst, cmdline, n + 1);
	return 0;
}

int boot_params_build(struct guest_mem *gm, const struct boot_image *bi,
		      const char *cmdline, uint64_t initrd_gpa,
		      uint64_t initrd_len)
{
	struct boot_params *bp = guest_ptr(gm, BOOT_PARAMS_ADDR, sizeof(*bp));
	struct e820_map map;

	if (!bp) {
		err_set("no room for boot_params in guest RAM");
		return -1;
	}
	if (cmdline_copy(gm, cmdline, bi->cmdline_size) < 0)
		return -1;

	memset(bp, 0, sizeof(*bp));
	if (bi->has_setup) {
		/* "copy the setup header ... into the zero page" (boot.rst). */
		memcpy(&bp->hdr, &bi->setup, bi->setup_len);
	} else {
		/* A bare vmlinux has no header: describe ourselves. */
		bp->hdr.boot_flag = BOOT_FLAG;
		bp->hdr.header = SETUP_HDR_MAGIC;
		bp->hdr.version = 0x020f;
		bp->hdr.kernel_alignment = 0x1000000;
		bp->hdr.cmdline_size = bi->cmdline_size;
		bp->hdr.initrd_addr_max = (uint32_t)bi->initrd_max;
	}
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.vid_mode = 0xffff;	/* "normal" */
	bp->hdr.cmd_line_ptr = (uint32_t)CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = (uint32_t)(CMDLINE_ADDR >> 32);
	bp->hdr.ramdisk_image = (uint32_t)initrd_gpa;
	bp->ext_ramdisk_image = (uint32_t)(initrd_gpa >> 32);
	bp->hdr.ramdisk_size = (uint32_t)initrd_len;
	bp->ext_ramdisk_size = (uint32_t)(initrd_len >> 32);

	e820_build(gm, &map);
	bp->e820_entries = map.nr;
	memcpy(bp->e820_table, map.e, map.nr * sizeof(map.e[0]));
	return 0;
}

/*
 * PVH (xen/include/public/arch-x86/hvm/start_info.h): the guest enters in
 * 32-bit flat mode with EBX pointing at this structure.  Version 1 adds the
 * memory map, which replaces e820.
 */
#define HVM_START_MAGIC		0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;		/* e820 types */
	uint32_t reserved;
};

#define PVH_MODLIST_ADDR	(PVH_INFO_ADDR + 0x40)
#define PVH_MEMMAP_ADDR		(PVH_INFO_ADDR + 0x80)

int pvh_info_build(struct guest_mem *gm, const char *cmdline,
		   uint64_t initrd_gpa, uint64_t initrd_len)
{
	struct hvm_start_info *si;
	struct hvm_modlist_entry *mod;
	struct hvm_memmap_table_entry *mm;
	struct e820_map map;
	unsigned int i;

	e820_build(gm, &map);
	si = guest_ptr(gm, PVH_INFO_ADDR, sizeof(*si));
	mod = guest_ptr(gm, PVH_MODLIST_ADDR, sizeof(*mod));
	mm = guest_ptr(gm, PVH_MEMMAP_ADDR, map.nr * sizeof(*mm));
	if (!si || !mod || !mm) {
		err_set("no room for the PVH start info in guest RAM");
		return -1;
	}
	if (cmdline_copy(gm, cmdline, CMDLINE_MAX - 1) < 0)
		return -1;

	memset(si, 0, sizeof(*si));
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = CMDLINE_ADDR;
	si->memmap_paddr = PVH_MEMMAP_ADDR;
	si->memmap_entries = map.nr;
	for (i = 0; i < map.nr; i++) {
		mm[i].addr = map.e[i].addr;
		mm[i].size = map.e[i].size;
		mm[i].type = map.e[i].type;
		mm[i].reserved = 0;
	}
	if (initrd_len) {
		memset(mod, 0, sizeof(*mod));
		mod->paddr = initrd_gpa;
		mod->size = initrd_len;
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST_ADDR;
	}
	return 0;
}
