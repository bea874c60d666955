// SPDX-License-Identifier: GPL-2.0
/*
 * fw_cfg.c - QEMU's firmware configuration device, the traditional I/O
 * interface only (QEMU docs/specs/fw_cfg.rst): "Selector Register IOport:
 * 0x510 ... Data Register IOport: 0x511".  Test kernels written for QEMU
 * ask it how many CPUs and how much RAM they have.
 *
 * "A write to the selector register ... causes the data offset to be
 * reset to zero"; every data byte read advances it; "reading past the end
 * of an item returns zero", and so does an item that does not exist (QEMU
 * reads 0 for an invalid selector too).  Writes to the data register are
 * ignored, as in QEMU since 2.4.  Items, little-endian as QEMU stores
 * them: the signature "QEMU" (0x0000), the ID (0x0001: bit 0, the
 * traditional interface; no DMA), RAM size (0x0003, le64), the number of
 * CPUs (0x0005, le16, -c N), the maximum number of CPUs (0x000f, le16,
 * the same N: there is no CPU hot-plug), and the file directory (0x0019:
 * "a big-endian 32-bit count" followed by the entries - none here).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

#define FW_CFG_PORT		0x510
#define FW_CFG_PORTS		2
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_VERSION		0x01	/* ID bit 0: traditional interface */
#define FW_CFG_ITEM_MAX		8

struct fw_cfg {
	pthread_mutex_t lock;
	uint16_t select;
	uint32_t offset;
	uint8_t sig[4], id[4], ram[8], cpus[2], max_cpus[2], dir[4];
};

static void le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The bytes of item `key`, or NULL with *len 0 for an unknown key. */
static const uint8_t *item(const struct fw_cfg *f, uint16_t key,
			   unsigned int *len)
{
	static const struct {
		uint16_t key;
		size_t off;
		unsigned int len;
	} items[] = {
		{ FW_CFG_SIGNATURE, offsetof(struct fw_cfg, sig), 4 },
		{ FW_CFG_ID, offsetof(struct fw_cfg, id), 4 },
		{ FW_CFG_RAM_SIZE, offsetof(struct fw_cfg, ram), 8 },
		{ FW_CFG_NB_CPUS, offsetof(struct fw_cfg, cpus), 2 },
		{ FW_CFG_MAX_CPUS, offsetof(struct fw_cfg, max_cpus), 2 },
		{ FW_CFG_FILE_DIR, offsetof(struct fw_cfg, dir), 4 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (items[i].key == key) {
			*len = items[i].len;
			return (const uint8_t *)f + items[i].off;
		}
	}
	*len = 0;
	return NULL;
}

static uint8_t data_byte(struct fw_cfg *f)
{
	unsigned int len;
	const uint8_t *p = item(f, f->select, &len);
	uint8_t b = 0;

	if (p && f->offset < len)
		b = p[f->offset];
	if (f->offset < UINT32_MAX)
		f->offset++;
	return b;
}

static void fw_cfg_io(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int len, bool is_write)
{
	struct fw_cfg *f = opaque;
	unsigned int i;

	pthread_mutex_lock(&f->lock);
	if (is_write) {
		/* The selector takes 16-bit writes at 0x510; anything else
		 * written (byte writes, the data port) is ignored. */
		if (off == 0 && len == 2) {
			f->select = (uint16_t)(data[0] | data[1] << 8);
			f->offset = 0;
		}
	} else if (len == 1) {
		/* QEMU's data read ignores which of the two ports it is. */
		data[0] = data_byte(f);
	} else {
		for (i = 0; i < len; i++)
			data[i] = 0xff;
	}
	pthread_mutex_unlock(&f->lock);
}

int fw_cfg_init(struct vm *vm)
{
	struct fw_cfg *f = calloc(1, sizeof(*f));

	if (!f) {
		err_set("fw_cfg: out of memory");
		return -1;
	}
	pthread_mutex_init(&f->lock, NULL);
	memcpy(f->sig, "QEMU", 4);
	le(f->id, FW_CFG_VERSION, 4);
	le(f->ram, vm->cfg->mem_size, 8);
	le(f->cpus, vm->nr_cpus, 2);
	le(f->max_cpus, vm->nr_cpus, 2);
	/* f->dir: a count of 0 files (big-endian zero). */
	vm->fw_cfg = f;
	return io_bus_register(&vm->pio, FW_CFG_PORT, FW_CFG_PORTS, fw_cfg_io,
			       f, "fw_cfg");
}

void fw_cfg_destroy(struct vm *vm)
{
	struct fw_cfg *f = vm->fw_cfg;

	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f);
	vm->fw_cfg = NULL;
}
