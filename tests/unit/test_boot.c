// SPDX-License-Identifier: GPL-2.0
/*
 * test_boot.c - the structures lightvm writes into guest memory before the
 * first instruction: e820, the zero page, the command line and its limit,
 * the initrd placement, PVH start_info, the MP table, the page tables; and
 * the guest_ptr() bounds check they all rely on.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"
#include "../../vmm/kvm/kvm.h"

static struct guest_mem gm;

static void mem_setup_size(uint64_t size)
{
	ck_assert_int_eq(guest_mem_init(&gm, size), 0);
}

static void mem_teardown(void)
{
	guest_mem_free(&gm);
}

START_TEST(guest_ptr_bounds)
{
	mem_setup_size(64ULL << 20);
	ck_assert_ptr_eq(guest_ptr(&gm, 0, 1), gm.host);
	ck_assert_ptr_nonnull(guest_ptr(&gm, (64ULL << 20) - 1, 1));
	ck_assert_ptr_null(guest_ptr(&gm, (64ULL << 20) - 1, 2));
	ck_assert_ptr_null(guest_ptr(&gm, 64ULL << 20, 1));
	ck_assert_ptr_null(guest_ptr(&gm, 0xfffffffffffff000ULL, 0x2000));
	ck_assert_ptr_null(guest_ptr(&gm, 16, UINT64_MAX));
	ck_assert_ptr_null(guest_ptr(&gm, PCI_HOLE_START, 1));
	ck_assert_ptr_null(guest_ptr(&gm, PCI_HOLE_END, 1));
	mem_teardown();
}
END_TEST

START_TEST(guest_mem_split_around_hole)
{
	mem_setup_size(4ULL << 30);
	ck_assert_uint_eq(gm.low_size, PCI_HOLE_START);
	ck_assert_uint_eq(gm.high_size, (4ULL << 30) - PCI_HOLE_START);
	ck_assert_ptr_eq(guest_ptr(&gm, PCI_HOLE_END, 8),
			 gm.host + PCI_HOLE_START);
	ck_assert_ptr_nonnull(guest_ptr(&gm, PCI_HOLE_END + gm.high_size - 8,
					8));
	ck_assert_ptr_null(guest_ptr(&gm, PCI_HOLE_END + gm.high_size - 8,
				     9));
	ck_assert_ptr_null(guest_ptr(&gm, PCI_HOLE_START - 4, 8));
	mem_teardown();
	ck_assert_int_eq(guest_mem_init(&gm, 8ULL << 20), -1);
	ck_assert_int_eq(guest_mem_init(&gm, (64ULL << 20) + 1), -1);
}
END_TEST

/* What a vhost-user backend relies on: the fd maps the same pages, at
 * the same offsets, and its size cannot change under anyone's mapping. */
START_TEST(guest_mem_memfd_shared)
{
	uint8_t *other;
	int seals;

	mem_setup_size(64ULL << 20);
	ck_assert_int_ge(gm.fd, 0);
	seals = fcntl(gm.fd, F_GET_SEALS);
	ck_assert_int_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	ck_assert_int_ne(ftruncate(gm.fd, 4096), 0);
	other = mmap(NULL, 64ULL << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
		     gm.fd, 0);
	ck_assert_ptr_ne(other, MAP_FAILED);
	gm.host[(32ULL << 20) + 5] = 0xa5;
	ck_assert_uint_eq(other[(32ULL << 20) + 5], 0xa5);
	other[100] = 0x5a;
	ck_assert_uint_eq(*(uint8_t *)guest_ptr(&gm, 100, 1), 0x5a);
	munmap(other, 64ULL << 20);
	mem_teardown();
	ck_assert_int_eq(gm.fd, -1);

	/* Forced anonymous: works, but has nothing to share. */
	setenv("LIGHTVM_RAM", "anon", 1);
	mem_setup_size(64ULL << 20);
	unsetenv("LIGHTVM_RAM");
	ck_assert_int_eq(gm.fd, -1);
	gm.host[0] = 1;
	mem_teardown();
}
END_TEST

START_TEST(e820_small)
{
	struct e820_map m;

	mem_setup_size(256ULL << 20);
	e820_build(&gm, &m);
	ck_assert_uint_eq(m.nr, 4);
	ck_assert_uint_eq(m.e[0].addr, 0);
	ck_assert_uint_eq(m.e[0].size, EBDA_START);
	ck_assert_uint_eq(m.e[0].type, E820_TYPE_RAM);
	ck_assert_uint_eq(m.e[1].addr, EBDA_START);
	ck_assert_uint_eq(m.e[1].addr + m.e[1].size, HIMEM_START);
	ck_assert_uint_eq(m.e[1].type, E820_TYPE_RESERVED);
	ck_assert_uint_eq(m.e[2].addr, HIMEM_START);
	ck_assert_uint_eq(m.e[2].addr + m.e[2].size, 256ULL << 20);
	ck_assert_uint_eq(m.e[2].type, E820_TYPE_RAM);
	ck_assert_uint_eq(m.e[3].addr, KVM_IDMAP_ADDR);
	ck_assert_uint_eq(m.e[3].type, E820_TYPE_RESERVED);
	mem_teardown();
}
END_TEST

START_TEST(e820_large)
{
	struct e820_map m;
	uint64_t ram = 0;
	unsigned int i;

	mem_setup_size(6ULL << 30);
	e820_build(&gm, &m);
	ck_assert_uint_eq(m.nr, 5);
	ck_assert_uint_eq(m.e[2].addr + m.e[2].size, PCI_HOLE_START);
	ck_assert_uint_eq(m.e[4].addr, PCI_HOLE_END);
	for (i = 0; i < m.nr; i++) {
		if (m.e[i].type == E820_TYPE_RAM)
			ram += m.e[i].size;
		/* sorted, non-overlapping */
		if (i)
			ck_assert_uint_ge(m.e[i].addr,
					  m.e[i - 1].addr + m.e[i - 1].size);
	}
	/* All RAM but the EBDA-to-1M window is reported. */
	ck_assert_uint_eq(ram, (6ULL << 30) - (HIMEM_START - EBDA_START));
	mem_teardown();
}
END_TEST

static struct vm_config cfg_with(const char *params, bool nodef)
{
	struct vm_config c;

	options_defaults(&c);
	c.params = params;
	c.no_default_params = nodef;
	return c;
}

START_TEST(cmdline_composition)
{
	char buf[512];
	struct vm_config c = cfg_with(NULL, false);

	ck_assert_int_eq(cmdline_build(buf, sizeof(buf), &c, false), 0);
	ck_assert_str_eq(buf, "console=ttyS0 reboot=k panic=-1 pci=conf1");
	c = cfg_with("root=/dev/vda", false);
	ck_assert_int_eq(cmdline_build(buf, sizeof(buf), &c, false), 0);
	ck_assert_str_eq(buf, "console=ttyS0 reboot=k panic=-1 pci=conf1 root=/dev/vda");
	ck_assert_int_eq(cmdline_build(buf, sizeof(buf), &c, true), 0);
	ck_assert_ptr_nonnull(strstr(buf, "pci=conf1 noxsave clearcpuid="));
	ck_assert_ptr_nonnull(strstr(buf, ",534 root=/dev/vda"));
	c = cfg_with("only", true);
	ck_assert_int_eq(cmdline_build(buf, sizeof(buf), &c, false), 0);
	ck_assert_str_eq(buf, "only");
	c = cfg_with(NULL, true);
	ck_assert_int_eq(cmdline_build(buf, sizeof(buf), &c, false), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(cmdline_too_long)
{
	char buf[64], params[100];
	struct vm_config c;

	memset(params, 'a', sizeof(params) - 1);
	params[sizeof(params) - 1] = '\0';
	c = cfg_with(params, false);
	ck_assert_int_eq(cmdline_build(buf, sizeof(buf), &c, false), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "too long"));
}
END_TEST

static struct boot_image bzimage_like(void)
{
	struct boot_image bi;

	memset(&bi, 0, sizeof(bi));
	bi.proto = BOOT_LINUX64;
	bi.entry = 0x1000000;
	bi.start = 0x1000000;
	bi.end = 0x2000000;
	bi.has_setup = true;
	bi.setup.setup_sects = 27;
	bi.setup.boot_flag = 0xaa55;
	bi.setup.header = 0x53726448;
	bi.setup.version = 0x020f;
	bi.setup.cmdline_size = 2047;
	bi.setup.initrd_addr_max = 0x7fffffff;
	bi.setup.init_size = 0x1000000;
	bi.setup_len = sizeof(bi.setup);
	bi.initrd_max = 0x7fffffff;
	bi.cmdline_size = 2047;
	return bi;
}

START_TEST(zero_page_layout)
{
	struct boot_image bi = bzimage_like();
	struct boot_params *bp;
	const char *cmd = "console=ttyS0 hello";
	struct e820_map m;

	mem_setup_size(256ULL << 20);
	ck_assert_int_eq(boot_params_build(&gm, &bi, cmd, 0x0ff00000,
					   0x12345), 0);
	bp = guest_ptr(&gm, BOOT_PARAMS_ADDR, sizeof(*bp));
	/* Field offsets fixed by boot.rst's zero-page table. */
	ck_assert_uint_eq(offsetof(struct boot_params, hdr), 0x1f1);
	ck_assert_uint_eq(offsetof(struct boot_params, e820_entries), 0x1e8);
	ck_assert_uint_eq(offsetof(struct boot_params, e820_table), 0x2d0);
	ck_assert_uint_eq(offsetof(struct boot_params, ext_cmd_line_ptr),
			  0xc8);
	ck_assert_uint_eq(bp->hdr.setup_sects, 27);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.init_size, 0x1000000);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, CMDLINE_ADDR);
	ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0);
	ck_assert_str_eq((char *)guest_ptr(&gm, CMDLINE_ADDR, 1), cmd);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 0x0ff00000);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 0x12345);
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	e820_build(&gm, &m);
	ck_assert_uint_eq(bp->e820_entries, m.nr);
	ck_assert_int_eq(memcmp(bp->e820_table, m.e, m.nr * sizeof(m.e[0])),
			 0);
	mem_teardown();
}
END_TEST

START_TEST(zero_page_bare_vmlinux)
{
	struct boot_image bi = bzimage_like();
	struct boot_params *bp;

	bi.has_setup = false;
	mem_setup_size(64ULL << 20);
	ck_assert_int_eq(boot_params_build(&gm, &bi, "x", 0, 0), 0);
	bp = guest_ptr(&gm, BOOT_PARAMS_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 0);
	mem_teardown();
}
END_TEST

START_TEST(cmdline_limit_from_kernel)
{
	struct boot_image bi = bzimage_like();
	char cmd[300];

	memset(cmd, 'x', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	mem_setup_size(64ULL << 20);
	bi.cmdline_size = 299;
	ck_assert_int_eq(boot_params_build(&gm, &bi, cmd, 0, 0), 0);
	bi.cmdline_size = 298;
	ck_assert_int_eq(boot_params_build(&gm, &bi, cmd, 0, 0), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "at most 298"));
	mem_teardown();
}
END_TEST

START_TEST(initrd_placement)
{
	struct boot_image bi = bzimage_like();
	static uint8_t data[10000];
	uint64_t gpa;

	memset(data, 0x5a, sizeof(data));
	mem_setup_size(256ULL << 20);
	ck_assert_int_eq(initrd_place(&gm, &bi, data, sizeof(data), &gpa), 0);
	ck_assert_uint_eq(gpa & 0xfff, 0);
	ck_assert_uint_ge(gpa, bi.end);
	ck_assert_uint_le(gpa + sizeof(data), 256ULL << 20);
	ck_assert_int_eq(memcmp(guest_ptr(&gm, gpa, sizeof(data)), data,
				sizeof(data)), 0);

	/* initrd_addr_max bounds the last byte. */
	bi.initrd_max = 0x3000000 - 1;
	ck_assert_int_eq(initrd_place(&gm, &bi, data, sizeof(data), &gpa), 0);
	ck_assert_uint_le(gpa + sizeof(data), 0x3000000);

	/* No room between the kernel end and the limit. */
	bi.initrd_max = bi.end + 4096;
	ck_assert_int_eq(initrd_place(&gm, &bi, data, sizeof(data), &gpa),
			 -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "does not fit"));
	mem_teardown();
}
END_TEST

START_TEST(initrd_larger_than_ram)
{
	struct boot_image bi = bzimage_like();
	uint64_t gpa;

	mem_setup_size(64ULL << 20);
	bi.end = 0x100000;
	/* data is never read when the size check fails. */
	ck_assert_int_eq(initrd_place(&gm, &bi, (const uint8_t *)"",
				      65ULL << 20, &gpa), -1);
	mem_teardown();
}
END_TEST

struct pvh_start_info_view {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist, cmdline, rsdp, memmap;
	uint32_t memmap_entries, reserved;
};

START_TEST(pvh_start_info)
{
	struct pvh_start_info_view *si;
	uint64_t *mod, *mm;

	mem_setup_size(64ULL << 20);
	ck_assert_int_eq(pvh_info_build(&gm, "a=b", 0x2000000, 4096), 0);
	si = guest_ptr(&gm, PVH_INFO_ADDR, sizeof(*si));
	ck_assert_uint_eq(si->magic, 0x336ec578);
	ck_assert_uint_eq(si->version, 1);
	ck_assert_str_eq((char *)guest_ptr(&gm, si->cmdline, 4), "a=b");
	ck_assert_uint_eq(si->nr_modules, 1);
	mod = guest_ptr(&gm, si->modlist, 32);
	ck_assert_uint_eq(mod[0], 0x2000000);
	ck_assert_uint_eq(mod[1], 4096);
	ck_assert_uint_eq(si->memmap_entries, 4);
	mm = guest_ptr(&gm, si->memmap, 24 * 4);
	ck_assert_uint_eq(mm[0], 0);			/* addr */
	ck_assert_uint_eq(mm[1], EBDA_START);		/* size */
	ck_assert_uint_eq((uint32_t)mm[2], E820_TYPE_RAM);
	mem_teardown();
}
END_TEST

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

START_TEST(mp_table)
{
	unsigned int cpus = _i + 1, n_cpu = 0, i;
	uint8_t *mpf, *mpc, *e;
	uint16_t len, count;

	mem_setup_size(64ULL << 20);
	ck_assert_int_eq(mptable_build(&gm, cpus, NULL, 0), 0);
	mpf = guest_ptr(&gm, EBDA_START, 16);
	ck_assert_int_eq(memcmp(mpf, "_MP_", 4), 0);
	ck_assert_uint_eq(sum(mpf, 16), 0);
	mpc = guest_ptr(&gm, *(uint32_t *)(mpf + 4), 44);
	ck_assert_int_eq(memcmp(mpc, "PCMP", 4), 0);
	len = *(uint16_t *)(mpc + 4);
	count = *(uint16_t *)(mpc + 34);
	ck_assert_uint_eq(sum(mpc, len), 0);
	ck_assert_uint_le(EBDA_START + 16 + len, HIMEM_START);
	e = mpc + 44;
	for (i = 0; i < count; i++) {
		if (e[0] == 0) {
			ck_assert_uint_eq(e[1], n_cpu);		/* APIC ID */
			ck_assert_uint_eq(!!(e[3] & 2), n_cpu == 0); /* BSP */
			n_cpu++;
			e += 20;
		} else {
			e += 8;
		}
	}
	ck_assert_uint_eq(n_cpu, cpus);
	ck_assert_ptr_eq(e, mpc + len);
	mem_teardown();
}
END_TEST

START_TEST(mp_table_pci_irqs)
{
	struct mp_pci_irq irqs[2] = { { 1, 1, 16 }, { 3, 1, 18 } };
	uint8_t *mpf, *mpc, *e;
	uint16_t len, count, i;
	int found = 0;

	mem_setup_size(64ULL << 20);
	ck_assert_int_eq(mptable_build(&gm, 2, irqs, 2), 0);
	mpf = guest_ptr(&gm, EBDA_START, 16);
	mpc = guest_ptr(&gm, *(uint32_t *)(mpf + 4), 44);
	len = *(uint16_t *)(mpc + 4);
	count = *(uint16_t *)(mpc + 34);
	ck_assert_uint_eq(sum(mpc, len), 0);
	for (e = mpc + 44, i = 0; i < count; i++) {
		/* I/O interrupt entry from bus 0 (PCI) */
		if (e[0] == 3 && e[4] == 0) {
			ck_assert_uint_eq(*(uint16_t *)(e + 2), 0x0f);
			if (e[5] == (1 << 2) && e[7] == 16)
				found |= 1;
			if (e[5] == (3 << 2) && e[7] == 18)
				found |= 2;
		}
		e += e[0] == 0 ? 20 : 8;
	}
	ck_assert_int_eq(found, 3);
	ck_assert_int_eq(mptable_build(&gm, 2, irqs, MP_MAX_PCI_IRQS + 1), -1);
	mem_teardown();
}
END_TEST

START_TEST(identity_page_tables)
{
	uint64_t *pml4, *pdpt, *pd;

	mem_setup_size(64ULL << 20);
	boot_pagetables_build(&gm);
	pml4 = guest_ptr(&gm, PML4_ADDR, 4096);
	pdpt = guest_ptr(&gm, PDPT_ADDR, 4096);
	pd = guest_ptr(&gm, PD_ADDR, 4 * 4096);
	ck_assert_uint_eq(pml4[0] & ~0xfffULL, PDPT_ADDR);
	ck_assert_uint_eq(pdpt[3] & ~0xfffULL, PD_ADDR + 3 * 4096);
	/* 0xfee00000 (LAPIC) maps to itself as a 2 MiB page. */
	ck_assert_uint_eq(pd[0xfee00000ULL >> 21] & ~0xfffULL, 0xfee00000ULL);
	ck_assert_uint_eq(pd[5] & 0x83, 0x83);
	mem_teardown();
}
END_TEST

Suite *boot_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, guest_ptr_bounds);
	tcase_add_test(tc, guest_mem_split_around_hole);
	tcase_add_test(tc, guest_mem_memfd_shared);
	tcase_add_test(tc, e820_small);
	tcase_add_test(tc, e820_large);
	tcase_add_test(tc, cmdline_composition);
	tcase_add_test(tc, cmdline_too_long);
	tcase_add_test(tc, zero_page_layout);
	tcase_add_test(tc, zero_page_bare_vmlinux);
	tcase_add_test(tc, cmdline_limit_from_kernel);
	tcase_add_test(tc, initrd_placement);
	tcase_add_test(tc, initrd_larger_than_ram);
	tcase_add_test(tc, pvh_start_info);
	tcase_add_loop_test(tc, mp_table, 0, LIGHTVM_MAX_CPUS);
	tcase_add_test(tc, mp_table_pci_irqs);
	tcase_add_test(tc, identity_page_tables);
	suite_add_tcase(s, tc);
	return s;
}
