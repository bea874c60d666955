// SPDX-License-Identifier: GPL-2.0
/*
 * bzimage.c - load a Linux bzImage (Documentation/x86/boot.rst).
 *
 * By default the compressed payload is decompressed on the host and the
 * vmlinux ELF inside it is loaded at its physical addresses, which skips
 * the kernel's own decompressor.  With guest_decompress the protected-mode
 * part of the file is placed in RAM and entered at its 64-bit entry point,
 * as any other boot loader would.  Either way the real-mode setup header
 * is kept, because the kernel reads it back from boot_params.
 *
 * The file is untrusted: every header field that is an offset or a size is
 * checked against the file before use.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

#define HDR_OFFSET		0x1f1		/* setup_header in the file */
#define HDR_BOOT_FLAG		0xaa55
#define HDR_MAGIC		0x53726448	/* "HdrS" */
/* 2.12 added xloadflags and with it XLF_KERNEL_64, which we rely on. */
#define HDR_MIN_VERSION		0x020c
#define SECTOR_SIZE		512
/*
 * boot.rst: "In 64-bit boot protocol, the kernel is started by jumping to
 * the 64-bit kernel entry point, which is the start address of loaded
 * 64-bit kernel plus 0x200."
 */
#define ENTRY64_OFFSET		0x200
/*
 * boot.rst: the protected-mode kernel "should be loaded at address ...
 * 0x100000 for bzImage kernels."
 */
#define DEFAULT_LOAD_ADDR	0x100000ULL
/* A decompressed vmlinux is tens of MiB; refuse anything absurd. */
#define MAX_DECOMPRESSED	(512ULL << 20)
#define VERSION_MAX		40

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * boot.rst, kernel_version: "contains a pointer to a NUL-terminated
 * human-readable kernel version number string, less 0x200 ... This value
 * should be less than (0x200*setup_sects)."  Keep the first word
 * ("6.1.0-13-amd64"), printable characters only: it ends up on the
 * terminal.  An empty string when there is none or it is bogus.
 */
static void read_version(const uint8_t *buf, size_t setup_size,
			 uint16_t ptr, char *out, size_t size)
{
	size_t off = (size_t)ptr + 0x200, n = 0;

	out[0] = '\0';
	if (!ptr || off >= setup_size)
		return;
	while (off < setup_size && n + 1 < size) {
		uint8_t c = buf[off++];

		if (c == '\0' || c == ' ')
			break;
		if (!isprint(c)) {
			n = 0;
			break;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
}

static double mib(size_t bytes)
{
	return (double)bytes / (1024 * 1024);
}

/*
 * Re-word the current error with a prefix.  err_msg() points into the
 * buffer err_set() writes, so copy it first.
 */
static void err_prefix(const char *method)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", err_msg());
	err_set("decompressed %s payload: %s", method, msg);
}

static int load_host_decompressed(struct guest_mem *gm,
				  const struct setup_header *hdr,
				  const uint8_t *pm, size_t pm_len,
				  const char *version, struct boot_image *bi)
{
	uint64_t max_out = MAX_DECOMPRESSED;
	const char *method = NULL;
	uint8_t *elf = NULL;
	size_t elf_len = 0;
	uint64_t need;
	int ret;

	/*
	 * payload_offset: "the offset from the beginning of the
	 * protected-mode code to the payload."  The build appends the
	 * uncompressed size to the stream and payload_length includes it.
	 */
	if (!hdr->payload_offset || !hdr->payload_length) {
		err_set("bzImage header gives no payload (offset 0x%x, length %u)",
			hdr->payload_offset, hdr->payload_length);
		return -1;
	}
	if (hdr->payload_offset > pm_len ||
	    hdr->payload_length > pm_len - hdr->payload_offset) {
		err_set("bzImage payload (offset 0x%x, %u bytes) lies outside the %zu-byte kernel",
			hdr->payload_offset, hdr->payload_length, pm_len);
		return -1;
	}
	if (max_out > gm->size)
		max_out = gm->size;
	if (payload_decompress(pm + hdr->payload_offset, hdr->payload_length,
			       (size_t)max_out, &elf, &elf_len, &method) < 0)
		return -1;

	/*
	 * boot.rst: "The uncompressed payload is currently always ELF".
	 * Its relocation table (CONFIG_X86_NEED_RELOCS) may trail the ELF
	 * image; it is only needed when the kernel is moved, and loading
	 * at the link-time addresses does not move it.
	 */
	ret = elf_load(gm, elf, elf_len, ELF_ENTRY_64, bi);
	free(elf);
	if (ret < 0) {
		err_prefix(method);
		return -1;
	}

	/*
	 * init_size: "the amount of linear contiguous memory starting at the
	 * kernel runtime start address that the kernel needs before it is
	 * capable of examining its memory map."  Claim it so the initrd and
	 * other boot data stay out of the way.
	 */
	need = hdr->init_size;
	if (bi->end - bi->start < need) {
		if (!guest_ptr(gm, bi->start, need)) {
			err_set("kernel needs %u bytes (init_size) from 0x%llx but guest RAM is %llu MiB",
				hdr->init_size, (unsigned long long)bi->start,
				(unsigned long long)(gm->size >> 20));
			return -1;
		}
		bi->end = bi->start + need;
	}
	snprintf(bi->desc, sizeof(bi->desc),
		 "bzImage %s, host-decompressed %s (%.1f MiB \u2192 %.1f MiB)",
		 version[0] ? version : "(unknown version)", method,
		 mib(hdr->payload_length), mib(elf_len));
	return 0;
}

static int load_guest_decompressed(struct guest_mem *gm,
				   struct setup_header *hdr,
				   const uint8_t *pm, size_t pm_len,
				   const char *version, struct boot_image *bi)
{
	uint64_t load, runtime, end, align;
	uint8_t *dst;

	/*
	 * The entry is at +0x200 in what we load: a protected-mode part
	 * that ends before it would be entered in zeroed RAM (init_size may
	 * well reach that far), as an ELF entry outside its segments would.
	 */
	if (pm_len <= ENTRY64_OFFSET) {
		err_set("bzImage protected-mode kernel is %zu bytes, too short for its 64-bit entry at +0x%x",
			pm_len, ENTRY64_OFFSET);
		return -1;
	}

	/*
	 * relocatable_kernel: "the protected-mode part of the kernel can be
	 * loaded at any address that satisfies the kernel_alignment field."
	 * pref_address: "A non-relocatable kernel will unconditionally move
	 * itself and to run at this address."  So load a relocatable kernel
	 * at the traditional 0x100000, anything else where it wants to be.
	 */
	load = DEFAULT_LOAD_ADDR;
	if (!hdr->relocatable_kernel && hdr->pref_address)
		load = hdr->pref_address;

	/*
	 * boot.rst: "if (relocatable_kernel) runtime_start =
	 * align_up(load_address, kernel_alignment) else runtime_start =
	 * pref_address".  In practice the decompressor (compressed/head_64.S)
	 * also raises runtime_start to LOAD_PHYSICAL_ADDR, which header.S
	 * publishes as pref_address; account for both.
	 */
	runtime = hdr->pref_address;
	if (hdr->relocatable_kernel) {
		align = hdr->kernel_alignment;
		if (align & (align - 1))
			align = 0;	/* not a power of two: ignore */
		runtime = load;
		if (align)
			runtime = (load + align - 1) & ~(align - 1);
		if (runtime < hdr->pref_address)
			runtime = hdr->pref_address;
	}
	if (load > UINT64_MAX - pm_len || runtime > UINT64_MAX - hdr->init_size) {
		err_set("bzImage load address 0x%llx is out of range",
			(unsigned long long)load);
		return -1;
	}
	end = load + pm_len;
	if (runtime + hdr->init_size > end)
		end = runtime + hdr->init_size;
	/* Entered in 64-bit mode through the identity map of low RAM. */
	if (end > guest_low_end(gm) || !guest_ptr(gm, load, end - load)) {
		err_set("kernel needs 0x%llx-0x%llx (load address + init_size) but guest RAM below 4 GiB ends at 0x%llx",
			(unsigned long long)load, (unsigned long long)end,
			(unsigned long long)guest_low_end(gm));
		return -1;
	}
	dst = guest_ptr(gm, load, pm_len);
	memcpy(dst, pm, pm_len);

	/*
	 * code32_start: "After loading, the boot loader must set the
	 * code32_start field to point to the loaded code".
	 */
	hdr->code32_start = (uint32_t)load;
	bi->proto = BOOT_LINUX64;
	bi->entry = load + ENTRY64_OFFSET;
	bi->start = load;
	bi->end = end;
	snprintf(bi->desc, sizeof(bi->desc),
		 "bzImage %s, guest-decompressed (%.1f MiB at 0x%llx)",
		 version[0] ? version : "(unknown version)", mib(pm_len),
		 (unsigned long long)load);
	return 0;
}

int bzimage_load(struct guest_mem *gm, const uint8_t *buf, size_t len,
		 bool guest_decompress, struct boot_image *bi)
{
	char version[VERSION_MAX + 1];
	struct setup_header hdr;
	size_t hdr_len, setup_size;
	unsigned int setup_sects;
	int ret;

	memset(bi, 0, sizeof(*bi));
	if (len < 0x206 || get_le32(buf + 0x202) != HDR_MAGIC) {
		err_set("not a bzImage (no HdrS signature)");
		return -1;
	}
	if (get_le16(buf + 0x1fe) != HDR_BOOT_FLAG) {
		err_set("not a bzImage (boot flag is 0x%04x, not 0xaa55)",
			get_le16(buf + 0x1fe));
		return -1;
	}

	/*
	 * boot.rst: "The end of setup header can be calculated as follows:
	 * 0x0202 + byte value at offset 0x0201".  Copy what is there, at
	 * most what struct setup_header knows about.
	 */
	hdr_len = 0x202 + buf[0x201] - HDR_OFFSET;
	if (hdr_len > sizeof(hdr))
		hdr_len = sizeof(hdr);
	if (hdr_len > len - HDR_OFFSET) {
		err_set("bzImage is truncated inside its setup header");
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	memcpy(&hdr, buf + HDR_OFFSET, hdr_len);

	if (hdr.version < HDR_MIN_VERSION) {
		err_set("bzImage boot protocol %u.%02u is too old (lightvm needs 2.12 or later)",
			hdr.version >> 8, hdr.version & 0xff);
		return -1;
	}
	if (hdr_len < offsetof(struct setup_header, init_size) +
		      sizeof(hdr.init_size)) {
		err_set("bzImage setup header is too short (%zu bytes) for protocol %u.%02u",
			hdr_len, hdr.version >> 8, hdr.version & 0xff);
		return -1;
	}
	if (!(hdr.xloadflags & XLF_KERNEL_64)) {
		err_set("bzImage has no 64-bit entry point (XLF_KERNEL_64 not set)");
		return -1;
	}

	/*
	 * setup_sects: "For backwards compatibility, if the setup_sects
	 * field contains 0, the real value is 4."  "The 32-bit
	 * (non-real-mode) kernel starts at offset (setup_sects+1)*512 in the
	 * kernel file".
	 */
	setup_sects = hdr.setup_sects ? hdr.setup_sects : 4;
	setup_size = (size_t)(setup_sects + 1) * SECTOR_SIZE;
	if (setup_size >= len) {
		err_set("bzImage setup (%u sectors) extends to the end of the %zu-byte file",
			setup_sects, len);
		return -1;
	}
	read_version(buf, setup_size, hdr.kernel_version, version,
		     sizeof(version));

	if (guest_decompress)
		ret = load_guest_decompressed(gm, &hdr, buf + setup_size,
					      len - setup_size, version, bi);
	else
		ret = load_host_decompressed(gm, &hdr, buf + setup_size,
					     len - setup_size, version, bi);
	if (ret < 0)
		return -1;

	bi->has_setup = true;
	bi->setup = hdr;
	bi->setup_len = hdr_len;
	/* cmdline_size is 2.06+ and hence always present here. */
	bi->cmdline_size = hdr.cmdline_size;
	bi->initrd_max = hdr.initrd_addr_max;
	return 0;
}
