// SPDX-License-Identifier: GPL-2.0
/*
 * init.c - /init of the initramfs lightvm builds for `--rootfs DIR`: a
 * static program that runs in the guest as PID 1.
 *
 * It mounts the host's DIR (virtio-fs tag "lightvm-root"), read-only
 * under a tmpfs overlay unless --rw, gives it /proc, /sys, /dev, /tmp and
 * /run, makes it the root (the switch_root dance: move it onto / and
 * chroot, since an initramfs cannot be pivot_root'ed away), and runs the
 * command as a child in a session of its own with the console as its
 * controlling terminal.  PID 1 reaps every orphan until the command
 * exits, then syncs and reports the command's exit status through the
 * debug-exit port 0xf4 (a signal's death as 128 + N, the shell's way),
 * which lightvm turns into its own exit status.
 *
 * What to run comes from lightvm in two files of the initramfs, each a
 * list of NUL-terminated strings: /lightvm/cmd (argv; empty: a shell)
 * and /lightvm/env (tag=, rw=, cwd=, term=).  A failure before the
 * command runs is printed and ends init, which panics the kernel: lightvm
 * then exits 120, with this message above it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_PORT	0xf4
#define MAX_ARGS	4096

static char cmd_buf[256 * 1024], env_buf[16 * 1024];
static char *argv_cmd[MAX_ARGS + 1];
static const char *tag = "lightvm-root", *cwd = "/", *term = "linux";
static int rw;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("lightvm-init: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* A file of NUL-terminated strings into buf; returns its length. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	while ((n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0)
		die("%s: %s", path, strerror(errno));
	buf[len] = '\0';
	return len;
}

static void read_config(void)
{
	size_t len = slurp("/lightvm/env", env_buf, sizeof(env_buf)), i;
	unsigned int argc = 0;

	for (i = 0; i < len; i += strlen(env_buf + i) + 1) {
		char *e = env_buf + i;

		if (!strncmp(e, "tag=", 4))
			tag = e + 4;
		else if (!strncmp(e, "rw=", 3))
			rw = e[3] == '1';
		else if (!strncmp(e, "cwd=", 4))
			cwd = e + 4;
		else if (!strncmp(e, "term=", 5))
			term = e + 5;
	}
	len = slurp("/lightvm/cmd", cmd_buf, sizeof(cmd_buf));
	for (i = 0; i < len && argc < MAX_ARGS; i += strlen(cmd_buf + i) + 1)
		argv_cmd[argc++] = cmd_buf + i;
	argv_cmd[argc] = NULL;
}

static void must_mount(const char *src, const char *dst, const char *type,
		       unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) < 0)
		die("mount %s on %s (%s): %s", src, dst, type, strerror(errno));
}

/* The API file systems inside the new root; a directory missing from a
 * read-only DIR (--rw is the only case) is skipped with a warning. */
static void api_mount(const char *src, const char *dst, const char *type,
		      const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, MS_NOSUID, data) < 0 &&
	    !(errno == ENODEV && !strcmp(type, "devpts")))	/* optional */
		fprintf(stderr, "lightvm-init: warning: mount %s on %s: %s\n",
			type, dst, strerror(errno));
}

static void mount_root(void)
{
	const char *at = rw ? "/newroot" : "/lower";

	if (mount(tag, at, "virtiofs", rw ? 0 : MS_RDONLY, NULL) < 0)
		die("cannot mount the host directory (virtio-fs tag %s): %s%s",
		    tag, strerror(errno), errno == ENODEV ?
		    " - the kernel needs CONFIG_VIRTIO_FS" : "");
	if (rw)
		return;
	/* Read-only DIR below, the guest's writes in a tmpfs above. */
	must_mount("tmpfs", "/rw", "tmpfs", 0, "mode=0755");
	mkdir("/rw/upper", 0755);
	mkdir("/rw/work", 0755);
	if (mount("overlay", "/newroot", "overlay", 0,
		  "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work") < 0)
		die("overlay on the host directory: %s%s", strerror(errno),
		    errno == ENODEV ? " - the kernel needs CONFIG_OVERLAY_FS" :
				      "");
}

static void switch_root(void)
{
	api_mount("proc", "/newroot/proc", "proc", NULL);
	api_mount("sysfs", "/newroot/sys", "sysfs", NULL);
	api_mount("devtmpfs", "/newroot/dev", "devtmpfs", NULL);
	api_mount("devpts", "/newroot/dev/pts", "devpts", "gid=5,mode=620");
	api_mount("tmpfs", "/newroot/tmp", "tmpfs", "mode=1777");
	api_mount("tmpfs", "/newroot/run", "tmpfs", "mode=0755");
	if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
	    chroot(".") < 0 || chdir("/") < 0)
		die("switching to the new root: %s", strerror(errno));
}

/*
 * /dev/console cannot be a controlling terminal (the kernel opens it
 * "noctty"): give the command the tty behind it - the last one listed in
 * /sys/class/tty/console/active, the one console= named last.
 */
static void console_stdio(void)
{
	char active[128], path[160], *name;
	ssize_t n;
	int fd;

	fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, active, sizeof(active) - 1);
	close(fd);
	if (n <= 0)
		return;
	active[n] = '\0';
	active[strcspn(active, "\n")] = '\0';
	name = strrchr(active, ' ');
	name = name ? name + 1 : active;
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int run_command(void)
{
	static char *shell[] = { "/bin/sh", NULL };
	char **argv = argv_cmd[0] ? argv_cmd : shell;
	int status;
	pid_t pid, w;

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		/* A session of its own with the console as controlling
		 * terminal: job control and Ctrl-C work in a shell. */
		setsid();
		console_stdio();
		ioctl(0, TIOCSCTTY, 1);
		if (chdir(cwd) < 0 && chdir("/") < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "lightvm-init: %s: %s\n", argv[0],
			strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		w = wait(&status);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			die("wait: %s", strerror(errno));
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Dirty + Writeback from /proc/meminfo, in KiB (-1: unreadable). */
static long unwritten_kb(void)
{
	char buf[4096], *p;
	long total = 0;
	ssize_t n;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nDirty:")))
		total += strtol(p + 7, NULL, 10);
	if ((p = strstr(buf, "\nWriteback:")))
		total += strtol(p + 11, NULL, 10);
	return total;
}

/*
 * Flush everything before reporting, but never hang on it: a file
 * system whose server died (a --share whose virtiofsd was killed) can
 * block sync() for ever.  It runs in a child; we wait as long as the
 * amount of unwritten data keeps going down, and give up after 5 s
 * without progress.
 */
static void sync_bounded(void)
{
	long last = unwritten_kb(), now;
	unsigned int stalled = 0;
	pid_t pid = fork();

	if (pid < 0) {
		sync();
		return;
	}
	if (!pid) {
		sync();
		_exit(0);
	}
	for (;;) {
		usleep(100 * 1000);
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		now = unwritten_kb();
		if (now >= 0 && now < last) {
			last = now;
			stalled = 0;
		} else if (++stalled >= 50) {
			fprintf(stderr, "lightvm-init: sync made no progress for 5 s (%ld KiB unwritten); giving up on it\n",
				now);
			return;
		}
	}
}

int main(void)
{
	int code;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	read_config();
	mount_root();
	switch_root();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", term, 1);
	code = run_command();
	sync_bounded();
	if (ioperm(EXIT_PORT, 1, 1) == 0)
		outb((unsigned char)code, EXIT_PORT);
	/* Not under lightvm (no exit port): power off. */
	reboot(RB_POWER_OFF);
	return code;
}
