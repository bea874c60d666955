// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - `lightvm run ...`: parse, check the files, build the VM, run it
 * and map whatever ended it onto the documented exit codes (lightvm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lightvm.h"
#include "machine.h"
#include "rootfs/rootfs.h"

/* Catch a missing or unreadable file before any KVM work is done. */
static int check_input(const char *what, const char *path)
{
	struct stat st;
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set("%s %s: not a regular file", what, path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * With -vv: where this process's CPU time went.  On VMX/SVM hosts the
 * kernel counts the guest's own run time into the vCPU threads' user time
 * (and again as guest time), so lightvm's own user-space work is the
 * difference.  Fields 14, 15 and 43 of /proc/self/stat (proc(5)), read
 * after the ')' that ends the command name.
 */
static void report_cpu(void)
{
	unsigned long long utime = 0, stime = 0, gtime = 0;
	char buf[1024], *p;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd, field;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || hz <= 0)
		return;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return;
	/* p + 2 is field 3 (state). */
	for (field = 3, p += 2; *p && field <= 43; field++) {
		unsigned long long v = strtoull(p, NULL, 10);

		if (field == 14)
			utime = v;
		else if (field == 15)
			stime = v;
		else if (field == 43)
			gtime = v;
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	log_debug(2, "cpu: user %llu ms (of which guest %llu ms), system %llu ms",
		  utime * 1000 / hz, gtime * 1000 / hz, stime * 1000 / hz);
}

/* A crash must not leave the user's terminal in raw mode. */
static void fatal_signal(int sig)
{
	console_restore(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fatal_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	unsigned int i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], fatal_signal);
}

int main(int argc, char **argv)
{
	uint64_t t_start = monotonic_ms(), t_setup, t_run;
	struct vm_config cfg;
	struct vm *vm;
	int ret;

	ret = options_parse(&cfg, argc, argv);
	if (ret > 0)
		return EXIT_GUEST_OK;
	if (ret < 0) {
		log_msg("%s", err_msg());
		return EXIT_VMM_ERROR;
	}
	log_verbosity = cfg.verbose;
	if (machine_check(&cfg) < 0 ||
	    (cfg.rootfs && rootfs_prepare(&cfg) < 0)) {
		log_msg("%s", err_msg());
		return EXIT_VMM_ERROR;
	}
	if (check_input("kernel", cfg.kernel) < 0 ||
	    check_input("initrd", cfg.initrd) < 0) {
		log_msg("%s", err_msg());
		return EXIT_VMM_ERROR;
	}
	install_fatal_handlers();
	/* A closed stdout must not kill us: writes fail, the VM runs on. */
	signal(SIGPIPE, SIG_IGN);

	vm = malloc(sizeof(*vm));
	if (!vm) {
		log_msg("out of memory");
		return EXIT_VMM_ERROR;
	}
	if (machine_create(vm, &cfg) < 0) {
		/* Restore the tty before the message so it prints cleanly. */
		console_restore(vm->con);
		log_msg("%s", err_msg());
		machine_destroy(vm);
		free(vm);
		return EXIT_VMM_ERROR;
	}
	t_setup = monotonic_ms();
	ret = vm_run(vm);
	t_run = monotonic_ms();
	console_restore(vm->con);
	/* The guest's init cannot mount a root it has no driver for; say
	 * that, not what the panic after it looks like. */
	if (cfg.rootfs && ret != EXIT_TIMEOUT && ret < EXIT_SIGNAL_BASE &&
	    !machine_root_fs_driven(vm)) {
		log_msg("--rootfs: the guest kernel never drove the virtio-fs device: it needs CONFIG_VIRTIO_FS (and CONFIG_OVERLAY_FS) built in");
		ret = EXIT_VMM_ERROR;
	} else if (ret > EXIT_GUEST_MAX)
		log_msg("%s (exit %d)", vm->exit_reason, ret);
	else
		log_debug(1, "%s (exit %d)", vm->exit_reason, ret);
	machine_print_stats(vm);
	log_debug(2, "timing: start-up and boot setup %llu ms, run %llu ms",
		  (unsigned long long)(t_setup - t_start),
		  (unsigned long long)(t_run - t_setup));
	if (log_verbosity >= 2)
		report_cpu();
	vm_teardown_in_background(vm);
	machine_destroy(vm);
	free(vm);
	return ret;
}
