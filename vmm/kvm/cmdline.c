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
 * 288.  That list got a 6.1 kernel through early boot on PVM.
 *
 * The emulator has no SSE either, and ring-0 SIMD code picks itself from
 * CPUID, which PVM answers with the host's values: the stock Debian kernel
 * stopped in blake2s_compress_ssse3 (movd %ecx,%xmm15).  So also clear the
 * features that select kernel SIMD code: pclmulqdq 129, ssse3 137, sse4_1
 * 147, sse4_2 148, aes 153, avx 156, avx2 293, avx512f 304, sha_ni 317,
 * gfni 520, vaes 521, vpclmulqdq 522.  6.1 parses at most 127 characters.
 */
#define PVM_PARAMS	"noxsave clearcpuid=151,150,291,296,288,308,309," \
			"158,306,311,312,298,145,129,137,147,148,153,156," \
			"293,304,317,520,521,522,534"

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
