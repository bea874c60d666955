// SPDX-License-Identifier: GPL-2.0
/*
 * virtiofsd.c - Debian's virtio-fs file server (qemu-system-common's
 * /usr/lib/qemu/virtiofsd) as our child: started for `--share DIR` and
 * `--rootfs DIR`, waited for until its vhost-user socket exists, stopped
 * on every way out of lightvm.
 *
 * Its socket lives in a directory of our own (mode 0700), so no other
 * user can race us to it.  It serves exactly one front-end connection and
 * exits when that closes, which is also how it ends when we are killed
 * outright; PR_SET_PDEATHSIG covers the time before we connect.  It runs
 * in a mount namespace of its own and serves a bind mount of DIR there
 * (see child()).  Read-only shares are enforced by the host kernel, not by
 * asking the guest: that bind mount is read-only, so the server itself
 * gets EROFS for any write (this virtiofsd has no read-only option).  All
 * this needs CAP_SYS_ADMIN, as virtiofsd's own namespace sandbox does.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vhost.h"

#define START_TIMEOUT_MS	10000
#define STOP_GRACE_MS		2000

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* In the child: a message on stderr and out, before exec succeeded. */
static void __attribute__((noreturn)) child_fail(const char *what,
						const char *dir)
{
	dprintf(2, "lightvm: virtiofsd for %s: %s: %s\n", dir, what,
		strerror(errno));
	_exit(126);
}

static void __attribute__((noreturn)) child(const struct virtiofsd *d,
					    const char *dir, bool ro,
					    const char *cache, pid_t parent)
{
	char sock_arg[160], src_arg[160], cache_arg[32];
	const char *level = log_verbosity >= 2 ? "log_level=info" :
						 "log_level=err";
	sigset_t all;
	int null;

	/* vCPU and I/O threads run with signals blocked; exec keeps the
	 * mask, and virtiofsd must see SIGTERM. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	null = open("/dev/null", O_RDONLY);
	if (null >= 0) {
		dup2(null, 0);
		if (null > 2)
			close(null);
	}
	/* stdout carries the guest console and stderr is the user's: the
	 * server's messages go to its log, which lightvm quotes when the
	 * server fails (-vv: straight to stderr). */
	if (log_verbosity < 2) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600);

		if (fd >= 0)
			dup2(fd, 2);
	}
	dup2(2, 1);
	close_range(3, ~0U, 0);
	/*
	 * virtiofsd's namespace sandbox pivot_root()s into its source, which
	 * fails for "/" itself (EBUSY: the new root would be the current
	 * one).  So it serves a bind mount of DIR in a mount namespace of
	 * our own: any DIR works, / included, and for ro the bind mount is
	 * read-only, so the host refuses the guest's writes.
	 */
	if (unshare(CLONE_NEWNS) < 0)
		child_fail("a mount namespace for the share", dir);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(dir, d->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail("a bind mount of the share", dir);
	if (ro && mount(NULL, d->root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
			NULL) < 0)
		child_fail("a read-only bind mount", dir);
	snprintf(sock_arg, sizeof(sock_arg), "--socket-path=%s", d->socket);
	snprintf(src_arg, sizeof(src_arg), "source=%s", d->root);
	snprintf(cache_arg, sizeof(cache_arg), "cache=%s", cache);
	execl(VIRTIOFSD_PATH, "virtiofsd", sock_arg, "-o", src_arg, "-o",
	      cache_arg, "-o", level, (char *)NULL);
	child_fail("exec " VIRTIOFSD_PATH, dir);
}

const char *virtiofsd_last_words(const struct virtiofsd *d, char *buf,
				 size_t len)
{
	char tail[512], *line, *end;
	ssize_t n = -1;
	off_t size;
	int fd;

	snprintf(buf, len, "no message");
	fd = d->log[0] ? open(d->log, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return buf;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0)
		n = pread(fd, tail, sizeof(tail) - 1,
			  size > (off_t)sizeof(tail) - 1 ?
			  size - (off_t)sizeof(tail) + 1 : 0);
	close(fd);
	if (n <= 0)
		return buf;
	tail[n] = '\0';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	line = strrchr(tail, '\n');
	line = line ? line + 1 : tail;
	if (*line)
		snprintf(buf, len, "\"%s\"", line);
	return buf;
}

static void remove_socket(struct virtiofsd *d)
{
	if (d->log[0])
		unlink(d->log);
	if (d->socket[0])
		unlink(d->socket);
	if (d->root[0])
		rmdir(d->root);
	if (d->dir[0])
		rmdir(d->dir);
	d->socket[0] = d->root[0] = d->dir[0] = d->log[0] = '\0';
}

static int check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		err_set("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set("%s: not a directory", dir);
		return -1;
	}
	if (access(dir, R_OK | X_OK) < 0) {
		err_set("%s: not readable: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int virtiofsd_check(const char *dir)
{
	if (check_dir(dir) < 0)
		return -1;
	if (access(VIRTIOFSD_PATH, X_OK) < 0) {
		err_set("%s: %s (install Debian's qemu-system-common)",
			VIRTIOFSD_PATH, strerror(errno));
		return -1;
	}
	return 0;
}

int virtiofsd_start(struct virtiofsd *d, const char *dir, bool ro,
		    const char *cache)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	uint64_t waited = 0;
	struct stat st;
	pid_t parent = getpid();
	int status;

	memset(d, 0, sizeof(*d));
	d->shared = dir;
	if (virtiofsd_check(dir) < 0)
		return -1;
	if (!base || !*base || strlen(base) > 40)
		base = "/tmp";
	snprintf(d->dir, sizeof(d->dir), "%s/lightvm-fs.XXXXXX", base);
	if (!mkdtemp(d->dir)) {
		err_set("virtiofsd: cannot make a directory for its socket in %s: %s",
			base, strerror(errno));
		d->dir[0] = '\0';
		return -1;
	}
	snprintf(d->socket, sizeof(d->socket), "%s/virtiofsd.sock", d->dir);
	snprintf(d->root, sizeof(d->root), "%s/share", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/virtiofsd.log", d->dir);
	if (mkdir(d->root, 0700) < 0) {
		err_set("virtiofsd: %s: %s", d->root, strerror(errno));
		d->root[0] = '\0';
		remove_socket(d);
		return -1;
	}
	d->pid = fork();
	if (d->pid < 0) {
		err_set("virtiofsd: fork: %s", strerror(errno));
		d->pid = 0;
		remove_socket(d);
		return -1;
	}
	if (!d->pid)
		child(d, dir, ro, cache, parent);

	/* The socket file appears at bind(); connecting is retried a little
	 * by the caller in case listen() has not happened yet.  Probing it
	 * here would use up the server's one connection. */
	while (stat(d->socket, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		pid_t r = waitpid(d->pid, &status, WNOHANG);

		if (r == d->pid) {
			char words[300];

			d->pid = 0;
			err_set("virtiofsd for %s exited (%s %d) before listening: %s",
				dir, WIFEXITED(status) ? "status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) :
						    WTERMSIG(status),
				virtiofsd_last_words(d, words, sizeof(words)));
			remove_socket(d);
			return -1;
		}
		if (waited >= START_TIMEOUT_MS) {
			err_set("virtiofsd for %s: no socket after %u s", dir,
				START_TIMEOUT_MS / 1000);
			virtiofsd_stop(d);
			return -1;
		}
		sleep_ms(5);
		waited += 5;
	}
	log_debug(1, "virtiofsd (pid %d) serves %s%s at %s", (int)d->pid, dir,
		  ro ? " read-only" : "", d->socket);
	return 0;
}

bool virtiofsd_alive(struct virtiofsd *d)
{
	int status;

	if (!d->pid)
		return false;
	if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
		d->pid = 0;
		return false;
	}
	return true;
}

void virtiofsd_stop(struct virtiofsd *d)
{
	unsigned int waited = 0;
	int status;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		while (waitpid(d->pid, &status, WNOHANG) == 0) {
			if (waited >= STOP_GRACE_MS) {
				kill(d->pid, SIGKILL);
				waitpid(d->pid, &status, 0);
				break;
			}
			sleep_ms(5);
			waited += 5;
		}
		d->pid = 0;
	}
	remove_socket(d);
}
