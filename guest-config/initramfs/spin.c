/*
 * spin — /init for PVM hosts, where guest user space cannot make system calls.
 *
 * It makes NO system call at all: the kernel reaching "Run /init as init
 * process" and then running this loop in user mode is the whole test.
 * Built with: gcc -static -nostdlib -ffreestanding -no-pie (see build-initramfs.sh).
 */
void _start(void) __attribute__((noreturn, used));

void _start(void)
{
	for (;;)
		__asm__ volatile("pause" ::: "memory");
}
