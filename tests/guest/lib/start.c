// SPDX-License-Identifier: GPL-2.0
/*
 * start.c - the first C code on every CPU.  The boot CPU sets up the
 * runtime, copies what it needs out of the loader's boot information (that
 * memory belongs to the loader and a test may overwrite it) and runs the
 * test; secondary CPUs run whatever the test asked for.
 */
#include "runtime.h"

#define XEN_HVM_START_MAGIC	0x336ec578u
#define CMDLINE_MAX		4096

/* xen/include/public/arch-x86/hvm/start_info.h, version 0 and 1. */
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

/* Documentation/arch/x86/zero-page.rst and boot.rst. */
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_CMD_LINE_PTR		0x228

#define LOW_4G			0x100000000ull

void (*ap_main_fn)(void);

static char cmdline_buf[CMDLINE_MAX];

const char *cmdline(void)
{
	return cmdline_buf;
}

/* Only the low 4 GiB are mapped. */
static int copy_cmdline(uint64_t pa)
{
	const char *src;
	size_t i;

	if (!pa)
		return 0;
	if (pa >= LOW_4G) {
		printf("boot: command line at 0x%lx is above 4 GiB\n", pa);
		return -1;
	}
	src = phys_to_virt(pa);
	for (i = 0; i < CMDLINE_MAX - 1 && pa + i < LOW_4G && src[i]; i++)
		cmdline_buf[i] = src[i];
	cmdline_buf[i] = '\0';
	return 0;
}

static int parse_pvh(uint64_t info)
{
	const struct hvm_start_info *si;

	if (!info || info >= LOW_4G - sizeof(*si)) {
		printf("boot: bad hvm_start_info address 0x%lx\n", info);
		return -1;
	}
	si = phys_to_virt(info);
	if (si->magic != XEN_HVM_START_MAGIC) {
		printf("boot: hvm_start_info at 0x%lx has magic 0x%x, expected 0x%x\n",
		       info, si->magic, XEN_HVM_START_MAGIC);
		return -1;
	}
	return copy_cmdline(si->cmdline_paddr);
}

static int parse_boot_params(uint64_t info)
{
	const uint8_t *bp;
	uint64_t pa;

	if (!info || info >= LOW_4G - PAGE_SIZE) {
		printf("boot: bad boot_params address 0x%lx\n", info);
		return -1;
	}
	bp = phys_to_virt(info);
	pa = *(const uint32_t *)(bp + BP_CMD_LINE_PTR) |
	     (uint64_t)*(const uint32_t *)(bp + BP_EXT_CMD_LINE_PTR) << 32;
	return copy_cmdline(pa);
}

uint64_t multiboot_info;

/* Multiboot 3.3: flags bit 2 says cmdline is valid. */
static int parse_multiboot(uint64_t info)
{
	const uint32_t *mbi;

	if (mb_magic != MB_BOOT_MAGIC) {
		printf("boot: Multiboot entry with EAX 0x%x, expected 0x%x\n",
		       mb_magic, MB_BOOT_MAGIC);
		return -1;
	}
	if (!info || info >= LOW_4G - 120) {
		printf("boot: bad Multiboot information address 0x%lx\n", info);
		return -1;
	}
	mbi = phys_to_virt(info);
	multiboot_info = info;
	if (!(mbi[0] & (1u << 2)))
		return copy_cmdline(0);
	return copy_cmdline(mbi[4]);
}

static const char *entry_name(uint32_t entry)
{
	return entry == BOOT_ENTRY_PVH ? "PVH" :
	       entry == BOOT_ENTRY_MULTIBOOT ? "Multiboot" : "64-bit";
}

void rt_start(uint32_t entry, uint64_t info)
{
	int r;

	serial_init();
	trap_init();
	pic_disable();
	if (entry == BOOT_ENTRY_PVH)
		r = parse_pvh(info);
	else if (entry == BOOT_ENTRY_MULTIBOOT)
		r = parse_multiboot(info);
	else
		r = parse_boot_params(info);
	if (r < 0)
		exit_status(STATUS_BAD_BOOT);
	printf("lightvm test kernel '%s': %s entry, command line \"%s\"\n",
	       test_name, entry_name(entry), cmdline_buf);
	exit_status((unsigned int)test_main() & 0xff);
}

/* head.S calls this on each secondary CPU, on its own stack. */
void ap_start(void)
{
	idt_load();
	if (ap_main_fn)
		ap_main_fn();
	halt_forever();
}
