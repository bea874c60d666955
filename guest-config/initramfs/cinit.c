/*
 * cinit — tiny /init for lightvm tests on VMX/SVM hosts (it makes system
 * calls, so it does not work on PVM hosts: use the "spin" init there).
 *
 * - mounts proc on /proc, sysfs on /sys, devtmpfs on /dev (printing each step)
 * - reads lightvm.test=NAME from /proc/cmdline and runs that test:
 *     ok      succeed
 *     mounts  /proc/mounts lists proc, sysfs and devtmpfs
 *     blk     print /sys/block/vda/size (must be a number > 0)
 *     net     print /sys/class/net/eth0/address
 *   anything else (or no lightvm.test=) fails
 * - reports the result with outb(status, 0xf4) after ioperm(0xf4, 1, 1):
 *   status 0 = pass, 1 = fail (QEMU isa-debug-exit turns it into exit code
 *   (status << 1) | 1), prints "cinit: RESULT test=NAME status=N", then halts.
 *
 * Freestanding: no libc, raw x86-64 system calls, a few KB static binary.
 */
typedef unsigned long size_t;
typedef long ssize_t;

#define SYS_read	0
#define SYS_write	1
#define SYS_open	2
#define SYS_close	3
#define SYS_mkdir	83
#define SYS_mount	165
#define SYS_reboot	169
#define SYS_ioperm	173

#define O_RDONLY	0
#define EEXIST		17
#define EBUSY		16

#define DEBUG_EXIT_PORT	0xf4

static long sc1(long n, long a)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
	return r;
}

static long sc3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static long sc5(long n, long a, long b, long c, long d, long e)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

/* gcc may emit calls to these even when freestanding */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static int seq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static const char *sfind(const char *hay, const char *needle)
{
	for (; *hay; hay++)
		if (starts(hay, needle))
			return hay;
	return 0;
}

static void put(const char *s)
{
	sc3(SYS_write, 1, (long)s, (long)slen(s));
}

static void putnum(long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	int neg = v < 0;
	unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		buf[--i] = '-';
	put(buf + i);
}

/* read a whole (small) file into buf, NUL-terminated; returns length or -errno */
static long readfile(const char *path, char *buf, size_t size)
{
	long fd = sc3(SYS_open, (long)path, O_RDONLY, 0);
	size_t n = 0;

	if (fd < 0)
		return fd;
	while (n < size - 1) {
		long r = sc3(SYS_read, fd, (long)(buf + n), (long)(size - 1 - n));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	sc1(SYS_close, fd);
	buf[n] = 0;
	return (long)n;
}

static void chomp(char *s)
{
	size_t n = slen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

static int do_mount(const char *src, const char *dir, const char *type)
{
	long r = sc3(SYS_mkdir, (long)dir, 0755, 0);

	if (r < 0 && r != -EEXIST) {
		put("cinit: mkdir "); put(dir); put(" failed: errno "); putnum(-r); put("\n");
	}
	r = sc5(SYS_mount, (long)src, (long)dir, (long)type, 0, 0);
	if (r == -EBUSY) {
		put("cinit: "); put(type); put(" already mounted on "); put(dir); put("\n");
		return 0;
	}
	if (r < 0) {
		put("cinit: mount "); put(type); put(" on "); put(dir);
		put(" FAILED: errno "); putnum(-r); put("\n");
		return -1;
	}
	put("cinit: mounted "); put(type); put(" on "); put(dir); put("\n");
	return 0;
}

static char buf[8192];

static int test_mounts(void)
{
	static const char *const want[] = { " /proc proc ", " /sys sysfs ", " /dev devtmpfs " };
	int ok = 1;
	unsigned i;

	if (readfile("/proc/mounts", buf, sizeof(buf)) < 0) {
		put("cinit: cannot read /proc/mounts\n");
		return 0;
	}
	put("cinit: /proc/mounts:\n"); put(buf);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!sfind(buf, want[i])) {
			put("cinit: missing mount:"); put(want[i]); put("\n");
			ok = 0;
		}
	return ok;
}

static int test_blk(void)
{
	long r = readfile("/sys/block/vda/size", buf, sizeof(buf));

	if (r < 0) {
		put("cinit: cannot read /sys/block/vda/size: errno "); putnum(-r); put("\n");
		return 0;
	}
	chomp(buf);
	put("cinit: vda size (512-byte sectors): "); put(buf); put("\n");
	return buf[0] >= '1' && buf[0] <= '9';
}

static int test_net(void)
{
	long r = readfile("/sys/class/net/eth0/address", buf, sizeof(buf));

	if (r < 0) {
		put("cinit: cannot read /sys/class/net/eth0/address: errno "); putnum(-r); put("\n");
		return 0;
	}
	chomp(buf);
	put("cinit: eth0 address: "); put(buf); put("\n");
	return slen(buf) == 17;
}

static void report(int status)
{
	long r = sc3(SYS_ioperm, DEBUG_EXIT_PORT, 1, 1);
	unsigned char v = (unsigned char)status;

	if (r < 0) {
		put("cinit: ioperm failed: errno "); putnum(-r); put("\n");
		return;
	}
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"((unsigned short)DEBUG_EXIT_PORT));
}

int cmain(void)
{
	static char cmdline[4096];
	char name[64];
	const char *p;
	int pass = 0, n = 0, mounts_ok = 1;

	put("cinit: starting\n");
	mounts_ok &= do_mount("proc", "/proc", "proc") == 0;
	mounts_ok &= do_mount("sysfs", "/sys", "sysfs") == 0;
	mounts_ok &= do_mount("devtmpfs", "/dev", "devtmpfs") == 0;

	name[0] = 0;
	if (readfile("/proc/cmdline", cmdline, sizeof(cmdline)) >= 0) {
		chomp(cmdline);
		put("cinit: cmdline: "); put(cmdline); put("\n");
		for (p = cmdline; (p = sfind(p, "lightvm.test=")); p++)
			if (p == cmdline || p[-1] == ' ') {
				p += slen("lightvm.test=");
				while (p[n] && p[n] != ' ' && n < (int)sizeof(name) - 1) {
					name[n] = p[n];
					n++;
				}
				name[n] = 0;
				break;
			}
	} else {
		put("cinit: cannot read /proc/cmdline\n");
	}

	put("cinit: running test '"); put(name); put("'\n");
	if (seq(name, "ok"))
		pass = 1;
	else if (seq(name, "mounts"))
		pass = test_mounts();
	else if (seq(name, "blk"))
		pass = test_blk();
	else if (seq(name, "net"))
		pass = test_net();
	else
		put(name[0] ? "cinit: unknown test\n" : "cinit: no lightvm.test=NAME on the command line\n");
	pass = pass && mounts_ok;

	put("cinit: RESULT test="); put(name); put(pass ? " PASS" : " FAIL");
	put(" status="); putnum(pass ? 0 : 1); put("\n");
	report(pass ? 0 : 1);

	/* The VMM normally stops at the 0xf4 write. If not, halt (no ACPI: no power-off). */
	sc5(SYS_reboot, 0xfee1dead, 672274793, 0xcdef0123 /* HALT */, 0, 0);
	for (;;)
		__asm__ volatile("pause");
}

__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	and $-16, %rsp\n"
	"	call cmain\n"
	"1:	pause\n"
	"	jmp 1b\n");
