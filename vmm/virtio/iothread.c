// SPDX-License-Identifier: GPL-2.0
/*
 * iothread.c - one thread per device.  It sleeps in epoll on the
 * device's queue-notify eventfds (KVM signals them on the guest's
 * QUEUE_NOTIFY write, without an exit to user space), on the backend's
 * completion eventfd, and on a control eventfd that says "look at the
 * state again" (DRIVER_OK set, reset waiting, stop).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio.h"

#define TAG_CTL		VIRTIO_MAX_QUEUES
#define TAG_BACKEND	(VIRTIO_MAX_QUEUES + 1)

static int fd_of(struct virtio_dev *dev, uint32_t tag)
{
	if (tag < dev->nr_vqs)
		return dev->notify_fd[tag];
	return tag == TAG_CTL ? dev->ctl_fd : dev->backend_fd;
}

static bool should_exit(struct virtio_dev *dev)
{
	bool done;

	pthread_mutex_lock(&dev->lock);
	done = dev->stop && !dev->inflight;
	pthread_mutex_unlock(&dev->lock);
	return done;
}

static void thread_failed(struct virtio_dev *dev, const char *what)
{
	vm_request_stop(dev->vm, EXIT_VMM_ERROR, "%s: %s: %s", dev->name,
			what, strerror(errno));
	pthread_mutex_lock(&dev->lock);
	dev->thread_exited = true;
	pthread_cond_broadcast(&dev->drained);
	pthread_mutex_unlock(&dev->lock);
}

static void *iothread_main(void *arg)
{
	struct virtio_dev *dev = arg;
	uint32_t all = (1u << dev->nr_vqs) - 1;

	while (!should_exit(dev)) {
		struct epoll_event ev[VIRTIO_MAX_QUEUES + 2];
		uint32_t kicked = 0;
		uint64_t notifies = 0;
		bool backend = false;
		int n, i;

		n = epoll_wait(dev->epoll_fd, ev, VIRTIO_MAX_QUEUES + 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			thread_failed(dev, "epoll_wait");
			return NULL;
		}
		for (i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;
			uint64_t cnt = 0;

			/* Level-triggered: reading resets the counter.  A
			 * data backend (a tap) is the device's to read. */
			if (tag == TAG_BACKEND && dev->backend_data)
				cnt = 0;
			else if (read(fd_of(dev, tag), &cnt, sizeof(cnt)) !=
				 sizeof(cnt))
				cnt = 0;
			if (tag < dev->nr_vqs) {
				kicked |= 1u << tag;
				notifies += cnt;
			} else if (tag == TAG_BACKEND) {
				backend = true;
			} else {
				kicked |= all;
			}
		}
		virtio_dev_poll(dev, kicked, backend, notifies);
	}
	return NULL;
}

static int watch(struct virtio_dev *dev, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(dev->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err_set("%s: epoll_ctl: %s", dev->name, strerror(errno));
		return -1;
	}
	return 0;
}

int virtio_iothread_start(struct virtio_dev *dev)
{
	unsigned int i;
	int err;

	dev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	dev->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->epoll_fd < 0 || dev->ctl_fd < 0) {
		err_set("%s: %s", dev->name, strerror(errno));
		return -1;
	}
	if (watch(dev, dev->ctl_fd, TAG_CTL) < 0)
		return -1;
	/* A vhost-user backend reads the kicks itself. */
	for (i = 0; i < dev->nr_vqs && !dev->external_queues; i++)
		if (watch(dev, dev->notify_fd[i], i) < 0)
			return -1;
	if (dev->backend_fd >= 0) {
		if (watch(dev, dev->backend_fd, TAG_BACKEND) < 0)
			return -1;
		dev->backend_watched = true;
	}
	/* Signals stay blocked: vm_create blocked them before we got here. */
	err = pthread_create(&dev->thread, NULL, iothread_main, dev);
	if (err) {
		err_set("%s: cannot start the I/O thread: %s", dev->name,
			strerror(err));
		return -1;
	}
	pthread_setname_np(dev->thread, "virtio-io");
	dev->thread_started = true;
	return 0;
}

/*
 * Removed rather than masked: epoll reports EPOLLERR and EPOLLHUP even
 * for an fd registered with no events, and a tap whose interface was
 * deleted under us polls as EPOLLERR for ever.
 */
int virtio_dev_watch_backend(struct virtio_dev *dev, bool on)
{
	if (dev->epoll_fd < 0 || dev->backend_fd < 0 ||
	    dev->backend_watched == on)
		return 0;
	if (on) {
		if (watch(dev, dev->backend_fd, TAG_BACKEND) < 0)
			return -1;
	} else if (epoll_ctl(dev->epoll_fd, EPOLL_CTL_DEL, dev->backend_fd,
			     NULL) < 0) {
		err_set("%s: epoll_ctl: %s", dev->name, strerror(errno));
		return -1;
	}
	dev->backend_watched = on;
	return 0;
}

void virtio_dev_kick_thread(struct virtio_dev *dev)
{
	uint64_t one = 1;

	if (dev->ctl_fd >= 0 &&
	    write(dev->ctl_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("%s: cannot wake the I/O thread: %s", dev->name,
			 strerror(errno));
}

void virtio_iothread_stop(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->stop = true;
	dev->draining = true;
	pthread_mutex_unlock(&dev->lock);
	virtio_dev_kick_thread(dev);
	pthread_join(dev->thread, NULL);
	dev->thread_started = false;
}
