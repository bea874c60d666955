/* SPDX-License-Identifier: GPL-2.0 */
/*
 * machine.h - the machine lightvm builds, for main.c: which devices exist
 * and how they are wired lives in machine.c, above the folders, so that
 * vmm/kvm knows nothing of PCI or virtio.
 */
#ifndef LIGHTVM_MACHINE_H
#define LIGHTVM_MACHINE_H

#include "kvm/kvm.h"

/* Create the VM, its devices and load the kernel; on failure err_set()
 * says why and machine_destroy() cleans up what was built. */
int machine_create(struct vm *vm, const struct vm_config *cfg);
/* -v: what each part counted. */
void machine_print_stats(struct vm *vm);
/* Stop the devices (draining their I/O), then the VM. */
void machine_destroy(struct vm *vm);

#endif
