// SPDX-License-Identifier: GPL-2.0
/*
 * tap.c - a tap device as the backend of one guest NIC.
 *
 * Documentation/networking/tuntap.rst: "open /dev/net/tun, ioctl
 * TUNSETIFF with IFF_TAP: ... If the device with the name already exists
 * and the caller has the right to use it, the file is attached to it;
 * otherwise a new device is created", which needs CAP_NET_ADMIN.  We ask
 * for
 *
 *   IFF_TAP        Ethernet frames, not IP packets;
 *   IFF_NO_PI      no 4-byte packet-information prefix;
 *   IFF_VNET_HDR   every frame carries a struct virtio_net_hdr in front
 *                  (the same layout the guest's driver uses), so the
 *                  kernel takes the guest's checksum/GSO requests as they
 *                  are and describes its own frames the same way: the
 *                  device never has to look inside a frame.
 *
 * One read() returns one frame and one write() sends one; the fd is
 * nonblocking, so a read with nothing queued fails with EAGAIN.  A frame
 * longer than the buffers is cut to fit, and read() then returns the
 * buffers' size (tun_chr_read_iter clamps its result to the iovec
 * length), which is why callers that must notice append a spare buffer.
 *
 * The header length (TUNSETVNETHDRSZ) and the offloads the guest can
 * accept (TUNSETOFFLOAD) depend on what its driver negotiates, so the
 * device sets them once the driver is ready, not here.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "net.h"

#define TUN_PATH	"/dev/net/tun"

struct tap {
	int fd;
	bool real;		/* a tap: issue the tun ioctls */
	bool created;		/* TUNSETIFF made the interface */
	unsigned int hdr_len;	/* last TUNSETVNETHDRSZ */
	unsigned int offload;	/* last TUNSETOFFLOAD */
	char name[IFNAMSIZ];
};

static struct tap *tap_alloc(int fd, const char *name)
{
	struct tap *t = calloc(1, sizeof(*t));

	if (!t) {
		err_set("--net %s: out of memory", name);
		return NULL;
	}
	t->fd = fd;
	/* The kernel's default until told otherwise. */
	t->hdr_len = 10;
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

/* Turn a TUNSETIFF failure into the line the user needs. */
static void attach_error(const char *ifname, int err, bool existed)
{
	switch (err) {
	case EBUSY:
		err_set("--net %s: the tap device is in use by another process",
			ifname);
		break;
	case EPERM:
	case EACCES:
		if (!existed)
			err_set("--net %s: no such tap device (create it with `ip tuntap add %s mode tap`)",
				ifname, ifname);
		else
			err_set("--net %s: permission denied (the tap belongs to another user or group)",
				ifname);
		break;
	case EINVAL:
		/* The name is taken by another kind of interface, a tun
		 * device, or a multi-queue tap (its queues need
		 * IFF_MULTI_QUEUE on every attach). */
		err_set("--net %s: not a single-queue tap device", ifname);
		break;
	default:
		err_set("--net %s: cannot attach to the tap device: %s", ifname,
			strerror(err));
		break;
	}
}

struct tap *net_tap_open(const char *ifname)
{
	struct ifreq ifr;
	struct tap *t;
	bool existed;
	int fd;

	if (!ifname[0] || strlen(ifname) >= IFNAMSIZ) {
		err_set("--net %s: interface names have 1 to %d characters",
			ifname, IFNAMSIZ - 1);
		return NULL;
	}
	fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			err_set("--net %s: %s: %s (is the tun module loaded?)",
				ifname, TUN_PATH, strerror(errno));
		else
			err_set("--net %s: %s: %s", ifname, TUN_PATH,
				strerror(errno));
		return NULL;
	}
	/*
	 * Whether the interface exists only decides which message a failure
	 * gets and whether we say we created it; TUNSETIFF itself makes the
	 * decision, so a race with `ip link add/del` cannot do harm.
	 */
	existed = if_nametoindex(ifname) != 0;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		attach_error(ifname, errno, existed);
		close(fd);
		return NULL;
	}
	t = tap_alloc(fd, ifname);
	if (!t) {
		close(fd);
		return NULL;
	}
	t->real = true;
	t->created = !existed;
	/* Until the driver says otherwise: no offloads, plain frames. */
	if (net_tap_set_offload(t, 0) < 0 ||
	    net_tap_set_vnet_hdr_len(t, 10) < 0) {
		err_set("--net %s: the tap refuses the virtio header set-up: %s",
			ifname, strerror(errno));
		net_tap_close(t);
		return NULL;
	}
	return t;
}

struct tap *net_tap_from_fd(int fd, const char *name)
{
	struct tap *t = tap_alloc(fd, name);
	int fl = fcntl(fd, F_GETFL);

	if (t && fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return t;
}

void net_tap_close(struct tap *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

int net_tap_fd(const struct tap *t)
{
	return t->fd;
}

const char *net_tap_name(const struct tap *t)
{
	return t->name;
}

bool net_tap_created(const struct tap *t)
{
	return t->created;
}

int net_tap_set_vnet_hdr_len(struct tap *t, unsigned int len)
{
	int v = (int)len;

	if (t->real && ioctl(t->fd, TUNSETVNETHDRSZ, &v) < 0)
		return -errno;
	t->hdr_len = len;
	return 0;
}

unsigned int net_tap_vnet_hdr_len(const struct tap *t)
{
	return t->hdr_len;
}

int net_tap_set_offload(struct tap *t, unsigned int tun_flags)
{
	/* TUNSETOFFLOAD takes its argument by value, not by pointer. */
	if (t->real && ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0)
		return -errno;
	t->offload = tun_flags;
	return 0;
}

unsigned int net_tap_offload(const struct tap *t)
{
	return t->offload;
}

ssize_t net_tap_read(struct tap *t, const struct iovec *iov,
		     unsigned int cnt)
{
	ssize_t n;

	do {
		n = readv(t->fd, iov, (int)cnt);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t net_tap_write(struct tap *t, const struct iovec *iov,
		      unsigned int cnt)
{
	ssize_t n;

	do {
		n = writev(t->fd, iov, (int)cnt);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}
