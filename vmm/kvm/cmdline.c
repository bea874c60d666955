// SPDX-License-Identifier: GPL-2.0
/*
 * cmdline.c - the guest kernel command line: lightvm's defaults, the PVM
 * compatibility parameters when that path is active, then the user's -p.
 * Later parameters win in Linux, so the user can override any default.
 */
#include <stdio.h>

#include "kvm.h"

/*
 * console=ttyS0: the only console is the 8250 at 0x3f8.
 * reboot=k: reboot through the i8042, which lightvm turns into an exit.
 * panic=-1: reboot at once on panic, so a panicking guest ends the run.
 * pci=conf1: there is no BIOS or ACPI; use configuration mechanism #1.
 */
#define DEFAULT_PARAMS	"console=ttyS0 reboot=k panic=-1 pci=conf1"

/*
 * PVM's instruction emulator rejects xrstor and the instructions that
 * alternatives would patch in (measured: see shared/notes/pvm.md): noxsave,
 * and clearcpuid= by number (word * 32 + bit in cpufeatures.h, the form
 * 6.1 accepts), e.g. popcnt 151, movbe 150, bmi1 291, bmi2 296, fsgsbase
 * 288.  This exact list got a 6.1 kernel through early boot on PVM.
 */
#define PVM_PARAMS	"noxsave clearcpuid=151,150,291,296,288,308,309," \
			"158,306,311,312,298,145,534"

int cmdline_build(char *buf, size_t size, const struct vm_config *cfg,
		  bool pvm)
{
	const char *sep1 = "", *sep2 = "";
	const char *def = cfg->no_default_params ? "" : DEFAULT_PARAMS;
	const char *compat = pvm ? PVM_PARAMS : "";
	const char *user = cfg->params ? cfg->params : "";
	int n;

	if (*def && *compat)
		sep1 = " ";
	if ((*def || *compat) && *user)
		sep2 = " ";
	n = snprintf(buf, size, "%s%s%s%s%s", def, sep1, compat, sep2, user);
	if (n < 0 || (size_t)n >= size) {
		err_set("kernel command line is too long (%d bytes, at most %zu)",
			n, size - 1);
		return -1;
	}
	return 0;
}
