// SPDX-License-Identifier: GPL-2.0
/*
 * test_multiboot.c - the Multiboot v1 loader (vmm/kvm/multiboot.c) on
 * synthetic images: the header scan (magic, checksum, 8 KiB window,
 * alignment), the a.out kludge and ELF32 paths with each way of lying
 * (addresses before the file, past its end, below 1 MiB or past RAM,
 * bss below the load end, an entry outside the image, overlapping
 * segments, a 64-bit ELF without the kludge, requirements we cannot
 * meet), corruption sweeps (every truncation, random bytes) under
 * ASan/UBSan, the information structure (memory fields, the map against
 * e820, modules page-aligned with their strings, the command line) and
 * fw_cfg / pc-testdev / the exit port through the I/O bus.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../../vmm/kvm/kvm.h"
#include "unit.h"

#define RAM		(64ULL << 20)
#define MB_MAGIC	0x1BADB002u
#define LOAD		0x100000u
#define HDR_OFF		0x40u
#define IMG_LEN		0x3000u

static struct guest_mem gm;
static struct boot_image bi;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, RAM), 0);
	memset(&bi, 0, sizeof(bi));
}

static void teardown(void)
{
	guest_mem_free(&gm);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* An a.out-kludge image: header at HDR_OFF, loaded at LOAD, 0x1000 of
 * bss, entry 0x100100.  Bytes are i * 7 so a copy can be checked. */
static uint8_t *aout_image(uint32_t flags, size_t *len)
{
	uint8_t *img = malloc(IMG_LEN);
	unsigned int i;

	ck_assert_ptr_nonnull(img);
	for (i = 0; i < IMG_LEN; i++)
		img[i] = (uint8_t)(i * 7);
	put32(img + HDR_OFF, MB_MAGIC);
	put32(img + HDR_OFF + 4, flags);
	put32(img + HDR_OFF + 8, -(MB_MAGIC + flags));
	put32(img + HDR_OFF + 12, LOAD + HDR_OFF);	/* header_addr */
	put32(img + HDR_OFF + 16, LOAD);		/* load_addr */
	put32(img + HDR_OFF + 20, LOAD + IMG_LEN);	/* load_end_addr */
	put32(img + HDR_OFF + 24, LOAD + IMG_LEN + 0x1000);
	put32(img + HDR_OFF + 28, LOAD + 0x100);	/* entry */
	*len = IMG_LEN;
	return img;
}

static int load(const uint8_t *img, size_t len)
{
	struct mb_header h;
	size_t off;
	int r = multiboot_find(img, len, &h, &off);

	if (r <= 0)
		return r < 0 ? -1 : -2;
	memset(&bi, 0, sizeof(bi));
	return multiboot_load(&gm, img, len, &h, off, &bi);
}

#define expect_err(ret, substr)						\
	do {								\
		ck_assert_int_eq((ret), -1);				\
		ck_assert_msg(strstr(err_msg(), (substr)) != NULL,	\
			      "error \"%s\" lacks \"%s\"", err_msg(),	\
			      (substr));				\
	} while (0)

START_TEST(aout_loads)
{
	size_t len;
	uint8_t *img = aout_image(0x10003, &len);
	const uint8_t *ram;
	unsigned int i;

	ck_assert_int_eq(load(img, len), 0);
	ck_assert_int_eq(bi.proto, BOOT_MULTIBOOT);
	ck_assert_uint_eq(bi.entry, LOAD + 0x100);
	ck_assert_uint_eq(bi.start, LOAD);
	ck_assert_uint_eq(bi.end, LOAD + IMG_LEN + 0x1000);
	ram = guest_ptr(&gm, LOAD, IMG_LEN + 0x1000);
	for (i = 0; i < IMG_LEN; i++)
		ck_assert_uint_eq(ram[i], img[i]);
	for (; i < IMG_LEN + 0x1000; i++)
		ck_assert_uint_eq(ram[i], 0);
	ck_assert_ptr_nonnull(strstr(bi.desc, "a.out kludge"));
	free(img);
}
END_TEST

/* load_end 0: the whole file; bss_end 0: no bss. */
START_TEST(aout_zero_means_file)
{
	size_t len;
	uint8_t *img = aout_image(0x10000, &len);

	put32(img + HDR_OFF + 20, 0);
	put32(img + HDR_OFF + 24, 0);
	ck_assert_int_eq(load(img, len), 0);
	ck_assert_uint_eq(bi.end, LOAD + IMG_LEN);
	free(img);
}
END_TEST

static const struct aout_lie {
	unsigned int field;	/* byte offset in the header */
	uint32_t value;
	const char *why;
} aout_lies[] = {
	{ 12, LOAD - 1, "before the file's start" },	/* header < load */
	{ 12, LOAD + 0x100000, "before the file's start" },
	{ 20, LOAD - 4, "below load_addr" },
	{ 20, LOAD + IMG_LEN + 1, "past the end of the file" },
	{ 24, LOAD + 0x10, "below the loaded end" },
	{ 28, LOAD + IMG_LEN + 0x1000, "entry_addr" },
	{ 28, LOAD - 1, "entry_addr" },
	{ 24, 0xffffffff, "not inside RAM" },
	{ 24, (uint32_t)RAM + 4096, "not inside RAM" },
};

START_TEST(aout_lies_refused)
{
	const struct aout_lie *l = &aout_lies[_i];
	size_t len;
	uint8_t *img = aout_image(0x10000, &len);

	put32(img + HDR_OFF + l->field, l->value);
	expect_err(load(img, len), l->why);
	ck_assert_ptr_null(strchr(err_msg(), '\n'));
	free(img);
}
END_TEST

/* Below 1 MiB is where lightvm's GDT, tables and info live. */
START_TEST(aout_below_1m_refused)
{
	size_t len;
	uint8_t *img = aout_image(0x10000, &len);

	put32(img + HDR_OFF + 12, 0x80000 + HDR_OFF);
	put32(img + HDR_OFF + 16, 0x80000);
	put32(img + HDR_OFF + 20, 0x80000 + IMG_LEN);
	put32(img + HDR_OFF + 24, 0);
	put32(img + HDR_OFF + 28, 0x80100);
	expect_err(load(img, len), "not inside RAM from 1 MiB");
	free(img);
}
END_TEST

START_TEST(header_scan)
{
	struct mb_header h;
	size_t len, off;
	uint8_t *img = aout_image(0x10000, &len), *big;

	ck_assert_int_eq(multiboot_find(img, len, &h, &off), 1);
	ck_assert_uint_eq(off, HDR_OFF);
	/* A bad checksum is a stray magic, not a header. */
	put32(img + HDR_OFF + 8, 0);
	ck_assert_int_eq(multiboot_find(img, len, &h, &off), 0);
	free(img);
	/* Only longword-aligned, only in the first 8 KiB. */
	big = calloc(1, 0x4000);
	ck_assert_ptr_nonnull(big);
	put32(big + 0x2001, MB_MAGIC);
	put32(big + 0x2005, 0);
	put32(big + 0x2009, -MB_MAGIC);
	ck_assert_int_eq(multiboot_find(big, 0x4000, &h, &off), 0);
	memset(big, 0, 0x4000);
	put32(big + 0x2000, MB_MAGIC);
	put32(big + 0x2004, 0);
	put32(big + 0x2008, -MB_MAGIC);
	ck_assert_int_eq(multiboot_find(big, 0x4000, &h, &off), 0);
	memmove(big + 0x1ff4, big + 0x2000, 12);
	ck_assert_int_eq(multiboot_find(big, 0x4000, &h, &off), 1);
	ck_assert_uint_eq(off, 0x1ff4);
	/* The kludge's addresses must be in the file. */
	memset(big, 0, 0x4000);
	put32(big + 0x10, MB_MAGIC);
	put32(big + 0x14, 0x10000);
	put32(big + 0x18, -(MB_MAGIC + 0x10000));
	ck_assert_int_eq(multiboot_find(big, 0x20, &h, &off), -1);
	free(big);
}
END_TEST

START_TEST(requirements)
{
	size_t len;
	uint8_t *img = aout_image(0x10008, &len);	/* bit 3 */

	expect_err(load(img, len), "requires features lightvm lacks (flags 0x8)");
	free(img);
	img = aout_image(0x10004, &len);		/* video: ignored */
	ck_assert_int_eq(load(img, len), 0);
	ck_assert_ptr_nonnull(strstr(bi.desc, "video mode request ignored"));
	free(img);
}
END_TEST

/* ---- ELF32 ---- */

/* Two PT_LOADs: text at 1 MiB from file 0x1000, data at 1 MiB + 64K. */
static uint8_t *elf32_image(size_t *len)
{
	size_t n = 0x3000;
	uint8_t *img = calloc(1, n);
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + sizeof(*eh));
	unsigned int i;

	ck_assert_ptr_nonnull(img);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = LOAD + 0x10;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf32_Phdr){ PT_LOAD, 0x1000, LOAD, LOAD, 0x1000, 0x1000,
			      PF_R | PF_X, 0x1000 };
	ph[1] = (Elf32_Phdr){ PT_LOAD, 0x2000, LOAD + 0x10000, LOAD + 0x10000,
			      0x800, 0x4000, PF_R | PF_W, 0x1000 };
	for (i = 0x1000; i < n; i++)
		img[i] = (uint8_t)(i * 3);
	/* The header, inside the text, without the kludge. */
	put32(img + 0x1000, MB_MAGIC);
	put32(img + 0x1004, 3);
	put32(img + 0x1008, -(MB_MAGIC + 3));
	*len = n;
	return img;
}

START_TEST(elf32_loads)
{
	size_t len;
	uint8_t *img = elf32_image(&len);
	const uint8_t *d;
	unsigned int i;

	ck_assert_int_eq(load(img, len), 0);
	ck_assert_uint_eq(bi.entry, LOAD + 0x10);
	ck_assert_uint_eq(bi.start, LOAD);
	ck_assert_uint_eq(bi.end, LOAD + 0x14000);
	ck_assert_int_eq(memcmp(guest_ptr(&gm, LOAD, 0x1000), img + 0x1000,
				0x1000), 0);
	d = guest_ptr(&gm, LOAD + 0x10000, 0x4000);
	ck_assert_int_eq(memcmp(d, img + 0x2000, 0x800), 0);
	for (i = 0x800; i < 0x4000; i++)
		ck_assert_uint_eq(d[i], 0);
	free(img);
}
END_TEST

START_TEST(elf32_lies_refused)
{
	size_t len;
	uint8_t *img;
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph;

	switch (_i) {
	case 0:	/* overlapping segments */
		img = elf32_image(&len);
		ph = (Elf32_Phdr *)(img + sizeof(Elf32_Ehdr));
		ph[1].p_paddr = LOAD + 0x800;
		expect_err(load(img, len), "overlap");
		break;
	case 1:	/* entry in no segment */
		img = elf32_image(&len);
		((Elf32_Ehdr *)img)->e_entry = LOAD + 0x8000;
		expect_err(load(img, len), "in no loaded segment");
		break;
	case 2:	/* a segment past the file */
		img = elf32_image(&len);
		ph = (Elf32_Phdr *)(img + sizeof(Elf32_Ehdr));
		ph[1].p_filesz = 0x2000;
		ph[1].p_memsz = 0x2000;
		expect_err(load(img, len), "runs past the file");
		break;
	case 3:	/* a 64-bit ELF needs the kludge */
		img = elf32_image(&len);
		img[EI_CLASS] = ELFCLASS64;
		expect_err(load(img, len), "64-bit ELF without the a.out kludge");
		break;
	case 4:	/* not i386 */
		img = elf32_image(&len);
		((Elf32_Ehdr *)img)->e_machine = EM_ARM;
		expect_err(load(img, len), "i386 ELF32");
		break;
	case 5:	/* program headers past the file */
		img = elf32_image(&len);
		eh = (Elf32_Ehdr *)img;
		eh->e_phoff = (uint32_t)len - 8;
		expect_err(load(img, len), "program header table");
		break;
	default:	/* a segment beyond RAM */
		img = elf32_image(&len);
		ph = (Elf32_Phdr *)(img + sizeof(Elf32_Ehdr));
		ph[1].p_paddr = (uint32_t)RAM - 0x100;
		expect_err(load(img, len), "not inside RAM");
		break;
	}
	free(img);
}
END_TEST

/* Every prefix: refused or loaded, never a crash or an overread. */
START_TEST(truncation_sweep)
{
	size_t len, n;
	uint8_t *img = _i ? elf32_image(&len) : aout_image(0x10003, &len);

	for (n = 0; n <= len; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, img, n);
		(void)load(cut, n);
		free(cut);
	}
	free(img);
}
END_TEST

START_TEST(random_sweep)
{
	uint64_t s = 0x243f6a8885a308d3ULL;
	unsigned int round, ok = 0;

	for (round = 0; round < 4000; round++) {
		size_t len, k;
		uint8_t *img = (round & 1) ? elf32_image(&len) :
					     aout_image(0x10003, &len);
		uint8_t *copy;

		for (k = 0; k < 1 + round % 4; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			/* Aim at the headers most of the time. */
			img[(round & 2) ? s % 0x80 : (round & 1) ?
			    0x1000 + s % 0x20 : HDR_OFF + s % 0x20] = (uint8_t)(s >> 24);
		}
		copy = malloc(len);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, img, len);
		if (load(copy, len) == 0) {
			ok++;
			ck_assert(bi.entry >= bi.start && bi.entry < bi.end);
			ck_assert(bi.start >= 0x100000 && bi.end <= RAM);
		}
		free(copy);
		free(img);
	}
	ck_assert_uint_gt(ok, 0);
}
END_TEST

/* ---- the information structure ---- */

START_TEST(info_structure)
{
	static const uint8_t m0[] = "module zero";
	static const uint8_t m1[] = "one";
	struct mb_module mods[2] = {
		{ m0, sizeof(m0), "/tmp/m0" },
		{ m1, sizeof(m1), "/tmp/m1 second arg" },
	};
	struct e820_map map;
	size_t len;
	uint8_t *img = aout_image(0x10003, &len);
	const uint8_t *info, *mod, *e;
	unsigned int i;

	ck_assert_int_eq(load(img, len), 0);
	ck_assert_int_eq(multiboot_info_build(&gm, &bi, "/k/mb.elf a=1", mods,
					      2), 0);
	info = guest_ptr(&gm, MB_INFO_ADDR, 120);
	ck_assert_uint_eq(get32(info), 0x1 | 0x4 | 0x8 | 0x40 | 0x200);
	ck_assert_uint_eq(get32(info + 4), 639);
	ck_assert_uint_eq(get32(info + 8), (RAM - (1 << 20)) / 1024);
	ck_assert_str_eq((const char *)guest_ptr(&gm, get32(info + 16), 14),
			 "/k/mb.elf a=1");
	ck_assert_str_eq((const char *)guest_ptr(&gm, get32(info + 64), 8),
			 "lightvm");
	ck_assert_uint_eq(get32(info + 20), 2);
	mod = guest_ptr(&gm, get32(info + 24), 32);
	/* Page aligned, after the kernel's bss, one after the other. */
	ck_assert_uint_eq(get32(mod), LOAD + IMG_LEN + 0x1000);
	ck_assert_uint_eq(get32(mod + 4) - get32(mod), sizeof(m0));
	ck_assert_uint_eq(get32(mod + 16) & 0xfff, 0);
	ck_assert_uint_gt(get32(mod + 16), get32(mod + 4) - 1);
	ck_assert_int_eq(memcmp(guest_ptr(&gm, get32(mod), sizeof(m0)), m0,
				sizeof(m0)), 0);
	ck_assert_str_eq((const char *)guest_ptr(&gm, get32(mod + 24), 19),
			 "/tmp/m1 second arg");
	/* The memory map is e820's, 24 bytes an entry, size 20. */
	e820_build(&gm, &map);
	ck_assert_uint_eq(get32(info + 44), map.nr * 24);
	for (i = 0; i < map.nr; i++) {
		uint64_t a, l;

		e = guest_ptr(&gm, get32(info + 48) + i * 24, 24);
		memcpy(&a, e + 4, 8);
		memcpy(&l, e + 12, 8);
		ck_assert_uint_eq(get32(e), 20);
		ck_assert_uint_eq(a, map.e[i].addr);
		ck_assert_uint_eq(l, map.e[i].size);
		ck_assert_uint_eq(get32(e + 20), map.e[i].type);
	}
	free(img);
}
END_TEST

START_TEST(info_refusals)
{
	static const uint8_t small[] = "x";
	struct mb_module big = { small, RAM, "big" };
	struct mb_module many[MB_MAX_MODULES + 1];
	size_t len;
	uint8_t *img = aout_image(0x10003, &len);
	unsigned int i;

	ck_assert_int_eq(load(img, len), 0);
	expect_err(multiboot_info_build(&gm, &bi, "k", &big, 1),
		   "does not fit in RAM");
	for (i = 0; i <= MB_MAX_MODULES; i++)
		many[i] = (struct mb_module){ small, 1, "m" };
	expect_err(multiboot_info_build(&gm, &bi, "k", many,
					MB_MAX_MODULES + 1), "at most");
	free(img);
}
END_TEST

/* ---- fw_cfg and pc-testdev through the port and MMIO buses ---- */

static struct vm *bus_vm(struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	ck_assert_ptr_nonnull(vm);
	vm->cfg = cfg;
	vm->vm_fd = vm->kvm_fd = -1;
	vm->nr_cpus = cfg->cpus;
	vm->mem = gm;
	io_bus_init(&vm->pio, "port");
	io_bus_init(&vm->mmio, "mmio");
	return vm;
}

static void bus_vm_free(struct vm *vm)
{
	fw_cfg_destroy(vm);
	testdev_destroy(vm);
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	free(vm);
}

static void port_out(struct vm *vm, uint16_t port, uint32_t v, unsigned int len)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	ck_assert(io_bus_access(&vm->pio, port, b, len, true));
}

static uint32_t port_in(struct vm *vm, uint16_t port, unsigned int len)
{
	uint8_t b[4] = { 0 };

	ck_assert(io_bus_access(&vm->pio, port, b, len, false));
	return get32(b);
}

/* Select key, read n bytes from the data port. */
static void fw_read(struct vm *vm, uint16_t key, uint8_t *buf, unsigned int n)
{
	unsigned int i;

	port_out(vm, 0x510, key, 2);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)port_in(vm, 0x511, 1);
}

START_TEST(fw_cfg_items)
{
	struct vm_config cfg = { .mem_size = 96ULL << 20, .cpus = 3 };
	struct vm *vm = bus_vm(&cfg);
	uint8_t b[16];
	uint64_t ram;

	ck_assert_int_eq(fw_cfg_init(vm), 0);
	fw_read(vm, 0x00, b, 6);
	ck_assert_int_eq(memcmp(b, "QEMU\0\0", 6), 0);	/* then zeros */
	fw_read(vm, 0x01, b, 4);
	ck_assert_uint_eq(get32(b), 1);		/* traditional, no DMA */
	fw_read(vm, 0x03, b, 8);
	memcpy(&ram, b, 8);
	ck_assert_uint_eq(ram, 96ULL << 20);
	fw_read(vm, 0x05, b, 2);
	ck_assert_uint_eq(b[0] | b[1] << 8, 3);
	fw_read(vm, 0x0f, b, 2);
	ck_assert_uint_eq(b[0] | b[1] << 8, 3);
	fw_read(vm, 0x19, b, 4);
	ck_assert_uint_eq(get32(b), 0);		/* no files */
	fw_read(vm, 0x1234, b, 4);
	ck_assert_uint_eq(get32(b), 0);		/* unknown key */
	/* A new selection starts again at offset 0; byte writes to the
	 * selector and data writes change nothing. */
	fw_read(vm, 0x00, b, 2);
	port_out(vm, 0x510, 0x05, 1);
	port_out(vm, 0x511, 0xff, 1);
	b[0] = (uint8_t)port_in(vm, 0x511, 1);
	ck_assert_uint_eq(b[0], 'M');	/* "QE" was read: then M */
	/* A 2-byte read is not a data read. */
	ck_assert_uint_eq(port_in(vm, 0x510, 2) & 0xffff, 0xffff);
	bus_vm_free(vm);
}
END_TEST

START_TEST(testdev_latch_and_iomem)
{
	struct vm_config cfg = { .mem_size = RAM, .cpus = 1, .testdev = true };
	struct vm *vm = bus_vm(&cfg);
	uint8_t b[4] = { 0x11, 0x22, 0x33, 0x44 }, r[4];
	uint8_t *page = guest_ptr(&gm, 0x200000, 4096);

	ck_assert_int_eq(testdev_init(vm), 0);
	port_out(vm, 0xe0, 0xdeadbeef, 4);
	port_out(vm, 0xe1, 0x42, 1);
	ck_assert_uint_eq(port_in(vm, 0xe0, 4), 0xdead42ef);
	ck_assert_uint_eq(port_in(vm, 0xeb, 1), 0xde);	/* the same latch */
	ck_assert_uint_eq(port_in(vm, 0xe4, 4), 0);	/* flush reads 0 */
	page[5] = 0x5a;
	port_out(vm, 0xe4, 0x200123, 4);		/* the page stays */
	ck_assert_uint_eq(page[5], 0x5a);
	ck_assert(io_bus_access(&vm->mmio, 0xff00fffc, b, 4, true));
	ck_assert(io_bus_access(&vm->mmio, 0xff00fffc, r, 4, false));
	ck_assert_int_eq(memcmp(b, r, 4), 0);
	/* Past the 64 KiB: not the device's. */
	ck_assert(!io_bus_access(&vm->mmio, 0xff010000, r, 1, false));
	bus_vm_free(vm);
}
END_TEST

Suite *multiboot_suite(void)
{
	Suite *s = suite_create("multiboot");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, aout_loads);
	tcase_add_test(tc, aout_zero_means_file);
	tcase_add_loop_test(tc, aout_lies_refused, 0,
			    sizeof(aout_lies) / sizeof(aout_lies[0]));
	tcase_add_test(tc, aout_below_1m_refused);
	tcase_add_test(tc, header_scan);
	tcase_add_test(tc, requirements);
	tcase_add_test(tc, elf32_loads);
	tcase_add_loop_test(tc, elf32_lies_refused, 0, 7);
	tcase_add_loop_test(tc, truncation_sweep, 0, 2);
	tcase_add_test(tc, random_sweep);
	tcase_add_test(tc, info_structure);
	tcase_add_test(tc, info_refusals);
	tcase_add_test(tc, fw_cfg_items);
	tcase_add_test(tc, testdev_latch_and_iomem);
	suite_add_tcase(s, tc);
	return s;
}
