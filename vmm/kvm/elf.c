// SPDX-License-Identifier: GPL-2.0
/*
 * elf.c - load an ELF64 x86-64 executable (a vmlinux, or a small test
 * kernel) into guest RAM at its physical addresses, and choose how to enter
 * it: through the PVH entry point its Xen note advertises, or through the
 * 64-bit Linux boot protocol at e_entry.
 *
 * The file is untrusted: every header field that is an offset or a size is
 * checked against the buffer before it is used, with arithmetic that
 * cannot wrap.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "kvm.h"

/*
 * include/xen/interface/elfnote.h: "Physical entry point into the kernel.
 * 32bit entry point into the kernel. When requested to launch the guest
 * kernel in a HVM container, Xen will use this entry point to launch the
 * guest in 32bit protected mode with paging disabled."
 */
#define XEN_ELFNOTE_PHYS32_ENTRY	18

/*
 * No setup header to ask: use what arch/x86/boot/header.S publishes
 * ("initrd_addr_max: .long 0x7fffffff").
 */
#define ELF_INITRD_MAX		0x7fffffffULL
/* arch/x86/include/asm/setup.h: COMMAND_LINE_SIZE 2048, with the NUL. */
#define ELF_CMDLINE_LINUX64	2047
/*
 * PVH passes the command line by pointer (hvm_start_info.cmdline_paddr)
 * with no length field; allow one page including the NUL.
 */
#define ELF_CMDLINE_PVH		4095

/* True if [off, off + size) lies inside a buffer of len bytes. */
static bool in_buf(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void read_phdr(const uint8_t *buf, const Elf64_Ehdr *eh,
		      unsigned int i, Elf64_Phdr *ph)
{
	/* memcpy: the buffer need not be aligned for Elf64_Phdr. */
	memcpy(ph, buf + eh->e_phoff + (uint64_t)i * eh->e_phentsize,
	       sizeof(*ph));
}

static int check_ehdr(const uint8_t *buf, size_t len, Elf64_Ehdr *eh)
{
	if (len < sizeof(*eh)) {
		err_set("ELF file is truncated (%zu bytes, header needs %zu)",
			len, sizeof(*eh));
		return -1;
	}
	memcpy(eh, buf, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		err_set("not an ELF file (bad magic)");
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		err_set("ELF file is not 64-bit (class %u)",
			eh->e_ident[EI_CLASS]);
		return -1;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		err_set("ELF file is not little-endian");
		return -1;
	}
	if (eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_version != EV_CURRENT) {
		err_set("ELF file has unknown version %u", eh->e_version);
		return -1;
	}
	if (eh->e_machine != EM_X86_64) {
		err_set("ELF file is not for x86-64 (machine %u)",
			eh->e_machine);
		return -1;
	}
	/* Kernels are linked at fixed physical addresses: no ET_DYN/PIE. */
	if (eh->e_type != ET_EXEC) {
		err_set("ELF file is not an executable (type %u)", eh->e_type);
		return -1;
	}
	if (eh->e_phnum == 0) {
		err_set("ELF file has no program headers");
		return -1;
	}
	/*
	 * gABI: PN_XNUM means the real count is in section header 0's
	 * sh_info; no kernel needs 65535 segments.
	 */
	if (eh->e_phnum == PN_XNUM) {
		err_set("ELF file uses extended program header numbering");
		return -1;
	}
	if (eh->e_phentsize < sizeof(Elf64_Phdr)) {
		err_set("ELF program header size %u is too small",
			eh->e_phentsize);
		return -1;
	}
	/* phnum and phentsize are 16-bit: the product cannot overflow. */
	if (!in_buf(eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize,
		    len)) {
		err_set("ELF program headers (offset 0x%llx, %u entries) lie outside the file",
			(unsigned long long)eh->e_phoff, eh->e_phnum);
		return -1;
	}
	return 0;
}

/*
 * Walk one PT_NOTE segment looking for the Xen PVH entry note.  Each
 * record is Elf64_Nhdr (three 32-bit words: namesz, descsz, type), then
 * the name and the descriptor, each padded to the note alignment.  That
 * alignment is 4 for the Xen notes in vmlinux's .notes; binutils reads
 * 8-aligned records when the segment says p_align 8 (GNU property notes),
 * so do the same.  Returns 1 if found, 0 if not, -1 on a malformed note.
 */
static int find_pvh_note(const uint8_t *buf, size_t len, unsigned int idx,
			 const Elf64_Phdr *ph, uint64_t *entry)
{
	uint64_t align = ph->p_align == 8 ? 8 : 4;
	const uint8_t *p;
	uint64_t pos = 0;

	if (!in_buf(ph->p_offset, ph->p_filesz, len)) {
		err_set("ELF note segment %u (offset 0x%llx, size 0x%llx) lies outside the file",
			idx, (unsigned long long)ph->p_offset,
			(unsigned long long)ph->p_filesz);
		return -1;
	}
	p = buf + ph->p_offset;
	while (pos < ph->p_filesz) {
		uint64_t left = ph->p_filesz - pos;
		uint64_t name_off, desc_off, next, rel_desc;
		Elf64_Nhdr nh;

		if (left < sizeof(nh)) {
			err_set("ELF note segment %u: truncated note header at offset 0x%llx",
				idx, (unsigned long long)pos);
			return -1;
		}
		memcpy(&nh, p + pos, sizeof(nh));
		/*
		 * Padding is relative to the record's start, as binutils'
		 * ELF_NOTE_DESC_OFFSET/ELF_NOTE_NEXT_OFFSET compute it.
		 * 32-bit sizes added in 64 bits: nothing can wrap.
		 */
		name_off = pos + sizeof(nh);
		rel_desc = align_up(sizeof(nh) + (uint64_t)nh.n_namesz, align);
		desc_off = pos + rel_desc;
		next = pos + align_up(rel_desc + nh.n_descsz, align);
		if (desc_off > ph->p_filesz ||
		    nh.n_descsz > ph->p_filesz - desc_off) {
			err_set("ELF note segment %u: note at offset 0x%llx overruns the segment (namesz %u, descsz %u)",
				idx, (unsigned long long)pos, nh.n_namesz,
				nh.n_descsz);
			return -1;
		}
		if (nh.n_namesz == 4 && !memcmp(p + name_off, "Xen", 4) &&
		    nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY) {
			const uint8_t *d = p + desc_off;
			uint64_t v = 0;
			unsigned int i;

			/* The kernel emits .long; accept a .quad too. */
			if (nh.n_descsz != 4 && nh.n_descsz != 8) {
				err_set("ELF PVH entry note has a %u-byte descriptor (expected 4 or 8)",
					nh.n_descsz);
				return -1;
			}
			for (i = 0; i < nh.n_descsz; i++)
				v |= (uint64_t)d[i] << (8 * i);
			*entry = v;
			return 1;
		}
		/* The last record's padding may be cut off by p_filesz. */
		pos = next;
	}
	return 0;
}

int elf_load(struct guest_mem *gm, const uint8_t *buf, size_t len,
	     enum elf_entry_mode mode, struct boot_image *bi)
{
	uint64_t lo = UINT64_MAX, hi = 0, pvh_entry = 0;
	bool have_pvh = false, entry_ok = false;
	unsigned int i, nr_load = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	memset(bi, 0, sizeof(*bi));
	if (check_ehdr(buf, len, &eh) < 0)
		return -1;

	/* First pass: validate everything before touching guest memory. */
	for (i = 0; i < eh.e_phnum; i++) {
		read_phdr(buf, &eh, i, &ph);
		if (ph.p_type == PT_NOTE && mode != ELF_ENTRY_64 &&
		    !have_pvh) {
			int r = find_pvh_note(buf, len, i, &ph, &pvh_entry);

			if (r < 0)
				return -1;
			have_pvh = r;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz) {
			err_set("ELF segment %u: file size 0x%llx exceeds memory size 0x%llx",
				i, (unsigned long long)ph.p_filesz,
				(unsigned long long)ph.p_memsz);
			return -1;
		}
		if (!in_buf(ph.p_offset, ph.p_filesz, len)) {
			err_set("ELF segment %u (offset 0x%llx, size 0x%llx) lies outside the file",
				i, (unsigned long long)ph.p_offset,
				(unsigned long long)ph.p_filesz);
			return -1;
		}
		if (ph.p_memsz == 0)
			continue;	/* loads nothing, wherever it claims */
		if (!guest_ptr(gm, ph.p_paddr, ph.p_memsz)) {
			err_set("ELF segment %u (0x%llx bytes at 0x%llx) is outside guest RAM (%llu MiB)",
				i, (unsigned long long)ph.p_memsz,
				(unsigned long long)ph.p_paddr,
				(unsigned long long)(gm->size >> 20));
			return -1;
		}
		nr_load++;
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		/* guest_ptr() succeeded, so this sum does not wrap. */
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
	}
	if (!nr_load) {
		err_set("ELF file has no loadable segment");
		return -1;
	}

	if (mode == ELF_ENTRY_PVH && !have_pvh) {
		err_set("ELF file has no PVH entry note (Xen note type %d); cannot boot it with PVH",
			XEN_ELFNOTE_PHYS32_ENTRY);
		return -1;
	}
	if (mode == ELF_ENTRY_64)
		have_pvh = false;

	if (have_pvh) {
		/* PVH enters in 32-bit protected mode with paging off. */
		if (pvh_entry > UINT32_MAX) {
			err_set("ELF PVH entry 0x%llx is above 4 GiB",
				(unsigned long long)pvh_entry);
			return -1;
		}
		bi->proto = BOOT_PVH;
		bi->entry = pvh_entry;
		bi->cmdline_size = ELF_CMDLINE_PVH;
		snprintf(bi->desc, sizeof(bi->desc), "ELF, PVH entry 0x%llx",
			 (unsigned long long)pvh_entry);
	} else {
		/*
		 * vmlinux links ENTRY(phys_startup_64): e_entry is already a
		 * physical address, entered with the 64-bit boot protocol.
		 */
		bi->proto = BOOT_LINUX64;
		bi->entry = eh.e_entry;
		bi->cmdline_size = ELF_CMDLINE_LINUX64;
		snprintf(bi->desc, sizeof(bi->desc),
			 "ELF, 64-bit entry 0x%llx",
			 (unsigned long long)eh.e_entry);
	}

	/*
	 * An entry outside every segment would jump into zeroed RAM; most
	 * likely e_entry is a virtual address (higher-half kernel).
	 */
	for (i = 0; i < eh.e_phnum && !entry_ok; i++) {
		read_phdr(buf, &eh, i, &ph);
		if (ph.p_type == PT_LOAD && bi->entry >= ph.p_paddr &&
		    bi->entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
	}
	if (!entry_ok) {
		err_set("ELF entry point 0x%llx is not inside any loaded segment",
			(unsigned long long)bi->entry);
		return -1;
	}

	/* Last pass: copy.  Everything was checked, nothing can fail. */
	for (i = 0; i < eh.e_phnum; i++) {
		uint8_t *dst;

		read_phdr(buf, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		dst = guest_ptr(gm, ph.p_paddr, ph.p_memsz);
		memcpy(dst, buf + ph.p_offset, ph.p_filesz);
		/* gABI: bytes past p_filesz up to p_memsz are zero (.bss). */
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}

	bi->start = lo;
	bi->end = hi;
	bi->has_setup = false;
	bi->initrd_max = ELF_INITRD_MAX;
	return 0;
}
