/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unit.h - the unit test suites.  Each test file provides one constructor;
 * main.c lists them all.
 */
#ifndef LIGHTVM_UNIT_H
#define LIGHTVM_UNIT_H

#include <check.h>

Suite *loader_suite(void);	/* test_loaders.c: ELF, bzImage, payloads */
Suite *options_suite(void);	/* test_options.c: command line, exit 125 */
Suite *boot_suite(void);	/* test_boot.c: e820, zero page, MP table */
Suite *io_bus_suite(void);	/* test_io_bus.c: port/MMIO dispatch */
Suite *pci_suite(void);		/* test_pci.c: config space, BARs, MSI-X */
Suite *virtq_suite(void);	/* test_virtq.c: the split-ring walker */
Suite *blk_suite(void);		/* test_blk.c: virtio-blk requests, disks */
Suite *net_suite(void);		/* test_net.c: virtio-net frames, taps, MACs */
Suite *modern_suite(void);	/* test_modern.c: the modern virtio-PCI transport */
Suite *multiboot_suite(void);	/* test_multiboot.c: the Multiboot v1 loader */
Suite *vhost_suite(void);	/* test_vhost.c: vhost-user, virtio-fs, --rootfs */

#endif
