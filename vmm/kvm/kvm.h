/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm.h - interface of vmm/kvm: the VM and its vCPUs, guest memory and its
 * layout, boot loaders, the port-I/O/MMIO dispatch table and the legacy PC
 * devices.
 */
#ifndef LIGHTVM_KVM_H
#define LIGHTVM_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <asm/bootparam.h>
#include <linux/kvm.h>

#include "../lightvm.h"

/*
 * Guest physical layout.  Everything the loader writes below 1 MiB sits in
 * conventional memory that e820 reports as RAM but which Linux never
 * allocates before it has parsed boot_params (it reserves the first 64 KiB
 * and everything below the EBDA anyway).
 */
#define GDT_ADDR		0x1000ULL
#define PVH_INFO_ADDR		0x2000ULL	/* start_info, memmap, modlist */
#define BOOT_PARAMS_ADDR	0x7000ULL	/* the "zero page" */
#define PML4_ADDR		0x9000ULL
#define PDPT_ADDR		0xa000ULL
#define PD_ADDR			0xb000ULL	/* 4 pages: 4 GiB of 2 MiB pages */
#define BOOT_STACK_TOP		0x8ff0ULL
#define CMDLINE_ADDR		0x20000ULL
#define CMDLINE_MAX		0x10000ULL	/* room reserved at CMDLINE_ADDR */
#define EBDA_START		0x9fc00ULL	/* 639 KiB: the MP table lives here */
#define HIMEM_START		0x100000ULL
#define PCI_HOLE_START		0xc0000000ULL	/* 32-bit PCI MMIO hole... */
#define PCI_HOLE_END		0x100000000ULL	/* ...up to 4 GiB */
#define PCI_MMIO_START		PCI_HOLE_START
#define PCI_MMIO_END		0xfec00000ULL	/* IOAPIC, LAPIC above */
#define IOAPIC_ADDR		0xfec00000ULL
#define LAPIC_ADDR		0xfee00000ULL
#define KVM_IDMAP_ADDR		0xfeffc000ULL	/* 1 page, VMX real-mode idmap */
#define KVM_TSS_ADDR		0xfeffd000ULL	/* 3 pages */
#define KVM_PRIV_END		0xff000000ULL

/* ---- guest memory (memory.c) ---- */
struct guest_mem {
	uint8_t *host;		/* one mapping: low RAM, then high RAM */
	int fd;			/* the memfd behind it (offset = host
				 * offset), or -1: anonymous memory */
	uint64_t size;		/* total bytes */
	uint64_t low_size;	/* RAM at GPA 0 .. low_size */
	uint64_t high_size;	/* RAM at GPA 4 GiB .. 4 GiB + high_size */
};

int guest_mem_init(struct guest_mem *gm, uint64_t size);
void guest_mem_free(struct guest_mem *gm);
uint64_t guest_mem_resident(const struct guest_mem *gm);
/* Host pointer for [gpa, gpa+len) if it lies entirely inside one RAM
 * region, NULL otherwise (overflow-checked). */
void *guest_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
/* Highest GPA + 1 of RAM below the PCI hole. */
static inline uint64_t guest_low_end(const struct guest_mem *gm)
{
	return gm->low_size;
}

/* ---- e820 (e820.c) ---- */
#define E820_TYPE_RAM		1
#define E820_TYPE_RESERVED	2

struct e820_map {
	unsigned int nr;
	struct boot_e820_entry e[E820_MAX_ENTRIES_ZEROPAGE];
};

void e820_build(const struct guest_mem *gm, struct e820_map *map);

/* ---- kernel images (elf.c, bzimage.c, decompress.c, kernel.c) ---- */
enum boot_protocol {
	BOOT_LINUX64,	/* 64-bit boot protocol: RSI = boot_params */
	BOOT_PVH,	/* PVH: 32-bit flat, EBX = hvm_start_info */
	BOOT_MULTIBOOT,	/* Multiboot v1: 32-bit flat, EAX magic, EBX info */
};

struct boot_image {
	enum boot_protocol proto;
	uint64_t entry;		/* guest-physical entry point */
	uint64_t start, end;	/* guest-physical range the kernel claims */
	bool has_setup;		/* bzImage: setup header valid */
	struct setup_header setup;
	size_t setup_len;	/* bytes of the header present in the image */
	uint64_t initrd_max;	/* highest address an initrd byte may use */
	uint32_t cmdline_size;	/* max command-line length, without NUL */
	uint32_t mb_flags;	/* Multiboot: the header's flags */
	char desc[96];		/* what was booted, for -v */
};

/* Load an ELF64 executable (vmlinux, test kernel) from buf. */
int elf_load(struct guest_mem *gm, const uint8_t *buf, size_t len,
	     enum elf_entry_mode mode, struct boot_image *bi);
/* Load a bzImage from buf: host-decompress its payload and load the ELF
 * (default), or with guest_decompress place the compressed kernel and
 * enter at its 64-bit entry (load address + 0x200). */
int bzimage_load(struct guest_mem *gm, const uint8_t *buf, size_t len,
		 bool guest_decompress, struct boot_image *bi);
/* Decompress a Linux kernel payload (gzip, xz, lzma, lz4 legacy, zstd).
 * The caller frees *out.  max_out bounds the output size. */
int payload_decompress(const uint8_t *in, size_t len, size_t max_out,
		       uint8_t **out, size_t *out_len, const char **method);
/* ---- Multiboot v1 (multiboot.c) ---- */
#define MB_BOOT_MAGIC		0x2BADB002u	/* EAX at entry */
#define MB_INFO_ADDR		PVH_INFO_ADDR	/* EBX at entry */
#define MB_MAX_MODULES		64

struct mb_header {
	uint32_t flags;
	/* flags bit 16 (the a.out kludge) only: */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

struct mb_module {
	const uint8_t *data;
	size_t len;
	const char *string;	/* what the kernel sees as its command line */
};

/* A valid header (magic, checksum) in the first 8 KiB: 1 with *h and its
 * file offset, 0 when there is none, -1 when it is cut off. */
int multiboot_find(const uint8_t *buf, size_t len, struct mb_header *h,
		   size_t *off);
/* Load the image as the header says (a.out kludge or ELF32). */
int multiboot_load(struct guest_mem *gm, const uint8_t *buf, size_t len,
		   const struct mb_header *h, size_t off, struct boot_image *bi);
/* The information structure, memory map, modules and command line. */
int multiboot_info_build(struct guest_mem *gm, const struct boot_image *bi,
			 const char *cmdline, const struct mb_module *mods,
			 unsigned int nr_mods);

/* The above from the command line: -p, -i and --module files. */
int multiboot_boot_setup(struct guest_mem *gm, const struct boot_image *bi,
			 const struct vm_config *cfg);

/* Read `path` and dispatch to the ELF or bzImage loader. */
int kernel_load(struct guest_mem *gm, const struct vm_config *cfg,
		struct boot_image *bi);

/* Read a whole file (kernel, initrd) into a malloc'd buffer. */
int file_read_all(const char *what, const char *path, size_t max,
		  uint8_t **buf, size_t *len);

/* ---- boot setup (boot_params.c, pvh.c, cmdline.c, pagetables.c) ---- */
int cmdline_build(char *buf, size_t size, const struct vm_config *cfg,
		  bool pvm);
int initrd_place(struct guest_mem *gm, const struct boot_image *bi,
		 const uint8_t *data, size_t len, uint64_t *gpa);
int boot_params_build(struct guest_mem *gm, const struct boot_image *bi,
		      const char *cmdline, uint64_t initrd_gpa,
		      uint64_t initrd_len);
int pvh_info_build(struct guest_mem *gm, const char *cmdline,
		   uint64_t initrd_gpa, uint64_t initrd_len);
void boot_pagetables_build(struct guest_mem *gm);
void boot_gdt_build(struct guest_mem *gm);

struct vm;
struct mp_pci_irq;

/* ---- MP table (mptable.c) ---- */
int mptable_build(struct guest_mem *gm, unsigned int nr_cpus,
		  const struct mp_pci_irq *pci_irqs, unsigned int nr_pci_irqs);

/* ---- port I/O and MMIO dispatch (io_bus.c) ---- */
typedef void (*io_handler_t)(void *opaque, uint64_t offset, uint8_t *data,
			     unsigned int len, bool is_write);

struct io_range {
	uint64_t start, len;
	io_handler_t fn;
	void *opaque;
	const char *name;
};

#define IO_BUS_MAX_RANGES	128
#define IO_BUS_MAX_LOGGED	64

struct io_bus {
	const char *name;		/* "port" or "mmio" */
	pthread_rwlock_t lock;
	unsigned int nr;
	struct io_range r[IO_BUS_MAX_RANGES];	/* sorted by start */
	pthread_mutex_t log_lock;
	unsigned int nr_logged;
	uint64_t logged[IO_BUS_MAX_LOGGED];	/* unhandled, already logged */
	uint64_t unhandled;			/* count of unhandled accesses */
};

void io_bus_init(struct io_bus *bus, const char *name);
void io_bus_destroy(struct io_bus *bus);
int io_bus_register(struct io_bus *bus, uint64_t start, uint64_t len,
		    io_handler_t fn, void *opaque, const char *name);
int io_bus_unregister(struct io_bus *bus, uint64_t start);
/* Dispatch one access.  Unhandled reads return all-ones; each unhandled
 * address is logged once.  Returns true when a device claimed it. */
bool io_bus_access(struct io_bus *bus, uint64_t addr, uint8_t *data,
		   unsigned int len, bool is_write);

/* ---- interrupt routing, irqfd, ioeventfd (irq.c) ---- */
/*
 * KVM's GSI routing table is replaced as a whole (KVM_SET_GSI_ROUTING), so
 * it is kept here: the default irqchip routes for GSIs 0..23 (ISA IRQ n to
 * PIC and IOAPIC pin n, PCI INTx on pins 16..23) plus MSI routes allocated
 * from GSI 24 up, one per MSI-X vector.
 */
#define IRQ_MAX_GSI		1024
#define IRQ_FIRST_MSI_GSI	24
#define IRQ_FIRST_PCI_GSI	16	/* IOAPIC pins 16..23 for PCI INTx */

struct irq_routing {
	pthread_mutex_t lock;
	unsigned int next_msi_gsi;
	bool msi_used[IRQ_MAX_GSI];
	struct kvm_irq_routing_entry msi[IRQ_MAX_GSI];	/* by GSI */
};

int irq_routing_init(struct vm *vm);
/* Allocate a GSI for an MSI route (initially address 0: never fires). */
int irq_msi_gsi_alloc(struct vm *vm, uint32_t *gsi);
void irq_msi_gsi_free(struct vm *vm, uint32_t gsi);
/* Point an MSI GSI at (addr, data) and push the table to KVM. */
int irq_msi_route_set(struct vm *vm, uint32_t gsi, uint64_t addr,
		      uint32_t data);
/* Bind an eventfd to a GSI (resample_fd -1 for edge/MSI). */
int irqfd_assign(struct vm *vm, int fd, uint32_t gsi, int resample_fd);
int irqfd_deassign(struct vm *vm, int fd, uint32_t gsi);
/* A guest write of `len` bytes at `addr` (port or MMIO) equal to
 * `datamatch` signals fd in the kernel, without exiting to us. */
int ioeventfd_assign(struct vm *vm, int fd, uint64_t addr, unsigned int len,
		     bool pio, uint64_t datamatch);
int ioeventfd_deassign(struct vm *vm, int fd, uint64_t addr,
		       unsigned int len, bool pio, uint64_t datamatch);
/* INTx and ISA lines go through vm_irq_line(). */

/* PCI INTx lines the MP table must describe (filled by vmm/pci). */
struct mp_pci_irq {
	uint8_t slot;
	uint8_t pin;		/* 1 = INTA */
	uint8_t gsi;		/* IOAPIC pin */
};
#define MP_MAX_PCI_IRQS		32

/* ---- the VM (vm.c, vcpu.c, cpuid.c, pvm.c) ---- */
struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	uint64_t exits;		/* exits to user space */
};

struct serial;
struct console;
struct rtc;
struct i8042;
struct fw_cfg;
struct testdev;

struct vm {
	const struct vm_config *cfg;
	int kvm_fd, vm_fd;
	int run_size;
	bool pvm;		/* PVM compat path active */
	bool xsave_hidden;	/* CPUID offers no XSAVE (PVM, or XSETBV lost) */
	struct guest_mem mem;
	struct io_bus pio, mmio;
	unsigned int nr_cpus;
	struct vcpu vcpus[LIGHTVM_MAX_CPUS];
	struct kvm_cpuid2 *cpuid;
	struct boot_image boot;
	struct console *con;
	struct serial *uart;
	struct rtc *rtc;
	struct i8042 *kbd;
	struct fw_cfg *fw_cfg;
	struct testdev *testdev;	/* --testdev only */

	pthread_mutex_t stop_lock;
	bool stopping;
	int exit_code;
	char exit_reason[160];
	int stop_fd;		/* eventfd: written when the VM must stop */
	struct irq_routing irq;
	unsigned int nr_pci_irqs;
	struct mp_pci_irq pci_irqs[MP_MAX_PCI_IRQS];
	void *pci;		/* vmm/pci's bus state */
	void *devices;		/* vmm/virtio's device list */

	bool panicked;		/* guest reported a panic, reboot follows */
	uint64_t panic_deadline;/* ms, CLOCK_MONOTONIC: stop with 120 then */
};

bool pvm_host_detect(void);
int vm_create(struct vm *vm, const struct vm_config *cfg);
int vm_setup_boot(struct vm *vm);
/* Run until the guest or the timeout decides; returns the exit code. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);
void vm_print_stats(struct vm *vm);
void vm_print_memory(struct vm *vm);
void vm_teardown_in_background(struct vm *vm);
/* First caller wins: record the exit code and make every vCPU stop. */
void vm_request_stop(struct vm *vm, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool vm_stopping(struct vm *vm);
void vm_irq_line(struct vm *vm, unsigned int irq, int level);

int cpuid_setup(struct vm *vm);

/* xsetbv_probe.c: does the guest's XSETBV reach KVM on this host? */
enum xsetbv_result {
	XSETBV_SEEN,	/* KVM tracks the guest's XCR0: XSAVE is safe */
	XSETBV_LOST,	/* a hypervisor below KVM swallows the intercept */
	XSETBV_UNKNOWN,	/* the probe could not run */
};
bool xsetbv_host_is_guest(void);
enum xsetbv_result xsetbv_probe(int kvm_fd, int run_size,
				const struct kvm_cpuid2 *cpuid);
int vcpu_init(struct vm *vm, struct vcpu *v, unsigned int id);
int vcpu_setup_boot_regs(struct vcpu *v);
void *vcpu_thread(void *arg);
void vcpu_kick(struct vcpu *v);
/* PVM: try to handle an emulation failure; true if the vCPU may go on. */
bool pvm_handle_emulation_failure(struct vcpu *v);
int vcpu_read_guest_insn(struct vcpu *v, uint64_t *rip, uint8_t *bytes,
			 unsigned int n);
void vcpu_dump_state(struct vcpu *v);

/* ---- legacy PC devices (serial.c, console.c, i8042.c, rtc.c, misc) ---- */
int console_init(struct vm *vm, const char *log_path);
void console_write(struct console *con, const uint8_t *buf, size_t len);
void console_flush(struct console *con);
/* Poll stdin for guest input; called from the main wait loop. */
int console_input_fd(struct console *con);
int console_read_input(struct vm *vm);
bool console_input_pending(struct console *con);
/* Hand buffered input to the UART as far as it accepts it now. */
void console_deliver_input(struct vm *vm);
void console_restore(struct console *con);
void console_destroy(struct console *con);

/* Watch console lines for the guest's panic and power-off messages. */
void console_scan_line(struct vm *vm, const char *line);

int serial_init(struct vm *vm);
void serial_destroy(struct serial *s);
/* Queue input bytes for the guest; returns how many were accepted. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);
int i8042_init(struct vm *vm);
void i8042_destroy(struct vm *vm);
int rtc_init(struct vm *vm);
void rtc_destroy(struct vm *vm);
int debug_ports_init(struct vm *vm);
/* fw_cfg.c: QEMU's fw_cfg, I/O interface (signature, ID, RAM, CPUs). */
int fw_cfg_init(struct vm *vm);
void fw_cfg_destroy(struct vm *vm);
/* testdev.c: QEMU's pc-testdev (--testdev). */
int testdev_init(struct vm *vm);
void testdev_destroy(struct vm *vm);
uint64_t monotonic_ms(void);

#endif
