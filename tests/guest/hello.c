// SPDX-License-Identifier: GPL-2.0
/*
 * hello - the smallest end-to-end check: the kernel boots, prints on the
 * serial console, reads its command line and reports a status.
 *
 *   exit=N   exit with status N (default 0)
 *   lspci    also list the devices on PCI bus 0
 */
#include "runtime.h"

const char test_name[] = "hello";

static void list_pci_bus0(void)
{
	unsigned int dev, fn;

	for (dev = 0; dev < 32; dev++) {
		for (fn = 0; fn < 8; fn++) {
			uint32_t id = pci_read32(0, dev, fn, 0x00);
			uint32_t class = pci_read32(0, dev, fn, 0x08);

			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			printf("pci 00:%02x.%u %04x:%04x class %06x\n", dev, fn,
			       id & 0xffff, id >> 16, class >> 8);
			/* Header type bit 7: more than one function. */
			if (fn == 0 && !(pci_read8(0, dev, 0, 0x0e) & 0x80))
				break;
		}
	}
}

int test_main(void)
{
	uint64_t status = 0;

	printf("hello from lightvm test kernel\n");
	if (cmdline_has("lspci"))
		list_pci_bus0();
	if (cmdline_get_uint("exit", &status) && status > 255) {
		printf("exit=%lu does not fit the exit port's byte\n", status);
		status = 255;
	}
	printf("exiting with status %lu\n", status);
	return (int)status;
}
