// SPDX-License-Identifier: GPL-2.0
/*
 * pci.c - fuzz vmm/pci as a guest reaches it: configuration mechanism #1
 * (CONFIG_ADDRESS at 0xcf8, the CONFIG_DATA window at 0xcfc..0xcff) with
 * accesses of every width at every offset, on the host bridge, a
 * virtio-net function with MSI-X and pvpanic; MMIO of any width and
 * offset into the MSI-X table/PBA BAR and pvpanic's BAR wherever the
 * guest moved them; port I/O into the legacy virtio BAR; and the device
 * side of interrupts (MSI-X vectors, INTx, an I/O-thread pass) in
 * between.
 *
 * There is no KVM: vm_fd is -1, so irq.c keeps its GSI routing table and
 * answers irqfd/ioeventfd calls without ioctls (as tests/unit/test_pci.c
 * runs), and the harness checks that table instead of the kernel's.  The
 * virtio function is put on the bus the way virtio_dev_register() does it
 * but without starting its I/O thread, so everything runs on this thread
 * in input order and a crash reproduces.  Every input builds the bus and
 * its devices from scratch and tears them down again.
 *
 * Checked after every access: guest writes never changed a bit outside
 * the write masks; a BAR is on the bus exactly where its register and
 * COMMAND say (or lost a clash with a range that is there); the buses
 * stay sorted and non-overlapping; KVM's route for every deliverable
 * MSI-X vector holds its table entry (msix.c's invariant); the INTx line
 * is up exactly when the device asks, INTx is not disabled and MSI-X is
 * off.  After teardown nothing is left on the buses or in the MP table's
 * INTx list, and no MSI GSI is still allocated.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/virtio_pci.h>

#include "fuzz.h"
#include "../../vmm/pci/pci.h"
#include "../../vmm/virtio/virtio.h"
#include "../../vmm/net/net.h"

#define CF8		0xcf8
#define CFC		0xcfc
#define ENABLE		0x80000000u
#define RAM_SIZE	(64ULL << 10)
#define MAX_DEVS	3

static struct vm *vm;
static int tap_fd;		/* one end of a socketpair, dup'ed per input */

/* This input's devices and what their config space started as. */
static struct virtio_dev *vdev;
static struct pci_device *devs[MAX_DEVS];
static unsigned int nr_devs;
/* Config space at registration, and the bits no guest write may change,
 * as words: this runs after every access. */
static uint64_t snap[MAX_DEVS][PCI_CFG_SIZE / 8];
static uint64_t fixed[MAX_DEVS][PCI_CFG_SIZE / 8];

/* ---- putting the virtio function on the bus ---- */

/* virtio_dev_register() without the I/O thread (see the top). */
static int attach(struct virtio_dev *d)
{
	return virtio_dev_plug(d, VIRTIO_NET_CLASS, false);
}

static void setup(void)
{
	struct net_config nc = { .ifname = "fuzz0" };
	struct pci_bus *bus;
	struct tap *tap;
	unsigned int i;

	vm->stopping = false;
	vm->nr_pci_irqs = 0;
	irq_routing_init(vm);
	if (pci_init(vm) < 0)
		abort();
	tap = net_tap_from_fd(dup(tap_fd), nc.ifname);
	vdev = tap ? virtio_net_new(vm, &nc, tap) : NULL;
	if (!vdev || attach(vdev) < 0 || pvpanic_pci_init(vm) < 0) {
		fuzz_log("fuzz: set-up: %s\n", err_msg());
		abort();
	}
	bus = vm->pci;
	nr_devs = 0;
	for (i = 0; i < PCI_MAX_DEVICES && nr_devs < MAX_DEVS; i++)
		if (bus->slots[i])
			devs[nr_devs++] = bus->slots[i];
	FUZZ_ASSERT(nr_devs == MAX_DEVS, "%u devices", nr_devs);
	for (i = 0; i < nr_devs; i++) {
		uint8_t ro[PCI_CFG_SIZE];
		unsigned int off;

		for (off = 0; off < PCI_CFG_SIZE; off++)
			ro[off] = (uint8_t)~(devs[i]->wmask[off] |
					     devs[i]->w1cmask[off]);
		/* The device's own status bit. */
		ro[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
		memcpy(fixed[i], ro, PCI_CFG_SIZE);
		memcpy(snap[i], devs[i]->cfg, PCI_CFG_SIZE);
	}
}

static void teardown(void)
{
	virtio_net_free(vdev);
	pci_destroy(vm);
	FUZZ_ASSERT(vm->pio.nr == 0 && vm->mmio.nr == 0,
		    "%u port and %u MMIO ranges left", vm->pio.nr,
		    vm->mmio.nr);
	FUZZ_ASSERT(vm->nr_pci_irqs == 0, "%u INTx routes left",
		    vm->nr_pci_irqs);
	FUZZ_ASSERT(!memchr(vm->irq.msi_used, true, sizeof(vm->irq.msi_used)),
		    "an MSI GSI is still allocated");
	pthread_mutex_destroy(&vm->irq.lock);
}

/* ---- the guest's accesses ---- */

static void pio(uint64_t port, uint8_t *data, unsigned int len, bool write)
{
	io_bus_access(&vm->pio, port, data, len, write);
}

static void mmio(uint64_t addr, uint8_t *data, unsigned int len, bool write)
{
	io_bus_access(&vm->mmio, addr, data, len, write);
}

static uint32_t pick_address(struct fuzz_in *in)
{
	uint8_t sel = fi_u8(in);
	unsigned int slot;

	if (sel >= 0xf0)
		return fi_u32(in);
	slot = sel & 0x80 ? fi_u8(in) : devs[sel % nr_devs]->slot;
	/* Mostly bus 0, function 0, enabled: the cases that reach a
	 * device; the others must read as nothing there. */
	return (sel & 0x40 ? 0 : ENABLE) |
	       (sel & 0x20 ? (uint32_t)fi_u8(in) << 16 : 0) |
	       (slot & 0x1f) << 11 |
	       (sel & 0x10 ? (fi_u8(in) & 7u) << 8 : 0) |
	       fi_u8(in);
}

static unsigned int pick_len(uint8_t sel)
{
	static const unsigned int lens[] = { 1, 2, 4, 4, 8, 3, 1, 2 };

	return lens[sel % 8];
}

/* A memory BAR's base, or anything. */
static uint64_t mem_base(uint8_t sel, struct fuzz_in *in)
{
	switch (sel % 4) {
	case 0:
		return vdev->pci.bars[1].addr;	/* MSI-X table + PBA */
	case 1:
		return devs[2]->bars[0].addr;	/* pvpanic */
	case 2:
		return PCI_MMIO_START;
	default:
		return fi_u32(in);
	}
}

/* kind: 0 CF8, 1 CFC read, 2 CFC write, 3 address + data, 4 MMIO, 5 port
 * I/O into BAR0, 6 the device's side, 7 a table entry dword. */
static void run_op(struct fuzz_in *in)
{
	uint8_t op = fi_u8(in), sel, b[8];
	uint64_t v, base;
	unsigned int len, k;
	uint32_t a;

	switch (op % 8) {
	case 0:
		a = pick_address(in);
		len = op & 0x80 ? pick_len(fi_u8(in)) : 4;
		memcpy(b, &a, 4);
		memset(b + 4, 0, 4);
		pio(CF8 + (op >> 4 & 3), b, len, true);
		break;
	case 1:
	case 2:
		sel = fi_u8(in);
		v = fi_u32(in);
		memcpy(b, &v, 8);
		pio(CFC + (sel & 3), b, pick_len(sel >> 2), op % 8 == 2);
		break;
	case 3:
		a = pick_address(in);
		pio(CF8, (uint8_t *)&a, 4, true);
		sel = fi_u8(in);
		v = fi_u32(in);
		memcpy(b, &v, 8);
		pio(CFC + (a & 3) + (sel & 3), b, pick_len(sel >> 2),
		    sel & 0x80);
		break;
	case 4:
		sel = fi_u8(in);
		base = mem_base(sel, in);
		k = fi_u16(in) % 0x1100;
		v = fi_u64(in);
		memcpy(b, &v, 8);
		mmio(base + k, b, pick_len(sel >> 2), sel & 0x80);
		break;
	case 5:
		sel = fi_u8(in);
		k = fi_u8(in) % 0x90;
		v = fi_u32(in);
		memcpy(b, &v, 8);
		base = sel & 0x40 ? fi_u16(in) : vdev->pci.bars[0].addr;
		pio(base + k, b, pick_len(sel), sel & 0x80);
		break;
	case 6:
		sel = fi_u8(in);
		if (sel & 1)
			pci_msix_notify(&vdev->pci, sel >> 1 & 7);
		else if (sel & 2)
			pci_intx_set(&vdev->pci, sel >> 2 & 1);
		else
			virtio_dev_poll(vdev, sel >> 2 & 3, true, 0);
		break;
	default:
		k = fi_u8(in) % 8;
		a = fi_u32(in);
		mmio(vdev->pci.bars[1].addr + 4 * k, (uint8_t *)&a, 4, true);
		break;
	}
}

/* ---- invariants ---- */

static void check_bus(const struct io_bus *bus)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->r[i];

		FUZZ_ASSERT(r->len && r->start + r->len > r->start,
			    "%s range %u wraps", bus->name, i);
		if (i + 1 < bus->nr)
			FUZZ_ASSERT(r->start + r->len <= bus->r[i + 1].start,
				    "%s ranges %u and %u overlap or are out of order",
				    bus->name, i, i + 1);
	}
}

static const struct io_range *find_range(const struct io_bus *bus,
					 uint64_t start, uint64_t len,
					 bool exact)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->r[i];

		if (exact ? r->start == start && r->len == len :
			    r->start < start + len && start < r->start + r->len)
			return r;
	}
	return NULL;
}

static void check_bars(struct pci_device *d)
{
	uint16_t cmd = (uint16_t)(d->cfg[PCI_COMMAND] |
				  d->cfg[PCI_COMMAND + 1] << 8);
	unsigned int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bars[i];
		bool io = b->type == PCI_BAR_IO;
		bool mem64 = b->type == PCI_BAR_MEM64;
		struct io_bus *bus = io ? &vm->pio : &vm->mmio;
		uint32_t reg = pci_get_le32(d->cfg + PCI_BAR0 + 4 * i);
		uint64_t addr = reg & (io ? ~0x3u : ~0xfu);
		uint64_t end;
		const struct io_range *r;
		bool want;

		if (b->type == PCI_BAR_NONE || b->type == PCI_BAR_MEM64_HI)
			continue;
		if (mem64)
			addr |= (uint64_t)pci_get_le32(d->cfg + PCI_BAR0 +
						       4 * (i + 1)) << 32;
		end = addr + b->size;
		/* Sizing: the bits below the size read as 0; the type bits
		 * hold (I/O 01, memory 32-bit 0000, 64-bit 0100). */
		FUZZ_ASSERT(!(addr & (b->size - 1)) &&
			    (reg & (io ? 1u : 0xfu)) == (io ? 1u : mem64 ? 4u : 0u),
			    "%s BAR %u reads 0x%08x", d->name, i, reg);
		want = addr && (io ? (cmd & PCI_COMMAND_IO) &&
				     end <= PCI_IO_END :
				     (cmd & PCI_COMMAND_MEMORY) &&
				     (end <= PCI_MMIO_END ||
				      (mem64 && addr >= PCI_HOLE_END &&
				       end <= (1ULL << 46))));
		if (b->mapped) {
			r = find_range(bus, addr, b->size, true);
			FUZZ_ASSERT(want && b->addr == addr && r &&
				    r->opaque == b->opaque,
				    "%s BAR %u mapped at 0x%llx, register 0x%llx",
				    d->name, i, (unsigned long long)b->addr,
				    (unsigned long long)addr);
		} else if (want) {
			/* Not decoded although it should be: only when
			 * someone else holds (part of) the range. */
			FUZZ_ASSERT(find_range(bus, addr, b->size, false),
				    "%s BAR %u at 0x%llx not decoded", d->name,
				    i, (unsigned long long)addr);
		}
	}
}

static void check_msix(struct pci_device *d)
{
	struct msix *m = &d->msix;
	unsigned int v;

	if (!m->table)
		return;
	for (v = 0; v < m->nr; v++) {
		const uint8_t *e = m->table + 16 * v;
		const struct kvm_irq_routing_entry *r = &vm->irq.msi[m->v[v].gsi];

		if (!m->enabled || m->func_masked || (e[12] & 1))
			continue;
		FUZZ_ASSERT(vm->irq.msi_used[m->v[v].gsi] &&
			    r->u.msi.address_lo == pci_get_le32(e) &&
			    r->u.msi.address_hi == pci_get_le32(e + 4) &&
			    r->u.msi.data == pci_get_le32(e + 8),
			    "%s vector %u deliverable with a stale route",
			    d->name, v);
	}
}

static void check(void)
{
	unsigned int i, w;

	check_bus(&vm->pio);
	check_bus(&vm->mmio);
	for (i = 0; i < nr_devs; i++) {
		struct pci_device *d = devs[i];
		bool disabled = d->cfg[PCI_COMMAND + 1] &
				(PCI_COMMAND_INTX_DISABLE >> 8);

		for (w = 0; w < PCI_CFG_SIZE / 8; w++) {
			uint64_t now;

			memcpy(&now, d->cfg + 8 * w, 8);
			FUZZ_ASSERT(!((now ^ snap[i][w]) & fixed[i][w]),
				    "%s config bytes 0x%02x..: read-only bits changed",
				    d->name, 8 * w);
		}
		check_bars(d);
		check_msix(d);
		if (d->irq_pin && d->irq_gsi)
			FUZZ_ASSERT(d->intx_asserted ==
				    (d->intx_level && !disabled &&
				     !pci_msix_enabled(d)),
				    "%s INTx line %d", d->name,
				    d->intx_asserted);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int sv[2];

	(void)argc;
	(void)argv;
	vm = fuzz_vm_new();
	/* Some RAM, so QUEUE_PFN can succeed. */
	fuzz_mem_init(&vm->mem, RAM_SIZE, 0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		abort();
	tap_fd = sv[0];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;

	fi_init(&in, data, size);
	setup();
	while (!fi_empty(&in)) {
		run_op(&in);
		check();
	}
	teardown();
	return 0;
}
