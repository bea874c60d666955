// SPDX-License-Identifier: GPL-2.0
/*
 * msix.c - the MSI-X table and Pending Bit Array in the device's memory
 * BAR, accessed the ways the PCI spec leaves undefined.
 *
 * "For all accesses to MSI-X Table and MSI-X PBA fields, software must
 * use aligned full DWORD or aligned full QWORD transactions; otherwise,
 * the result is undefined" (PCI Local Bus 3.0, 6.8.2).  lightvm defines
 * it as "ignored" (msix.c): byte and word writes, unaligned dwords and
 * qwords not on an 8-byte boundary leave the table as it was.  The PBA
 * is read-only, and the rest of the BAR past table and PBA reads 0 and
 * ignores writes.  Aligned qword writes are two dword writes, low first;
 * reads of any width return the bytes.  Vector Control bits 31:1 are
 * reserved: they read 0 whatever was written.
 *
 * Masking: a masked vector's message waits as its Pending bit ("While a
 * vector is masked, the function is prohibited from sending the
 * associated message ... the function must set the associated Pending
 * bit"), and is sent when it is unmasked; the same for the Function
 * Mask in Message Control.  A masked entry may hold anything: a garbage
 * address and data written while masked, then fixed, must deliver to
 * the fixed vector.
 *
 * Entry 1 is queue 0's: blk's only queue, net's receive queue.
 */
#include "ht.h"

#define ENTRY			16
#define CTRL_MASKED		1u
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_BAR_SIZE		4096

static volatile uint8_t *table(void)
{
	return phys_to_virt(ht.d.msix_table);
}

static uint32_t tbl32(unsigned int off)
{
	return *(volatile uint32_t *)(table() + off);
}

static void tbl_w32(unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(table() + off) = v;
}

/* One 8-byte access each: a single MOV, whatever the compiler likes. */
static void mmio_w64(volatile void *p, uint64_t v)
{
	asm volatile("movq %0, (%1)" : : "r"(v), "r"(p) : "memory");
}

static uint64_t mmio_r64(volatile void *p)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static uint32_t pba(void)
{
	return *(volatile uint32_t *)phys_to_virt(ht.d.msix_pba);
}

static unsigned int table_bytes(void)
{
	return ht.d.msix_size * ENTRY;
}

static uint32_t saved[64];

static void save_table(void)
{
	unsigned int i;

	for (i = 0; i < table_bytes() / 4; i++)
		saved[i] = tbl32(4 * i);
}

static int table_unchanged(const char *name)
{
	unsigned int i;

	for (i = 0; i < table_bytes() / 4; i++)
		if (tbl32(4 * i) != saved[i])
			return ht_fail(name, "table dword %u: 0x%x, was 0x%x",
				       i, tbl32(4 * i), saved[i]);
	return 0;
}

/*
 * After an unmask: the one pending message, exactly once for blk; net
 * may take a frame from the host meanwhile, so at least once there.
 */
static bool one_more(unsigned int before)
{
	unsigned int now;

	ht_wait_irq(HT_VEC_BASE + 1, before, HT_WAIT);
	vtest_sleep_ticks(HT_QUIET);
	now = vtest_irqs[HT_VEC_BASE + 1];
	return ht.net ? now > before : now == before + 1;
}

/* A request on queue 0 that must bring (or not bring) entry 1's IRQ. */
static int queue_irq(const char *name, bool want)
{
	unsigned int before = vtest_irqs[HT_VEC_BASE + 1];

	if (ht_works(name))
		return -1;
	if (want)
		ht_wait_irq(HT_VEC_BASE + 1, before, HT_WAIT);
	else
		vtest_sleep_ticks(HT_QUIET);
	if ((vtest_irqs[HT_VEC_BASE + 1] != before) != want)
		return ht_fail(name, "%u queue interrupts, expected %s",
			       vtest_irqs[HT_VEC_BASE + 1] - before,
			       want ? "some" : "none");
	return 0;
}

static int odd_writes(void)
{
	const char *name = "msix_table_odd_width_writes";
	volatile uint8_t *t = table();
	unsigned int off;

	save_table();
	for (off = 0; off < table_bytes(); off++)
		t[off] = 0xa5;
	for (off = 0; off + 2 <= table_bytes(); off++)
		*(volatile uint16_t *)(t + off) = 0x5aa5;
	for (off = 0; off + 4 <= table_bytes(); off++)
		if (off % 4)
			*(volatile uint32_t *)(t + off) = 0xdeadbeef;
	for (off = 4; off + 8 <= table_bytes(); off += 8)
		mmio_w64(t + off, 0xdeadbeefcafef00dULL);
	if (table_unchanged(name) || queue_irq(name, true))
		return -1;
	ht_ok(name);
	return 0;
}

/* Reads of every width give the table's bytes. */
static int odd_reads(void)
{
	const char *name = "msix_table_odd_width_reads";
	volatile uint8_t *t = table();
	unsigned int off;

	save_table();
	for (off = 0; off < table_bytes(); off++) {
		uint8_t want = (uint8_t)(saved[off / 4] >> (8 * (off % 4)));

		if (t[off] != want)
			return ht_fail(name, "byte %u: 0x%x, expected 0x%x",
				       off, t[off], want);
	}
	/* Words and dwords at every offset, qwords at every dword. */
	for (off = 0; off + 2 <= table_bytes(); off++) {
		uint16_t want = t[off] | t[off + 1] << 8;

		if (*(volatile uint16_t *)(t + off) != want)
			return ht_fail(name, "word at %u: 0x%x, expected 0x%x",
				       off, *(volatile uint16_t *)(t + off),
				       want);
	}
	for (off = 0; off + 4 <= table_bytes(); off++) {
		uint32_t want = 0;
		unsigned int i;

		for (i = 0; i < 4; i++)
			want |= (uint32_t)t[off + i] << (8 * i);
		if (*(volatile uint32_t *)(t + off) != want)
			return ht_fail(name, "dword at %u: 0x%x, expected 0x%x",
				       off, *(volatile uint32_t *)(t + off),
				       want);
	}
	for (off = 0; off + 8 <= table_bytes(); off += 4) {
		uint64_t want = saved[off / 4] |
				(uint64_t)saved[off / 4 + 1] << 32;

		if (mmio_r64(t + off) != want)
			return ht_fail(name, "qword at %u: 0x%lx, expected 0x%lx",
				       off, mmio_r64(t + off), want);
	}
	ht_ok(name);
	return 0;
}

/* Past the table: the PBA (read-only) and the rest of the BAR. */
static int past_table(void)
{
	const char *name = "msix_pba_and_past_table_writes";
	volatile uint8_t *t = table();
	unsigned int off, irqs;

	save_table();
	/* net may take a frame from the host at any time: there only the
	 * config entry has to stay quiet. */
	irqs = ht.net ? ht_config_irqs() : ht_all_irqs();
	for (off = table_bytes(); off < MSIX_BAR_SIZE; off += 4) {
		*(volatile uint32_t *)(t + off) = 0xffffffff;
		if (off % 8 == 0)
			mmio_w64(t + off, ~0ULL);
		if (off < table_bytes() + 64) {
			t[off] = 0xff;
			*(volatile uint16_t *)(t + off + 1) = 0xffff;
		}
	}
	vtest_sleep_ticks(HT_QUIET);
	if ((ht.net ? ht_config_irqs() : ht_all_irqs()) != irqs)
		return ht_fail(name, "writing the PBA fired an interrupt");
	for (off = table_bytes(); off < MSIX_BAR_SIZE; off += 4)
		if (*(volatile uint32_t *)(t + off) != 0)
			return ht_fail(name, "BAR+%u reads 0x%x, expected 0",
				       off, *(volatile uint32_t *)(t + off));
	if (table_unchanged(name) || queue_irq(name, true))
		return -1;
	ht_ok(name);
	return 0;
}

/* Aligned qwords are two dwords: data + control of entry 1 at once. */
static int qword_entry(void)
{
	const char *name = "msix_table_qword_writes";
	volatile uint8_t *e = table() + ENTRY;
	unsigned int spare = vtest_irqs[HT_VEC_SPARE];
	uint64_t addr = mmio_r64(e);

	mmio_w64(e + 8, HT_VEC_SPARE);		/* data, control 0 */
	mmio_w64(e, addr);
	if (tbl32(ENTRY + 8) != HT_VEC_SPARE || tbl32(ENTRY + 12) != 0 ||
	    mmio_r64(e) != addr)
		return ht_fail(name, "entry 1 reads data 0x%x control 0x%x",
			       tbl32(ENTRY + 8), tbl32(ENTRY + 12));
	if (queue_irq(name, false))
		return -1;
	if (!ht_wait_irq(HT_VEC_SPARE, spare, HT_WAIT))
		return ht_fail(name, "no interrupt on the new vector 0x%x",
			       HT_VEC_SPARE);
	mmio_w64(e + 8, HT_VEC_BASE + 1);
	if (queue_irq(name, true))
		return -1;
	ht_ok(name);
	return 0;
}

/* Masked: pending, not sent; unmasked: sent, pending clear. */
static int masking(void)
{
	const char *name = "msix_vector_mask_pending";
	unsigned int before;
	uint16_t ctrl;

	tbl_w32(ENTRY + 12, 0xfffffffe);	/* reserved bits, unmasked */
	if (tbl32(ENTRY + 12) != 0)
		return ht_fail(name, "control reads 0x%x after 0xfffffffe",
			       tbl32(ENTRY + 12));
	tbl_w32(ENTRY + 12, 0xffffffff);
	if (tbl32(ENTRY + 12) != CTRL_MASKED)
		return ht_fail(name, "control reads 0x%x after 0xffffffff",
			       tbl32(ENTRY + 12));
	if (queue_irq(name, false))
		return -1;
	if (!(pba() & 2))
		return ht_fail(name, "PBA 0x%x: entry 1 not pending", pba());
	before = vtest_irqs[HT_VEC_BASE + 1];
	tbl_w32(ENTRY + 12, 0);
	if (!one_more(before) || (pba() & 2))
		return ht_fail(name, "unmasked: %u interrupts, PBA 0x%x",
			       vtest_irqs[HT_VEC_BASE + 1] - before, pba());
	ht_ok(name);

	name = "msix_function_mask_pending";
	ctrl = pci_read16(0, ht.d.slot, 0, ht.d.msix_cap + 2);
	pci_write16(0, ht.d.slot, 0, ht.d.msix_cap + 2,
		    ctrl | MSIX_CTRL_MASKALL);
	if (queue_irq(name, false))
		return -1;
	if (!(pba() & 2))
		return ht_fail(name, "PBA 0x%x: entry 1 not pending", pba());
	before = vtest_irqs[HT_VEC_BASE + 1];
	pci_write16(0, ht.d.slot, 0, ht.d.msix_cap + 2, ctrl);
	if (!one_more(before) || (pba() & 2))
		return ht_fail(name, "function unmasked: %u interrupts, PBA 0x%x",
			       vtest_irqs[HT_VEC_BASE + 1] - before, pba());
	ht_ok(name);
	return 0;
}

/* Garbage in a masked entry is harmless; fixed, it delivers. */
static int garbage_masked(void)
{
	const char *name = "msix_garbage_in_masked_entry";
	uint32_t lo = tbl32(ENTRY), hi = tbl32(ENTRY + 4);
	unsigned int before, irqs;

	tbl_w32(ENTRY + 12, CTRL_MASKED);
	tbl_w32(ENTRY, 0x12345678);
	tbl_w32(ENTRY + 4, 0xdeadbeef);
	tbl_w32(ENTRY + 8, 0xffffffff);
	irqs = ht_all_irqs();
	if (ht_works(name))
		return -1;
	vtest_sleep_ticks(HT_QUIET);
	if (!(pba() & 2))
		return ht_fail(name, "PBA 0x%x: entry 1 not pending", pba());
	/* net's TX entry may fire; blk has nothing else. */
	if (!ht.net && ht_all_irqs() != irqs)
		return ht_fail(name, "%u interrupts while masked",
			       ht_all_irqs() - irqs);
	tbl_w32(ENTRY, lo);
	tbl_w32(ENTRY + 4, hi);
	tbl_w32(ENTRY + 8, HT_VEC_BASE + 1);
	before = vtest_irqs[HT_VEC_BASE + 1];
	tbl_w32(ENTRY + 12, 0);
	if (!one_more(before) || (pba() & 2))
		return ht_fail(name, "fixed and unmasked: %u interrupts, PBA 0x%x",
			       vtest_irqs[HT_VEC_BASE + 1] - before, pba());
	if (queue_irq(name, true))
		return -1;
	ht_ok(name);
	return 0;
}

int ht_group_msix_table(void)
{
	if (ht_start(ht_default_features()))
		return -1;
	if (ht.d.msix_size * ENTRY > sizeof(saved) * 4)
		return ht_fail("msix", "%u entries", ht.d.msix_size);
	if (odd_writes() || odd_reads() || past_table() || qword_entry() ||
	    masking() || garbage_masked())
		return -1;
	return ht_recover("msix");
}
