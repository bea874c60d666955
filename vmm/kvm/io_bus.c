// SPDX-License-Identifier: GPL-2.0
/*
 * io_bus.c - one dispatch table for port I/O and one for MMIO: sorted,
 * non-overlapping address ranges, each owned by one device handler.
 *
 * Lookups take the read side of a rwlock and copy the handler out before
 * calling it, so a handler may itself (un)register ranges - a PCI config
 * write that moves a BAR does exactly that.  Devices live as long as the
 * VM, so a handler found just before its range moved is still safe to
 * call; it sees an access the guest raced with its own BAR update.
 */
#include <string.h>

#include "kvm.h"

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->log_lock, NULL);
}

void io_bus_destroy(struct io_bus *bus)
{
	pthread_rwlock_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->log_lock);
}

/* Index of the first range whose end is above addr. */
static unsigned int lower_bound(const struct io_bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct io_range *r = &bus->r[mid];

		if (r->start + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int io_bus_register(struct io_bus *bus, uint64_t start, uint64_t len,
		    io_handler_t fn, void *opaque, const char *name)
{
	unsigned int i;
	int ret = -1;

	if (!len || start + len < start || !fn) {
		err_set("%s range 0x%llx+0x%llx for %s is invalid", bus->name,
			(unsigned long long)start, (unsigned long long)len,
			name);
		return -1;
	}
	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound(bus, start);
	if (i < bus->nr && bus->r[i].start < start + len) {
		err_set("%s range 0x%llx+0x%llx for %s overlaps %s at 0x%llx",
			bus->name, (unsigned long long)start,
			(unsigned long long)len, name, bus->r[i].name,
			(unsigned long long)bus->r[i].start);
		goto out;
	}
	if (bus->nr == IO_BUS_MAX_RANGES) {
		err_set("%s table full registering %s", bus->name, name);
		goto out;
	}
	memmove(&bus->r[i + 1], &bus->r[i], (bus->nr - i) * sizeof(bus->r[0]));
	bus->r[i] = (struct io_range){ start, len, fn, opaque, name };
	bus->nr++;
	ret = 0;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int io_bus_unregister(struct io_bus *bus, uint64_t start)
{
	unsigned int i;
	int ret = -1;

	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound(bus, start);
	if (i < bus->nr && bus->r[i].start == start) {
		memmove(&bus->r[i], &bus->r[i + 1],
			(bus->nr - i - 1) * sizeof(bus->r[0]));
		bus->nr--;
		ret = 0;
	} else {
		err_set("%s: no range starts at 0x%llx", bus->name,
			(unsigned long long)start);
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

static void log_unhandled(struct io_bus *bus, uint64_t addr,
			  unsigned int len, bool is_write)
{
	unsigned int i;

	pthread_mutex_lock(&bus->log_lock);
	bus->unhandled++;
	for (i = 0; i < bus->nr_logged; i++)
		if (bus->logged[i] == addr)
			goto out;
	if (bus->nr_logged < IO_BUS_MAX_LOGGED) {
		bus->logged[bus->nr_logged++] = addr;
		log_debug(1, "unhandled %s %s at 0x%llx (%u bytes)%s",
			  bus->name, is_write ? "write" : "read",
			  (unsigned long long)addr, len,
			  bus->nr_logged == IO_BUS_MAX_LOGGED ?
			  "; not logging more addresses" : "");
	}
out:
	pthread_mutex_unlock(&bus->log_lock);
}

bool io_bus_access(struct io_bus *bus, uint64_t addr, uint8_t *data,
		   unsigned int len, bool is_write)
{
	struct io_range r = { 0 };
	bool found = false;
	unsigned int i;

	pthread_rwlock_rdlock(&bus->lock);
	i = lower_bound(bus, addr);
	/* The whole access must fall inside the range. */
	if (i < bus->nr && bus->r[i].start <= addr &&
	    len <= bus->r[i].start + bus->r[i].len - addr) {
		r = bus->r[i];
		found = true;
	}
	pthread_rwlock_unlock(&bus->lock);

	if (found) {
		r.fn(r.opaque, addr - r.start, data, len, is_write);
		return true;
	}
	if (!is_write)
		memset(data, 0xff, len);
	log_unhandled(bus, addr, len, is_write);
	return false;
}
