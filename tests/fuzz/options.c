// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - fuzz the command line parser (vmm/options.c): the input is
 * split on NUL bytes into argv[1..] behind argv[0] = "lightvm", each
 * argument in a heap block of exactly its size, and parsed twice, each
 * time from a fresh copy freed afterwards: a parse must not depend on
 * how the last one ended (getopt keeps state between calls).
 *
 * options_parse() never exits: it returns 1 after --help/--version
 * (stdout goes to /dev/null here), -1 with the one-line reason main.c
 * prints before exiting 125, or 0 with a configuration.  Checked: the
 * reason is one line; an accepted configuration is within every limit the
 * parser documents (a kernel, RAM size and alignment, vCPUs, disks and
 * their serials, tap names and unicast MACs, one of --guest-decompress
 * and --elf-entry).
 */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define MAX_ARGS	128

static void check_config(const struct vm_config *c)
{
	unsigned int i, j;

	FUZZ_ASSERT(c->kernel && c->kernel[0], "no kernel");
	FUZZ_ASSERT(c->mem_size >= MEM_MIN && c->mem_size <= MEM_MAX &&
		    !(c->mem_size & 0xfff), "RAM %llu",
		    (unsigned long long)c->mem_size);
	FUZZ_ASSERT(c->cpus >= 1 && c->cpus <= LIGHTVM_MAX_CPUS, "%u vCPUs",
		    c->cpus);
	FUZZ_ASSERT(c->timeout_ms <= 7ULL * 24 * 3600 * 1000, "timeout");
	FUZZ_ASSERT(!c->guest_decompress || c->elf_entry == ELF_ENTRY_AUTO,
		    "--guest-decompress with --elf-entry");
	FUZZ_ASSERT(!c->initrd || c->initrd[0], "empty initrd");
	FUZZ_ASSERT(!c->console_log || c->console_log[0], "empty log");
	FUZZ_ASSERT(c->nr_disks <= LIGHTVM_MAX_DISKS, "%u disks",
		    c->nr_disks);
	for (i = 0; i < c->nr_disks; i++) {
		const struct disk_config *d = &c->disks[i];
		size_t n;

		FUZZ_ASSERT(d->path && d->path[0] && !strchr(d->path, ','),
			    "disk %u path", i);
		if (!d->serial)
			continue;
		n = strlen(d->serial);
		FUZZ_ASSERT(n >= 1 && n <= 20, "serial of %zu bytes", n);
		for (j = 0; j < n; j++)
			FUZZ_ASSERT(isprint((unsigned char)d->serial[j]) &&
				    !(d->serial[j] & 0x80), "serial byte");
	}
	FUZZ_ASSERT(c->nr_nets <= LIGHTVM_MAX_NETS, "%u NICs", c->nr_nets);
	for (i = 0; i < c->nr_nets; i++) {
		const struct net_config *n = &c->nets[i];
		size_t len = strlen(n->ifname);

		FUZZ_ASSERT(len >= 1 && len <= 15 &&
			    !strpbrk(n->ifname, "/: \t\n\v\f\r") &&
			    strcmp(n->ifname, ".") && strcmp(n->ifname, ".."),
			    "tap name '%s'", n->ifname);
		FUZZ_ASSERT(!n->has_mac ||
			    (!(n->mac[0] & 1) &&
			     (n->mac[0] | n->mac[1] | n->mac[2] | n->mac[3] |
			      n->mac[4] | n->mac[5])), "MAC");
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(n->ifname, c->nets[j].ifname),
				    "tap '%s' twice", n->ifname);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	/* --help and --version print to stdout; libFuzzer uses stderr. */
	if (fd < 0 || dup2(fd, 1) < 0)
		abort();
	close(fd);
	return 0;
}

static void parse(const uint8_t *data, size_t size)
{
	char *args[MAX_ARGS + 1], *argv[MAX_ARGS + 1];
	struct vm_config cfg;
	size_t pos = 0;
	int argc = 0, ret, i;

	args[argc++] = strdup("lightvm");
	/* Arguments end at NUL bytes; a trailing one ends the last. */
	while (pos < size && argc < MAX_ARGS) {
		const uint8_t *nul = memchr(data + pos, 0, size - pos);
		size_t n = nul ? (size_t)(nul - data) - pos : size - pos;

		args[argc] = malloc(n + 1);
		if (!args[argc])
			abort();
		memcpy(args[argc], data + pos, n);
		args[argc++][n] = '\0';
		pos += n + 1;
	}
	args[argc] = NULL;
	/* getopt permutes its argv: keep our own list to free. */
	memcpy(argv, args, sizeof(args));

	ret = options_parse(&cfg, argc, argv);
	FUZZ_ASSERT(ret >= -1 && ret <= 1, "options_parse returned %d", ret);
	if (ret < 0)
		fuzz_check_err();
	else if (ret == 0)
		check_config(&cfg);
	for (i = 0; i < argc; i++)
		free(args[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Twice: the second parse must not depend on where the first one
	 * stopped, nor on its argv, freed by then. */
	parse(data, size);
	parse(data, size);
	return 0;
}
