// SPDX-License-Identifier: GPL-2.0
/*
 * test_options.c - every rejected command line gets its own one-line
 * message (checked in-process through options_parse) and exit code 125
 * (checked by running the real binary, $LIGHTVM).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "../../vmm/lightvm.h"

struct bad_case {
	const char *argv[8];
	const char *msg;	/* substring expected in err_msg() */
};

static const struct bad_case bad[] = {
	{ { "lightvm" }, "no command given" },
	{ { "lightvm", "frobnicate" }, "unknown command 'frobnicate'" },
	{ { "lightvm", "run" }, "no kernel given" },
	{ { "lightvm", "run", "-k" }, "needs an argument" },
	{ { "lightvm", "run", "-k", "" }, "-k/--kernel needs a non-empty" },
	{ { "lightvm", "run", "-k", "k", "--bogus" }, "unknown option --bogus" },
	{ { "lightvm", "run", "-k", "k", "-Z" }, "unknown option -Z" },
	{ { "lightvm", "run", "-k", "k", "extra" }, "unexpected argument 'extra'" },
	{ { "lightvm", "run", "-k", "k", "-m", "10X" }, "-m 10X: not a size" },
	{ { "lightvm", "run", "-k", "k", "-m", "-5" }, "-m -5: not a size" },
	{ { "lightvm", "run", "-k", "k", "-m", "" }, "not a size" },
	{ { "lightvm", "run", "-k", "k", "-m", "8M" }, "between 16M and 1T" },
	{ { "lightvm", "run", "-k", "k", "-m", "2T" }, "between 16M and 1T" },
	{ { "lightvm", "run", "-k", "k", "-m", "99999999999999999999" },
	  "not a size" },
	{ { "lightvm", "run", "-k", "k", "-m", "16385K" }, "multiple of 4K" },
	{ { "lightvm", "run", "-k", "k", "-c", "0" }, "-c 0: vCPU count" },
	{ { "lightvm", "run", "-k", "k", "-c", "65" }, "-c 65: vCPU count" },
	{ { "lightvm", "run", "-k", "k", "-c", "2x" }, "-c 2x: vCPU count" },
	{ { "lightvm", "run", "-k", "k", "--timeout", "0" }, "--timeout 0" },
	{ { "lightvm", "run", "-k", "k", "--timeout", "-1" }, "--timeout -1" },
	{ { "lightvm", "run", "-k", "k", "--timeout", "abc" }, "--timeout abc" },
	{ { "lightvm", "run", "-k", "k", "--timeout", "1e9" }, "--timeout 1e9" },
	{ { "lightvm", "run", "-k", "k", "--elf-entry", "32" },
	  "--elf-entry 32: use pvh or 64" },
	{ { "lightvm", "run", "-k", "k", "--console-log", "" },
	  "--console-log needs" },
	{ { "lightvm", "run", "-k", "k", "--guest-decompress", "--elf-entry",
	    "64" }, "use one" },
	/* Control characters from the command line do not break the line
	 * (found by the options fuzzer). */
	{ { "lightvm", "run", "-k", "k", "-m", "1\n2" }, "-m 1?2: not a size" },
	{ { "lightvm", "run", "-k", "k", "--", "ls" }, "needs --rootfs" },
	{ { "lightvm", "run", "-k", "k", "--rw" }, "--rw applies to --rootfs" },
	{ { "lightvm", "run", "-k", "k", "--rootfs", "/", "-i", "x" },
	  "drop -i" },
	{ { "lightvm", "run", "-k", "k", "--fs", "/s" }, "give the tag" },
	{ { "lightvm", "run", "-k", "k", "--fs", "/s,ro" }, "unknown option 'ro'" },
	{ { "lightvm", "run", "-k", "k", "--share", "/a,tag=" }, "1-36 printable" },
	{ { "lightvm", "run", "-k", "k", "--share",
	    "/a,tag=0123456789012345678901234567890123456" }, "1-36 printable" },
	{ { "lightvm", "run", "-k", "k", "--share", "/a,tag=a b" }, "1-36 printable" },
	{ { "lightvm", "run", "-k", "k", "--share", "/a,bogus" },
	  "unknown option 'bogus'" },
	{ { "lightvm", "run", "-k", "k", "--share", ",tag=x" }, "no path" },
	{ { "lightvm", "run", "-k", "k", "--share", "/x/d", "--share", "/y/d" },
	  "tag 'd' is taken" },
	{ { "lightvm", "run", "-k", "k", "--share", "/a,tag=lightvm-root",
	    "--rootfs", "/" }, "taken by --rootfs" },
	{ { "lightvm", "fr\rob\x1b[2J" }, "unknown command 'fr?ob?[2J'" },
};

static int count_args(const char *const *argv)
{
	int n = 0;

	while (n < 8 && argv[n])
		n++;
	return n;
}

START_TEST(bad_command_line_message)
{
	const struct bad_case *c = &bad[_i];
	struct vm_config cfg;
	int argc = count_args(c->argv);

	ck_assert_int_eq(options_parse(&cfg, argc, (char **)c->argv), -1);
	ck_assert_msg(strstr(err_msg(), c->msg),
		      "case %d: message '%s' lacks '%s'", _i, err_msg(),
		      c->msg);
	ck_assert_msg(!strchr(err_msg(), '\n'), "message is one line");
}
END_TEST

/* Run $LIGHTVM with argv, capture stderr; returns the exit status. */
static int run_binary(const char *const *argv, char *err, size_t errlen)
{
	const char *bin = getenv("LIGHTVM");
	int pipefd[2], status;
	ssize_t n, total = 0;
	pid_t pid;

	ck_assert_msg(bin, "LIGHTVM must name the lightvm binary");
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);	/* --help text is not under test here */
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(bin, (char **)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], err + total, errlen - 1 - total)) > 0)
		total += n;
	err[total] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(bad_command_line_exit_code)
{
	const struct bad_case *c = &bad[_i];
	char err[1024];
	int code = run_binary(c->argv, err, sizeof(err));
	char *nl = strchr(err, '\n');

	ck_assert_int_eq(code, EXIT_VMM_ERROR);
	ck_assert_msg(strncmp(err, "lightvm: ", 9) == 0, "stderr: %s", err);
	ck_assert_msg(strstr(err, c->msg), "stderr '%s' lacks '%s'", err,
		      c->msg);
	ck_assert_msg(nl && nl[1] == '\0', "one line: '%s'", err);
}
END_TEST

START_TEST(missing_files_exit_code)
{
	static const char *const cases[][8] = {
		{ "lightvm", "run", "-k", "/nonexistent/kernel" },
		{ "lightvm", "run", "-k", "/" },
		{ "lightvm", "run", "-k", "/proc/self/exe", "-i" },
		{ "lightvm", "run", "-k", "/proc/self/exe", "--share",
		  "/nonexistent/dir" },
		{ "lightvm", "run", "-k", "/proc/self/exe", "--share",
		  "/proc/self/exe" },
		{ "lightvm", "run", "-k", "/proc/self/exe", "--rootfs",
		  "/nonexistent/dir", "--" },
		{ "lightvm", "run", "-k", "/proc/self/exe", "--rootfs",
		  "/proc/sys", "--" },
	};
	static const char *const want[] = {
		"kernel /nonexistent/kernel: No such file or directory",
		"kernel /: not a regular file",
		"needs an argument",
		"--share /nonexistent/dir: No such file or directory",
		"not a directory",
		"--rootfs /nonexistent/dir: No such file or directory",
		"--rootfs /proc/sys: no executable /bin/sh in it",
	};
	char err[1024];
	unsigned int i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(run_binary(cases[i], err, sizeof(err)),
				 EXIT_VMM_ERROR);
		ck_assert_msg(strstr(err, want[i]), "'%s' lacks '%s'", err,
			      want[i]);
	}
}
END_TEST

START_TEST(unreadable_initrd)
{
	const char *argv[] = { "lightvm", "run", "-k", "/proc/self/exe", "-i",
			       "/nonexistent/initrd", NULL };
	char err[1024];

	ck_assert_int_eq(run_binary(argv, err, sizeof(err)), EXIT_VMM_ERROR);
	ck_assert_msg(strstr(err, "initrd /nonexistent/initrd: No such file"),
		      "%s", err);
}
END_TEST

START_TEST(help_and_version)
{
	const char *help[] = { "lightvm", "--help", NULL };
	const char *run_help[] = { "lightvm", "run", "-h", NULL };
	const char *version[] = { "lightvm", "--version", NULL };
	char err[256];

	ck_assert_int_eq(run_binary(help, err, sizeof(err)), 0);
	ck_assert_int_eq(run_binary(run_help, err, sizeof(err)), 0);
	ck_assert_int_eq(run_binary(version, err, sizeof(err)), 0);
}
END_TEST

START_TEST(good_command_line)
{
	const char *argv[] = { "lightvm", "run", "-k", "vmlinux", "-i", "rd",
			       "-m", "2G", "-c", "4", "-p", "quiet", "-vv" };
	const char *argv2[] = { "lightvm", "run", "--kernel=k", "--timeout",
				"2.5", "--console-log", "log", "--pvm",
				"--elf-entry", "64" };
	struct vm_config cfg;

	ck_assert_int_eq(options_parse(&cfg, 13, (char **)argv), 0);
	ck_assert_str_eq(cfg.kernel, "vmlinux");
	ck_assert_str_eq(cfg.initrd, "rd");
	ck_assert_uint_eq(cfg.mem_size, 2ULL << 30);
	ck_assert_uint_eq(cfg.cpus, 4);
	ck_assert_str_eq(cfg.params, "quiet");
	ck_assert_int_eq(cfg.verbose, 2);
	ck_assert_int_eq(cfg.pvm, PVM_AUTO);

	ck_assert_int_eq(options_parse(&cfg, 10, (char **)argv2), 0);
	ck_assert_uint_eq(cfg.nr_fs, 0);
	ck_assert_ptr_null(cfg.cmd);
	ck_assert_uint_eq(cfg.timeout_ms, 2500);
	ck_assert_str_eq(cfg.console_log, "log");
	ck_assert_int_eq(cfg.pvm, PVM_ON);
	ck_assert_int_eq(cfg.elf_entry, ELF_ENTRY_64);
	ck_assert_uint_eq(cfg.mem_size, MEM_DEFAULT);
	ck_assert_uint_eq(cfg.cpus, 1);
}
END_TEST

/* --share, --fs, --rootfs and the command after --. */
START_TEST(fs_command_line)
{
	const char *argv[] = { "lightvm", "run", "-k", "k", "--share",
			       "/srv/data/", "--share", "/tmp,tag=scratch,ro",
			       "--fs", "/run/vfs.sock,tag=ext", "--rootfs", "/",
			       "--", "sh", "-c", "exit 42", "--", NULL };
	const char *argv2[] = { "lightvm", "run", "-k", "k", "--rootfs",
				"/r", "--rw", NULL };
	struct vm_config cfg;

	ck_assert_int_eq(options_parse(&cfg, 17, (char **)argv), 0);
	ck_assert_uint_eq(cfg.nr_fs, 4);
	ck_assert_str_eq(cfg.fs[0].dir, "/srv/data/");
	ck_assert_str_eq(cfg.fs[0].tag, "data");	/* the last component */
	ck_assert(!cfg.fs[0].readonly);
	ck_assert_str_eq(cfg.fs[1].tag, "scratch");
	ck_assert(cfg.fs[1].readonly);
	ck_assert_str_eq(cfg.fs[2].socket, "/run/vfs.sock");
	ck_assert_ptr_null(cfg.fs[2].dir);
	ck_assert_str_eq(cfg.fs[2].tag, "ext");
	ck_assert(cfg.fs[3].root && cfg.fs[3].readonly);
	ck_assert_str_eq(cfg.fs[3].dir, "/");
	ck_assert_str_eq(cfg.fs[3].tag, "lightvm-root");
	/* Everything after the first -- is the command, a later -- too. */
	ck_assert_int_eq(cfg.cmd_argc, 4);
	ck_assert_str_eq(cfg.cmd[0], "sh");
	ck_assert_str_eq(cfg.cmd[2], "exit 42");
	ck_assert_str_eq(cfg.cmd[3], "--");

	ck_assert_int_eq(options_parse(&cfg, 7, (char **)argv2), 0);
	ck_assert_uint_eq(cfg.nr_fs, 1);
	ck_assert(!cfg.fs[0].readonly && cfg.rootfs_rw);
	ck_assert_int_eq(cfg.cmd_argc, 0);	/* a shell */
}
END_TEST

/*
 * A parse that stopped inside a cluster of short options ("-Zv": the
 * error at Z) must not leave the rest of that argument to the next
 * parse, whose argv may be gone by then.
 */
START_TEST(parse_after_an_error_mid_cluster)
{
	const char *argv1[] = { "lightvm", "run", "-Zv", "-k", "k1", NULL };
	const char *argv2[] = { "lightvm", "run", "-k", "k2", NULL };
	struct vm_config cfg;

	ck_assert_int_eq(options_parse(&cfg, 5, (char **)argv1), -1);
	ck_assert_int_eq(options_parse(&cfg, 4, (char **)argv2), 0);
	ck_assert_str_eq(cfg.kernel, "k2");
	ck_assert_int_eq(cfg.verbose, 0);
}
END_TEST

START_TEST(sizes)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("512", &v), 0);
	ck_assert_uint_eq(v, 512ULL << 20);
	ck_assert_int_eq(parse_size("64k", &v), 0);
	ck_assert_uint_eq(v, 64ULL << 10);
	ck_assert_int_eq(parse_size("3G", &v), 0);
	ck_assert_uint_eq(v, 3ULL << 30);
	ck_assert_int_eq(parse_size("1GiB", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 30);
	ck_assert_int_eq(parse_size("1T", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 40);
	ck_assert_int_eq(parse_size("1P", &v), -1);
	ck_assert_int_eq(parse_size("G", &v), -1);
	ck_assert_int_eq(parse_size("1 G", &v), -1);
	ck_assert_int_eq(parse_size("17179869184G", &v), -1); /* overflow */
}
END_TEST

Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("cli");
	int n = sizeof(bad) / sizeof(bad[0]);

	tcase_add_loop_test(tc, bad_command_line_message, 0, n);
	tcase_add_loop_test(tc, bad_command_line_exit_code, 0, n);
	tcase_add_test(tc, missing_files_exit_code);
	tcase_add_test(tc, unreadable_initrd);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, good_command_line);
	tcase_add_test(tc, fs_command_line);
	tcase_add_test(tc, parse_after_an_error_mid_cluster);
	tcase_add_test(tc, sizes);
	suite_add_tcase(s, tc);
	return s;
}
