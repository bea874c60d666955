// SPDX-License-Identifier: GPL-2.0
/*
 * common.c - helpers every harness links: input decoding, the fake guest
 * RAM, biased guest addresses, a VM without KVM.  See fuzz.h.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fuzz.h"

int fuzz_report_fd = 2;

/* Before libFuzzer's main() can close stderr. */
__attribute__((constructor)) static void report_fd_init(void)
{
	int fd = dup(2);

	if (fd >= 0)
		fuzz_report_fd = fd;
}

size_t fi_bytes(struct fuzz_in *in, void *dst, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	in->p += k;
	in->left -= k;
	return k;
}

void fuzz_mem_init(struct guest_mem *gm, uint64_t low, uint64_t high)
{
	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;			/* not a memfd: nothing to share */
	/* aligned_alloc: the sanitizer still puts a redzone after it. */
	gm->host = aligned_alloc(4096, low + high);
	if (!gm->host) {
		fuzz_log("fuzz: no memory for guest RAM\n");
		abort();
	}
	memset(gm->host, 0, low + high);
	gm->size = low + high;
	gm->low_size = low;
	gm->high_size = high;
}

void fuzz_mem_layout(struct guest_mem *gm, uint64_t low)
{
	if (low > gm->size || low > PCI_HOLE_START || (low & 0xfff))
		abort();
	gm->low_size = low;
	gm->high_size = gm->size - low;
}

void fuzz_mem_free(struct guest_mem *gm)
{
	free(gm->host);
	gm->host = NULL;
}

bool fuzz_in_ram(const struct guest_mem *gm, const void *p, uint64_t len)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)gm->host;
	uintptr_t mid = base + gm->low_size, end = base + gm->size;

	if (a >= base && a < mid)
		return len <= mid - a;
	if (a >= mid && a < end)
		return len <= end - a;
	return false;
}

uint64_t fi_gpa(struct fuzz_in *in, const struct guest_mem *gm)
{
	uint8_t sel = fi_u8(in);
	uint64_t anchor, off;

	/* Raw: any 64-bit value at all. */
	if ((sel & 7) == 7)
		return fi_u64(in);
	off = fi_u32(in);
	switch (sel & 7) {
	case 0:
		anchor = 0;
		break;
	case 1:
		anchor = gm->low_size;
		break;
	case 2:
		anchor = PCI_HOLE_START;
		break;
	case 3:
		anchor = PCI_HOLE_END;
		break;
	case 4:
		anchor = PCI_HOLE_END + gm->high_size;
		break;
	case 5:
		anchor = UINT64_MAX;	/* the top: sums there wrap */
		break;
	default:
		anchor = gm->low_size / 2;
		break;
	}
	/* Bit 3: below the anchor (wrapping on purpose). */
	return sel & 8 ? anchor - off : anchor + off;
}

struct vm *fuzz_vm_new(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm) {
		fuzz_log("fuzz: no memory for the vm\n");
		abort();
	}
	vm->kvm_fd = vm->vm_fd = -1;
	vm->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vm->stop_fd < 0) {
		fuzz_log("fuzz: eventfd failed\n");
		abort();
	}
	pthread_mutex_init(&vm->stop_lock, NULL);
	io_bus_init(&vm->pio, "port");
	io_bus_init(&vm->mmio, "mmio");
	if (irq_routing_init(vm) < 0)
		abort();
	return vm;
}

void fuzz_vm_free(struct vm *vm)
{
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->irq.lock);
	pthread_mutex_destroy(&vm->stop_lock);
	close(vm->stop_fd);
	free(vm);
}

const char *fuzz_tmpdir(void)
{
	const char *d = getenv("FUZZ_TMPDIR");

	if (d && *d)
		return d;
	/* tmpfs: fdatasync is free there, and FLUSH requests are common. */
	if (!access("/dev/shm", W_OK))
		return "/dev/shm";
	return "/tmp";
}

void fuzz_check_err(void)
{
	const char *m = err_msg();

	FUZZ_ASSERT(m[0] && !strchr(m, '\n'), "error message '%s'", m);
}

void fuzz_check_boot(struct guest_mem *gm, const struct boot_image *bi)
{
	static const char cmdline[] = "console=ttyS0 reboot=k panic=-1";
	static uint8_t initrd[8192];
	uint64_t gpa = 0, top = gm->low_size, floor, len = sizeof(initrd);
	const uint8_t *p;
	int ret;

	if (!initrd[0])
		memset(initrd, 0x5a, sizeof(initrd));
	if (initrd_place(gm, bi, initrd, sizeof(initrd), &gpa) < 0) {
		/* No room (a small RAM has none above 1 MiB): boot
		 * without one. */
		fuzz_check_err();
		len = 0;
	} else {
		if (bi->initrd_max && bi->initrd_max + 1 < top)
			top = bi->initrd_max + 1;
		floor = bi->end > HIMEM_START ? bi->end : HIMEM_START;
		p = guest_ptr(gm, gpa, sizeof(initrd));
		FUZZ_ASSERT(p && !(gpa & 0xfff) && gpa >= floor &&
			    gpa + sizeof(initrd) <= top &&
			    !memcmp(p, initrd, sizeof(initrd)),
			    "initrd at 0x%llx, kernel 0x%llx-0x%llx, max 0x%llx",
			    (unsigned long long)gpa,
			    (unsigned long long)bi->start,
			    (unsigned long long)bi->end,
			    (unsigned long long)bi->initrd_max);
	}
	if (bi->proto == BOOT_PVH)
		ret = pvh_info_build(gm, cmdline, gpa, len);
	else
		ret = boot_params_build(gm, bi, cmdline, gpa, len);
	if (ret < 0) {
		fuzz_check_err();
		return;
	}
	p = guest_ptr(gm, CMDLINE_ADDR, sizeof(cmdline));
	FUZZ_ASSERT(p && !memcmp(p, cmdline, sizeof(cmdline)),
		    "command line in guest RAM");
	if (bi->proto == BOOT_LINUX64) {
		const struct boot_params *bp =
			guest_ptr(gm, BOOT_PARAMS_ADDR, sizeof(*bp));

		FUZZ_ASSERT(bp->hdr.cmd_line_ptr == CMDLINE_ADDR &&
			    bp->hdr.ramdisk_image == gpa &&
			    bp->hdr.ramdisk_size == len &&
			    bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE,
			    "zero page");
	}
}
