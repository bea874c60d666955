// SPDX-License-Identifier: GPL-2.0
/*
 * test_io_bus.c - the port/MMIO dispatch table: overlaps rejected at
 * registration, accesses routed with the right offset, accesses straddling
 * a range end unhandled, unhandled reads all-ones and counted.
 */
#include <string.h>

#include "unit.h"
#include "../../vmm/kvm/kvm.h"

struct probe {
	uint64_t last_off;
	unsigned int calls;
	uint8_t last_write;
};

static void probe_io(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int len, bool is_write)
{
	struct probe *p = opaque;

	p->calls++;
	p->last_off = off;
	if (is_write)
		p->last_write = data[0];
	else
		memset(data, 0x42, len);
}

START_TEST(overlaps_rejected)
{
	struct io_bus bus;
	struct probe p = { 0 };

	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, 0x100, 0x10, probe_io, &p, "a"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x200, 0x10, probe_io, &p, "b"), 0);
	/* same start, inside, straddling either end, covering */
	ck_assert_int_eq(io_bus_register(&bus, 0x100, 1, probe_io, &p, "c"), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "overlaps a"));
	ck_assert_int_eq(io_bus_register(&bus, 0x108, 4, probe_io, &p, "c"), -1);
	ck_assert_int_eq(io_bus_register(&bus, 0xf8, 0x10, probe_io, &p, "c"), -1);
	ck_assert_int_eq(io_bus_register(&bus, 0x10f, 2, probe_io, &p, "c"), -1);
	ck_assert_int_eq(io_bus_register(&bus, 0x0, 0x1000, probe_io, &p, "c"), -1);
	ck_assert_int_eq(io_bus_register(&bus, 0x1f8, 0x10, probe_io, &p, "c"), -1);
	/* adjacent on both sides is fine */
	ck_assert_int_eq(io_bus_register(&bus, 0x110, 0xf0, probe_io, &p, "d"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0xff, 1, probe_io, &p, "e"), 0);
	/* empty and wrapping ranges */
	ck_assert_int_eq(io_bus_register(&bus, 0x300, 0, probe_io, &p, "f"), -1);
	ck_assert_int_eq(io_bus_register(&bus, UINT64_MAX, 2, probe_io, &p, "g"), -1);
	ck_assert_uint_eq(bus.nr, 4);
	io_bus_destroy(&bus);
}
END_TEST

START_TEST(dispatch_and_unhandled)
{
	struct io_bus bus;
	struct probe p = { 0 };
	uint8_t d[4];

	io_bus_init(&bus, "mmio");
	ck_assert_int_eq(io_bus_register(&bus, 0x1000, 0x100, probe_io, &p,
					 "dev"), 0);
	d[0] = 0x99;
	ck_assert(io_bus_access(&bus, 0x1010, d, 1, true));
	ck_assert_uint_eq(p.last_off, 0x10);
	ck_assert_uint_eq(p.last_write, 0x99);
	ck_assert(io_bus_access(&bus, 0x10fc, d, 4, false));
	ck_assert_uint_eq(d[3], 0x42);
	/* straddles the end of the range */
	ck_assert(!io_bus_access(&bus, 0x10fe, d, 4, false));
	ck_assert_uint_eq(d[0], 0xff);
	ck_assert_uint_eq(d[3], 0xff);
	/* below, above */
	ck_assert(!io_bus_access(&bus, 0xfff, d, 1, false));
	ck_assert(!io_bus_access(&bus, 0x1100, d, 2, true));
	ck_assert_uint_eq(p.calls, 2);
	ck_assert_uint_eq(bus.unhandled, 3);
	/* logged once per address */
	ck_assert(!io_bus_access(&bus, 0xfff, d, 1, false));
	ck_assert_uint_eq(bus.nr_logged, 3);
	ck_assert_uint_eq(bus.unhandled, 4);

	ck_assert_int_eq(io_bus_unregister(&bus, 0x1000), 0);
	ck_assert(!io_bus_access(&bus, 0x1010, d, 1, false));
	ck_assert_int_eq(io_bus_unregister(&bus, 0x1000), -1);
	io_bus_destroy(&bus);
}
END_TEST

START_TEST(many_ranges_sorted)
{
	struct io_bus bus;
	struct probe p[IO_BUS_MAX_RANGES];
	unsigned int i;
	uint8_t d;

	memset(p, 0, sizeof(p));
	io_bus_init(&bus, "port");
	/* register in reverse order; lookup must still find each */
	for (i = IO_BUS_MAX_RANGES; i-- > 0;)
		ck_assert_int_eq(io_bus_register(&bus, i * 8, 8, probe_io,
						 &p[i], "r"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x10000, 8, probe_io, &p[0],
					 "full"), -1);
	for (i = 0; i < IO_BUS_MAX_RANGES; i++) {
		ck_assert(io_bus_access(&bus, i * 8 + 7, &d, 1, false));
		ck_assert_uint_eq(p[i].calls, 1);
		ck_assert_uint_eq(p[i].last_off, 7);
	}
	for (i = 1; i < bus.nr; i++)
		ck_assert_uint_gt(bus.r[i].start, bus.r[i - 1].start);
	io_bus_destroy(&bus);
}
END_TEST

Suite *io_bus_suite(void)
{
	Suite *s = suite_create("io_bus");
	TCase *tc = tcase_create("dispatch");

	tcase_add_test(tc, overlaps_rejected);
	tcase_add_test(tc, dispatch_and_unhandled);
	tcase_add_test(tc, many_ranges_sorted);
	suite_add_tcase(s, tc);
	return s;
}
