// SPDX-License-Identifier: GPL-2.0
/*
 * smp - find the CPUs in the Intel MultiProcessor Specification 1.4
 * table, wake every application processor with INIT-SIPI-SIPI, and wait
 * for each to check in from 64-bit C code on its own stack.
 *
 * Status: 1 no MP floating pointer, 2 a malformed MP table, 3 the table's
 * CPU count differs from cpus=N, 4 this CPU is not the table's boot CPU,
 * 5 an IPI was never accepted by the local APIC, 6 not every CPU checked
 * in before the deadline, 7 a CPU checked in twice or was not in the
 * table.
 *
 *   cpus=N      the MP table must list exactly N enabled CPUs
 *   wait_ms=N   how long to wait for the APs (default 5000)
 */
#include "runtime.h"

const char test_name[] = "smp";

enum {
	ST_NO_MP = 1,
	ST_BAD_MP,
	ST_CPU_COUNT,
	ST_BSP,
	ST_IPI,
	ST_TIMEOUT,
	ST_BAD_CHECKIN,
};

#define WAIT_VECTOR		0x40
#define WAIT_TICK_US		10000
#define DEFAULT_WAIT_MS		5000
#define NR_APIC_IDS		256

/* MP spec 4.1: the floating pointer structure. */
struct mp_floating {
	char signature[4];		/* "_MP_" */
	uint32_t config;		/* physical address of the table */
	uint8_t length;			/* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];		/* feature[0] != 0: default config */
} __packed;

/* MP spec 4.2: the configuration table header. */
struct mp_config {
	char signature[4];		/* "PCMP" */
	uint16_t length;		/* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __packed;

/* MP spec 4.3.1: a processor entry. */
struct mp_cpu {
	uint8_t type;			/* MP_PROCESSOR */
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __packed;

_Static_assert(sizeof(struct mp_floating) == 16, "MP floating pointer");
_Static_assert(sizeof(struct mp_config) == 44, "MP config header");
_Static_assert(sizeof(struct mp_cpu) == 20, "MP processor entry");

enum {
	MP_PROCESSOR,
	MP_BUS,
	MP_IOAPIC,
	MP_IOINT,
	MP_LINT,
	NR_MP_TYPES,
};

#define MP_CPU_ENABLED		0x01
#define MP_CPU_BSP		0x02

/* Every entry but a processor's is 8 bytes (MP spec table 4-3). */
static const unsigned int mp_entry_size[NR_MP_TYPES] = {
	[MP_PROCESSOR] = 20, [MP_BUS] = 8, [MP_IOAPIC] = 8, [MP_IOINT] = 8,
	[MP_LINT] = 8,
};

struct cpu_set {
	unsigned int nr;
	uint8_t apic_id[MAX_CPUS];
	int bsp;			/* APIC ID flagged BSP, or -1 */
	unsigned int count[NR_MP_TYPES];
};

static volatile unsigned int nr_checked_in;
static volatile unsigned int checkins[NR_APIC_IDS];
static volatile unsigned int wait_ticks;

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* MP spec 4.0: the pointer is 16-byte aligned and sums to zero. */
static const struct mp_floating *scan(uint64_t start, uint64_t len)
{
	uint64_t a;

	for (a = start & ~15ull; a + 16 <= start + len; a += 16) {
		const struct mp_floating *f = phys_to_virt(a);
		uint64_t size = (uint64_t)f->length * 16;

		if (memcmp(f->signature, "_MP_", 4) || !f->length ||
		    a + size > start + len)
			continue;
		if (checksum(f, size) == 0)
			return f;
		printf("MP floating pointer at 0x%lx has a bad checksum\n", a);
	}
	return NULL;
}

/*
 * Where MP spec 4.0 says to look: the first KiB of the EBDA (its segment
 * is in the BIOS data area at 0x40e), the last KiB of base memory (639K
 * when the BDA is empty, as it is without a BIOS), the BIOS ROM at
 * 0xf0000, and for good measure the first KiB of memory.
 */
static const struct mp_floating *find_mp(void)
{
	uint64_t ebda = (uint64_t)*(volatile uint16_t *)phys_to_virt(0x40e) << 4;
	uint64_t base_kb = *(volatile uint16_t *)phys_to_virt(0x413);
	const struct mp_floating *f = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		f = scan(ebda, 1024);
	if (!f && base_kb >= 512 && base_kb <= 640)
		f = scan(base_kb * 1024 - 1024, 1024);
	if (!f)
		f = scan(0x9fc00, 1024);
	if (!f)
		f = scan(0xf0000, 0x10000);
	if (!f)
		f = scan(0, 1024);
	return f;
}

static int add_cpu(struct cpu_set *cpus, const struct mp_cpu *c)
{
	unsigned int i;

	if (!(c->flags & MP_CPU_ENABLED)) {
		printf("MP table: APIC ID %u is disabled\n", c->apic_id);
		return 0;	/* "unusable": not ours to start */
	}
	for (i = 0; i < cpus->nr; i++) {
		if (cpus->apic_id[i] == c->apic_id) {
			printf("MP table lists APIC ID %u twice\n", c->apic_id);
			return -1;
		}
	}
	if (cpus->nr == MAX_CPUS) {
		printf("MP table lists more than %u CPUs\n", MAX_CPUS);
		return -1;
	}
	if ((c->flags & MP_CPU_BSP) && cpus->bsp >= 0) {
		printf("MP table flags both APIC ID %d and %u as the BSP\n",
		       cpus->bsp, c->apic_id);
		return -1;
	}
	cpus->apic_id[cpus->nr++] = c->apic_id;
	if (c->flags & MP_CPU_BSP)
		cpus->bsp = c->apic_id;
	return 0;
}

/*
 * Walk the entries by the table's length, as Linux does: some firmware
 * (qboot) leaves entry_count at 0.  A count that disagrees is reported
 * but not fatal, for the same reason.
 */
static int parse_entries(const struct mp_config *mpc, struct cpu_set *cpus)
{
	const uint8_t *p = (const uint8_t *)(mpc + 1);
	const uint8_t *end = (const uint8_t *)mpc + mpc->length;
	unsigned int n;

	for (n = 0; p < end; n++) {
		unsigned int type = *p, size;

		if (type >= NR_MP_TYPES) {
			printf("MP entry %u has unknown type %u\n", n, type);
			return -1;
		}
		size = mp_entry_size[type];
		if (size > (size_t)(end - p)) {
			printf("MP entry %u overruns the table\n", n);
			return -1;
		}
		if (type == MP_PROCESSOR &&
		    add_cpu(cpus, (const struct mp_cpu *)p) < 0)
			return -1;
		cpus->count[type]++;
		p += size;
	}
	if (n != mpc->entry_count)
		printf("warning: MP table header says %u entries, its length holds %u\n",
		       mpc->entry_count, n);
	return 0;
}

static int parse_config(const struct mp_floating *mpf, struct cpu_set *cpus)
{
	const struct mp_config *mpc;

	if (!mpf->config) {
		printf("MP default configuration %u, no table to read\n",
		       mpf->feature[0]);
		return -1;
	}
	mpc = phys_to_virt(mpf->config);
	if (memcmp(mpc->signature, "PCMP", 4) ||
	    mpc->length < sizeof(*mpc)) {
		printf("no valid MP configuration table at 0x%x\n",
		       mpf->config);
		return -1;
	}
	if (checksum(mpc, mpc->length)) {
		printf("MP configuration table at 0x%x has a bad checksum\n",
		       mpf->config);
		return -1;
	}
	printf("MP configuration table at 0x%x: \"%.8s\" \"%.12s\", %u entries, %u bytes\n",
	       mpf->config, mpc->oem, mpc->product, mpc->entry_count,
	       mpc->length);
	return parse_entries(mpc, cpus);
}

static void print_cpus(const struct mp_floating *mpf,
		       const struct cpu_set *cpus)
{
	unsigned int i;

	printf("MP table at 0x%lx: %u CPUs, APIC IDs", (uintptr_t)mpf,
	       cpus->nr);
	for (i = 0; i < cpus->nr; i++)
		printf(" %u", cpus->apic_id[i]);
	printf("; %u buses, %u I/O APICs, %u I/O and %u local interrupt entries\n",
	       cpus->count[MP_BUS], cpus->count[MP_IOAPIC],
	       cpus->count[MP_IOINT], cpus->count[MP_LINT]);
}

static void check_in(void)
{
	unsigned int id = lapic_id();

	/* The per-ID count first: it is visible once the total is. */
	__atomic_fetch_add(&checkins[id], 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&nr_checked_in, 1, __ATOMIC_SEQ_CST);
	printf("cpu %u checked in\n", id);
}

/* Runs on every AP; ap_start() halts it afterwards. */
static void ap_main(void)
{
	check_in();
}

/* MP spec B.4: INIT, 10 ms, STARTUP, 200 us, STARTUP. */
static int start_ap(unsigned int apic_id)
{
	unsigned int i;

	if (lapic_send_init(apic_id) < 0 ||
	    lapic_send_init_deassert(apic_id) < 0)
		goto stuck;
	lapic_udelay(10000);
	for (i = 0; i < 2; i++) {
		if (lapic_send_sipi(apic_id, TRAMPOLINE_ADDR >> 12) < 0)
			goto stuck;
		lapic_udelay(200);
	}
	return 0;
stuck:
	printf("IPI to APIC ID %u not delivered (ICR 0x%x)\n", apic_id,
	       lapic_read(APIC_ICR_LO));
	return -1;
}

static void wait_tick(struct trap_frame *f)
{
	(void)f;
	wait_ticks++;
	lapic_eoi();
}

/* Sleep in hlt between timer ticks: the APs need the host CPUs. */
static int wait_for_aps(unsigned int want, uint64_t wait_ms)
{
	uint64_t max_ticks = wait_ms * 1000 / WAIT_TICK_US;

	trap_register(WAIT_VECTOR, wait_tick);
	lapic_timer_start(WAIT_VECTOR,
			  WAIT_TICK_US * (LAPIC_TIMER_HZ / 1000000u), true,
			  false);
	while (nr_checked_in < want && wait_ticks < max_ticks) {
		irq_enable_and_halt();
		irq_disable();
	}
	lapic_timer_stop();
	if (nr_checked_in < want) {
		printf("FAIL: after %lu ms only %u of %u CPUs checked in\n",
		       wait_ms, nr_checked_in, want);
		return ST_TIMEOUT;
	}
	return 0;
}

/* Exactly the CPUs of the table, each once. */
static int check_checkins(const struct cpu_set *cpus)
{
	unsigned int i, expected = 0;
	int r = 0;

	for (i = 0; i < cpus->nr; i++) {
		unsigned int n = checkins[cpus->apic_id[i]];

		if (n != 1) {
			printf("FAIL: APIC ID %u checked in %u times\n",
			       cpus->apic_id[i], n);
			r = ST_BAD_CHECKIN;
		}
		expected += n;
	}
	if (nr_checked_in != expected) {
		printf("FAIL: %u check-ins from CPUs not in the MP table\n",
		       nr_checked_in - expected);
		r = ST_BAD_CHECKIN;
	}
	return r;
}

static int check_bsp(const struct cpu_set *cpus, unsigned int me)
{
	unsigned int i;

	for (i = 0; i < cpus->nr; i++)
		if (cpus->apic_id[i] == me)
			break;
	if (i == cpus->nr || (cpus->bsp >= 0 && (unsigned int)cpus->bsp != me)) {
		printf("FAIL: boot CPU has APIC ID %u, MP table's BSP is %d\n",
		       me, cpus->bsp);
		return ST_BSP;
	}
	return 0;
}

static int start_all(const struct cpu_set *cpus, unsigned int me)
{
	size_t len = trampoline_end - trampoline_start;
	unsigned int i;

	if (len > PAGE_SIZE) {
		printf("trampoline is %zu bytes, more than a page\n", len);
		return ST_IPI;
	}
	memcpy(phys_to_virt(TRAMPOLINE_ADDR), trampoline_start, len);
	ap_main_fn = ap_main;
	for (i = 0; i < cpus->nr; i++)
		if (cpus->apic_id[i] != me && start_ap(cpus->apic_id[i]) < 0)
			return ST_IPI;
	return 0;
}

int test_main(void)
{
	struct cpu_set cpus = { .bsp = -1 };
	const struct mp_floating *mpf = find_mp();
	uint64_t want, wait_ms = DEFAULT_WAIT_MS;
	unsigned int me = lapic_id();
	int r;

	cmdline_get_uint("wait_ms", &wait_ms);
	if (!mpf) {
		printf("FAIL: no MP table\n");
		return ST_NO_MP;
	}
	if (parse_config(mpf, &cpus) < 0)
		return ST_BAD_MP;
	print_cpus(mpf, &cpus);
	if (cmdline_get_uint("cpus", &want) && want != cpus.nr) {
		printf("FAIL: MP table lists %u CPUs, cpus=%lu\n", cpus.nr,
		       want);
		return ST_CPU_COUNT;
	}
	r = check_bsp(&cpus, me);
	if (r)
		return r;

	lapic_enable();
	check_in();
	r = start_all(&cpus, me);
	if (!r)
		r = wait_for_aps(cpus.nr, wait_ms);
	if (!r)
		r = check_checkins(&cpus);
	if (!r)
		printf("all %u CPUs checked in\n", cpus.nr);
	return r;
}
