/*
 * lightvm-exit — end the VM with a status: `lightvm-exit N` writes N
 * (0-255) to lightvm's exit port 0xf4, after ioperm() grants the port.
 * lightvm exits with N (N >= 120 reads as 119, see lightvm --help); QEMU's
 * isa-debug-exit at the same port turns it into (N << 1) | 1.
 *
 * The busybox initramfs uses it to hand a test script's status to the
 * host.  Freestanding: no libc, raw x86-64 system calls.
 */
#define SYS_write	1
#define SYS_ioperm	173
#define SYS_exit	60
#define EXIT_PORT	0xf4

static long sc3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static void say(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	sc3(SYS_write, 2, (long)s, n);
}

/* argv[1] as 0-255, or -1 */
static int parse_status(const char *s)
{
	int v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 255)
			return -1;
	}
	return v;
}

__attribute__((used)) static void start_c(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	int status = parse_status(argc > 1 ? argv[1] : 0);

	if (status < 0) {
		say("usage: lightvm-exit STATUS (0-255)\n");
		sc3(SYS_exit, 2, 0, 0);
	}
	if (sc3(SYS_ioperm, EXIT_PORT, 1, 1) < 0) {
		say("lightvm-exit: ioperm(0xf4) failed\n");
		sc3(SYS_exit, 1, 0, 0);
	}
	__asm__ volatile("outb %b0, %w1" : : "a"(status), "Nd"(EXIT_PORT));
	/* Not under lightvm (or QEMU without isa-debug-exit): still running. */
	say("lightvm-exit: the port write did not end the VM\n");
	sc3(SYS_exit, 1, 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call start_c\n"
	"	hlt\n");
