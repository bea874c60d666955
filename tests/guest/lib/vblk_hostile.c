// SPDX-License-Identifier: GPL-2.0
/*
 * vblk_hostile.c - the frame hostile virtio-blk kernels run their attacks
 * in (see runtime.h).  It only uses the driver core of virtio.c and
 * virtio_blk.c, so what it calls "good" is what every other test kernel
 * does.
 *
 * What a violation must look like from the driver's side (virtio 1.x):
 * "The device SHOULD set DEVICE_NEEDS_RESET when it enters an error state
 * that a reset is needed" and "If DRIVER_OK is set, after it sets
 * DEVICE_NEEDS_RESET, the device MUST send a device configuration change
 * notification to the driver" (2.1.2).  lightvm also stops the queue
 * until the reset, so a request published after the violation must not
 * be served; the reset (2.4.1) and a fresh initialisation (3.1.1) must
 * then give a working device.
 */
#include "runtime.h"

struct virtio_blk_outhdr hv_hdr[HV_SLOTS] __aligned(16);
volatile uint8_t hv_st[HV_SLOTS];
unsigned int hv_failures;

static uint64_t good_w[64] __aligned(512);
static uint64_t good_r[64] __aligned(512);
/* The "is the queue stopped?" probe: a GET_ID in the last descriptors. */
static struct virtio_blk_outhdr probe_hdr __aligned(16);
static uint8_t probe_id[VIRTIO_BLK_ID_BYTES];
static volatile uint8_t probe_status;

void hv_fill_words(void *p, size_t len, uint64_t v)
{
	size_t n = len / 8;

	/* One string instruction: cheap under an instruction emulator. */
	asm volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(v) : "memory");
}

bool hv_all_words(const void *p, size_t len, uint64_t v)
{
	size_t n = len / 8;
	bool eq;

	if (!n)
		return true;
	/* ZF after the last comparison: set only if every word matched. */
	asm volatile("repe scasq"
		     : "+D"(p), "+c"(n), "=@ccz"(eq) : "a"(v) : "memory");
	return eq;
}

unsigned int hv_cfg_irqs(const struct hv *h)
{
	return vtest_irqs[h->vec_base];
}

void hv_fail(struct hv *h, const char *c, const char *fmt, ...)
{
	va_list ap;

	h->failures++;
	hv_failures++;
	printf("FAIL: %s: %s: ", h->name, c);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void hv_ok(struct hv *h, const char *c)
{
	(void)h;
	printf("ok: %s\n", c);
}

int hv_reset(struct hv *h)
{
	h->resets++;
	return vdev_reset(&h->d);
}

int hv_start_with(struct hv *h, uint32_t want)
{
	/* vdev_start begins with the reset. */
	h->resets++;
	if (vdev_start(&h->d, want, 0, 1)) {
		h->q = NULL;
		return -1;
	}
	h->q = &h->d.vq[0];
	return 0;
}

int hv_start(struct hv *h)
{
	return hv_start_with(h, h->want);
}

int hv_open(struct hv *h, const char *name, unsigned int nth,
	    uint8_t vec_base, uint32_t want, uint64_t good_sector)
{
	int slot = -1;
	unsigned int i;

	for (i = 0; i <= nth; i++) {
		slot = vdev_find(0x1001, slot + 1);
		if (slot < 0) {
			printf("FAIL: %s: no virtio-blk device #%u\n", name,
			       nth);
			return -1;
		}
	}
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->vec_base = vec_base;
	h->want = want;
	h->good_sector = good_sector;
	if (vdev_open(&h->d, (unsigned int)slot, vec_base))
		return -1;
	h->ro = inl(h->d.io + VIRTIO_PCI_HOST_FEATURES) &
		HV_F(VIRTIO_BLK_F_RO);
	return hv_start(h);
}

void hv_arm(struct hv *h)
{
	h->cases++;
	h->cfg_irqs = hv_cfg_irqs(h);
	h->used_idx = h->q ? vq_ld16(&h->q->used->idx) : 0;
}

int hv_wait_used(struct hv *h, unsigned int n, unsigned int ticks)
{
	return vq_wait_for(h->q, n, ticks);
}

int hv_wait_needs_reset(struct hv *h, unsigned int ticks)
{
	unsigned int start = vtest_ticks;

	for (;;) {
		irq_disable();
		/* The config interrupt comes after the status bit is set. */
		if (hv_cfg_irqs(h) != h->cfg_irqs) {
			irq_enable();
			return vdev_needs_reset(&h->d) ? 0 : -1;
		}
		if (vtest_ticks - start >= ticks) {
			irq_enable();
			return -1;
		}
		irq_enable_and_halt();
	}
}

/* The lib's request path pops one entry: there must be no other. */
static int one_used(struct hv *h, const char *c, const char *what)
{
	if (vq_ld16(&h->q->used->idx) == h->q->last_used)
		return 0;
	hv_fail(h, c, "%s: used idx %u, expected %u", what,
		vq_ld16(&h->q->used->idx), h->q->last_used);
	return -1;
}

int hv_check_good(struct hv *h, const char *c)
{
	uint64_t sector = h->good_sector + (h->good_serial & 7);
	uint64_t tag = (uint64_t)(h->good_serial + 1) << 32 | sector;
	int s;

	h->good_serial++;
	if (h->ro) {
		/* A read-only disk: a read must work. */
		s = vblk_request(h->q, VIRTIO_BLK_T_IN, sector, good_r,
				 sizeof(good_r), HV_WAIT_TICKS);
		if (s != VIRTIO_BLK_S_OK) {
			hv_fail(h, c, "good read: status %d", s);
			return -1;
		}
		return one_used(h, c, "good read");
	}
	hv_fill_words(good_w, sizeof(good_w), tag);
	hv_fill_words(good_r, sizeof(good_r), ~0ull);
	s = vblk_request(h->q, VIRTIO_BLK_T_OUT, sector, good_w,
			 sizeof(good_w), HV_WAIT_TICKS);
	if (s != VIRTIO_BLK_S_OK) {
		hv_fail(h, c, "good write: status %d", s);
		return -1;
	}
	if (one_used(h, c, "good write"))
		return -1;
	s = vblk_request(h->q, VIRTIO_BLK_T_IN, sector, good_r,
			 sizeof(good_r), HV_WAIT_TICKS);
	if (s != VIRTIO_BLK_S_OK || !hv_all_words(good_r, sizeof(good_r),
						    tag)) {
		hv_fail(h, c, "good read-back: status %d, word 0x%lx", s,
			good_r[0]);
		return -1;
	}
	return one_used(h, c, "good read-back");
}

int hv_recover(struct hv *h, const char *c)
{
	if (hv_start(h)) {
		hv_fail(h, c, "re-initialisation after reset failed");
		return -1;
	}
	if (vdev_needs_reset(&h->d)) {
		hv_fail(h, c, "NEEDS_RESET survived the reset");
		return -1;
	}
	return hv_check_good(h, c);
}

/*
 * A GET_ID in the last three descriptors, always notified (EVENT_IDX's
 * avail_event is meaningless on a stopped queue): served or not.
 */
static bool queue_serves(struct hv *h)
{
	struct vq *q = h->q;
	uint16_t head = q->size - 3, used = vq_ld16(&q->used->idx);

	probe_hdr.type = VIRTIO_BLK_T_GET_ID;
	probe_hdr.ioprio = 0;
	probe_hdr.sector = 0;
	probe_status = 0xff;
	vq_set_desc(q->desc, head, (uintptr_t)&probe_hdr, sizeof(probe_hdr),
		    VRING_DESC_F_NEXT, head + 1);
	vq_set_desc(q->desc, head + 1, (uintptr_t)probe_id, sizeof(probe_id),
		    VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, head + 2);
	vq_set_desc(q->desc, head + 2, (uintptr_t)&probe_status, 1,
		    VRING_DESC_F_WRITE, 0);
	vq_add_raw(q, &head, 1);
	vq_kick(q);
	vtest_sleep_ticks(HV_STOPPED_TICKS);
	return vq_ld16(&q->used->idx) != used || probe_status != 0xff;
}

int hv_expect_needs_reset(struct hv *h, const char *c)
{
	int ret = -1;

	if (hv_wait_needs_reset(h, HV_WAIT_TICKS)) {
		hv_fail(h, c, "no NEEDS_RESET with a config interrupt (status 0x%x, config interrupts %u -> %u)",
			vdev_status(&h->d), h->cfg_irqs, hv_cfg_irqs(h));
	} else {
		h->needs_reset++;
		if (vq_ld16(&h->q->used->idx) != h->used_idx)
			hv_fail(h, c, "the broken chain was completed (used idx %u -> %u)",
				h->used_idx, vq_ld16(&h->q->used->idx));
		else if (queue_serves(h))
			hv_fail(h, c, "the queue still serves requests after NEEDS_RESET");
		else
			ret = 0;
	}
	if (hv_recover(h, c))
		return -1;
	if (!ret)
		hv_ok(h, c);
	return ret;
}

int hv_expect_status(struct hv *h, const char *c, uint16_t head,
		     const volatile uint8_t *status, uint8_t want,
		     uint32_t used_len)
{
	struct vring_used_elem e;

	if (hv_wait_used(h, 1, HV_WAIT_TICKS)) {
		hv_fail(h, c, "no used entry (device status 0x%x)",
			vdev_status(&h->d));
		hv_recover(h, c);
		return -1;
	}
	vq_pop(h->q, &e);
	if (e.id != head || e.len != used_len || *status != want) {
		hv_fail(h, c, "used id %u len %u status %u, expected id %u len %u status %u",
			e.id, e.len, *status, head, used_len, want);
		hv_recover(h, c);
		return -1;
	}
	if (vdev_needs_reset(&h->d)) {
		hv_fail(h, c, "device set NEEDS_RESET");
		hv_recover(h, c);
		return -1;
	}
	return 0;
}

void hv_report(const struct hv *h)
{
	printf("hostile %s: %u cases, %u failed, %u needs-reset, %u resets\n",
	       h->name, h->cases, h->failures, h->needs_reset, h->resets);
}

void hv_set_hdr(unsigned int s, uint32_t type, uint64_t sector)
{
	hv_hdr[s].type = type;
	hv_hdr[s].ioprio = 0;
	hv_hdr[s].sector = sector;
	hv_st[s] = 0xff;
}

void hv_rw_chain(struct vring_desc *t, unsigned int d, unsigned int s,
		 uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	bool dev_writes = type == VIRTIO_BLK_T_IN ||
			  type == VIRTIO_BLK_T_GET_ID;

	hv_set_hdr(s, type, sector);
	vq_set_desc(t, d, hv_pa(&hv_hdr[s]), sizeof(hv_hdr[s]), HV_NX, d + 1);
	if (len) {
		vq_set_desc(t, d + 1, hv_pa(buf), len,
			    HV_NX | (dev_writes ? HV_WR : HV_RD), d + 2);
		d++;
	}
	vq_set_desc(t, d + 1, hv_pa(&hv_st[s]), 1, HV_WR, 0);
}

void hv_publish(struct hv *h, uint16_t head)
{
	vq_add_raw(h->q, &head, 1);
	vq_kick(h->q);
}

bool hv_numbered(const void *buf, uint64_t first, unsigned int n)
{
	const uint64_t *w = buf;
	unsigned int s;

	for (s = 0; s < n; s++)
		if (w[s * 64] != first + s || w[s * 64 + 63] != first + s)
			return false;
	return true;
}

int hv_write_numbered(struct hv *h, uint64_t first, unsigned int n,
		      void *buf)
{
	uint64_t *w = buf;
	unsigned int s;
	int ret;

	for (s = 0; s < n; s++)
		hv_fill_words(w + s * 64, HV_SECTOR, first + s);
	ret = vblk_request(h->q, VIRTIO_BLK_T_OUT, first, buf, n * HV_SECTOR,
			   HV_WAIT_TICKS);
	if (ret != VIRTIO_BLK_S_OK) {
		printf("FAIL: %s: writing sectors %lu-%lu: status %d\n",
		       h->name, first, first + n - 1, ret);
		return -1;
	}
	return 0;
}

unsigned int hv_run_cases(const struct hv_case *c, unsigned int n)
{
	uint64_t only = ~0ull;
	unsigned int i, before, failed = 0;

	cmdline_get_uint("only", &only);
	for (i = 0; i < n; i++) {
		if (only != ~0ull && only != i)
			continue;
		before = hv_failures;
		c[i].fn(c[i].name);
		if (hv_failures != before && (!failed || c[i].group < failed))
			failed = c[i].group;
	}
	return failed;
}
