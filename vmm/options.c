// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - `lightvm run ...` into a struct vm_config.  Every rejected
 * command line gets one line naming the option and the problem; main.c
 * turns it into EXIT_VMM_ERROR.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lightvm.h"
#include "net/net.h"

#define LIGHTVM_VERSION	"0.1"

void lightvm_usage(FILE *f)
{
	fprintf(f,
"usage: lightvm run -k KERNEL [options]\n"
"\n"
"Boot KERNEL (ELF64 vmlinux or test kernel, bzImage, or a Multiboot v1\n"
"kernel: ELF32 or a.out kludge) in a KVM VM.\n"
"\n"
"  -k, --kernel FILE      kernel: ELF64 (PVH note or 64-bit entry) or bzImage\n"
"  -i, --initrd FILE      initial ramdisk\n"
"  -p, --params ARGS      append ARGS to the kernel command line\n"
"      --no-default-params  drop lightvm's default command line\n"
"                         (console=ttyS0 reboot=k panic=-1 pci=conf1)\n"
"  -m, --mem SIZE         guest RAM, e.g. 512M, 2G (plain number: MiB;\n"
"                         default 256M, range 16M..1T)\n"
"  -c, --cpus N           vCPUs, 1..64 (default 1)\n"
"      --console-log FILE write the guest console to FILE, not stdout\n"
"      --timeout SECONDS  stop the VM after SECONDS (decimals allowed)\n"
"      --guest-decompress boot a bzImage through its own decompressor\n"
"                         (default: decompress on the host, boot the ELF)\n"
"      --elf-entry pvh|64 ELF with a PVH note: which entry to use\n"
"                         (default pvh when the note exists)\n"
"      --pvm, --no-pvm    force the PVM-host compatibility path on or off\n"
"                         (default: on when the kvm_pvm module is loaded)\n"
"      --disk PATH[,ro][,direct][,serial=S][,engine=aio|sync][,transport=T]\n"
"                         a virtio-blk disk backed by the file or block\n"
"                         device PATH (repeatable, up to 8), locked against\n"
"                         other users; ro: read-only, direct: O_DIRECT,\n"
"                         serial: the ID the guest reads (1-20 characters),\n"
"                         engine: libaio (default) or synchronous I/O\n"
"      --net TAP[,mac=XX:XX:XX:XX:XX:XX][,transport=T]\n"
"                         a virtio-net NIC on the tap device TAP\n"
"                         (repeatable, up to 4; created if missing and\n"
"                         permitted, but then down until configured);\n"
"                         mac: the guest's address (default 52:54:00 and\n"
"                         three bytes derived from TAP)\n"
"                         transport (both): the virtio-PCI interfaces the\n"
"                         device offers: transitional (default: legacy\n"
"                         and modern), modern (virtio 1.x only) or legacy\n"
"      --share DIR[,tag=T][,ro]\n"
"                         share the host directory DIR over virtio-fs:\n"
"                         lightvm runs Debian's virtiofsd for it (as root);\n"
"                         the guest mounts it with `mount -t virtiofs T M`\n"
"                         (tag default: DIR's last component); ro: the host\n"
"                         refuses writes (a read-only bind mount)\n"
"      --fs SOCKET,tag=T  virtio-fs on a vhost-user backend already\n"
"                         listening at SOCKET\n"
"      --rootfs DIR [--rw] [-- CMD [ARGS...]]\n"
"                         boot with DIR as the guest's root over virtio-fs\n"
"                         (a bzImage/ELF with CONFIG_VIRTIO_FS and\n"
"                         CONFIG_OVERLAY_FS); writes go to a tmpfs overlay\n"
"                         unless --rw; run CMD (default: a shell) on the\n"
"                         console, in the current directory when it is\n"
"                         inside DIR, and exit with its status\n"
"      --module FILE[,STRING]\n"
"                         Multiboot kernels: another module after -i's\n"
"                         (repeatable, up to 16); its string is \"FILE\" or\n"
"                         \"FILE STRING\", as QEMU's -initrd entries\n"
"      --testdev          QEMU's pc-testdev: latch at 0xe0, page flush at\n"
"                         0xe4, ISA IRQ lines at 0x2000+N, 64K of MMIO\n"
"                         memory at 0xff000000\n"
"  -v, --verbose          more detail on stderr (repeat for more)\n"
"  -h, --help             this text\n"
"      --version          print the version\n"
"\n"
"Exit status:\n"
"  0        clean shutdown/reboot, or the guest wrote 0 to port 0xf4\n"
"  1-119    the guest wrote this status to port 0xf4 (a 1-, 2- or 4-byte\n"
"           write: the value written; 120 and above read as 119);\n"
"           with --rootfs: CMD's exit status, 119 for 119-255 (the real\n"
"           status is printed) and for a CMD killed by a signal\n"
"  120      the guest kernel panicked\n"
"  121      triple fault or unexpected reset\n"
"  122      KVM internal error or failed VM entry (RIP and bytes printed)\n"
"  124      --timeout expired (VM stopped, console flushed)\n"
"  125      lightvm error: bad arguments, missing or unreadable file,\n"
"           no access to /dev/kvm, missing KVM capability, ...\n"
"  128+N    stopped by signal N (130 also for Ctrl-A x on the console)\n");
}

/* "256M", "2G", "512K", "1T"; a plain number is MiB, as in QEMU. */
int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 20;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_timeout(const char *s, uint64_t *ms)
{
	double v;
	char *end;

	if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	/* A week is far beyond any boot test; it also bounds the math. */
	if (errno || *end || v <= 0 || v > 7 * 24 * 3600)
		return -1;
	*ms = (uint64_t)(v * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

enum {
	OPT_CONSOLE_LOG = 256,
	OPT_TIMEOUT,
	OPT_GUEST_DECOMPRESS,
	OPT_ELF_ENTRY,
	OPT_PVM,
	OPT_NO_PVM,
	OPT_NO_DEFAULT_PARAMS,
	OPT_VERSION,
	OPT_DISK,
	OPT_NET,
	OPT_FS,
	OPT_SHARE,
	OPT_ROOTFS,
	OPT_RW,
	OPT_MODULE,
	OPT_TESTDEV,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "params", required_argument, NULL, 'p' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "guest-decompress", no_argument, NULL, OPT_GUEST_DECOMPRESS },
	{ "elf-entry", required_argument, NULL, OPT_ELF_ENTRY },
	{ "pvm", no_argument, NULL, OPT_PVM },
	{ "no-pvm", no_argument, NULL, OPT_NO_PVM },
	{ "no-default-params", no_argument, NULL, OPT_NO_DEFAULT_PARAMS },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "fs", required_argument, NULL, OPT_FS },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "rw", no_argument, NULL, OPT_RW },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "testdev", no_argument, NULL, OPT_TESTDEV },
	{ NULL, 0, NULL, 0 },
};

static int empty_arg(const char *opt, const char *arg)
{
	if (arg && *arg)
		return 0;
	err_set("%s needs a non-empty argument", opt);
	return -1;
}

/* transport=transitional|modern|legacy, shared by --disk and --net. */
static int parse_transport(const char *opt, const char *arg, const char *flag,
			   enum virtio_transport_kind *t)
{
	static const char *const names[] = {
		[VIRTIO_TRANSITIONAL] = "transitional",
		[VIRTIO_MODERN] = "modern",
		[VIRTIO_LEGACY] = "legacy",
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(flag + 10, names[i])) {
			*t = (enum virtio_transport_kind)i;
			return 0;
		}
	}
	err_set("%s %s: transport must be transitional, modern or legacy", opt,
		arg);
	return -1;
}

/*
 * --disk PATH[,ro][,direct][,serial=S][,engine=aio|sync][,transport=T].  The strings a
 * disk_config points to live here, one buffer per disk, so nothing is
 * allocated (and nothing leaks) per parse.
 */
static char disk_args[LIGHTVM_MAX_DISKS][4096 + 64];

static int parse_disk_flag(struct disk_config *d, const char *arg,
			   const char *flag)
{
	const char *v;

	if (!strcmp(flag, "ro")) {
		d->readonly = true;
	} else if (!strcmp(flag, "direct")) {
		d->direct = true;
	} else if (!strncmp(flag, "serial=", 7)) {
		/* The virtio-blk ID is "a NUL-padded ASCII string up to 20
		 * bytes long". */
		for (v = flag + 7; *v; v++)
			if (!isprint((unsigned char)*v) || *v & 0x80)
				break;
		if (*v || !flag[7] || strlen(flag + 7) > 20) {
			err_set("--disk %s: serial must be 1-20 printable ASCII characters",
				arg);
			return -1;
		}
		d->serial = flag + 7;
	} else if (!strcmp(flag, "engine=aio")) {
		d->engine = DISK_ENGINE_AIO;
	} else if (!strcmp(flag, "engine=sync")) {
		d->engine = DISK_ENGINE_SYNC;
	} else if (!strncmp(flag, "transport=", 10)) {
		return parse_transport("--disk", arg, flag, &d->transport);
	} else {
		err_set("--disk %s: unknown option '%s' (use ro, direct, serial=S, engine=aio|sync, transport=T)",
			arg, flag);
		return -1;
	}
	return 0;
}

static int parse_disk(struct vm_config *cfg, const char *arg)
{
	struct disk_config *d;
	char *buf, *flag, *next;

	if (empty_arg("--disk", arg) < 0)
		return -1;
	if (cfg->nr_disks == LIGHTVM_MAX_DISKS) {
		err_set("--disk %s: at most %d disks", arg, LIGHTVM_MAX_DISKS);
		return -1;
	}
	buf = disk_args[cfg->nr_disks];
	if (strlen(arg) >= sizeof(disk_args[0])) {
		err_set("--disk: argument too long");
		return -1;
	}
	strcpy(buf, arg);
	d = &cfg->disks[cfg->nr_disks];
	memset(d, 0, sizeof(*d));
	d->path = buf;
	next = strchr(buf, ',');
	if (next)
		*next++ = '\0';
	if (!*buf) {
		err_set("--disk %s: no image path before the options", arg);
		return -1;
	}
	while (next) {
		flag = next;
		next = strchr(flag, ',');
		if (next)
			*next++ = '\0';
		if (!*flag) {
			err_set("--disk %s: empty option", arg);
			return -1;
		}
		if (parse_disk_flag(d, arg, flag) < 0)
			return -1;
	}
	cfg->nr_disks++;
	return 0;
}

/*
 * --net TAP[,mac=XX:XX:XX:XX:XX:XX][,transport=T].  The interface name follows the
 * kernel's rules (dev_valid_name: 1-15 bytes, not "." or "..", no '/',
 * ':' or white space), so a typo is caught here and not as an obscure
 * ioctl failure.  Names live in net_args, like disk_args above.
 */
static char net_args[LIGHTVM_MAX_NETS][64];

static int check_ifname(const char *arg, const char *name)
{
	const char *p;

	if (!*name || strlen(name) >= 16) {
		err_set("--net %s: the tap name must be 1-15 characters", arg);
		return -1;
	}
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) ||
		    !isprint((unsigned char)*p))
			break;
	if (*p || !strcmp(name, ".") || !strcmp(name, "..")) {
		err_set("--net %s: '%s' is not a valid interface name", arg,
			name);
		return -1;
	}
	return 0;
}

static int parse_net(struct vm_config *cfg, const char *arg)
{
	char what[sizeof(net_args[0]) + 8];
	struct net_config *nc;
	char *buf, *flag, *next;
	unsigned int i;

	if (empty_arg("--net", arg) < 0)
		return -1;
	if (cfg->nr_nets == LIGHTVM_MAX_NETS) {
		err_set("--net %s: at most %d network devices", arg,
			LIGHTVM_MAX_NETS);
		return -1;
	}
	if (strlen(arg) >= sizeof(net_args[0])) {
		err_set("--net %s: argument too long", arg);
		return -1;
	}
	buf = net_args[cfg->nr_nets];
	strcpy(buf, arg);
	nc = &cfg->nets[cfg->nr_nets];
	memset(nc, 0, sizeof(*nc));
	nc->ifname = buf;
	next = strchr(buf, ',');
	if (next)
		*next++ = '\0';
	if (check_ifname(arg, buf) < 0)
		return -1;
	snprintf(what, sizeof(what), "--net %s", buf);
	while (next) {
		flag = next;
		next = strchr(flag, ',');
		if (next)
			*next++ = '\0';
		if (!strncmp(flag, "transport=", 10)) {
			if (parse_transport("--net", arg, flag,
					    &nc->transport) < 0)
				return -1;
			continue;
		}
		if (strncmp(flag, "mac=", 4)) {
			err_set("--net %s: unknown option '%s' (use mac=XX:XX:XX:XX:XX:XX, transport=T)",
				arg, flag);
			return -1;
		}
		if (net_parse_mac(flag + 4, nc->mac, what) < 0)
			return -1;
		nc->has_mac = true;
	}
	/* One tap carries one NIC: a second attach would fail EBUSY. */
	for (i = 0; i < cfg->nr_nets; i++) {
		if (!strcmp(cfg->nets[i].ifname, nc->ifname)) {
			err_set("--net %s: tap device given twice", nc->ifname);
			return -1;
		}
	}
	cfg->nr_nets++;
	return 0;
}

/*
 * --fs SOCKET,tag=T and --share DIR[,tag=T][,ro]: a virtio-fs device on
 * a running vhost-user backend, or on a virtiofsd we start for DIR.  The
 * tag is what the guest mounts ("mount -t virtiofs T /mnt"): 1-36 bytes
 * (5.11.4: "tag is the name of the file system ... UTF-8 ... up to 36
 * bytes"), printable, unique.  Strings live in fs_args like disk_args.
 */
static char fs_args[LIGHTVM_MAX_FS][4096 + 64];

static int check_tag(const char *opt, const char *arg, const char *tag)
{
	const char *p;

	for (p = tag; *p; p++)
		if (!isgraph((unsigned char)*p) || *p & 0x80)
			break;
	if (*p || !*tag || strlen(tag) > 36) {
		err_set("%s %s: the tag must be 1-36 printable characters without spaces",
			opt, arg);
		return -1;
	}
	return 0;
}

static int add_fs(struct vm_config *cfg, const char *opt, const char *arg,
		  struct fs_config **out, char **rest)
{
	char *buf;

	if (empty_arg(opt, arg) < 0)
		return -1;
	if (cfg->nr_fs == LIGHTVM_MAX_FS) {
		err_set("%s %s: at most %d virtio-fs devices", opt, arg,
			LIGHTVM_MAX_FS);
		return -1;
	}
	if (strlen(arg) >= sizeof(fs_args[0]) - 40) {	/* + a default tag */
		err_set("%s: argument too long", opt);
		return -1;
	}
	buf = fs_args[cfg->nr_fs];
	strcpy(buf, arg);
	*out = &cfg->fs[cfg->nr_fs];
	memset(*out, 0, sizeof(**out));
	*rest = strchr(buf, ',');
	if (*rest)
		*(*rest)++ = '\0';
	if (!*buf) {
		err_set("%s %s: no path before the options", opt, arg);
		return -1;
	}
	return 0;
}

/* The last path component, as the default tag of --share DIR. */
static const char *default_tag(char *buf)
{
	char *end = buf + strlen(buf), *slash, *tag = end + 1;
	size_t n;

	/* fs_args has room after the path's NUL for this copy. */
	while (end > buf + 1 && end[-1] == '/')
		end--;
	slash = end;
	while (slash > buf && slash[-1] != '/')
		slash--;
	if (slash == end)
		return "hostroot";	/* DIR is / */
	n = (size_t)(end - slash);
	if (n > 36)
		n = 36;		/* check_tag's limit */
	memcpy(tag, slash, n);
	tag[n] = '\0';
	return tag;
}

static int parse_fs(struct vm_config *cfg, int c, const char *arg)
{
	const char *opt = c == OPT_FS ? "--fs" : "--share";
	struct fs_config *fc;
	char *next, *flag;
	unsigned int i;

	if (add_fs(cfg, opt, arg, &fc, &next) < 0)
		return -1;
	if (c == OPT_FS)
		fc->socket = fs_args[cfg->nr_fs];
	else
		fc->dir = fs_args[cfg->nr_fs];
	while (next) {
		flag = next;
		next = strchr(flag, ',');
		if (next)
			*next++ = '\0';
		if (!strncmp(flag, "tag=", 4)) {
			if (check_tag(opt, arg, flag + 4) < 0)
				return -1;
			fc->tag = flag + 4;
		} else if (c == OPT_SHARE && !strcmp(flag, "ro")) {
			fc->readonly = true;
		} else {
			err_set("%s %s: unknown option '%s' (use tag=T%s)", opt,
				arg, flag, c == OPT_SHARE ? ", ro" : "");
			return -1;
		}
	}
	if (!fc->tag) {
		if (c == OPT_FS) {
			err_set("--fs %s: give the tag the backend serves (tag=T)",
				arg);
			return -1;
		}
		fc->tag = default_tag(fs_args[cfg->nr_fs]);
		if (check_tag(opt, arg, fc->tag) < 0)
			return -1;
	}
	for (i = 0; i < cfg->nr_fs; i++) {
		if (!strcmp(cfg->fs[i].tag, fc->tag)) {
			err_set("%s %s: tag '%s' is taken", opt, arg, fc->tag);
			return -1;
		}
	}
	cfg->nr_fs++;
	return 0;
}

/* --module FILE[,STRING]: a Multiboot module after -i's; STRING (which
 * may contain commas and spaces) follows the path in its command line. */
static char module_args[LIGHTVM_MAX_MODULES][4096];

static int parse_module(struct vm_config *cfg, const char *arg)
{
	char *buf, *comma;

	if (empty_arg("--module", arg) < 0)
		return -1;
	if (cfg->nr_modules == LIGHTVM_MAX_MODULES) {
		err_set("--module %s: at most %d modules besides -i", arg,
			LIGHTVM_MAX_MODULES);
		return -1;
	}
	if (strlen(arg) >= sizeof(module_args[0])) {
		err_set("--module: argument too long");
		return -1;
	}
	buf = module_args[cfg->nr_modules];
	strcpy(buf, arg);
	comma = strchr(buf, ',');
	if (comma)
		*comma++ = '\0';
	if (!*buf) {
		err_set("--module %s: no file before the comma", arg);
		return -1;
	}
	cfg->modules[cfg->nr_modules].path = buf;
	cfg->modules[cfg->nr_modules].string = comma;
	cfg->nr_modules++;
	return 0;
}

static int parse_one(struct vm_config *cfg, int c, const char *arg)
{
	unsigned long n;

	switch (c) {
	case 'k':
		cfg->kernel = arg;
		return empty_arg("-k/--kernel", arg);
	case 'i':
		cfg->initrd = arg;
		return empty_arg("-i/--initrd", arg);
	case 'p':
		cfg->params = arg;
		return 0;
	case 'm':
		if (parse_size(arg, &cfg->mem_size) < 0) {
			err_set("-m %s: not a size (use e.g. 512M or 2G)", arg);
			return -1;
		}
		if (cfg->mem_size < MEM_MIN || cfg->mem_size > MEM_MAX) {
			err_set("-m %s: guest RAM must be between 16M and 1T",
				arg);
			return -1;
		}
		if (cfg->mem_size & 0xfff) {
			err_set("-m %s: guest RAM must be a multiple of 4K",
				arg);
			return -1;
		}
		return 0;
	case 'c':
		if (parse_uint(arg, 1, LIGHTVM_MAX_CPUS, &n) < 0) {
			err_set("-c %s: vCPU count must be 1..%d", arg,
				LIGHTVM_MAX_CPUS);
			return -1;
		}
		cfg->cpus = (unsigned int)n;
		return 0;
	case 'v':
		cfg->verbose++;
		return 0;
	case OPT_CONSOLE_LOG:
		cfg->console_log = arg;
		return empty_arg("--console-log", arg);
	case OPT_TIMEOUT:
		if (parse_timeout(arg, &cfg->timeout_ms) < 0) {
			err_set("--timeout %s: not a positive number of seconds",
				arg);
			return -1;
		}
		return 0;
	case OPT_GUEST_DECOMPRESS:
		cfg->guest_decompress = true;
		return 0;
	case OPT_ELF_ENTRY:
		if (!strcmp(arg, "pvh")) {
			cfg->elf_entry = ELF_ENTRY_PVH;
		} else if (!strcmp(arg, "64")) {
			cfg->elf_entry = ELF_ENTRY_64;
		} else {
			err_set("--elf-entry %s: use pvh or 64", arg);
			return -1;
		}
		return 0;
	case OPT_PVM:
		cfg->pvm = PVM_ON;
		return 0;
	case OPT_NO_PVM:
		cfg->pvm = PVM_OFF;
		return 0;
	case OPT_NO_DEFAULT_PARAMS:
		cfg->no_default_params = true;
		return 0;
	case OPT_DISK:
		return parse_disk(cfg, arg);
	case OPT_NET:
		return parse_net(cfg, arg);
	case OPT_FS:
	case OPT_SHARE:
		return parse_fs(cfg, c, arg);
	case OPT_ROOTFS:
		cfg->rootfs = arg;
		return empty_arg("--rootfs", arg);
	case OPT_RW:
		cfg->rootfs_rw = true;
		return 0;
	case OPT_MODULE:
		return parse_module(cfg, arg);
	case OPT_TESTDEV:
		cfg->testdev = true;
		return 0;
	}
	return -1;
}

/* --rootfs DIR: the root's virtio-fs device, read-only on the host
 * unless --rw, under a tag no other device may use. */
#define ROOTFS_TAG	"lightvm-root"

static int finish_rootfs(struct vm_config *cfg)
{
	struct fs_config *fc;
	unsigned int i;

	if (cfg->initrd) {
		err_set("--rootfs brings its own initramfs: drop -i");
		return -1;
	}
	for (i = 0; i < cfg->nr_fs; i++) {
		if (!strcmp(cfg->fs[i].tag, ROOTFS_TAG)) {
			err_set("tag '%s' is taken by --rootfs", ROOTFS_TAG);
			return -1;
		}
	}
	if (cfg->nr_fs == LIGHTVM_MAX_FS) {
		err_set("--rootfs: at most %d virtio-fs devices in all",
			LIGHTVM_MAX_FS);
		return -1;
	}
	fc = &cfg->fs[cfg->nr_fs++];
	memset(fc, 0, sizeof(*fc));
	fc->dir = cfg->rootfs;
	fc->tag = ROOTFS_TAG;
	fc->readonly = !cfg->rootfs_rw;
	fc->root = true;
	return 0;
}

void options_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = MEM_DEFAULT;
	cfg->cpus = 1;
	cfg->pvm = PVM_AUTO;
	cfg->elf_entry = ELF_ENTRY_AUTO;
}

int options_parse(struct vm_config *cfg, int argc, char **argv)
{
	int c;

	options_defaults(cfg);
	if (argc < 2) {
		err_set("no command given; try `lightvm --help`");
		return -1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		lightvm_usage(stdout);
		return 1;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("lightvm %s\n", LIGHTVM_VERSION);
		return 1;
	}
	if (strcmp(argv[1], "run")) {
		err_set("unknown command '%s'; try `lightvm --help`", argv[1]);
		return -1;
	}

	/*
	 * argv[1] is "run": getopt starts after it.  0 rather than 1: glibc
	 * then also forgets where it was inside a cluster of short options
	 * ("-Zv" when the last parse stopped at Z), which would otherwise
	 * be read from the last parse's argv.
	 */
	optind = 0;
	opterr = 0;
	argv++;
	argc--;
	/* '+': stop at the first non-option, so everything after "--" (or
	 * a stray word) stays in place for the check below. */
	while ((c = getopt_long(argc, argv, "+:k:i:p:m:c:vh", long_opts,
				NULL)) != -1) {
		if (c == 'h') {
			lightvm_usage(stdout);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("lightvm %s\n", LIGHTVM_VERSION);
			return 1;
		}
		if (c == '?') {
			if (optopt)
				err_set("unknown option -%c", optopt);
			else
				err_set("unknown option %s",
					argv[optind - 1]);
			return -1;
		}
		if (c == ':') {
			err_set("option %s needs an argument",
				argv[optind - 1]);
			return -1;
		}
		if (parse_one(cfg, c, optarg) < 0)
			return -1;
	}
	if (optind < argc || (optind > 1 && !strcmp(argv[optind - 1], "--"))) {
		if (strcmp(argv[optind - 1], "--")) {
			err_set("unexpected argument '%s'", argv[optind]);
			return -1;
		}
		if (!cfg->rootfs) {
			err_set("a command after -- needs --rootfs DIR");
			return -1;
		}
		cfg->cmd = argv + optind;
		cfg->cmd_argc = argc - optind;
	}
	if (cfg->rootfs && finish_rootfs(cfg) < 0)
		return -1;
	if (cfg->rootfs_rw && !cfg->rootfs) {
		err_set("--rw applies to --rootfs");
		return -1;
	}
	if (!cfg->kernel) {
		err_set("no kernel given: use -k FILE");
		return -1;
	}
	if (cfg->guest_decompress && cfg->elf_entry != ELF_ENTRY_AUTO) {
		err_set("--guest-decompress applies to a bzImage, --elf-entry to an ELF: use one");
		return -1;
	}
	return 0;
}
