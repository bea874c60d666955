/* SPDX-License-Identifier: GPL-2.0 */
/*
 * machine.h - the machine lightvm builds, for main.c: which devices exist
 * and how they are wired lives in machine.c, above the folders, so that
 * vmm/kvm knows nothing of PCI or virtio.
 */
#ifndef LIGHTVM_MACHINE_H
#define LIGHTVM_MACHINE_H

#include "kvm/kvm.h"

/* What can be checked before any KVM work: the directories to share and
 * the server for them.  0, or -1 with err_set(). */
int machine_check(const struct vm_config *cfg);
/* Create the VM, its devices and load the kernel; on failure err_set()
 * says why and machine_destroy() cleans up what was built. */
int machine_create(struct vm *vm, const struct vm_config *cfg);
/* --rootfs: whether the guest kernel ever drove the root's virtio-fs
 * device (true without --rootfs). */
bool machine_root_fs_driven(struct vm *vm);
/* -v: what each part counted. */
void machine_print_stats(struct vm *vm);
/* Stop the devices (draining their I/O), then the VM. */
void machine_destroy(struct vm *vm);

#endif
