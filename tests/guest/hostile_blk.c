// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_blk - a guest that sends malformed virtio-blk requests (virtio
 * 1.x 5.2.6) to lightvm's legacy virtio-blk device, on a writable and a
 * read-only disk.  Every case checks the outcome it must have:
 *
 *   NEEDS_RESET  requests that cannot be answered: no header or fewer
 *                than 16 device-readable bytes, a lone header, a status
 *                byte that is device-readable or has length 0; then
 *                reset + re-init + good request (lib/vblk_hostile.c)
 *   IOERR        sectors near 2^64 (sector * 512 would wrap), ranges
 *                past the end, data not a multiple of 512, GET_ID buffers
 *                of other than 20 bytes (nothing written, canary after
 *                the buffer), a write to the `ro` disk (the runner checks
 *                the image is unchanged), discard past the end
 *   UNSUPP       unknown request types; discard with UNMAP, write zeroes
 *                with unknown flags (5.2.6.2); discard and write zeroes
 *                on the `ro` disk, which does not offer them
 *   served       a header split over descriptors, data split into
 *                segments that are not sector sized, the last sector,
 *                GET_ID of exactly 20 bytes (also split), FLUSH on `ro`
 *
 * Parameters: `only=N` runs case N alone.  Needs --disk
 * IMG,serial=hostile-blk-serial20 (8 MiB of zeroes) and a second --disk
 * RO_IMG,ro (8 MiB).  At the end "hostile diskN: ... N needs-reset, M
 * resets" per disk must match lightvm's -v counters (run-tests.sh
 * checks).
 *
 * Disk 0 layout: GOOD_SECTOR.. recovery writes (8 sectors), DATA_SECTOR..
 * 64 sectors written here with their own numbers; everything else stays
 * zero, which the runner checks (e.g. sector 2^55 would wrap to sector 0,
 * the write past the end would change the last sector).
 *
 * Exit status: the lowest failed group: 1 set-up, 2 header/status, 3
 * sectors and ranges, 4 lengths, 5 types, 6 GET_ID, 7 read-only disk, 8
 * discard/write zeroes.
 */
#include "runtime.h"

const char test_name[] = "hostile_blk";

#define VEC_BASE0	0x50
#define VEC_BASE1	0x58
#define CAPACITY	16384			/* 8 MiB images */
/* The --disk serial: all 20 bytes, so no NUL after it. */
#define SERIAL		"hostile-blk-serial20"
#define BUF_BASE	0x2000000ull		/* 32 MiB: big buffers */

#define GOOD_SECTOR	2048
#define DATA_SECTOR	4096
#define DATA_SECTORS	64
#define ZERO_SECTOR	6000			/* never written */

#define CANARY		0xa5a5a5a5a5a5a5a5ull

enum group {
	G_SETUP = 1, G_HDR, G_SECTOR, G_LEN, G_TYPE, G_GET_ID, G_RO,
	G_ZEROES,
};

static struct hv dev, ro;

static struct virtio_blk_discard_write_zeroes seg __aligned(16);
/* GET_ID target: 32 bytes, the first n offered, the rest a canary. */
static uint8_t id_buf[32] __aligned(16);

struct seg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

static uint64_t *buf(unsigned int i)
{
	return phys_to_virt(BUF_BASE + (uint64_t)i * 4096);
}

/* Segments in descriptors 0..n-1 (NEXT added), published at head 0. */
static void chain(struct hv *h, const struct seg *s, unsigned int n)
{
	uint16_t head = 0;
	unsigned int i;

	hv_arm(h);
	for (i = 0; i < n; i++)
		vq_set_desc(h->q->desc, i, s[i].addr, s[i].len,
			    s[i].flags | (i + 1 < n ? HV_NX : 0), i + 1);
	vq_add_raw(h->q, &head, 1);
	vq_kick(h->q);
}

/* hdr, one data segment (device-writable for IN/GET_ID), status. */
static void request(struct hv *h, uint32_t type, uint64_t sector,
		    void *data, uint32_t len)
{
	hv_arm(h);
	hv_rw_chain(h->q->desc, 0, 0, type, sector, data, len);
	hv_publish(h, 0);
}

/* The request must end with status want and used length used_len. */
static int expect(struct hv *h, const char *c, uint8_t want,
		  uint32_t used_len)
{
	if (hv_expect_status(h, c, 0, &hv_st[0], want, used_len))
		return -1;
	hv_ok(h, c);
	return 0;
}

/* ...and its data buffer (len bytes, filled with CANARY) untouched. */
static int expect_untouched(struct hv *h, const char *c, uint8_t want,
			    const void *data, size_t len)
{
	if (hv_expect_status(h, c, 0, &hv_st[0], want, 1))
		return -1;
	if (!hv_all_words(data, len, CANARY)) {
		hv_fail(h, c, "the data buffer was written");
		return -1;
	}
	hv_ok(h, c);
	return 0;
}

/* ---- header and status: no request can be formed ---- */

static int hdr_missing(const char *c)
{
	hv_set_hdr(0, VIRTIO_BLK_T_IN, DATA_SECTOR);
	chain(&dev, (struct seg[]){ { hv_pa(buf(0)), HV_SECTOR, HV_WR },
				    { hv_pa(&hv_st[0]), 1, HV_WR } }, 2);
	return hv_expect_needs_reset(&dev, c);
}

static int hdr_short(const char *c, uint32_t len)
{
	hv_set_hdr(0, VIRTIO_BLK_T_IN, DATA_SECTOR);
	chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), len, HV_RD },
				    { hv_pa(&hv_st[0]), 1, HV_WR } }, 2);
	return hv_expect_needs_reset(&dev, c);
}

static int hdr_short_8(const char *c)
{
	return hdr_short(c, 8);
}

static int hdr_short_15(const char *c)
{
	return hdr_short(c, 15);
}

static int head_only(const char *c)
{
	hv_set_hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD } }, 1);
	return hv_expect_needs_reset(&dev, c);
}

static int status_readonly(const char *c)
{
	hv_set_hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD },
				    { hv_pa(&hv_st[0]), 1, HV_RD } }, 2);
	return hv_expect_needs_reset(&dev, c);
}

static int status_zero_len(const char *c)
{
	hv_set_hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD },
				    { hv_pa(&hv_st[0]), 0, HV_WR } }, 2);
	return hv_expect_needs_reset(&dev, c);
}

/* The header may straddle descriptors: 4 + 4 + 8 bytes. */
static int hdr_split(const char *c)
{
	const uint8_t *h = (const uint8_t *)&hv_hdr[0];

	hv_fill_words(buf(0), HV_SECTOR, CANARY);
	hv_set_hdr(0, VIRTIO_BLK_T_IN, DATA_SECTOR + 9);
	chain(&dev, (struct seg[]){ { hv_pa(h), 4, HV_RD },
				    { hv_pa(h + 4), 4, HV_RD },
				    { hv_pa(h + 8), 8, HV_RD },
				    { hv_pa(buf(0)), HV_SECTOR, HV_WR },
				    { hv_pa(&hv_st[0]), 1, HV_WR } }, 5);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     HV_SECTOR + 1))
		return -1;
	if (!hv_numbered(buf(0), DATA_SECTOR + 9, 1)) {
		hv_fail(&dev, c, "wrong data");
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

/* ---- sectors and ranges ---- */

static int read_bad_sector(const char *c, uint64_t sector, uint32_t len)
{
	hv_fill_words(buf(0), 2 * HV_SECTOR, CANARY);
	request(&dev, VIRTIO_BLK_T_IN, sector, buf(0), len);
	return expect_untouched(&dev, c, VIRTIO_BLK_S_IOERR, buf(0),
				2 * HV_SECTOR);
}

/* The image must stay zero where a wrapped offset would land. */
static int write_bad_sector(const char *c, uint64_t sector, uint32_t len)
{
	hv_fill_words(buf(1), 2 * HV_SECTOR, 0x0123456789abcdefull);
	request(&dev, VIRTIO_BLK_T_OUT, sector, buf(1), len);
	return expect(&dev, c, VIRTIO_BLK_S_IOERR, 1);
}

static int read_sector_max(const char *c)
{
	return read_bad_sector(c, ~0ull, HV_SECTOR);
}

static int read_sector_2_63(const char *c)
{
	return read_bad_sector(c, 1ull << 63, HV_SECTOR);
}

/* sector * 512 = 2^64: offset 0 if it wrapped. */
static int write_sector_wraps(const char *c)
{
	return write_bad_sector(c, 1ull << 55, HV_SECTOR);
}

/* ...offset 512 if it wrapped. */
static int write_sector_wraps_1(const char *c)
{
	return write_bad_sector(c, (1ull << 55) + 1, 2 * HV_SECTOR);
}

/* sector + count wraps 2^64. */
static int write_count_wraps(const char *c)
{
	return write_bad_sector(c, ~0ull, 2 * HV_SECTOR);
}

/* Half inside, half past the end: the last sector must stay zero. */
static int write_past_end(const char *c)
{
	return write_bad_sector(c, CAPACITY - 1, 2 * HV_SECTOR);
}

static int read_at_capacity(const char *c)
{
	return read_bad_sector(c, CAPACITY, HV_SECTOR);
}

static int read_past_end_no_data(const char *c)
{
	request(&dev, VIRTIO_BLK_T_IN, CAPACITY + 1, NULL, 0);
	return expect(&dev, c, VIRTIO_BLK_S_IOERR, 1);
}

static int read_last_sector(const char *c)
{
	hv_fill_words(buf(0), HV_SECTOR, CANARY);
	request(&dev, VIRTIO_BLK_T_IN, CAPACITY - 1, buf(0), HV_SECTOR);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     HV_SECTOR + 1))
		return -1;
	if (!hv_all_words(buf(0), HV_SECTOR, 0)) {
		hv_fail(&dev, c, "the last sector is not zero");
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

/* ---- lengths ---- */

static int read_len(const char *c, uint32_t len)
{
	hv_fill_words(buf(0), 2 * HV_SECTOR, CANARY);
	request(&dev, VIRTIO_BLK_T_IN, DATA_SECTOR, buf(0), len);
	return expect_untouched(&dev, c, VIRTIO_BLK_S_IOERR, buf(0),
				2 * HV_SECTOR);
}

static int read_len_513(const char *c)
{
	return read_len(c, HV_SECTOR + 1);
}

static int read_len_511(const char *c)
{
	return read_len(c, HV_SECTOR - 1);
}

/* A write of 100 bytes to the zero area: the image must stay zero. */
static int write_len_100(const char *c)
{
	return write_bad_sector(c, ZERO_SECTOR, 100);
}

/* "The length of data MUST be a multiple of 512" is about the total:
 * 100 + 412 + 512 bytes in three segments is a good 2-sector read. */
static int read_odd_segments(const char *c)
{
	uint8_t *b = (uint8_t *)buf(0);

	hv_fill_words(b, 2 * HV_SECTOR, CANARY);
	hv_set_hdr(0, VIRTIO_BLK_T_IN, DATA_SECTOR + 20);
	chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD },
				    { hv_pa(b), 100, HV_WR },
				    { hv_pa(b + 100), 412, HV_WR },
				    { hv_pa(b + 512), 512, HV_WR },
				    { hv_pa(&hv_st[0]), 1, HV_WR } }, 5);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK,
			     2 * HV_SECTOR + 1))
		return -1;
	if (!hv_numbered(buf(0), DATA_SECTOR + 20, 2)) {
		hv_fail(&dev, c, "wrong data");
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

/* ---- request types ---- */

static int unknown_type(const char *c, uint32_t type)
{
	request(&dev, type, DATA_SECTOR, NULL, 0);
	return expect(&dev, c, VIRTIO_BLK_S_UNSUPP, 1);
}

static int type_scsi(const char *c)
{
	return unknown_type(c, VIRTIO_BLK_T_SCSI_CMD);
}

static int type_scsi_out(const char *c)
{
	return unknown_type(c, 3);
}

static int type_flush_out(const char *c)
{
	return unknown_type(c, 5);	/* legacy VIRTIO_BLK_T_FLUSH_OUT */
}

static int type_get_lifetime(const char *c)
{
	/* GET_LIFETIME: VIRTIO_BLK_F_LIFETIME is not offered. */
	return unknown_type(c, 10);
}

static int type_secure_erase(const char *c)
{
	return unknown_type(c, VIRTIO_BLK_T_SECURE_ERASE);
}

static int type_barrier(const char *c)
{
	return unknown_type(c, VIRTIO_BLK_T_BARRIER | VIRTIO_BLK_T_OUT);
}

static int type_max(const char *c)
{
	return unknown_type(c, 0xffffffffu);
}

/* With a data buffer too: UNSUPP, nothing written into it. */
static int type_unknown_with_data(const char *c)
{
	hv_fill_words(buf(0), HV_SECTOR, CANARY);
	hv_set_hdr(0, 0x7f, DATA_SECTOR);
	chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD },
				    { hv_pa(buf(0)), HV_SECTOR, HV_WR },
				    { hv_pa(&hv_st[0]), 1, HV_WR } }, 3);
	return expect_untouched(&dev, c, VIRTIO_BLK_S_UNSUPP, buf(0),
				HV_SECTOR);
}

/* ---- GET_ID ---- */

/* An n-byte GET_ID buffer: IOERR and not one byte written, nor after. */
static int get_id_len(const char *c, uint32_t n)
{
	memset(id_buf, 0xa5, sizeof(id_buf));
	request(&dev, VIRTIO_BLK_T_GET_ID, 0, id_buf, n);
	return expect_untouched(&dev, c, VIRTIO_BLK_S_IOERR, id_buf,
				sizeof(id_buf));
}

static int get_id_19(const char *c)
{
	return get_id_len(c, 19);
}

static int get_id_8(const char *c)
{
	return get_id_len(c, 8);
}

static int get_id_1(const char *c)
{
	return get_id_len(c, 1);
}

static int get_id_21(const char *c)
{
	return get_id_len(c, 21);
}

/* GET_ID with device-readable data besides the header. */
static int get_id_readable(const char *c)
{
	memset(id_buf, 0xa5, sizeof(id_buf));
	hv_set_hdr(0, VIRTIO_BLK_T_GET_ID, 0);
	chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD },
				    { hv_pa(id_buf), 20, HV_RD },
				    { hv_pa(&hv_st[0]), 1, HV_WR } }, 3);
	return expect_untouched(&dev, c, VIRTIO_BLK_S_IOERR, id_buf,
				sizeof(id_buf));
}

/* Exactly 20 bytes, in one or two segments: the serial, canary after. */
static int get_id_good(const char *c, uint32_t first)
{
	static const uint8_t canary[12] = {
		0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
		0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
	};

	memset(id_buf, 0xa5, sizeof(id_buf));
	hv_set_hdr(0, VIRTIO_BLK_T_GET_ID, 0);
	if (first == 20)
		chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD },
					    { hv_pa(id_buf), 20, HV_WR },
					    { hv_pa(&hv_st[0]), 1, HV_WR } },
						3);
	else
		chain(&dev, (struct seg[]){ { hv_pa(&hv_hdr[0]), 16, HV_RD },
					    { hv_pa(id_buf), first, HV_WR },
					    { hv_pa(id_buf + first), 20 - first,
					      HV_WR },
					    { hv_pa(&hv_st[0]), 1, HV_WR } },
						4);
	if (hv_expect_status(&dev, c, 0, &hv_st[0], VIRTIO_BLK_S_OK, 21))
		return -1;
	if (memcmp(id_buf, SERIAL, 20) || memcmp(id_buf + 20, canary, 12)) {
		hv_fail(&dev, c, "ID '%.20s' or the bytes after it wrong",
			(const char *)id_buf);
		return -1;
	}
	hv_ok(&dev, c);
	return 0;
}

static int get_id_20(const char *c)
{
	return get_id_good(c, 20);
}

static int get_id_split(const char *c)
{
	return get_id_good(c, 12);
}

/* ---- the read-only disk ---- */

static int ro_offers_ro(const char *c)
{
	hv_arm(&ro);
	if (!ro.ro) {
		hv_fail(&ro, c, "VIRTIO_BLK_F_RO not offered");
		return -1;
	}
	hv_ok(&ro, c);
	return 0;
}

/* IOERR, and the image unchanged (run-tests.sh compares it). */
static int ro_write(const char *c)
{
	hv_fill_words(buf(1), 8 * HV_SECTOR, 0x0123456789abcdefull);
	request(&ro, VIRTIO_BLK_T_OUT, 0, buf(1), 8 * HV_SECTOR);
	return expect(&ro, c, VIRTIO_BLK_S_IOERR, 1);
}

static int ro_zeroes(const char *c, uint32_t type)
{
	seg.sector = 0;
	seg.num_sectors = 8;
	seg.flags = 0;
	request(&ro, type, 0, &seg, sizeof(seg));
	return expect(&ro, c, VIRTIO_BLK_S_UNSUPP, 1);
}

static int ro_write_zeroes(const char *c)
{
	return ro_zeroes(c, VIRTIO_BLK_T_WRITE_ZEROES);
}

static int ro_discard(const char *c)
{
	return ro_zeroes(c, VIRTIO_BLK_T_DISCARD);
}

static int ro_flush(const char *c)
{
	request(&ro, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	return expect(&ro, c, VIRTIO_BLK_S_OK, 1);
}

/* ---- discard and write zeroes on the writable disk ---- */

static int zeroes(const char *c, uint32_t type, uint64_t sector,
		  uint32_t flags, uint8_t want)
{
	seg.sector = sector;
	seg.num_sectors = 8;
	seg.flags = flags;
	request(&dev, type, 0, &seg, sizeof(seg));
	return expect(&dev, c, want, 1);
}

/* "the device MUST set the status byte to VIRTIO_BLK_S_UNSUPP for
 * discard commands if the unmap flag is set" (5.2.6.2) */
static int discard_unmap(const char *c)
{
	return zeroes(c, VIRTIO_BLK_T_DISCARD, ZERO_SECTOR,
		      VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
		      VIRTIO_BLK_S_UNSUPP);
}

/* "... if any unknown flag is set" */
static int write_zeroes_unknown_flag(const char *c)
{
	return zeroes(c, VIRTIO_BLK_T_WRITE_ZEROES, ZERO_SECTOR, 2,
		      VIRTIO_BLK_S_UNSUPP);
}

static int discard_past_end(const char *c)
{
	return zeroes(c, VIRTIO_BLK_T_DISCARD, CAPACITY - 4, 0,
		      VIRTIO_BLK_S_IOERR);
}

static int write_zeroes_wraps(const char *c)
{
	return zeroes(c, VIRTIO_BLK_T_WRITE_ZEROES, ~0ull - 3, 0,
		      VIRTIO_BLK_S_IOERR);
}

/* ---- the req group ---- */

static const struct hv_case cases[] = {
	{ "hdr-missing", G_HDR, hdr_missing },
	{ "hdr-short-8", G_HDR, hdr_short_8 },
	{ "hdr-short-15", G_HDR, hdr_short_15 },
	{ "head-only", G_HDR, head_only },
	{ "status-readonly", G_HDR, status_readonly },
	{ "status-zero-len", G_HDR, status_zero_len },
	{ "hdr-split", G_HDR, hdr_split },
	{ "read-sector-max", G_SECTOR, read_sector_max },
	{ "read-sector-2^63", G_SECTOR, read_sector_2_63 },
	{ "write-sector-wraps", G_SECTOR, write_sector_wraps },
	{ "write-sector-wraps-1", G_SECTOR, write_sector_wraps_1 },
	{ "write-count-wraps", G_SECTOR, write_count_wraps },
	{ "write-past-end", G_SECTOR, write_past_end },
	{ "read-at-capacity", G_SECTOR, read_at_capacity },
	{ "read-past-end-no-data", G_SECTOR, read_past_end_no_data },
	{ "read-last-sector", G_SECTOR, read_last_sector },
	{ "read-len-513", G_LEN, read_len_513 },
	{ "read-len-511", G_LEN, read_len_511 },
	{ "write-len-100", G_LEN, write_len_100 },
	{ "read-odd-segments", G_LEN, read_odd_segments },
	{ "type-scsi", G_TYPE, type_scsi },
	{ "type-scsi-out", G_TYPE, type_scsi_out },
	{ "type-flush-out", G_TYPE, type_flush_out },
	{ "type-get-lifetime", G_TYPE, type_get_lifetime },
	{ "type-secure-erase", G_TYPE, type_secure_erase },
	{ "type-barrier", G_TYPE, type_barrier },
	{ "type-ffffffff", G_TYPE, type_max },
	{ "type-unknown-with-data", G_TYPE, type_unknown_with_data },
	{ "get-id-19", G_GET_ID, get_id_19 },
	{ "get-id-8", G_GET_ID, get_id_8 },
	{ "get-id-1", G_GET_ID, get_id_1 },
	{ "get-id-21", G_GET_ID, get_id_21 },
	{ "get-id-readable", G_GET_ID, get_id_readable },
	{ "get-id-20", G_GET_ID, get_id_20 },
	{ "get-id-split", G_GET_ID, get_id_split },
	{ "ro-offers-ro", G_RO, ro_offers_ro },
	{ "ro-write", G_RO, ro_write },
	{ "ro-write-zeroes", G_RO, ro_write_zeroes },
	{ "ro-discard", G_RO, ro_discard },
	{ "ro-flush", G_RO, ro_flush },
	{ "discard-unmap", G_ZEROES, discard_unmap },
	{ "write-zeroes-unknown-flag", G_ZEROES, write_zeroes_unknown_flag },
	{ "discard-past-end", G_ZEROES, discard_past_end },
	{ "write-zeroes-wraps", G_ZEROES, write_zeroes_wraps },
};

int test_main(void)
{
	unsigned int failed;

	vtest_init();
	if (hv_open(&dev, "disk0", 0, VEC_BASE0, HV_WANT_ALL |
		    HV_F(VIRTIO_BLK_F_DISCARD) |
		    HV_F(VIRTIO_BLK_F_WRITE_ZEROES), GOOD_SECTOR) ||
	    hv_open(&ro, "disk1", 1, VEC_BASE1,
		    HV_WANT_ALL | HV_F(VIRTIO_BLK_F_RO), GOOD_SECTOR) ||
	    hv_write_numbered(&dev, DATA_SECTOR, DATA_SECTORS, buf(0)))
		return G_SETUP;
	failed = hv_run_cases(cases, sizeof(cases) / sizeof(cases[0]));
	/* Both devices still answer. */
	if ((hv_check_good(&dev, "final") || hv_check_good(&ro, "final")) &&
	    !failed)
		failed = G_SETUP;
	hv_report(&ro);
	hv_report(&dev);
	return failed;
}
