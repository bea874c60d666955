// SPDX-License-Identifier: GPL-2.0
/*
 * fs.c - virtio-fs (virtio spec 5.11, device ID 26) whose queues a
 * vhost-user backend serves: Debian's virtiofsd, started by us, or any
 * backend listening on a socket.
 *
 * lightvm keeps the PCI function, the modern transport and the config
 * space ("tag" and "num_request_queues", 5.11.4); the requests never pass
 * through it.  At DRIVER_OK the I/O thread gives the backend guest RAM
 * (the memfd regions) and each enabled ring: its three addresses as
 * validated by the transport's queue_enable, the queue's KVM ioeventfd as
 * the kick, and as the call either the MSI-X vector's KVM irqfd - the
 * backend then interrupts the guest without us - or, while that vector
 * cannot be delivered (masked, MSI-X off: INTx), an eventfd of ours whose
 * signals the I/O thread forwards through the normal interrupt path (PBA
 * or ISR + INTx).  A reset takes the rings back with GET_VRING_BASE.
 *
 * A backend that dies, or answers something we did not ask for, breaks
 * the device: one message, NEEDS_RESET, and the guest carries on without
 * it.  When the device carries the guest's root (--rootfs) nothing can
 * carry on, so the VM stops with EXIT_VMM_ERROR and that message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "virtio.h"
#include "../vhost/vhost.h"

#define FS_REQUEST_QUEUES	1	/* virtiofsd serves one */
#define FS_NR_VQS		(1 + FS_REQUEST_QUEUES)	/* + hiprio */
#define CONNECT_RETRY_MS	2000

/* The ring features a backend may run; everything else it offers (its
 * PROTOCOL_FEATURES, LOG_ALL, ...) is between it and us. */
#define FS_RING_FEATURES	(1ULL << VIRTIO_F_VERSION_1 | \
				 1ULL << VIRTIO_RING_F_INDIRECT_DESC | \
				 1ULL << VIRTIO_RING_F_EVENT_IDX)

/* 5.11.4: "u8 tag[36]; le32 num_request_queues;" */
struct virtio_fs_config_le {
	uint8_t tag[VIRTIO_FS_TAG_LEN];
	uint8_t num_request_queues[4];
} __attribute__((packed));

struct virtio_fs {
	struct virtio_dev dev;
	struct virtio_fs_config_le config;
	const struct fs_config *fc;
	struct vhost_user vu;
	struct virtiofsd daemon;	/* pid 0 unless we started it */
	int poll_fd;			/* dev.backend_fd: socket + calls */
	int call_fd[FS_NR_VQS];		/* ours: signals we forward */
	int call_cur[FS_NR_VQS];	/* what the backend has now */
	bool ring_started[FS_NR_VQS];
	bool started;			/* since DRIVER_OK: rings handed over */
	bool mem_sent;
	bool dead;			/* the backend is gone */
	bool ever_driven;		/* DRIVER_OK seen once */
	uint64_t calls_forwarded;	/* signals that came through us */
	uint64_t call_switches;		/* SET_VRING_CALL after start */
};

#define TAG_SOCKET	FS_NR_VQS

static struct virtio_fs *to_fs(struct virtio_dev *dev)
{
	return container_of(dev, struct virtio_fs, dev);
}

/* dev->lock held: the backend is no use any more. */
static void backend_failed(struct virtio_fs *fs, const char *why)
{
	struct virtio_dev *dev = &fs->dev;
	char msg[480];

	if (fs->dead)
		return;
	fs->dead = true;
	char words[160];
	unsigned int i;

	/* Ours closed the socket as it died: let it finish dying (a few
	 * ms), so the message can say so. */
	for (i = 0; fs->daemon.pid && i < 50 && virtiofsd_alive(&fs->daemon); i++)
		usleep(4000);
	if (fs->daemon.pid == 0 && fs->daemon.socket[0])
		snprintf(msg, sizeof(msg), "virtiofsd exited (%s; its last message: %s)",
			 why, virtiofsd_last_words(&fs->daemon, words,
						   sizeof(words)));
	else
		snprintf(msg, sizeof(msg), "%s", why);
	if (fs->poll_fd >= 0 && fs->vu.fd >= 0)
		epoll_ctl(fs->poll_fd, EPOLL_CTL_DEL, fs->vu.fd, NULL);
	vhost_user_close(&fs->vu);
	memset(fs->ring_started, 0, sizeof(fs->ring_started));
	virtio_dev_needs_reset(dev, NULL, msg);
	if (fs->fc->root)
		vm_request_stop(dev->vm, EXIT_VMM_ERROR,
				"%s: the guest's root file system is gone: %s",
				dev->name, msg);
}

/* Where the backend should signal queue q now: the vector's irqfd while
 * it can be delivered, else our own eventfd. */
static int wanted_call(struct virtio_fs *fs, unsigned int q)
{
	struct virtio_dev *dev = &fs->dev;
	uint16_t v = dev->vqs[q].vector;
	int fd = -1;

	if (__atomic_load_n(&dev->msix_on, __ATOMIC_ACQUIRE) &&
	    v != VIRTIO_MSI_NO_VECTOR && dev->registered)
		fd = pci_msix_vector_fd(&dev->pci, v);
	return fd >= 0 ? fd : fs->call_fd[q];
}

/* Take what arrived on our own call eventfd of queue q. */
static void take_call(struct virtio_fs *fs, unsigned int q)
{
	uint64_t cnt;

	if (read(fs->call_fd[q], &cnt, sizeof(cnt)) == sizeof(cnt) && cnt) {
		fs->dev.irq_pending |= 1u << q;
		fs->calls_forwarded++;
	}
}

static void update_calls(struct virtio_fs *fs)
{
	unsigned int q;

	for (q = 0; q < FS_NR_VQS && !fs->dead; q++) {
		int want;

		if (!fs->ring_started[q])
			continue;
		want = wanted_call(fs, q);
		if (want == fs->call_cur[q])
			continue;
		if (vhost_user_set_call(&fs->vu, q, want) < 0) {
			backend_failed(fs, err_msg());
			return;
		}
		fs->call_cur[q] = want;
		fs->call_switches++;
		/* Signals that reached our eventfd before the switch. */
		if (want != fs->call_fd[q])
			take_call(fs, q);
	}
}

static int send_mem_table(struct virtio_fs *fs)
{
	const struct guest_mem *gm = &fs->dev.vm->mem;
	struct vhost_user_region r[2];
	int fds[2];
	unsigned int n = 0;

	r[n] = (struct vhost_user_region){
		.guest_phys_addr = 0,
		.memory_size = gm->low_size,
		.userspace_addr = (uint64_t)(uintptr_t)gm->host,
		.mmap_offset = 0,
	};
	fds[n++] = gm->fd;
	if (gm->high_size) {
		r[n] = (struct vhost_user_region){
			.guest_phys_addr = 1ULL << 32,
			.memory_size = gm->high_size,
			.userspace_addr = (uint64_t)(uintptr_t)gm->host +
					  gm->low_size,
			.mmap_offset = gm->low_size,
		};
		fds[n++] = gm->fd;
	}
	return vhost_user_set_mem_table(&fs->vu, r, fds, n);
}

/* dev->lock held, DRIVER_OK just seen: hand every enabled ring over. */
static void start(struct virtio_fs *fs)
{
	struct virtio_dev *dev = &fs->dev;
	unsigned int q;

	fs->ever_driven = true;
	fs->started = true;
	if (vhost_user_set_features(&fs->vu, dev->guest_features) < 0)
		goto fail;
	if (!fs->mem_sent) {
		if (send_mem_table(fs) < 0)
			goto fail;
		fs->mem_sent = true;
	}
	for (q = 0; q < FS_NR_VQS; q++) {
		struct virtqueue *vq = &dev->vqs[q];
		struct vhost_user_ring r;

		if (!vq->ready)
			continue;
		r = (struct vhost_user_ring){
			.index = q,
			.num = vq->size,
			.desc = (uint64_t)(uintptr_t)vq->desc,
			.avail = (uint64_t)(uintptr_t)vq->avail,
			.used = (uint64_t)(uintptr_t)vq->used,
			.base = 0,
			.kick_fd = dev->notify_fd[q],
			.call_fd = wanted_call(fs, q),
		};
		if (vhost_user_ring_start(&fs->vu, &r) < 0)
			goto fail;
		fs->ring_started[q] = true;
		fs->call_cur[q] = r.call_fd;
	}
	log_debug(1, "%s: rings handed to the vhost-user backend", dev->name);
	return;
fail:
	backend_failed(fs, err_msg());
}

/* The socket is readable or hung up while we asked nothing: the backend
 * closed it (died), or sent what the protocol does not allow here. */
static void socket_event(struct virtio_fs *fs)
{
	char c;
	ssize_t n = recv(fs->vu.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	backend_failed(fs, n == 0 ? "the vhost-user backend closed the connection" :
			   n < 0 ? "the vhost-user backend's socket failed" :
			   "the vhost-user backend sent an unsolicited message");
}

static void drain_backend(struct virtio_fs *fs)
{
	struct epoll_event ev[FS_NR_VQS + 1];
	int n, i;

	n = epoll_wait(fs->poll_fd, ev, FS_NR_VQS + 1, 0);
	for (i = 0; i < n; i++) {
		uint32_t tag = ev[i].data.u32;

		if (tag < FS_NR_VQS)
			take_call(fs, tag);
		else if (!fs->dead)
			socket_event(fs);
	}
}

static void fs_run(struct virtio_dev *dev, uint32_t kicked, bool backend)
{
	struct virtio_fs *fs = to_fs(dev);

	(void)kicked;
	if (backend)
		drain_backend(fs);
	if (fs->dead || dev->draining)
		return;
	if ((dev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(dev->status & VIRTIO_CONFIG_S_NEEDS_RESET) && !fs->started)
		start(fs);
	update_calls(fs);
}

/* dev->lock held, the driver reset the device: take the rings back
 * ("stop ring upon receiving VHOST_USER_GET_VRING_BASE"). */
static void fs_reset(struct virtio_dev *dev)
{
	struct virtio_fs *fs = to_fs(dev);
	unsigned int q, base;
	uint64_t cnt;

	fs->started = false;
	for (q = 0; q < FS_NR_VQS; q++) {
		if (fs->ring_started[q] && !fs->dead &&
		    vhost_user_ring_stop(&fs->vu, q, &base) < 0)
			backend_failed(fs, err_msg());
		fs->ring_started[q] = false;
		fs->call_cur[q] = -1;
		/* Signals for rings that no longer exist. */
		if (read(fs->call_fd[q], &cnt, sizeof(cnt)) < 0)
			cnt = 0;
	}
}

/* After the I/O thread stopped and the device left PCI. */
static void fs_destroy(struct virtio_dev *dev)
{
	struct virtio_fs *fs = to_fs(dev);
	unsigned int q;

	vhost_user_close(&fs->vu);
	/* Its connection is closed: it exits by itself; make sure. */
	virtiofsd_stop(&fs->daemon);
	for (q = 0; q < FS_NR_VQS; q++)
		if (fs->call_fd[q] >= 0)
			close(fs->call_fd[q]);
	if (fs->poll_fd >= 0)
		close(fs->poll_fd);
	free(fs);
}

static void fs_describe(struct virtio_dev *dev, char *buf, size_t len)
{
	struct virtio_fs *fs = to_fs(dev);
	unsigned int q, direct = 0;

	for (q = 0; q < FS_NR_VQS; q++)
		if (fs->ring_started[q] && fs->call_cur[q] != fs->call_fd[q])
			direct++;
	snprintf(buf, len,
		 "vhost-user backend %s%s; %u of %u rings signal through KVM irqfds, %llu signals forwarded by lightvm, %llu call switches",
		 fs->fc->dir ? "virtiofsd for " : "at ",
		 fs->fc->dir ? fs->fc->dir : fs->fc->socket, direct, FS_NR_VQS,
		 (unsigned long long)fs->calls_forwarded,
		 (unsigned long long)fs->call_switches);
	if (fs->dead)
		snprintf(buf + strlen(buf), len - strlen(buf), "; backend gone");
}

/* vCPU thread, cfg_lock held: look at the calls again in the thread. */
static void fs_irq_changed(struct virtio_dev *dev)
{
	virtio_dev_kick_thread(dev);
}

static const struct virtio_dev_ops fs_ops = {
	.run = fs_run,
	.reset = fs_reset,
	.destroy = fs_destroy,
	.describe = fs_describe,
	.irq_changed = fs_irq_changed,
};

static int watch(struct virtio_fs *fs, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(fs->poll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err_set("%s: epoll_ctl: %s", fs->dev.name, strerror(errno));
		return -1;
	}
	return 0;
}

struct virtio_dev *virtio_fs_new(struct vm *vm, const struct fs_config *fc,
				 int sock)
{
	struct virtio_fs *fs;
	char name[48];
	unsigned int q;
	uint64_t features;

	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		close(sock);
		err_set("virtio-fs: out of memory");
		return NULL;
	}
	fs->fc = fc;
	fs->poll_fd = -1;
	for (q = 0; q < FS_NR_VQS; q++)
		fs->call_fd[q] = fs->call_cur[q] = -1;
	snprintf(name, sizeof(name), "virtio-fs %s", fc->tag);
	vhost_user_attach(&fs->vu, sock, name);
	if (vm->mem.fd < 0) {
		err_set("%s: a vhost-user backend needs guest RAM in a memfd (LIGHTVM_RAM=anon is set?)",
			name);
		goto fail;
	}
	if (vhost_user_setup(&fs->vu) < 0)
		goto fail;
	if (!(fs->vu.features & 1ULL << VIRTIO_F_VERSION_1)) {
		err_set("%s: the vhost-user backend does not offer VIRTIO_F_VERSION_1",
			name);
		goto fail;
	}
	if (fs->vu.max_queues && fs->vu.max_queues < FS_NR_VQS) {
		err_set("%s: the vhost-user backend serves %u queues, virtio-fs needs %u",
			name, fs->vu.max_queues, FS_NR_VQS);
		goto fail;
	}
	features = fs->vu.features & FS_RING_FEATURES;
	memcpy(fs->config.tag, fc->tag, strnlen(fc->tag, VIRTIO_FS_TAG_LEN));
	fs->config.num_request_queues[0] = FS_REQUEST_QUEUES;
	if (virtio_dev_init(&fs->dev, vm, &fs_ops, name, VIRTIO_ID_FS,
			    VIRTIO_MODERN, FS_NR_VQS, VIRTIO_FS_QUEUE_SIZE,
			    features, (const uint8_t *)&fs->config,
			    sizeof(fs->config)) < 0)
		goto fail;
	fs->dev.external_queues = true;
	fs->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (fs->poll_fd < 0) {
		err_set("%s: epoll: %s", name, strerror(errno));
		goto fail_dev;
	}
	for (q = 0; q < FS_NR_VQS; q++) {
		fs->call_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fs->call_fd[q] < 0) {
			err_set("%s: eventfd: %s", name, strerror(errno));
			goto fail_dev;
		}
		if (watch(fs, fs->call_fd[q], q) < 0)
			goto fail_dev;
	}
	if (watch(fs, fs->vu.fd, TAG_SOCKET) < 0)
		goto fail_dev;
	/* The I/O thread sleeps on the inner epoll; nothing for it to read
	 * there itself (backend_data). */
	fs->dev.backend_fd = fs->poll_fd;
	fs->dev.backend_data = true;
	return &fs->dev;
fail_dev:
	fs->dev.backend_fd = -1;
	virtio_fs_free(&fs->dev);
	return NULL;
fail:
	vhost_user_close(&fs->vu);
	free(fs);
	return NULL;
}

void virtio_fs_free(struct virtio_dev *dev)
{
	virtio_dev_cleanup(dev);
	fs_destroy(dev);
}

/* Connect, retrying while the socket exists but nobody listens yet. */
static int connect_retry(const char *path, const char *name)
{
	struct vhost_user vu;
	unsigned int waited = 0;

	for (;;) {
		if (vhost_user_connect(&vu, path, name) == 0)
			return vu.fd;
		if ((errno != ECONNREFUSED && errno != ENOENT) ||
		    waited >= CONNECT_RETRY_MS)
			return -1;
		usleep(10000);
		waited += 10;
	}
}

int virtio_fs_create(struct vm *vm, const struct fs_config *fc)
{
	struct virtiofsd daemon = { 0 };
	struct virtio_dev *dev;
	char name[48];
	int sock;

	snprintf(name, sizeof(name), "virtio-fs %s", fc->tag);
	if (fc->dir) {
		/* cache=always for a root that is only read through an
		 * overlay; auto where the host may change shared files. */
		if (virtiofsd_start(&daemon, fc->dir, fc->readonly,
				    fc->root ? "always" : "auto") < 0) {
			char why[300];

			snprintf(why, sizeof(why), "%s", err_msg());
			err_set("%s: %s", name, why);
			return -1;
		}
	}
	sock = connect_retry(fc->dir ? daemon.socket : fc->socket, name);
	if (sock < 0) {
		virtiofsd_stop(&daemon);
		return -1;
	}
	dev = virtio_fs_new(vm, fc, sock);
	if (!dev) {
		virtiofsd_stop(&daemon);
		return -1;
	}
	to_fs(dev)->daemon = daemon;
	if (virtio_dev_register(dev, VIRTIO_FS_CLASS) < 0) {
		virtio_fs_free(dev);
		return -1;
	}
	return 0;
}

bool virtio_fs_root_driven(struct vm *vm)
{
	struct virtio_dev *dev;

	for (dev = vm->devices; dev; dev = dev->next) {
		if (dev->ops != &fs_ops || !to_fs(dev)->fc->root)
			continue;
		return to_fs(dev)->ever_driven;
	}
	return true;
}
