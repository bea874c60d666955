// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_transport - a hostile legacy virtio-PCI driver: it attacks the
 * transport of lightvm's virtio-blk (default) or virtio-net (`net`)
 * device - the BAR0 registers, the device configuration, MSI-X, PCI
 * configuration space - and after each attack checks that the device
 * did what the spec and lightvm's documented behaviour say (a register
 * ignored, NEEDS_RESET set, ...) and that a reset and a fresh
 * initialisation give a working device again.
 *
 * The groups, each in its own file under hostile_transport/, in the order
 * they run; the exit status names the first that failed:
 *
 *   2 queue     QUEUE_SEL and QUEUE_NOTIFY naming no queue
 *   3 pfn       QUEUE_PFN outside RAM, across its end, in the PCI hole
 *   4 late      QUEUE_PFN and GUEST_FEATURES after DRIVER_OK
 *   5 features  feature bits the device never offered
 *   6 bar0      every width at every BAR0 offset, MSI-X off and on
 *   7 vectors   MSI-X vector numbers past the table
 *   8 msix      odd MSI-X table and PBA accesses, masking
 *   9 storm     10,000 notifies, 10,000 ISR reads
 *  10 pcicfg    every width at every PCI configuration offset
 *
 * With transport=modern the driver uses the modern interface and these
 * run instead (hostile_transport/modern.c):
 *
 *  11 mqueue    queue_enable with bad sizes and ring placements; fixed
 *               once enabled
 *  12 mfeatures FEATURES_OK refusals, late features, DRIVER_OK first
 *  13 mcommon   every width at every offset, read-only fields
 *  14 mnotify   odd notifies, a 10,000-notify storm
 *  15 mmix      a legacy write from the modern driver
 *
 * 1 is the set-up (no device, bring-up failed).  Each case prints
 * "ok: <case>" or "FAIL: <case>: ...", each group its time.  At the end
 * the kernel prints what lightvm's -v counters must say ("expect: N
 * needs-reset, M resets, E notify exits"): run-tests.sh compares, so a
 * violation lightvm did not flag, or flagged twice, fails the run too.
 *
 *   net             attack the virtio-net device (else virtio-blk)
 *   case=A,B,...    run only these groups (default: all)
 *   ram=BYTES       guest RAM as given to -m (default 256 MiB)
 *   capacity=N      blk: the disk must have N sectors
 *   mac=0xXXXXXXXXXXXX  net: the MAC the device must report
 *
 * Addresses for net: we are 10.0.2.15, the host's tap 10.0.2.1.
 */
#include "hostile_transport/ht.h"

const char test_name[] = "hostile_transport";

static const struct {
	const char *name;
	int (*run)(void);
	int status;
	bool modern;		/* for the modern interface, else legacy */
} groups[] = {
	{ "queue", ht_group_queue, HT_ST_QUEUE, false },
	{ "pfn", ht_group_pfn, HT_ST_PFN, false },
	{ "late", ht_group_late, HT_ST_LATE, false },
	{ "features", ht_group_features, HT_ST_FEATURES, false },
	{ "bar0", ht_group_bar0, HT_ST_BAR0, false },
	{ "vectors", ht_group_vectors, HT_ST_VECTORS, false },
	{ "msix", ht_group_msix_table, HT_ST_MSIX_TABLE, false },
	{ "storm", ht_group_storm, HT_ST_STORM, false },
	{ "pcicfg", ht_group_pcicfg, HT_ST_PCICFG, false },
	{ "mqueue", ht_group_mqueue, HT_ST_MQUEUE, true },
	{ "mfeatures", ht_group_mfeatures, HT_ST_MFEATURES, true },
	{ "mcommon", ht_group_mcommon, HT_ST_MCOMMON, true },
	{ "mnotify", ht_group_mnotify, HT_ST_MNOTIFY, true },
	{ "mmix", ht_group_mmix, HT_ST_MMIX, true },
};

/* The value of the last "key=..." word, or NULL; *len its length. */
static const char *word_value(const char *key, size_t *len)
{
	size_t klen = strlen(key);
	const char *p = cmdline(), *found = NULL;

	while (*p) {
		const char *w;

		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) > klen && !strncmp(w, key, klen) &&
		    w[klen] == '=') {
			found = w + klen + 1;
			*len = p - found;
		}
	}
	return found;
}

/* case=all (the default) or a comma-separated list of groups. */
static bool group_selected(const char *name)
{
	size_t len = 0, n = strlen(name);
	const char *v = word_value("case", &len), *end;

	if (!v || (len == 3 && !strncmp(v, "all", 3)))
		return true;
	for (end = v + len; v < end; v++) {
		if ((size_t)(end - v) >= n && !strncmp(v, name, n) &&
		    (v + n == end || v[n] == ','))
			return true;
		while (v < end && *v != ',')
			v++;
	}
	return false;
}

static void on_spare(struct trap_frame *f)
{
	vtest_irqs[f->vector & 0xff]++;
	lapic_eoi();
}

static int setup(void)
{
	uint64_t v;
	int slot;

	ht.net = cmdline_has("net");
	ht.nr_queues = ht.net ? 2 : 1;
	ht.ram = cmdline_get_uint("ram", &v) ? v : 256ULL << 20;
	slot = vdev_find(ht.net ? 0x1000 : 0x1001, 1);
	if (slot < 0) {
		printf("FAIL: setup: no virtio-%s device\n",
		       ht.net ? "net" : "blk");
		return -1;
	}
	if (vdev_open(&ht.d, (unsigned int)slot, HT_VEC_BASE))
		return -1;
	trap_register(HT_VEC_SPARE, on_spare);
	if (ht_start(ht_default_features()))
		return -1;
	ht.host_features = ht.d.host_features;
	if (ht.net) {
		unsigned int i;

		for (i = 0; i < 6; i++)
			ht.mac[i] = (uint8_t)vdev_config_read(&ht.d, i, 1);
		if (cmdline_get_uint("mac", &v))
			for (i = 0; i < 6; i++)
				if (ht.mac[i] != (uint8_t)(v >> (40 - 8 * i))) {
					printf("FAIL: setup: MAC %02x:%02x:%02x:%02x:%02x:%02x, expected %012lx\n",
					       ht.mac[0], ht.mac[1], ht.mac[2],
					       ht.mac[3], ht.mac[4], ht.mac[5],
					       v);
					return -1;
				}
	} else {
		ht.capacity = vblk_capacity(&ht.d);
		if (cmdline_get_uint("capacity", &v) && v != ht.capacity) {
			printf("FAIL: setup: capacity %lu, expected %lu\n",
			       ht.capacity, v);
			return -1;
		}
	}
	return ht_works("setup");
}

int test_main(void)
{
	unsigned int i;

	vtest_init();
	if (setup())
		return HT_ST_SETUP;
	printf("ok: setup (virtio-%s at 00:%02x.0, %s interface, BAR0 0x%x, %u MSI-X entries)\n",
	       ht.net ? "net" : "blk", ht.d.slot, vdev_transport(&ht.d),
	       ht.d.io, ht.d.msix_size);
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (groups[i].modern != ht.d.modern ||
		    !group_selected(groups[i].name))
			continue;
		unsigned int start = vtest_ticks;

		if (groups[i].run()) {
			printf("FAIL: group %s\n", groups[i].name);
			return groups[i].status;
		}
		printf("group %s: %u ms\n", groups[i].name,
		       10 * (vtest_ticks - start));
	}
	printf("expect: %u needs-reset, %u resets, %u notify exits\n",
	       ht.expect_needs_reset, ht.expect_resets,
	       ht.expect_notify_exits);
	return 0;
}
