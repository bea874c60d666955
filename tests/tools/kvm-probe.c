// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-probe - is there a usable KVM here, and of which kind?  Opening
 * /dev/kvm and creating a VM is the only proof: on machines that are PVM
 * guests themselves /sys/module/kvm_pvm exists while /dev/kvm does not.
 *
 * Prints one line and exits:
 *   0  "vmx-svm"  a VM was created and the vendor module is kvm_intel/kvm_amd
 *   0  "pvm"      a VM was created and the vendor module is kvm_pvm
 *   1  "none: REASON"
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int loaded(const char *module)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return access(path, F_OK) == 0;
}

int main(void)
{
	int kvm, vm, api;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("none: cannot open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		printf("none: /dev/kvm has API version %d, not %d\n", api,
		       KVM_API_VERSION);
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("none: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	close(vm);
	close(kvm);
	/* Only one vendor module can back /dev/kvm at a time. */
	if (loaded("kvm_intel") || loaded("kvm_amd") || !loaded("kvm_pvm"))
		printf("vmx-svm\n");
	else
		printf("pvm\n");
	return 0;
}
