// SPDX-License-Identifier: GPL-2.0
/*
 * test_loaders.c - the kernel loaders against synthetic images: ELF64
 * executables with and without a PVH note, bzImages whose payload is
 * compressed in every format Linux uses, and every way such a file can
 * lie about its own layout.
 *
 * Buffers handed to a loader are copied into an allocation of exactly
 * their length, so the sanitizer build catches any read past the end.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "../../vmm/kvm/kvm.h"
#include "unit.h"

#define GUEST_MEM	(64ULL << 20)

static struct guest_mem gm;
static struct boot_image bi;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, GUEST_MEM), 0);
	memset(&bi, 0, sizeof(bi));
	err_set("%s", "");
}

static void teardown(void)
{
	guest_mem_free(&gm);
}

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64: deterministic, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#define expect_err(ret, substr)						\
	do {								\
		ck_assert_int_eq((ret), -1);				\
		ck_assert_msg(strstr(err_msg(), (substr)) != NULL,	\
			      "error \"%s\" does not mention \"%s\"",	\
			      err_msg(), (substr));			\
	} while (0)

/* Compressible but not trivial filler: words from a small vocabulary. */
static void fill_text(uint8_t *p, size_t len)
{
	static const char *const words[] = {
		"kvm ", "vcpu ", "guest ", "memory ", "page ", "table ",
		"\x0f\x01\xc1", "\x48\x89\xe5", "\x00\x00\x00\x00", "irq ",
		"boot ", "params ", "\xff\xff", "lightvm ", "\x90\x90\x90", "e820 ",
	};
	size_t i = 0;

	while (i < len) {
		const char *w = words[rng() % 16];
		size_t n = w[0] ? strlen(w) : 4;

		while (n-- && i < len)
			p[i++] = (uint8_t)*w++;
	}
}

/* ---- synthetic ELF (test kernel) ---- */

#define TE_NR_PHDR	4
#define TE_PHOFF	64
#define TE_NOTE_OFF	0x140
#define TE_TEXT_OFF	0x200
#define TE_TEXT_SIZE	0x100
#define TE_DATA_OFF	0x300
#define TE_DATA_FILESZ	0x80
#define TE_DATA_MEMSZ	0x1000
#define TE_LEN		0x380
#define TE_TEXT_PADDR	0x100000ULL
#define TE_DATA_PADDR	0x200000ULL
#define TE_ENTRY64	0x100000ULL
#define TE_ENTRY_PVH	0x100040ULL
#define PH_TEXT		0
#define PH_DATA		1
#define PH_STACK	2
#define PH_NOTE		3

static uint8_t te[TE_LEN] __attribute__((aligned(8)));

static Elf64_Ehdr *te_eh(void)
{
	return (Elf64_Ehdr *)te;
}

static Elf64_Phdr *te_ph(unsigned int i)
{
	return (Elf64_Phdr *)(te + TE_PHOFF) + i;
}

static uint64_t align_to(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* One note record laid out like binutils does; returns its size. */
static size_t put_note(uint8_t *p, const char *name, uint32_t namesz,
		       uint32_t type, const void *desc, uint32_t descsz,
		       unsigned int align)
{
	size_t desc_off = align_to(12 + namesz, align);
	Elf64_Nhdr nh = { namesz, descsz, type };

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + 12, name, namesz);
	memcpy(p + desc_off, desc, descsz);
	return align_to(desc_off + descsz, align);
}

/* A GNU build-id note, then the Xen note: PVH entry, or another type. */
static void te_build(bool pvh)
{
	static const uint8_t build_id[20] = { 1, 2, 3, 4, 5 };
	uint8_t entry[4];
	Elf64_Ehdr *eh = te_eh();
	Elf64_Phdr *ph;
	size_t note = 0;
	unsigned int i;

	memset(te, 0, sizeof(te));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = TE_ENTRY64;
	eh->e_phoff = TE_PHOFF;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = TE_NR_PHDR;

	ph = te_ph(PH_TEXT);
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_X;
	ph->p_offset = TE_TEXT_OFF;
	ph->p_vaddr = ph->p_paddr = TE_TEXT_PADDR;
	ph->p_filesz = ph->p_memsz = TE_TEXT_SIZE;
	ph->p_align = 0x1000;
	for (i = 0; i < TE_TEXT_SIZE; i++)
		te[TE_TEXT_OFF + i] = (uint8_t)(i * 7 + 3);

	ph = te_ph(PH_DATA);
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_W;
	ph->p_offset = TE_DATA_OFF;
	ph->p_vaddr = ph->p_paddr = TE_DATA_PADDR;
	ph->p_filesz = TE_DATA_FILESZ;
	ph->p_memsz = TE_DATA_MEMSZ;
	ph->p_align = 0x1000;
	for (i = 0; i < TE_DATA_FILESZ; i++)
		te[TE_DATA_OFF + i] = (uint8_t)(i ^ 0x5a);

	te_ph(PH_STACK)->p_type = PT_GNU_STACK;

	put_le32(entry, TE_ENTRY_PVH);
	note += put_note(te + TE_NOTE_OFF, "GNU", 4, NT_GNU_BUILD_ID,
			 build_id, sizeof(build_id), 4);
	/* Without PVH: still a Xen note, of another type (XEN_ELFNOTE_ENTRY). */
	note += put_note(te + TE_NOTE_OFF + note, "Xen", 4, pvh ? 18 : 1,
			 entry, sizeof(entry), 4);
	ph = te_ph(PH_NOTE);
	ph->p_type = PT_NOTE;
	ph->p_offset = TE_NOTE_OFF;
	ph->p_filesz = note;
	ph->p_align = 4;
}

static int te_load(size_t len, enum elf_entry_mode mode)
{
	uint8_t *p = dup_exact(te, len);
	int ret = elf_load(&gm, p, len, mode, &bi);

	free(p);
	return ret;
}

static void check_te_memory(void)
{
	const uint8_t *text = guest_ptr(&gm, TE_TEXT_PADDR, TE_TEXT_SIZE);
	const uint8_t *data = guest_ptr(&gm, TE_DATA_PADDR, TE_DATA_MEMSZ);
	unsigned int i;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(data);
	ck_assert_mem_eq(text, te + TE_TEXT_OFF, TE_TEXT_SIZE);
	ck_assert_mem_eq(data, te + TE_DATA_OFF, TE_DATA_FILESZ);
	for (i = TE_DATA_FILESZ; i < TE_DATA_MEMSZ; i++)
		ck_assert_uint_eq(data[i], 0);
}

START_TEST(test_elf_pvh_auto)
{
	te_build(true);
	/* Dirty the .bss range so zero-filling is really checked. */
	memset(guest_ptr(&gm, TE_DATA_PADDR, TE_DATA_MEMSZ), 0xcc,
	       TE_DATA_MEMSZ);
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
	ck_assert_int_eq(bi.proto, BOOT_PVH);
	ck_assert_uint_eq(bi.entry, TE_ENTRY_PVH);
	ck_assert_uint_eq(bi.start, TE_TEXT_PADDR);
	ck_assert_uint_eq(bi.end, TE_DATA_PADDR + TE_DATA_MEMSZ);
	ck_assert(!bi.has_setup);
	ck_assert_uint_eq(bi.cmdline_size, 4095);
	ck_assert_str_eq(bi.desc, "ELF, PVH entry 0x100040");
	check_te_memory();

	/* Forcing PVH gives the same. */
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_PVH), 0);
	ck_assert_int_eq(bi.proto, BOOT_PVH);
	ck_assert_uint_eq(bi.entry, TE_ENTRY_PVH);
}
END_TEST

START_TEST(test_elf_64bit)
{
	te_build(true);
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_64), 0);
	ck_assert_int_eq(bi.proto, BOOT_LINUX64);
	ck_assert_uint_eq(bi.entry, TE_ENTRY64);
	ck_assert(!bi.has_setup);
	ck_assert_uint_eq(bi.initrd_max, 0x7fffffff);
	ck_assert_uint_eq(bi.cmdline_size, 2047);
	ck_assert_str_eq(bi.desc, "ELF, 64-bit entry 0x100000");
	check_te_memory();

	/* No PVH note: AUTO falls back to the 64-bit entry... */
	te_build(false);
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
	ck_assert_int_eq(bi.proto, BOOT_LINUX64);
	ck_assert_uint_eq(bi.entry, TE_ENTRY64);
	ck_assert_uint_eq(bi.start, TE_TEXT_PADDR);
	ck_assert_uint_eq(bi.end, TE_DATA_PADDR + TE_DATA_MEMSZ);
	/* ...and forcing PVH is an error. */
	expect_err(te_load(TE_LEN, ELF_ENTRY_PVH), "no PVH entry note");
}
END_TEST

START_TEST(test_elf_pvh_note_variants)
{
	uint8_t entry8[8];
	size_t note;

	/* An 8-byte descriptor (.quad) is accepted... */
	te_build(true);
	put_le32(entry8, 0x100080);
	put_le32(entry8 + 4, 0);
	note = put_note(te + TE_NOTE_OFF, "Xen", 4, 18, entry8, 8, 4);
	te_ph(PH_NOTE)->p_filesz = note;
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
	ck_assert_int_eq(bi.proto, BOOT_PVH);
	ck_assert_uint_eq(bi.entry, 0x100080);

	/* ...unless it points above 4 GiB. */
	put_le32(entry8 + 4, 1);
	put_note(te + TE_NOTE_OFF, "Xen", 4, 18, entry8, 8, 4);
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "above 4 GiB");

	/* A PVH entry outside every segment. */
	put_le32(entry8, 0x300000);
	put_le32(entry8 + 4, 0);
	put_note(te + TE_NOTE_OFF, "Xen", 4, 18, entry8, 8, 4);
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "not inside any");

	/*
	 * Note segment with 8-byte alignment (p_align 8, as binutils
	 * emits for GNU property notes): padding follows.
	 */
	te_build(false);
	memset(te + TE_NOTE_OFF, 0, TE_TEXT_OFF - TE_NOTE_OFF);
	note = put_note(te + TE_NOTE_OFF, "GNU", 4, 5, "0123456789abcdef",
			16, 8);
	put_le32(entry8, TE_ENTRY_PVH);
	note += put_note(te + TE_NOTE_OFF + note, "Xen", 4, 18, entry8, 4, 8);
	ck_assert_uint_eq(note, 56);
	te_ph(PH_NOTE)->p_filesz = note;
	te_ph(PH_NOTE)->p_align = 8;
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
	ck_assert_int_eq(bi.proto, BOOT_PVH);
	ck_assert_uint_eq(bi.entry, TE_ENTRY_PVH);

	/* A name that merely starts with "Xen" is not the Xen note. */
	te_build(false);
	memset(te + TE_NOTE_OFF, 0, TE_TEXT_OFF - TE_NOTE_OFF);
	note = put_note(te + TE_NOTE_OFF, "Xen2", 5, 18, entry8, 4, 4);
	te_ph(PH_NOTE)->p_filesz = note;
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
	ck_assert_int_eq(bi.proto, BOOT_LINUX64);
}
END_TEST

START_TEST(test_elf_pvh_note_malformed)
{
	uint8_t *note = te + TE_NOTE_OFF;
	Elf64_Nhdr nh;

	/* Descriptor of the wrong size. */
	te_build(true);
	memset(note, 0, TE_TEXT_OFF - TE_NOTE_OFF);
	te_ph(PH_NOTE)->p_filesz = put_note(note, "Xen", 4, 18, "ab", 2, 4);
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "2-byte descriptor");
	/* The 64-bit entry never looks at notes. */
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_64), 0);

	/*
	 * namesz/descsz that run past the segment, including ones that
	 * would wrap a 32-bit sum.
	 */
	te_build(true);
	memcpy(&nh, note, sizeof(nh));
	nh.n_namesz = 0xffffffff;
	memcpy(note, &nh, sizeof(nh));
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "overruns");

	te_build(true);
	memcpy(&nh, note, sizeof(nh));
	nh.n_descsz = 0xfffffffd;
	memcpy(note, &nh, sizeof(nh));
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "overruns");

	/* A segment too short for even a note header. */
	te_build(true);
	te_ph(PH_NOTE)->p_filesz = 36 + 8;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "truncated note header");

	/* Note segment outside the file, also with a wrapping offset. */
	te_build(true);
	te_ph(PH_NOTE)->p_filesz = TE_LEN;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "outside the file");
	te_ph(PH_NOTE)->p_offset = UINT64_MAX - 8;
	te_ph(PH_NOTE)->p_filesz = 16;
	expect_err(te_load(TE_LEN, ELF_ENTRY_PVH), "outside the file");
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_64), 0);
}
END_TEST

START_TEST(test_elf_bad_header)
{
	static const uint8_t junk[8] = "\177ELG";

	expect_err(elf_load(&gm, junk, sizeof(junk), ELF_ENTRY_AUTO, &bi),
		   "truncated");

	te_build(true);
	te[3] = 'G';
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "bad magic");

	te_build(true);
	te[EI_CLASS] = ELFCLASS32;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "not 64-bit");

	te_build(true);
	te[EI_DATA] = ELFDATA2MSB;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "little-endian");

	te_build(true);
	te_eh()->e_version = 2;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "version");

	te_build(true);
	te_eh()->e_type = ET_DYN;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "not an executable");

	te_build(true);
	te_eh()->e_machine = EM_386;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "not for x86-64");

	te_build(true);
	te_eh()->e_phnum = 0;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "no program headers");

	te_build(true);
	te_eh()->e_phnum = PN_XNUM;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "extended");

	te_build(true);
	te_eh()->e_phentsize = 32;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "too small");

	/*
	 * Program headers past the end, straddling it, or at an offset
	 * that wraps when the table size is added.
	 */
	te_build(true);
	te_eh()->e_phoff = TE_LEN;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "program headers");
	te_eh()->e_phoff = TE_LEN - 100;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "program headers");
	te_eh()->e_phoff = UINT64_MAX - 8;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "program headers");
	te_eh()->e_phoff = TE_PHOFF;
	te_eh()->e_phnum = 200;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "program headers");

	/*
	 * A larger phentsize is legal and sets the stride: entries 0 and
	 * 2 are read (text, and the now empty stack entry).
	 */
	te_build(true);
	te_eh()->e_phentsize = 2 * sizeof(Elf64_Phdr);
	te_eh()->e_phnum = 2;
	te_ph(2)->p_type = PT_NULL;
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
	ck_assert_int_eq(bi.proto, BOOT_LINUX64);
	ck_assert_uint_eq(bi.end, TE_TEXT_PADDR + TE_TEXT_SIZE);
}
END_TEST

START_TEST(test_elf_bad_segments)
{
	/* memsz < filesz */
	te_build(true);
	te_ph(PH_DATA)->p_memsz = TE_DATA_FILESZ - 1;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "segment 1: file size");

	/* File range past the end, or wrapping. */
	te_build(true);
	te_ph(PH_DATA)->p_offset = TE_LEN - 0x10;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO),
		   "segment 1 (offset 0x370, size 0x80) lies outside the file");
	te_ph(PH_DATA)->p_offset = UINT64_MAX - 0x10;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "outside the file");
	te_build(true);
	te_ph(PH_DATA)->p_filesz = UINT64_MAX;
	te_ph(PH_DATA)->p_memsz = UINT64_MAX;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "outside the file");

	/*
	 * Guest-physical range outside RAM: past the end, straddling the
	 * end, in the PCI hole, or wrapping around 2^64.
	 */
	te_build(true);
	te_ph(PH_DATA)->p_paddr = GUEST_MEM;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO),
		   "segment 1 (0x1000 bytes at 0x4000000) is outside guest RAM");
	te_ph(PH_DATA)->p_paddr = GUEST_MEM - 0x10;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "outside guest RAM");
	te_ph(PH_DATA)->p_paddr = 0xd0000000;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "outside guest RAM");
	te_ph(PH_DATA)->p_paddr = UINT64_MAX - 0x10;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "outside guest RAM");
	te_build(true);
	te_ph(PH_TEXT)->p_memsz = UINT64_MAX - TE_TEXT_PADDR + 1;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "segment 0 (");

	/* No PT_LOAD at all. */
	te_build(true);
	te_ph(PH_TEXT)->p_type = PT_NULL;
	te_ph(PH_DATA)->p_type = PT_NULL;
	expect_err(te_load(TE_LEN, ELF_ENTRY_AUTO), "no loadable segment");

	/* e_entry outside every segment (a higher-half virtual address). */
	te_build(false);
	te_eh()->e_entry = 0xffffffff81000000ULL;
	expect_err(te_load(TE_LEN, ELF_ENTRY_64), "not inside any");

	/* An empty PT_LOAD loads nothing, wherever it says. */
	te_build(true);
	te_ph(PH_STACK)->p_type = PT_LOAD;
	te_ph(PH_STACK)->p_paddr = UINT64_MAX;
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
	ck_assert_uint_eq(bi.start, TE_TEXT_PADDR);
}
END_TEST

START_TEST(test_elf_truncated)
{
	size_t len;

	te_build(true);
	/*
	 * Every prefix is missing something: header, program headers,
	 * note, or the end of the last segment.
	 */
	for (len = 0; len < TE_LEN; len++)
		ck_assert_int_eq(te_load(len, ELF_ENTRY_AUTO), -1);
	expect_err(te_load(63, ELF_ENTRY_AUTO), "truncated");
	expect_err(te_load(TE_PHOFF + 100, ELF_ENTRY_AUTO), "program headers");
	/* Segments are checked in order: text (0) comes first. */
	expect_err(te_load(TE_NOTE_OFF + 20, ELF_ENTRY_AUTO), "segment 0");
	te_ph(PH_TEXT)->p_type = PT_NULL;
	te_ph(PH_DATA)->p_type = PT_NULL;
	expect_err(te_load(TE_NOTE_OFF + 20, ELF_ENTRY_AUTO),
		   "note segment 3 (offset 0x140, size 0x38) lies outside");
	te_build(true);
	expect_err(te_load(TE_TEXT_OFF + 1, ELF_ENTRY_AUTO), "segment 0");
	expect_err(te_load(TE_LEN - 1, ELF_ENTRY_AUTO), "segment 1");
	ck_assert_int_eq(te_load(TE_LEN, ELF_ENTRY_AUTO), 0);
}
END_TEST

START_TEST(test_elf_fuzz)
{
	unsigned int iter, ok = 0;

	/*
	 * Random byte changes in the headers and notes: no crash, no
	 * out-of-bounds access (the sanitizer build checks).
	 */
	for (iter = 0; iter < 20000; iter++) {
		unsigned int n = 1 + rng() % 4;

		te_build(rng() & 1);
		while (n--)
			te[rng() % TE_TEXT_OFF] = (uint8_t)rng();
		if (te_load(TE_LEN, (enum elf_entry_mode)(rng() % 3)) == 0)
			ok++;
	}
	ck_assert_uint_gt(ok, 0);
}
END_TEST

/* ---- compressed payloads ---- */

enum { C_GZIP, C_XZ, C_LZMA, C_ZSTD, C_LZ4, NR_C };
static const char *const c_name[NR_C] = {
	"gzip", "xz", "lzma", "zstd", "lz4",
};

struct blob {
	uint8_t *p;
	size_t len;
};

static void blob_append(struct blob *b, const void *p, size_t len)
{
	b->p = realloc(b->p, b->len + len);
	ck_assert_ptr_nonnull(b->p);
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

/*
 * Like `lz4 -l`: legacy magic, then [LE32 size][block] per 8 MiB.
 * magic_between puts the magic before every block, as concatenated
 * archives have.
 */
static void lz4_legacy(const uint8_t *in, size_t len, bool magic_between,
		       struct blob *out)
{
	const size_t chunk = 8 << 20;
	uint8_t hdr[4];
	size_t off;
	char *tmp = malloc(LZ4_compressBound(chunk));

	ck_assert_ptr_nonnull(tmp);
	put_le32(hdr, 0x184c2102);
	blob_append(out, hdr, 4);
	for (off = 0; off < len; off += chunk) {
		int n = (int)(len - off < chunk ? len - off : chunk);
		int c = LZ4_compress_default((const char *)in + off, tmp, n,
					     LZ4_compressBound(chunk));

		ck_assert_int_gt(c, 0);
		if (magic_between && off)
			blob_append(out, hdr, 4);
		put_le32(hdr, (uint32_t)c);
		blob_append(out, hdr, 4);
		blob_append(out, tmp, (size_t)c);
		put_le32(hdr, 0x184c2102);
	}
	free(tmp);
}

/*
 * Compress like the kernel build; `trailer` appends the LE32 size as
 * scripts/Makefile.lib's size_append does.
 */
static void compress_as(int m, const uint8_t *in, size_t len, bool trailer,
		     struct blob *out)
{
	size_t bound = len + len / 2 + (1 << 16), pos = 0;
	uint8_t *buf = NULL;

	out->p = NULL;
	out->len = 0;
	if (m != C_LZ4) {
		buf = malloc(bound);
		ck_assert_ptr_nonnull(buf);
	}
	switch (m) {
	case C_GZIP: {
		z_stream zs;

		memset(&zs, 0, sizeof(zs));
		ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS,
					      8, Z_DEFAULT_STRATEGY), Z_OK);
		zs.next_in = (Bytef *)in;
		zs.avail_in = (uInt)len;
		zs.next_out = buf;
		zs.avail_out = (uInt)bound;
		ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
		pos = zs.total_out;
		deflateEnd(&zs);
		break;
	}
	case C_XZ:
		ck_assert_int_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32,
							 NULL, in, len, buf,
							 &pos, bound),
				 LZMA_OK);
		break;
	case C_LZMA: {
		lzma_stream s = LZMA_STREAM_INIT;
		lzma_options_lzma opt;

		ck_assert(!lzma_lzma_preset(&opt, 6));
		ck_assert_int_eq(lzma_alone_encoder(&s, &opt), LZMA_OK);
		s.next_in = in;
		s.avail_in = len;
		s.next_out = buf;
		s.avail_out = bound;
		ck_assert_int_eq(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
		pos = s.total_out;
		lzma_end(&s);
		break;
	}
	case C_ZSTD: {
		ZSTD_CCtx *cc = ZSTD_createCCtx();

		/*
		 * `zstd` enables the checksum by default; so does the
		 * kernel build.
		 */
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
		pos = ZSTD_compress2(cc, buf, bound, in, len);
		ck_assert(!ZSTD_isError(pos));
		ZSTD_freeCCtx(cc);
		break;
	}
	case C_LZ4:
		lz4_legacy(in, len, false, out);
		break;
	}
	if (buf) {
		blob_append(out, buf, pos);
		free(buf);
	}
	if (trailer) {
		uint8_t t[4];

		put_le32(t, (uint32_t)len);
		blob_append(out, t, 4);
	}
}

static int decompress_exact(const struct blob *in, size_t max_out,
			    uint8_t **out, size_t *out_len,
			    const char **method)
{
	uint8_t *p = dup_exact(in->p, in->len);
	int ret = payload_decompress(p, in->len, max_out, out, out_len,
				     method);

	free(p);
	return ret;
}

START_TEST(test_decompress_roundtrip)
{
	const size_t len = 300000;
	uint8_t *data = malloc(len), *out;
	const char *method;
	struct blob c;
	size_t out_len;
	int trailer;

	ck_assert_ptr_nonnull(data);
	fill_text(data, len);
	for (trailer = 0; trailer < 2; trailer++) {
		compress_as(_i, data, len, trailer, &c);
		ck_assert_int_eq(decompress_exact(&c, 1 << 30, &out, &out_len,
						  &method), 0);
		ck_assert_str_eq(method, c_name[_i]);
		ck_assert_uint_eq(out_len, len);
		ck_assert_mem_eq(out, data, len);
		free(out);

		/* Exactly enough room is enough; one byte less is not. */
		ck_assert_int_eq(decompress_exact(&c, len, &out, &out_len,
						  NULL), 0);
		free(out);
		expect_err(decompress_exact(&c, len - 1, &out, &out_len, NULL),
			   "more than");
		ck_assert_ptr_null(out);
		blob_free(&c);
	}

	/*
	 * A lying size hint only affects the first allocation - except in
	 * legacy lz4, which has no end mark: there the trailer must match
	 * or the stream reads as truncated.
	 */
	compress_as(_i, data, len, true, &c);
	put_le32(c.p + c.len - 4, 16);
	if (_i == C_LZ4) {
		expect_err(decompress_exact(&c, 1 << 30, &out, &out_len, NULL),
			   "size trailer 16 does not match the 300000 bytes");
	} else {
		ck_assert_int_eq(decompress_exact(&c, 1 << 30, &out, &out_len,
						  NULL), 0);
		ck_assert_uint_eq(out_len, len);
		ck_assert_mem_eq(out, data, len);
		free(out);
		put_le32(c.p + c.len - 4, 0xffffffff);
		ck_assert_int_eq(decompress_exact(&c, 1 << 30, &out, &out_len,
						  NULL), 0);
		ck_assert_uint_eq(out_len, len);
		free(out);
	}
	blob_free(&c);
	free(data);
}
END_TEST

START_TEST(test_decompress_truncated)
{
	const size_t len = 20000;
	uint8_t *data = malloc(len), *out;
	struct blob c, cut = { NULL, 0 };
	size_t out_len, l, step;

	ck_assert_ptr_nonnull(data);
	fill_text(data, len);
	/* Without the trailer: any prefix of the stream itself is short. */
	compress_as(_i, data, len, false, &c);
	step = c.len / 500 + 1;
	for (l = 0; l < c.len; l += (l < 64 || c.len - l < 64) ? 1 : step) {
		cut.p = c.p;
		cut.len = l;
		ck_assert_msg(decompress_exact(&cut, 4 << 20, &out, &out_len,
					       NULL) == -1,
			      "%s: %zu of %zu bytes accepted", c_name[_i], l,
			      c.len);
		ck_assert_ptr_null(out);
	}
	blob_free(&c);
	free(data);
}
END_TEST

START_TEST(test_decompress_corrupt)
{
	const size_t len = 100000;
	uint8_t *data = malloc(len), *out;
	struct blob c;
	size_t out_len, i;
	uint8_t save;

	ck_assert_ptr_nonnull(data);
	fill_text(data, len);
	compress_as(_i, data, len, true, &c);

	/*
	 * Formats with a checksum must notice a flipped byte mid-stream;
	 * lzma and legacy lz4 have none and may decode garbage.
	 */
	if (_i == C_GZIP || _i == C_XZ || _i == C_ZSTD) {
		c.p[c.len / 2] ^= 0x10;
		ck_assert_int_eq(decompress_exact(&c, 4 << 20, &out, &out_len,
						  NULL), -1);
		c.p[c.len / 2] ^= 0x10;
	}

	/*
	 * Every other byte replaced in turn: never a crash, never more
	 * output than allowed.
	 */
	for (i = 0; i < c.len - 4; i += 1 + i / 64) {
		save = c.p[i];
		c.p[i] = (uint8_t)rng();
		if (decompress_exact(&c, 2 * len, &out, &out_len, NULL) == 0) {
			ck_assert_uint_le(out_len, 2 * len);
			free(out);
		} else {
			ck_assert_ptr_null(out);
		}
		c.p[i] = save;
	}
	blob_free(&c);
	free(data);
}
END_TEST

START_TEST(test_decompress_lz4_blocks)
{
	/*
	 * Three blocks: 8 MiB, 8 MiB and a short one, with the magic
	 * repeated between blocks and the size trailer at the end.
	 */
	const size_t len = (16 << 20) + 12345;
	uint8_t *data = malloc(len), *out;
	struct blob c = { NULL, 0 };
	uint8_t t[4];
	size_t out_len;

	ck_assert_ptr_nonnull(data);
	fill_text(data, len);
	lz4_legacy(data, len, true, &c);
	put_le32(t, (uint32_t)len);
	blob_append(&c, t, 4);
	ck_assert_int_eq(decompress_exact(&c, 1 << 30, &out, &out_len, NULL),
			 0);
	ck_assert_uint_eq(out_len, len);
	ck_assert_mem_eq(out, data, len);
	free(out);

	/* The second block would overflow the limit. */
	expect_err(decompress_exact(&c, (8 << 20) + 100, &out, &out_len,
				    NULL), "more than");
	/* A zero block size ends the stream early (lib/decompress_unlz4.c). */
	put_le32(t, 0);
	memcpy(c.p + c.len - 4, t, 4);
	ck_assert_int_eq(decompress_exact(&c, 1 << 30, &out, &out_len, NULL),
			 0);
	free(out);
	/* A block size beyond what 8 MiB can compress to. */
	put_le32(c.p + 4, 0x7fffffff);
	expect_err(decompress_exact(&c, 1 << 30, &out, &out_len, NULL),
		   "truncated");
	blob_free(&c);
	free(data);
}
END_TEST

START_TEST(test_decompress_unsupported)
{
	static const uint8_t bz2[] = "BZh91AY&SY\x01\x02\x03\x04\x05\x06";
	static const uint8_t lzo[] = "\x89LZO\x00\x0d\x0a\x1a\x0a";
	static const uint8_t junk[] = "\x00\x01\x02\x03";
	static const uint8_t lz4_empty[] = "\x02\x21\x4c\x18";
	struct blob b;
	uint8_t *out;
	size_t out_len;
	const char *method;

	b.p = (uint8_t *)bz2;
	b.len = sizeof(bz2) - 1;
	expect_err(decompress_exact(&b, 1 << 20, &out, &out_len, &method),
		   "compressed with bzip2, which lightvm cannot decompress on the host; use --guest-decompress");
	ck_assert_str_eq(method, "bzip2");
	b.p = (uint8_t *)lzo;
	b.len = sizeof(lzo) - 1;
	expect_err(decompress_exact(&b, 1 << 20, &out, &out_len, NULL),
		   "compressed with lzo");
	b.p = (uint8_t *)junk;
	b.len = sizeof(junk) - 1;
	expect_err(decompress_exact(&b, 1 << 20, &out, &out_len, NULL),
		   "unknown compression format (magic 00 01)");
	b.len = 0;
	expect_err(decompress_exact(&b, 1 << 20, &out, &out_len, NULL),
		   "unknown compression format");
	b.p = (uint8_t *)lz4_empty;
	b.len = 4;
	expect_err(decompress_exact(&b, 1 << 20, &out, &out_len, NULL),
		   "decompresses to nothing");
}
END_TEST

/* ---- synthetic bzImage ---- */

#define BZ_SETUP_SECTS	4
#define BZ_SETUP_SIZE	((BZ_SETUP_SECTS + 1) * 512)
#define BZ_STUB		0x400		/* decompressor stand-in */
#define BZ_TAIL		0x80		/* bytes after the payload */
#define BZ_VERSION_PTR	0x300
#define BZ_INIT_SIZE	0x800000
#define BZ_HDR_END_BYTE	0x6a		/* 0x202 + 0x6a = 0x26c, as 6.1 */
#define VM_PADDR	0x1000000ULL	/* vmlinux's LOAD_PHYSICAL_ADDR */
#define VM_BSS		0x10000

static struct setup_header *bz_hdr(uint8_t *img)
{
	return (struct setup_header *)(img + 0x1f1);
}

/*
 * A vmlinux stand-in: one PT_LOAD at 16 MiB with .bss, then bytes
 * standing for the relocation table appended to vmlinux.bin.
 */
static void make_vmlinux(size_t text, struct blob *out)
{
	size_t len = 0x1000 + text + 64;
	uint8_t *p = calloc(1, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)p;
	Elf64_Phdr *ph = (Elf64_Phdr *)(p + sizeof(*eh));

	ck_assert_ptr_nonnull(p);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = VM_PADDR;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = 0x1000;
	ph->p_vaddr = 0xffffffff81000000ULL;
	ph->p_paddr = VM_PADDR;
	ph->p_filesz = text;
	ph->p_memsz = text + VM_BSS;
	fill_text(p + 0x1000, text);
	memset(p + 0x1000 + text, 0xee, 64);
	out->p = p;
	out->len = len;
}

static void make_bzimage(const struct blob *payload, struct blob *img)
{
	static const char version[] = "6.1.99-test (lightvm@unit) #1 SMP";
	size_t len = BZ_SETUP_SIZE + BZ_STUB + payload->len + BZ_TAIL;
	uint8_t *p = calloc(1, len);
	struct setup_header *h = bz_hdr(p);

	ck_assert_ptr_nonnull(p);
	h->setup_sects = BZ_SETUP_SECTS;
	h->boot_flag = 0xaa55;
	p[0x200] = 0xeb;		/* jmp short to the end of the header */
	p[0x201] = BZ_HDR_END_BYTE;
	memcpy(&h->header, "HdrS", 4);
	h->version = 0x020f;
	h->kernel_version = BZ_VERSION_PTR;
	h->loadflags = LOADED_HIGH;
	h->code32_start = 0x100000;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 2047;
	h->payload_offset = BZ_STUB;
	h->payload_length = (uint32_t)payload->len;
	h->pref_address = VM_PADDR;
	h->init_size = BZ_INIT_SIZE;
	memcpy(p + 0x200 + BZ_VERSION_PTR, version, sizeof(version));
	memset(p + BZ_SETUP_SIZE, 0x90, BZ_STUB);
	memcpy(p + BZ_SETUP_SIZE + BZ_STUB, payload->p, payload->len);
	memset(p + BZ_SETUP_SIZE + BZ_STUB + payload->len, 0xcc, BZ_TAIL);
	img->p = p;
	img->len = len;
}

/* A bzImage whose payload is a vmlinux compressed with method m. */
static void make_test_bzimage(int m, size_t text, struct blob *vm,
			      struct blob *img)
{
	struct blob c;

	make_vmlinux(text, vm);
	compress_as(m, vm->p, vm->len, true, &c);
	make_bzimage(&c, img);
	blob_free(&c);
}

static int bz_load(const struct blob *img, bool guest_decompress)
{
	uint8_t *p = dup_exact(img->p, img->len);
	int ret = bzimage_load(&gm, p, img->len, guest_decompress, &bi);

	free(p);
	return ret;
}

START_TEST(test_bzimage_host)
{
	const size_t text = 200000;
	struct blob vm, img;
	const uint8_t *g;
	size_t i;

	make_test_bzimage(_i, text, &vm, &img);
	ck_assert_int_eq(bz_load(&img, false), 0);
	ck_assert_int_eq(bi.proto, BOOT_LINUX64);
	ck_assert_uint_eq(bi.entry, VM_PADDR);
	ck_assert_uint_eq(bi.start, VM_PADDR);
	/* init_size (8 MiB) exceeds the ELF's text + .bss. */
	ck_assert_uint_eq(bi.end, VM_PADDR + BZ_INIT_SIZE);
	ck_assert(bi.has_setup);
	ck_assert_uint_eq(bi.setup_len, 0x202 + BZ_HDR_END_BYTE - 0x1f1);
	ck_assert_uint_eq(bi.setup_len, sizeof(struct setup_header));
	ck_assert_mem_eq(&bi.setup, img.p + 0x1f1, bi.setup_len);
	ck_assert_uint_eq(bi.setup.version, 0x020f);
	ck_assert_uint_eq(bi.cmdline_size, 2047);
	ck_assert_uint_eq(bi.initrd_max, 0x7fffffff);
	ck_assert_msg(strstr(bi.desc, "bzImage 6.1.99-test, host-decompressed") &&
		      strstr(bi.desc, c_name[_i]), "desc \"%s\"", bi.desc);

	g = guest_ptr(&gm, VM_PADDR, text + VM_BSS);
	ck_assert_ptr_nonnull(g);
	ck_assert_mem_eq(g, vm.p + 0x1000, text);
	for (i = text; i < text + VM_BSS; i++)
		ck_assert_uint_eq(g[i], 0);

	/* A bigger ELF than init_size: end follows the ELF. */
	bz_hdr(img.p)->init_size = 0x1000;
	ck_assert_int_eq(bz_load(&img, false), 0);
	ck_assert_uint_eq(bi.end, VM_PADDR + text + VM_BSS);

	/* init_size that does not fit in RAM. */
	bz_hdr(img.p)->init_size = GUEST_MEM;
	expect_err(bz_load(&img, false), "init_size");

	blob_free(&vm);
	blob_free(&img);
}
END_TEST

START_TEST(test_bzimage_guest_decompress)
{
	const size_t pm_len = BZ_STUB + BZ_TAIL;
	struct blob payload, img;
	struct setup_header *h;
	const uint8_t *g;

	/* The guest decompresses, so even bzip2 is fine. */
	payload.p = (uint8_t *)"BZh91AY&SY not really bzip2";
	payload.len = 27;
	make_bzimage(&payload, &img);
	h = bz_hdr(img.p);
	expect_err(bz_load(&img, false), "use --guest-decompress");

	/*
	 * Relocatable: at 0x100000; the decompressor then runs at
	 * max(align_up(load, kernel_alignment), pref_address).
	 */
	ck_assert_int_eq(bz_load(&img, true), 0);
	ck_assert_int_eq(bi.proto, BOOT_LINUX64);
	ck_assert_uint_eq(bi.entry, 0x100200);
	ck_assert_uint_eq(bi.start, 0x100000);
	ck_assert_uint_eq(bi.end, VM_PADDR + BZ_INIT_SIZE);
	ck_assert(bi.has_setup);
	ck_assert_uint_eq(bi.setup.code32_start, 0x100000);
	ck_assert_uint_eq(bi.cmdline_size, 2047);
	ck_assert_msg(strstr(bi.desc, "guest-decompressed") != NULL,
		      "desc \"%s\"", bi.desc);
	g = guest_ptr(&gm, 0x100000, pm_len + payload.len);
	ck_assert_ptr_nonnull(g);
	ck_assert_mem_eq(g, img.p + BZ_SETUP_SIZE, pm_len + payload.len);

	/* Not relocatable: where pref_address says. */
	h->relocatable_kernel = 0;
	h->pref_address = 0x2000000;
	ck_assert_int_eq(bz_load(&img, true), 0);
	ck_assert_uint_eq(bi.entry, 0x2000200);
	ck_assert_uint_eq(bi.start, 0x2000000);
	ck_assert_uint_eq(bi.end, 0x2000000 + BZ_INIT_SIZE);
	ck_assert_uint_eq(bi.setup.code32_start, 0x2000000);
	g = guest_ptr(&gm, 0x2000000, pm_len + payload.len);
	ck_assert_mem_eq(g, img.p + BZ_SETUP_SIZE, pm_len + payload.len);

	/* ...and that must be in RAM, with init_size after it. */
	h->pref_address = GUEST_MEM - 0x100000;
	expect_err(bz_load(&img, true), "init_size");
	h->pref_address = UINT64_MAX - 0x100;
	expect_err(bz_load(&img, true), "out of range");
	h->relocatable_kernel = 1;
	h->pref_address = VM_PADDR;
	h->init_size = 0xffffffff;
	expect_err(bz_load(&img, true), "init_size");
	blob_free(&img);

	/*
	 * A protected-mode part that ends before the 64-bit entry (+0x200)
	 * has nothing to enter, however far init_size reaches (found by the
	 * bzImage fuzzer); one byte past it is enough.
	 */
	make_bzimage(&payload, &img);
	img.len = BZ_SETUP_SIZE + 0x200;
	expect_err(bz_load(&img, true), "too short for its 64-bit entry");
	img.len++;
	ck_assert_int_eq(bz_load(&img, true), 0);
	ck_assert_uint_eq(bi.entry, 0x100200);
	blob_free(&img);
}
END_TEST

START_TEST(test_bzimage_bad_header)
{
	struct blob vm, img;
	struct setup_header *h;
	uint8_t small[0x100] = { 0 };

	expect_err(bzimage_load(&gm, small, sizeof(small), false, &bi),
		   "not a bzImage (no HdrS signature)");

	make_test_bzimage(C_GZIP, 4096, &vm, &img);
	h = bz_hdr(img.p);

	memcpy(&h->header, "HdrT", 4);
	expect_err(bz_load(&img, false), "no HdrS signature");
	memcpy(&h->header, "HdrS", 4);

	h->boot_flag = 0x55aa;
	expect_err(bz_load(&img, false), "boot flag");
	h->boot_flag = 0xaa55;

	h->version = 0x020b;
	expect_err(bz_load(&img, false), "protocol 2.11 is too old");
	h->version = 0x020f;

	h->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
	expect_err(bz_load(&img, false), "XLF_KERNEL_64");
	expect_err(bz_load(&img, true), "XLF_KERNEL_64");
	h->xloadflags = XLF_KERNEL_64;

	/* Header shorter than init_size needs. */
	img.p[0x201] = 0x40;
	expect_err(bz_load(&img, false), "setup header is too short");
	img.p[0x201] = BZ_HDR_END_BYTE;

	/* Setup sectors past the end of the file. */
	h->setup_sects = 255;
	expect_err(bz_load(&img, false), "setup (255 sectors) extends");
	/* 0 means 4, which is what the image has. */
	h->setup_sects = 0;
	ck_assert_int_eq(bz_load(&img, false), 0);
	h->setup_sects = BZ_SETUP_SECTS;

	/* Payload outside the protected-mode code, or absent. */
	h->payload_offset = (uint32_t)(img.len - BZ_SETUP_SIZE + 1);
	expect_err(bz_load(&img, false), "lies outside");
	h->payload_offset = BZ_STUB;
	h->payload_length += BZ_TAIL + 1;
	expect_err(bz_load(&img, false), "lies outside");
	h->payload_offset = 0xffffffff;
	h->payload_length = 0xffffffff;
	expect_err(bz_load(&img, false), "lies outside");
	h->payload_offset = 0;
	expect_err(bz_load(&img, false), "no payload");
	h->payload_offset = BZ_STUB;
	h->payload_length = 0;
	expect_err(bz_load(&img, false), "no payload");
	/* Guest decompression does not care about the payload fields. */
	ck_assert_int_eq(bz_load(&img, true), 0);
	/* Pointing at the stub: not compressed data. */
	h->payload_offset = 0x10;
	h->payload_length = 0x100;
	expect_err(bz_load(&img, false), "unknown compression format");

	blob_free(&vm);
	blob_free(&img);
}
END_TEST

START_TEST(test_bzimage_version_string)
{
	struct blob vm, img;
	struct setup_header *h;

	make_test_bzimage(C_ZSTD, 4096, &vm, &img);
	h = bz_hdr(img.p);
	/* Past the setup area: no version, still boots. */
	h->kernel_version = 0xffff;
	ck_assert_int_eq(bz_load(&img, false), 0);
	ck_assert_msg(strstr(bi.desc, "unknown version") != NULL, "desc %s",
		      bi.desc);
	/* Unterminated up to the end of the setup area. */
	h->kernel_version = BZ_SETUP_SIZE - 0x200 - 3;
	memset(img.p + BZ_SETUP_SIZE - 3, 'x', 3);
	ck_assert_int_eq(bz_load(&img, false), 0);
	ck_assert_msg(strstr(bi.desc, "bzImage xxx,") != NULL, "desc %s",
		      bi.desc);
	/* Control characters are not printed. */
	h->kernel_version = BZ_VERSION_PTR;
	img.p[0x200 + BZ_VERSION_PTR + 2] = '\033';
	ck_assert_int_eq(bz_load(&img, false), 0);
	ck_assert_msg(strstr(bi.desc, "unknown version") != NULL, "desc %s",
		      bi.desc);
	blob_free(&vm);
	blob_free(&img);
}
END_TEST

START_TEST(test_bzimage_bad_payload)
{
	uint8_t text[256];
	struct blob c, img, vm;

	/* The payload decompresses, but not to an ELF. */
	memset(text, 'A', sizeof(text));
	compress_as(C_GZIP, text, sizeof(text), true, &c);
	make_bzimage(&c, &img);
	expect_err(bz_load(&img, false),
		   "decompressed gzip payload: not an ELF file");
	blob_free(&c);
	blob_free(&img);

	/* A flipped byte in the middle of a checksummed payload. */
	make_test_bzimage(C_XZ, 50000, &vm, &img);
	img.p[BZ_SETUP_SIZE + BZ_STUB + (img.len - BZ_SETUP_SIZE - BZ_STUB) / 2] ^= 1;
	expect_err(bz_load(&img, false), "xz: payload is corrupt");
	blob_free(&vm);
	blob_free(&img);
}
END_TEST

START_TEST(test_bzimage_too_big_for_ram)
{
	/* 65 MiB of zeros: more than this 64 MiB guest has. */
	const size_t len = GUEST_MEM + (1 << 20);
	uint8_t *zeros = calloc(1, len);
	struct blob c, img;

	ck_assert_ptr_nonnull(zeros);
	compress_as(C_ZSTD, zeros, len, true, &c);
	free(zeros);
	make_bzimage(&c, &img);
	expect_err(bz_load(&img, false), "more than 67108864 bytes");
	blob_free(&c);
	blob_free(&img);
}
END_TEST

START_TEST(test_bzimage_truncated)
{
	struct blob vm, img, cut;
	size_t len;

	make_test_bzimage(_i, 8192, &vm, &img);
	cut.p = img.p;
	/* Every prefix that loses any of the payload fails... */
	for (len = 0; len < img.len - BZ_TAIL; len++) {
		cut.p = img.p;
		cut.len = len;
		ck_assert_msg(bz_load(&cut, false) == -1,
			      "%zu of %zu bytes accepted", len, img.len);
	}
	/* ...and the bytes after the payload are not needed. */
	cut.len = img.len - BZ_TAIL;
	ck_assert_int_eq(bz_load(&cut, false), 0);
	ck_assert_int_eq(bz_load(&img, false), 0);
	blob_free(&vm);
	blob_free(&img);
}
END_TEST

START_TEST(test_bzimage_fuzz)
{
	struct blob vm, img;
	unsigned int iter;

	/*
	 * Random changes to the setup header and the start of the
	 * payload: the loader must reject or load, never crash.
	 */
	make_test_bzimage(_i, 8192, &vm, &img);
	for (iter = 0; iter < 1000; iter++) {
		struct blob t = { dup_exact(img.p, img.len), img.len };
		unsigned int n = 1 + rng() % 3;

		while (n--) {
			size_t off = rng() & 1 ?
				0x1f1 + rng() % sizeof(struct setup_header) :
				BZ_SETUP_SIZE + BZ_STUB + rng() % 64;
			t.p[off] = (uint8_t)rng();
		}
		bz_load(&t, rng() & 1);
		free(t.p);
	}
	blob_free(&vm);
	blob_free(&img);
}
END_TEST

/* ---- files ---- */

static char tmpdir[64];

static void files_setup(void)
{
	setup();
	strcpy(tmpdir, "/tmp/lightvm-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void files_teardown(void)
{
	char path[sizeof(tmpdir) + 256 + 2];
	struct dirent *d;
	DIR *dir = opendir(tmpdir);

	/* Only plain files are created in it. */
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, d->d_name);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	rmdir(tmpdir);
	teardown();
}

static const char *write_file(const char *name, const void *p, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

START_TEST(test_file_read_all)
{
	static const char data[] = "0123456789";
	char msg[256], missing[128];
	const char *path;
	uint8_t *buf;
	size_t len;

	path = write_file("ten", data, 10);
	ck_assert_int_eq(file_read_all("initrd", path, 10, &buf, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_mem_eq(buf, data, 10);
	free(buf);

	snprintf(msg, sizeof(msg), "initrd %s: file is larger than 9 bytes",
		 path);
	expect_err(file_read_all("initrd", path, 9, &buf, &len), msg);
	ck_assert_ptr_null(buf);

	path = write_file("empty", data, 0);
	snprintf(msg, sizeof(msg), "kernel %s: file is empty", path);
	expect_err(file_read_all("kernel", path, 100, &buf, &len), msg);

	snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
	snprintf(msg, sizeof(msg), "kernel %s: No such file or directory",
		 missing);
	expect_err(file_read_all("kernel", missing, 100, &buf, &len), msg);

	snprintf(msg, sizeof(msg), "initrd %s: is a directory", tmpdir);
	expect_err(file_read_all("initrd", tmpdir, 100, &buf, &len), msg);

	/* Not a regular file: read until the limit. */
	expect_err(file_read_all("initrd", "/dev/zero", 3 << 20, &buf, &len),
		   "initrd /dev/zero: file is larger than 3 MiB");
}
END_TEST

START_TEST(test_kernel_load)
{
	struct vm_config cfg;
	struct blob vm, img;
	char msg[256];

	memset(&cfg, 0, sizeof(cfg));
	te_build(true);
	cfg.kernel = write_file("hello.elf", te, TE_LEN);
	ck_assert_int_eq(kernel_load(&gm, &cfg, &bi), 0);
	ck_assert_int_eq(bi.proto, BOOT_PVH);
	cfg.elf_entry = ELF_ENTRY_64;
	ck_assert_int_eq(kernel_load(&gm, &cfg, &bi), 0);
	ck_assert_int_eq(bi.proto, BOOT_LINUX64);
	cfg.elf_entry = ELF_ENTRY_AUTO;

	/* Loader errors name the file. */
	cfg.kernel = write_file("short.elf", te, TE_LEN - 1);
	snprintf(msg, sizeof(msg), "kernel %s: ELF segment 1", cfg.kernel);
	expect_err(kernel_load(&gm, &cfg, &bi), msg);

	make_test_bzimage(C_LZ4, 10000, &vm, &img);
	cfg.kernel = write_file("bzImage", img.p, img.len);
	ck_assert_int_eq(kernel_load(&gm, &cfg, &bi), 0);
	ck_assert(bi.has_setup);
	ck_assert_uint_eq(bi.entry, VM_PADDR);
	ck_assert_mem_eq(guest_ptr(&gm, VM_PADDR, 10000), vm.p + 0x1000, 10000);
	cfg.guest_decompress = true;
	ck_assert_int_eq(kernel_load(&gm, &cfg, &bi), 0);
	ck_assert_uint_eq(bi.entry, 0x100200);
	cfg.guest_decompress = false;

	/* A bzImage corrupted after the header check. */
	bz_hdr(img.p)->version = 0x0200;
	cfg.kernel = write_file("old-bzImage", img.p, img.len);
	snprintf(msg, sizeof(msg), "kernel %s: bzImage boot protocol 2.00",
		 cfg.kernel);
	expect_err(kernel_load(&gm, &cfg, &bi), msg);
	blob_free(&vm);
	blob_free(&img);

	cfg.kernel = write_file("junk", "MZ\x90\x00 hello", 10);
	snprintf(msg, sizeof(msg), "kernel %s: not an ELF, bzImage or Multiboot kernel",
		 cfg.kernel);
	expect_err(kernel_load(&gm, &cfg, &bi), msg);

	cfg.kernel = "/nonexistent/vmlinuz";
	expect_err(kernel_load(&gm, &cfg, &bi),
		   "kernel /nonexistent/vmlinuz: No such file or directory");
}
END_TEST

Suite *loader_suite(void)
{
	Suite *s = suite_create("loaders");
	TCase *tc;

	tc = tcase_create("elf");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_elf_pvh_auto);
	tcase_add_test(tc, test_elf_64bit);
	tcase_add_test(tc, test_elf_pvh_note_variants);
	tcase_add_test(tc, test_elf_pvh_note_malformed);
	tcase_add_test(tc, test_elf_bad_header);
	tcase_add_test(tc, test_elf_bad_segments);
	tcase_add_test(tc, test_elf_truncated);
	tcase_add_test(tc, test_elf_fuzz);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	/* Loop tests run once per format, _i = C_GZIP .. C_LZ4. */
	tc = tcase_create("decompress");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_decompress_roundtrip, 0, NR_C);
	tcase_add_loop_test(tc, test_decompress_truncated, 0, NR_C);
	tcase_add_loop_test(tc, test_decompress_corrupt, 0, NR_C);
	tcase_add_test(tc, test_decompress_lz4_blocks);
	tcase_add_test(tc, test_decompress_unsupported);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);

	tc = tcase_create("bzimage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bzimage_host, 0, NR_C);
	tcase_add_test(tc, test_bzimage_guest_decompress);
	tcase_add_test(tc, test_bzimage_bad_header);
	tcase_add_test(tc, test_bzimage_version_string);
	tcase_add_test(tc, test_bzimage_bad_payload);
	tcase_add_test(tc, test_bzimage_too_big_for_ram);
	tcase_add_loop_test(tc, test_bzimage_truncated, 0, NR_C);
	tcase_add_loop_test(tc, test_bzimage_fuzz, 0, NR_C);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, files_setup, files_teardown);
	tcase_add_test(tc, test_file_read_all);
	tcase_add_test(tc, test_kernel_load);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
