// SPDX-License-Identifier: GPL-2.0
/*
 * e820.c - the memory map handed to the guest, in boot_params and in the
 * PVH start_info alike.
 *
 * Conventional memory stops at the EBDA (where the MP table lives); the
 * legacy VGA/BIOS area up to 1 MiB is reserved, as on a PC.  RAM then runs
 * up to the 32-bit PCI hole and continues at 4 GiB.  The KVM TSS and
 * identity-map pages sit in the hole and are reserved so that a guest never
 * places a BAR on them.
 */
#include "kvm.h"

static void add(struct e820_map *map, uint64_t addr, uint64_t size,
		uint32_t type)
{
	if (!size || map->nr >= E820_MAX_ENTRIES_ZEROPAGE)
		return;
	map->e[map->nr].addr = addr;
	map->e[map->nr].size = size;
	map->e[map->nr].type = type;
	map->nr++;
}

void e820_build(const struct guest_mem *gm, struct e820_map *map)
{
	map->nr = 0;
	add(map, 0, EBDA_START, E820_TYPE_RAM);
	add(map, EBDA_START, HIMEM_START - EBDA_START, E820_TYPE_RESERVED);
	add(map, HIMEM_START, gm->low_size - HIMEM_START, E820_TYPE_RAM);
	add(map, KVM_IDMAP_ADDR, KVM_PRIV_END - KVM_IDMAP_ADDR,
	    E820_TYPE_RESERVED);
	add(map, PCI_HOLE_END, gm->high_size, E820_TYPE_RAM);
}
