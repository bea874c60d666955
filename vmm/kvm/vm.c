// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - the VM's life: open KVM and check what we rely on, create the VM
 * with its irqchip, PIT, memory and vCPUs, load the kernel, run until
 * something decides the exit code, and tear down.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_HLT, "KVM_CAP_HLT" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	{ KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
};

static int kvm_open(struct vm *vm)
{
	unsigned int i;
	int max;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		if (errno == EACCES || errno == EPERM)
			err_set("cannot open /dev/kvm: %s (add your user to the kvm group)",
				strerror(errno));
		else
			err_set("cannot open /dev/kvm: %s (is KVM enabled on this host?)",
				strerror(errno));
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		err_set("/dev/kvm has API version %d, lightvm needs %d",
			ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0),
			KVM_API_VERSION);
		return -1;
	}
	for (i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			  required_caps[i].cap) <= 0) {
			err_set("KVM on this host lacks %s",
				required_caps[i].name);
			return -1;
		}
	}
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && vm->nr_cpus > (unsigned int)max) {
		err_set("-c %u: KVM on this host supports at most %d vCPUs",
			vm->nr_cpus, max);
		return -1;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		err_set("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int map_ram(struct vm *vm)
{
	struct kvm_userspace_memory_region low = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem.low_size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	struct kvm_userspace_memory_region high = {
		.slot = 1,
		.guest_phys_addr = PCI_HOLE_END,
		.memory_size = vm->mem.high_size,
		.userspace_addr = (uintptr_t)vm->mem.host + vm->mem.low_size,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &low) < 0 ||
	    (high.memory_size &&
	     ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &high) < 0)) {
		err_set("cannot register guest memory with KVM: %s",
			strerror(errno));
		return -1;
	}
	return 0;
}

static int create_platform(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		err_set("KVM_CREATE_VM failed: %s", strerror(errno));
		return -1;
	}
	/* VMX needs these pages for real mode and the TSS; keep in the hole. */
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR,
		  &(uint64_t){ KVM_IDMAP_ADDR }) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
		err_set("cannot set KVM TSS/identity map: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		err_set("KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		err_set("KVM_CREATE_PIT2 failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The signals that stop the VM with 128 + N. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	sigset_t set;
	unsigned int i;

	/*
	 * Block them in every thread from here on - before the console may
	 * switch the tty to raw mode - and read them from a signalfd in the
	 * main loop, so the VM always stops through the exit path.  SIGUSR1
	 * only kicks vCPUs: blocked here, unblocked in vCPU threads.
	 */
	stop_signals(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->stop_fd = -1;
	vm->nr_cpus = cfg->cpus;
	vm->pvm = cfg->pvm == PVM_ON ||
		  (cfg->pvm == PVM_AUTO && pvm_host_detect());
	pthread_mutex_init(&vm->stop_lock, NULL);
	io_bus_init(&vm->pio, "port");
	io_bus_init(&vm->mmio, "mmio");
	for (i = 0; i < LIGHTVM_MAX_CPUS; i++)
		vm->vcpus[i].fd = -1;

	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		err_set("eventfd: %s", strerror(errno));
		return -1;
	}
	if (kvm_open(vm) < 0 || create_platform(vm) < 0)
		return -1;
	log_debug(1, "host: %s", vm->pvm ? "PVM (kvm_pvm): compat path on" :
		  "VMX/SVM KVM");
	if (guest_mem_init(&vm->mem, cfg->mem_size) < 0 || map_ram(vm) < 0)
		return -1;
	for (i = 0; i < vm->nr_cpus; i++)
		if (vcpu_init(vm, &vm->vcpus[i], i) < 0)
			return -1;
	if (cpuid_setup(vm) < 0)
		return -1;
	if (console_init(vm, cfg->console_log) < 0 || serial_init(vm) < 0 ||
	    i8042_init(vm) < 0 || rtc_init(vm) < 0 || debug_ports_init(vm) < 0 ||
	    fw_cfg_init(vm) < 0 || (cfg->testdev && testdev_init(vm) < 0))
		return -1;
	return irq_routing_init(vm);
}

int vm_setup_boot(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_image *bi = &vm->boot;
	uint8_t *initrd = NULL;
	size_t initrd_len = 0;
	uint64_t initrd_gpa = 0;
	char *cmdline;
	int ret = -1;

	cmdline = malloc(CMDLINE_MAX);
	if (!cmdline) {
		err_set("out of memory");
		return -1;
	}
	if (cmdline_build(cmdline, CMDLINE_MAX, cfg, vm->pvm) < 0)
		goto out;
	if (kernel_load(&vm->mem, cfg, bi) < 0)
		goto out;
	if (bi->proto == BOOT_MULTIBOOT) {
		/* Its own command line and modules (-i is module 0). */
		if (multiboot_boot_setup(&vm->mem, bi, cfg) < 0)
			goto out;
	} else if (cfg->nr_modules) {
		err_set("--module is for Multiboot kernels; %s is not one",
			cfg->kernel);
		goto out;
	} else if (cfg->initrd) {
		if (file_read_all("initrd", cfg->initrd, vm->mem.low_size,
				  &initrd, &initrd_len) < 0)
			goto out;
		if (initrd_place(&vm->mem, bi, initrd, initrd_len,
				 &initrd_gpa) < 0)
			goto out;
	}
	boot_pagetables_build(&vm->mem);
	boot_gdt_build(&vm->mem);
	if (mptable_build(&vm->mem, vm->nr_cpus, vm->pci_irqs,
			  vm->nr_pci_irqs) < 0)
		goto out;
	if (bi->proto == BOOT_PVH)
		ret = pvh_info_build(&vm->mem, cmdline, initrd_gpa, initrd_len);
	else if (bi->proto == BOOT_LINUX64)
		ret = boot_params_build(&vm->mem, bi, cmdline, initrd_gpa,
					initrd_len);
	else
		ret = 0;
	if (ret < 0)
		goto out;
	ret = vcpu_setup_boot_regs(&vm->vcpus[0]);
	log_debug(1, "kernel: %s; %s boot", bi->desc,
		  bi->proto == BOOT_PVH ? "PVH (32-bit entry)" :
		  bi->proto == BOOT_MULTIBOOT ? "Multiboot (32-bit entry)" :
		  "64-bit boot protocol");
	if (bi->proto == BOOT_MULTIBOOT)
		goto out;	/* it logged its own command line */
	if (initrd_len)
		log_debug(1, "initrd: %zu bytes at 0x%llx", initrd_len,
			  (unsigned long long)initrd_gpa);
	log_debug(1, "command line: %s", cmdline);
out:
	free(initrd);
	free(cmdline);
	return ret;
}

void vm_request_stop(struct vm *vm, int code, const char *fmt, ...)
{
	unsigned int i;
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stopping) {
		pthread_mutex_unlock(&vm->stop_lock);
		return;
	}
	vm->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(vm->exit_reason, sizeof(vm->exit_reason), fmt, ap);
	va_end(ap);
	__atomic_store_n(&vm->stopping, true, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->stop_lock);

	if (write(vm->stop_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0)
		log_warn("cannot wake the main loop: %s", strerror(errno));
	for (i = 0; i < vm->nr_cpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

bool vm_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST);
}

void vm_irq_line(struct vm *vm, unsigned int irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_warn("KVM_IRQ_LINE %u: %s", irq, strerror(errno));
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void kick_handler(int sig)
{
	(void)sig;
}

uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start_vcpus(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	unsigned int i;
	int err;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < vm->nr_cpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (err) {
			vm_request_stop(vm, EXIT_VMM_ERROR,
					"cannot start vCPU thread %u: %s", i,
					strerror(err));
			return -1;
		}
		vm->vcpus[i].started = true;
	}
	return 0;
}

/* The main thread: signals, console input, the timeout, console flushing. */
static void wait_loop(struct vm *vm, int sig_fd)
{
	uint64_t deadline = vm->cfg->timeout_ms ?
			    monotonic_ms() + vm->cfg->timeout_ms : 0;

	while (!vm_stopping(vm)) {
		struct pollfd p[3] = {
			{ .fd = vm->stop_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = console_input_fd(vm->con), .events = POLLIN },
		};
		/* Poll faster while input waits for the guest's UART. */
		int timeout = console_input_pending(vm->con) ? 10 : 100, n;
		uint64_t now = monotonic_ms();

		if (deadline) {
			if (now >= deadline) {
				vm_request_stop(vm, EXIT_TIMEOUT,
						"timeout of %llu ms expired",
						(unsigned long long)
						vm->cfg->timeout_ms);
				break;
			}
			if (deadline - now < (uint64_t)timeout)
				timeout = (int)(deadline - now);
		}
		if (vm->panic_deadline && now >= vm->panic_deadline) {
			vm_request_stop(vm, EXIT_GUEST_PANIC,
					"guest kernel panicked (console)");
			break;
		}
		n = poll(p, 3, timeout);
		if (n < 0 && errno != EINTR) {
			vm_request_stop(vm, EXIT_VMM_ERROR, "poll: %s",
					strerror(errno));
			break;
		}
		if (n > 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si))
				vm_request_stop(vm, EXIT_SIGNAL_BASE +
						(int)si.ssi_signo,
						"stopped by signal %u",
						si.ssi_signo);
		}
		if (n > 0 && (p[2].revents & (POLLIN | POLLHUP)))
			console_read_input(vm);
		console_deliver_input(vm);
		console_flush(vm->con);
	}
}

/*
 * A guest that never finished: say where each vCPU was when we stopped
 * it, so a hung boot in CI points at code, not just at a timeout.
 */
static void report_vcpu_positions(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++) {
		uint8_t insn[8];
		char hex[8 * 3 + 1] = "";
		uint64_t rip = 0;
		int n, j;

		n = vcpu_read_guest_insn(&vm->vcpus[i], &rip, insn,
					 sizeof(insn));
		for (j = 0; j < n; j++)
			snprintf(hex + 3 * j, 4, " %02x", insn[j]);
		log_msg("timeout: vCPU %u was at RIP 0x%llx%s%s", i,
			(unsigned long long)rip, n > 0 ? ", bytes" : "", hex);
		vcpu_dump_state(&vm->vcpus[i]);
	}
}

int vm_run(struct vm *vm)
{
	sigset_t set;
	unsigned int i;
	int sig_fd;

	stop_signals(&set);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		log_msg("signalfd: %s", strerror(errno));
		return EXIT_VMM_ERROR;
	}

	if (start_vcpus(vm) == 0)
		wait_loop(vm, sig_fd);

	for (i = 0; i < vm->nr_cpus; i++) {
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
	if (vm->exit_code == EXIT_TIMEOUT)
		report_vcpu_positions(vm);
	close(sig_fd);
	console_flush(vm->con);
	return vm->exit_code;
}

void vm_print_stats(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++)
		log_debug(1, "vCPU %u: %llu exits to user space", i,
			  (unsigned long long)vm->vcpus[i].exits);
	log_debug(1, "unhandled accesses: %llu port, %llu mmio",
		  (unsigned long long)vm->pio.unhandled,
		  (unsigned long long)vm->mmio.unhandled);
}

void vm_print_memory(struct vm *vm)
{
	if (log_verbosity >= 1)
		log_msg("guest RAM resident: %llu KiB of %llu MiB",
			(unsigned long long)guest_mem_resident(&vm->mem) >> 10,
			(unsigned long long)vm->mem.size >> 20);
}

/*
 * Closing the last reference to a VM makes the host kernel tear it down
 * synchronously: measured here at 15-20 ms (RCU grace periods), a third of
 * a small test kernel's whole run.  By now the exit code is decided and the
 * console flushed, so give that last reference to a child that holds only
 * the KVM descriptors and dies with us (PR_SET_PDEATHSIG): our own exit no
 * longer waits for the teardown, which still happens, in the child.  If
 * fork fails we simply tear down inline.
 */
void vm_teardown_in_background(struct vm *vm)
{
	pid_t parent = getpid();
	unsigned int i, n = 0;
	int keep[LIGHTVM_MAX_CPUS + 2], fd = 0;

	if (fork() != 0)
		return;

	keep[n++] = vm->kvm_fd;
	keep[n++] = vm->vm_fd;
	for (i = 0; i < vm->nr_cpus; i++)
		keep[n++] = vm->vcpus[i].fd;
	/* Close everything else, so no pipe reader waits on us. */
	qsort(keep, n, sizeof(keep[0]), cmp_int);
	for (i = 0; i < n; i++) {
		if (keep[i] > fd)
			close_range(fd, keep[i] - 1, 0);
		fd = keep[i] + 1;
	}
	close_range(fd, ~0U, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	for (;;)
		pause();
}

void vm_destroy(struct vm *vm)
{
	unsigned int i;

	console_destroy(vm->con);
	vm->con = NULL;
	serial_destroy(vm->uart);
	vm->uart = NULL;
	i8042_destroy(vm);
	rtc_destroy(vm);
	fw_cfg_destroy(vm);
	testdev_destroy(vm);
	for (i = 0; i < LIGHTVM_MAX_CPUS; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->cpuid);
	guest_mem_free(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->stop_lock);
}
