// SPDX-License-Identifier: GPL-2.0
/*
 * machine.c - the machine: vmm/kvm's VM (KVM, memory, vCPUs, the legacy
 * PC devices every x86 guest expects), then the PCI host bridge with
 * QEMU's pvpanic (vmm/pci), then one virtio-blk per --disk, one
 * virtio-net per --net and one virtio-fs per --share, --fs and --rootfs
 * (vmm/virtio over vmm/disk, vmm/net and vmm/vhost), and last
 * the kernel, whose MP table lists the PCI interrupt routes the devices
 * were given.  Nothing below vmm/ knows this list.
 */
#include "machine.h"
#include "pci/pci.h"
#include "vhost/vhost.h"
#include "virtio/virtio.h"

static int add_devices(struct vm *vm, const struct vm_config *cfg)
{
	unsigned int i;

	if (pci_init(vm) < 0 || pvpanic_pci_init(vm) < 0)
		return -1;
	for (i = 0; i < cfg->nr_disks; i++)
		if (virtio_blk_create(vm, &cfg->disks[i]) < 0)
			return -1;
	for (i = 0; i < cfg->nr_nets; i++)
		if (virtio_net_create(vm, &cfg->nets[i]) < 0)
			return -1;
	for (i = 0; i < cfg->nr_fs; i++)
		if (virtio_fs_create(vm, &cfg->fs[i]) < 0)
			return -1;
	return 0;
}

int machine_check(const struct vm_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_fs; i++) {
		char why[300];

		if (!cfg->fs[i].dir || virtiofsd_check(cfg->fs[i].dir) == 0)
			continue;
		snprintf(why, sizeof(why), "%s", err_msg());
		err_set("%s %s", cfg->fs[i].root ? "--rootfs" : "--share", why);
		return -1;
	}
	return 0;
}

int machine_create(struct vm *vm, const struct vm_config *cfg)
{
	if (vm_create(vm, cfg) < 0 || add_devices(vm, cfg) < 0)
		return -1;
	return vm_setup_boot(vm);
}

bool machine_root_fs_driven(struct vm *vm)
{
	return virtio_fs_root_driven(vm);
}

void machine_print_stats(struct vm *vm)
{
	vm_print_stats(vm);
	virtio_print_stats(vm);
	vm_print_memory(vm);
}

void machine_destroy(struct vm *vm)
{
	/* First: their I/O threads drain to the disks and use the PCI bus. */
	virtio_devices_destroy(vm);
	pci_destroy(vm);
	vm_destroy(vm);
}
