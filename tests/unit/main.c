// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the unit test runner: one SRunner over every suite.  Check runs
 * each test in a forked child (CK_FORK, the default), so a crash in one
 * test is reported as an error instead of ending the run.
 */
#include <stdlib.h>

#include "unit.h"

/*
 * Every suite, in run order.  A new test file adds its constructor here
 * and its declaration to unit.h.
 */
static Suite *(*const suites[])(void) = {
	options_suite,
	io_bus_suite,
	pci_suite,
	virtq_suite,
	blk_suite,
	net_suite,
	modern_suite,
	vhost_suite,
	boot_suite,
	loader_suite,
	multiboot_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	unsigned int i;
	int failed;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	/*
	 * CK_NORMAL prints the "100%: Checks: N, Failures: 0, Errors: 0"
	 * summary and each failure.
	 */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
