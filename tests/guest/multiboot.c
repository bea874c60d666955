// SPDX-License-Identifier: GPL-2.0
/*
 * multiboot - a test kernel written the way test kernels for QEMU's
 * `-kernel` are: booted by Multiboot v1 (as an ELF32, multiboot.elf, and
 * as an a.out-kludge flat binary, multiboot-aout.bin), it learns its world
 * from the Multiboot information and QEMU's fw_cfg, pokes QEMU's
 * pc-testdev, and reports through a 4-byte write to the debug-exit port.
 * The same binaries run under lightvm and under
 *   qemu-system-x86_64 -enable-kvm -kernel K -initrd "M0,M1 second arg"
 *     -device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev
 *
 * Checks (the status says which one failed):
 *   1  entered through Multiboot with EAX = 0x2BADB002
 *   2  the information has mem, cmdline, mods and mmap (flags 0,2,3,6)
 *   3  mem_lower <= 640 and mem_upper agrees with fw_cfg's RAM size
 *      (within 4 MiB: firmware may keep the top of RAM)
 *   4  the memory map has RAM at 1 MiB exactly mem_upper KiB long
 *   5  the command line starts with the kernel's path (a word naming
 *      "multiboot") and carries cpus=N
 *   6  mods=2: two page-aligned modules, each holding
 *      "lightvm multiboot module I\n", module 1's string ending in
 *      " second arg"
 *   7  fw_cfg: signature "QEMU", ID with the traditional interface
 *   8  fw_cfg: the CPU count is cpus=N
 *   9  every other CPU, woken by INIT/SIPI broadcast (no MP table),
 *      checks in: N - 1 of them
 *  10  pc-testdev: the latch at 0xe0 keeps 32 bits and bytes
 *  11  pc-testdev: raising ISA IRQ 5 at 0x2005 interrupts us through
 *      the I/O APIC
 *  12  pc-testdev: the memory at 0xff000000 keeps what is written
 *  13  pc-testdev: a page flushed through 0xe4 keeps its contents
 */
#include "runtime.h"

const char test_name[] = "multiboot";

#define MBI_FLAG_MEM		(1u << 0)
#define MBI_FLAG_CMDLINE	(1u << 2)
#define MBI_FLAG_MODS		(1u << 3)
#define MBI_FLAG_MMAP		(1u << 6)

#define FW_CFG_SEL		0x510
#define FW_CFG_DATA		0x511
#define TESTDEV_LATCH		0xe0
#define TESTDEV_FLUSH		0xe4
#define TESTDEV_IRQ(n)		(0x2000 + (n))
#define TESTDEV_IOMEM		0xff000000ull
#define TEST_IRQ		5
#define TEST_VECTOR		0x45
#define WAIT_VECTOR		0x40

/* Multiboot 3.3, the fields used here. */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
} __packed;

struct mb_module {
	uint32_t start, end, string, reserved;
} __packed;

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __packed;

static volatile unsigned int checked_in, irq_seen, ticks;
static uint8_t flush_buf[4096] __aligned(4096);

static void fw_cfg_read(uint16_t key, void *buf, unsigned int len)
{
	uint8_t *p = buf;

	outw(FW_CFG_SEL, key);
	while (len--)
		*p++ = inb(FW_CFG_DATA);
}

static int check_info(const struct mb_info *mbi, uint64_t ram)
{
	const struct mb_mmap *e;
	uint64_t upper = (uint64_t)mbi->mem_upper * 1024, off;
	bool found = false;

	if ((mbi->flags & (MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
			   MBI_FLAG_MMAP)) != (MBI_FLAG_MEM | MBI_FLAG_CMDLINE |
					       MBI_FLAG_MODS | MBI_FLAG_MMAP)) {
		printf("FAIL: Multiboot flags 0x%x lack mem/cmdline/mods/mmap\n",
		       mbi->flags);
		return 2;
	}
	printf("mem_lower %u KiB, mem_upper %u KiB, fw_cfg RAM %lu MiB\n",
	       mbi->mem_lower, mbi->mem_upper, ram >> 20);
	if (mbi->mem_lower > 640 || upper + (1 << 20) > ram ||
	    upper + (1 << 20) + (4 << 20) < ram) {
		printf("FAIL: mem_upper does not match the RAM size\n");
		return 3;
	}
	for (off = 0; off + sizeof(*e) <= mbi->mmap_length;
	     off += e->size + 4) {
		e = phys_to_virt(mbi->mmap_addr + off);
		printf("mmap: [0x%lx, 0x%lx) type %u\n", e->addr,
		       e->addr + e->len, e->type);
		if (e->type == 1 && e->addr == 0x100000 && e->len == upper)
			found = true;
		if (e->size < 20)
			break;
	}
	if (!found) {
		printf("FAIL: no RAM entry of mem_upper KiB at 1 MiB\n");
		return 4;
	}
	return 0;
}

static int check_cmdline(void)
{
	const char *c = cmdline();
	const char *space = c;

	while (*space && *space != ' ')
		space++;
	for (; c + 9 <= space; c++)
		if (!memcmp(c, "multiboot", 9))
			return 0;
	printf("FAIL: the command line's first word is not the kernel's path\n");
	return 5;
}

static int check_modules(const struct mb_info *mbi)
{
	const struct mb_module *m = phys_to_virt(mbi->mods_addr);
	uint64_t want = 0;
	unsigned int i;

	cmdline_get_uint("mods", &want);
	if (mbi->mods_count != want) {
		printf("FAIL: %u modules, mods=%lu\n", mbi->mods_count, want);
		return 6;
	}
	for (i = 0; i < mbi->mods_count; i++) {
		const char *s = phys_to_virt(m[i].string);
		char expect[40];
		size_t n = (size_t)snprintf(expect, sizeof(expect),
					    "lightvm multiboot module %u\n", i);
		size_t sl = strlen(s);

		printf("module %u: [0x%x, 0x%x) \"%s\"\n", i, m[i].start,
		       m[i].end, s);
		if ((m[i].start & 0xfff) || m[i].end - m[i].start != n ||
		    memcmp(phys_to_virt(m[i].start), expect, n)) {
			printf("FAIL: module %u is not page aligned or holds something else\n",
			       i);
			return 6;
		}
		if (i == 1 && (sl < 11 || memcmp(s + sl - 11, " second arg", 11))) {
			printf("FAIL: module 1's string does not end in \" second arg\"\n");
			return 6;
		}
	}
	return 0;
}

static int check_fw_cfg(uint64_t *ram)
{
	char sig[5] = { 0 };
	uint32_t id = 0;
	uint16_t cpus = 0;
	uint64_t want = 1;

	fw_cfg_read(0x0000, sig, 4);
	fw_cfg_read(0x0001, &id, 4);
	if (memcmp(sig, "QEMU", 4) || !(id & 1)) {
		printf("FAIL: fw_cfg signature \"%s\", ID 0x%x\n", sig, id);
		return 7;
	}
	fw_cfg_read(0x0003, ram, 8);
	fw_cfg_read(0x0005, &cpus, 2);
	cmdline_get_uint("cpus", &want);
	printf("fw_cfg: \"%s\", ID 0x%x, %u CPUs, %lu MiB\n", sig, id, cpus,
	       *ram >> 20);
	if (cpus != want) {
		printf("FAIL: fw_cfg says %u CPUs, cpus=%lu\n", cpus, want);
		return 8;
	}
	return 0;
}

static void ap_main(void)
{
	__atomic_fetch_add(&checked_in, 1, __ATOMIC_SEQ_CST);
}

static void tick(struct trap_frame *f)
{
	(void)f;
	ticks++;
	lapic_eoi();
}

/* INIT, then STARTUP twice, to all but ourselves (ICR shorthand 3):
 * the kernel does not need to know the other CPUs' APIC IDs. */
static void broadcast(uint32_t icr)
{
	lapic_write(APIC_ICR_HI, 0);
	lapic_write(APIC_ICR_LO, icr | (3u << 18));
	while (lapic_read(APIC_ICR_LO) & (1u << 12))
		cpu_relax();
}

static int start_aps(unsigned int cpus)
{
	size_t len = trampoline_end - trampoline_start;
	unsigned int i;

	memcpy(phys_to_virt(TRAMPOLINE_ADDR), trampoline_start, len);
	ap_main_fn = ap_main;
	broadcast(0x00004500);			/* INIT, assert */
	lapic_udelay(10000);
	for (i = 0; i < 2; i++) {
		broadcast(0x00004600 | (TRAMPOLINE_ADDR >> 12));	/* SIPI */
		lapic_udelay(200);
	}
	trap_register(WAIT_VECTOR, tick);
	lapic_timer_start(WAIT_VECTOR, 10000 * (LAPIC_TIMER_HZ / 1000000u),
			  true, false);
	while (checked_in < cpus - 1 && ticks < 500) {
		irq_enable_and_halt();
		irq_disable();
	}
	lapic_timer_stop();
	/* A little longer: a CPU we did not expect would show up now. */
	lapic_udelay(20000);
	printf("%u of %u other CPUs checked in\n", checked_in, cpus - 1);
	return checked_in == cpus - 1 ? 0 : 9;
}

static void on_irq(struct trap_frame *f)
{
	(void)f;
	irq_seen++;
	lapic_eoi();
}

static int check_testdev(void)
{
	volatile uint8_t *iomem = phys_to_virt(TESTDEV_IOMEM);
	unsigned int i;

	outl(TESTDEV_LATCH, 0xdeadbeef);
	outb(TESTDEV_LATCH + 1, 0x42);
	if (inl(TESTDEV_LATCH) != 0xdead42ef || inb(TESTDEV_LATCH + 3) != 0xde) {
		printf("FAIL: testdev latch reads 0x%x\n", inl(TESTDEV_LATCH));
		return 10;
	}
	trap_register(TEST_VECTOR, on_irq);
	ioapic_route(TEST_IRQ, TEST_VECTOR, 0);
	irq_enable();
	outb(TESTDEV_IRQ(TEST_IRQ), 1);
	for (i = 0; i < 1000000 && !irq_seen; i++)
		cpu_relax();
	outb(TESTDEV_IRQ(TEST_IRQ), 0);
	irq_disable();
	if (irq_seen != 1) {
		printf("FAIL: IRQ %u through the I/O APIC arrived %u times\n",
		       TEST_IRQ, irq_seen);
		return 11;
	}
	for (i = 0; i < 64; i++)
		iomem[i * 1024] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < 64; i++) {
		if (iomem[i * 1024] != (uint8_t)(i * 7 + 1)) {
			printf("FAIL: testdev iomem byte %u reads 0x%x\n",
			       i * 1024, iomem[i * 1024]);
			return 12;
		}
	}
	for (i = 0; i < sizeof(flush_buf); i++)
		flush_buf[i] = (uint8_t)i;
	outl(TESTDEV_FLUSH, (uint32_t)(uintptr_t)flush_buf);
	for (i = 0; i < sizeof(flush_buf); i++) {
		if (flush_buf[i] != (uint8_t)i) {
			printf("FAIL: the flushed page changed at byte %u\n", i);
			return 13;
		}
	}
	printf("pc-testdev: latch, IRQ %u, iomem and page flush work\n",
	       TEST_IRQ);
	return 0;
}

int test_main(void)
{
	const struct mb_info *mbi;
	uint64_t ram = 0, cpus = 1;
	int r;

	if (boot_entry != BOOT_ENTRY_MULTIBOOT || mb_magic != MB_BOOT_MAGIC) {
		printf("FAIL: not entered through Multiboot (EAX 0x%x)\n",
		       mb_magic);
		r = 1;
		goto out;
	}
	mbi = phys_to_virt(multiboot_info);
	lapic_enable();
	cmdline_get_uint("cpus", &cpus);
	r = check_fw_cfg(&ram);
	if (!r)
		r = check_info(mbi, ram);
	if (!r)
		r = check_cmdline();
	if (!r)
		r = check_modules(mbi);
	if (!r)
		r = start_aps((unsigned int)cpus);
	if (!r)
		r = check_testdev();
	if (!r)
		printf("multiboot: all checks passed\n");
out:
	/* A 4-byte write, as QEMU test kernels report. */
	outl(0xf4, (uint32_t)r);
	halt_forever();
}
