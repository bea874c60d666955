/*
 * spin — /init for PVM hosts, where guest user space cannot make system calls.
 *
 * It makes NO system call at all: the kernel reaching "Run /init as init
 * process" and then running this loop in user mode is the test.
 *
 * By default it spins for ever (the kernel keeps answering the network,
 * the console stays up).  With `lightvm_init_exit=N` on the kernel command
 * line it spins N million iterations and then executes ud2: the kernel kills
 * init with SIGILL and panics ("Attempted to kill init! exitcode=0x00000004"),
 * which ends the VM with lightvm's panic code.  That lets a boot test end on
 * its own and proves this code really ran in user mode.
 *
 * The parameter arrives without a syscall: the kernel passes unknown
 * "name=value" boot parameters to init as environment strings, which sit on
 * the initial stack (argc, argv[], NULL, envp[], NULL) that _start receives.
 *
 * Built with: gcc -static -nostdlib -ffreestanding -no-pie (see build-initramfs.sh).
 */
#define EXIT_VAR	"lightvm_init_exit="

void _start(void) __attribute__((noreturn, naked));
void spin_main(unsigned long *sp) __attribute__((noreturn, used));

/* Hand the initial stack pointer to C; keep the ABI's 16-byte alignment. */
void _start(void)
{
	__asm__ volatile("mov %rsp, %rdi\n\t"
			 "and $-16, %rsp\n\t"
			 "call spin_main\n\t"
			 "ud2");
}

static int has_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static unsigned long parse_ulong(const char *s)
{
	unsigned long v = 0;

	while (*s >= '0' && *s <= '9' && v < 1000000000UL)
		v = v * 10 + (unsigned long)(*s++ - '0');
	return v;
}

void spin_main(unsigned long *sp)
{
	unsigned long argc = sp[0], millions = 0, i;
	char **envp = (char **)(sp + 1 + argc + 1);

	for (; *envp; envp++)
		if (has_prefix(*envp, EXIT_VAR))
			millions = parse_ulong(*envp + sizeof(EXIT_VAR) - 1);

	if (!millions)
		for (;;)
			__asm__ volatile("pause" ::: "memory");

	for (i = 0; i < millions * 1000000UL; i++)
		__asm__ volatile("pause" ::: "memory");
	__asm__ volatile("ud2");
	for (;;)
		;
}
