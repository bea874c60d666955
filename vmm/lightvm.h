/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lightvm.h - interface of the vmm/ folder: the exit-code contract, the run
 * configuration built from the command line, and logging/error reporting
 * shared by every subsystem.
 */
#ifndef LIGHTVM_H
#define LIGHTVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Exit-code contract (documented in README and `lightvm --help`).
 * 1..119 are the guest's own status written to the debug-exit port.
 */
enum lightvm_exit {
	EXIT_GUEST_OK = 0,	/* clean shutdown/reboot, or 0 written to 0xf4 */
	EXIT_GUEST_MAX = 119,	/* highest status passed through from 0xf4 */
	EXIT_GUEST_PANIC = 120,	/* guest kernel panic (pvpanic or console) */
	EXIT_GUEST_RESET = 121,	/* triple fault / unexpected reset */
	EXIT_KVM_INTERNAL = 122,/* KVM internal error, failed entry */
	EXIT_TIMEOUT = 124,	/* --timeout expired */
	EXIT_VMM_ERROR = 125,	/* bad arguments, files, host failure */
	EXIT_SIGNAL_BASE = 128,	/* 128 + N: stopped by signal N */
};

#define LIGHTVM_MAX_CPUS	64
#define LIGHTVM_MAX_DISKS	8
#define LIGHTVM_MAX_NETS	4
#define LIGHTVM_MAX_FS		4
#define LIGHTVM_MAX_MODULES	16	/* besides -i, module 0 */

enum pvm_mode {
	PVM_AUTO,		/* detect the host */
	PVM_ON,			/* force the PVM compat path */
	PVM_OFF,		/* never apply it */
};

enum elf_entry_mode {
	ELF_ENTRY_AUTO,		/* PVH when the ELF carries the note */
	ELF_ENTRY_PVH,
	ELF_ENTRY_64,
};

enum disk_engine {
	DISK_ENGINE_AIO,	/* libaio, batched io_submit (default) */
	DISK_ENGINE_SYNC,	/* preadv/pwritev in the device's I/O thread */
};

/*
 * Which virtio-PCI interfaces a device offers (virtio spec 4.1.2):
 * transitional (legacy I/O BAR0 and the modern capabilities, device IDs
 * 0x1000 + N - 1, the default), modern only (0x1040 + N, revision 1), or
 * legacy only (what lightvm offered before the modern transport).
 */
enum virtio_transport_kind {
	VIRTIO_TRANSITIONAL = 0,
	VIRTIO_MODERN,
	VIRTIO_LEGACY,
};

struct disk_config {
	const char *path;
	bool readonly;
	bool direct;
	const char *serial;
	enum disk_engine engine;
	enum virtio_transport_kind transport;
};

struct net_config {
	const char *ifname;
	bool has_mac;
	uint8_t mac[6];
	enum virtio_transport_kind transport;
};

/* --fs, --share and --rootfs: a virtio-fs device. */
struct fs_config {
	const char *socket;		/* --fs: a running backend's socket */
	const char *dir;		/* --share/--rootfs: we run virtiofsd */
	const char *tag;		/* the name the guest mounts */
	bool readonly;			/* host-enforced (--share ...,ro) */
	bool root;			/* the guest's root (--rootfs) */
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *params;		/* -p: appended to the default cmdline */
	const char *console_log;	/* NULL: stdout */
	uint64_t mem_size;		/* bytes */
	unsigned int cpus;
	uint64_t timeout_ms;		/* --timeout, 0 = none */
	int verbose;
	bool guest_decompress;
	bool no_default_params;
	enum pvm_mode pvm;
	enum elf_entry_mode elf_entry;
	unsigned int nr_disks;
	struct disk_config disks[LIGHTVM_MAX_DISKS];
	unsigned int nr_nets;
	struct net_config nets[LIGHTVM_MAX_NETS];
	unsigned int nr_fs;
	struct fs_config fs[LIGHTVM_MAX_FS];
	unsigned int nr_modules;	/* Multiboot: --module FILE[,STRING] */
	struct {
		const char *path;
		const char *string;	/* NULL: the file's path */
	} modules[LIGHTVM_MAX_MODULES];
	bool testdev;			/* --testdev: QEMU's pc-testdev */
	const char *rootfs;		/* --rootfs DIR */
	bool rootfs_rw;			/* --rw: no overlay */
	char **cmd;			/* after --: what the guest runs */
	int cmd_argc;
};

#define MEM_DEFAULT	(256ULL << 20)
#define MEM_MIN		(16ULL << 20)
#define MEM_MAX		(1ULL << 40)

/* options.c: parse `lightvm ...`; returns 0 to run, 1 when help/version was
 * printed, -1 with err_msg() set on a bad command line. */
int options_parse(struct vm_config *cfg, int argc, char **argv);
void options_defaults(struct vm_config *cfg);
int parse_size(const char *s, uint64_t *out);
void lightvm_usage(FILE *stream);

/* log.c */
extern int log_verbosity;
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * One-line error reporting: a failing function records why with err_set()
 * and returns -1; the caller that decides the exit prints err_msg().
 */
void err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *err_msg(void);

#endif
