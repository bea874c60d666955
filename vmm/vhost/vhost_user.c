// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_user.c - one connection from us (the "front-end") to a vhost-user
 * back-end over a UNIX stream socket: the session setup, the memory
 * table, and starting and stopping rings.
 *
 * Every call is synchronous: the request goes out with its descriptors
 * (SCM_RIGHTS), and where the protocol defines an answer - a GET_*, or
 * any request sent with need_reply once REPLY_ACK is agreed - we wait for
 * it at most reply_timeout_ms.  Acknowledged requests are what lets us
 * say a ring runs when this returns, and that a backend which died or
 * disagrees is noticed at the message that failed.  Any failure marks the
 * connection broken: after a lost or garbled message the two sides no
 * longer agree on what was said, so nothing more is sent.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vhost.h"

#define REPLY_TIMEOUT_MS	5000
#define MAX_FDS			VHOST_USER_MAX_REGIONS

/* Protocol features we know how to use. */
#define OUR_PROTOCOL_FEATURES	(1ULL << VHOST_USER_PROTOCOL_F_MQ | \
				 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int fail(struct vhost_user *vu)
{
	vu->broken = true;
	return -1;
}

void vhost_user_attach(struct vhost_user *vu, int fd, const char *name)
{
	memset(vu, 0, sizeof(*vu));
	vu->fd = fd;
	vu->reply_timeout_ms = REPLY_TIMEOUT_MS;
	snprintf(vu->name, sizeof(vu->name), "%s", name);
}

int vhost_user_connect(struct vhost_user *vu, const char *path,
		       const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	vhost_user_attach(vu, -1, name);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_set("%s: socket path too long: %s", name, path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set("%s: socket: %s", name, strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set("%s: cannot connect to the vhost-user backend at %s: %s",
			name, path, strerror(errno));
		close(fd);
		return -1;
	}
	vu->fd = fd;
	return 0;
}

static int send_msg(struct vhost_user *vu, const struct vhost_user_msg *m,
		    size_t len, const int *fds, unsigned int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	const char *p = (const char *)m;
	struct iovec iov;
	struct msghdr mh;
	ssize_t n;

	while (len) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (void *)p;
		iov.iov_len = len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (nfds) {
			struct cmsghdr *c;

			memset(cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		n = sendmsg(vu->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			err_set("%s: the vhost-user backend closed the connection (sending %s)",
				vu->name,
				vhost_user_request_name(m->hdr.request));
			return -1;
		}
		if (n <= 0) {
			err_set("%s: sending %s to the vhost-user backend: %s",
				vu->name, vhost_user_request_name(m->hdr.request),
				n < 0 ? strerror(errno) : "nothing sent");
			return -1;
		}
		/* The descriptors went with the first bytes. */
		nfds = 0;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Wait until readable or the deadline; 0, or -1 with err_set(). */
static int wait_readable(struct vhost_user *vu, uint32_t req,
			 uint64_t deadline)
{
	struct pollfd pfd = { .fd = vu->fd, .events = POLLIN };

	for (;;) {
		uint64_t now = now_ms();
		int r;

		if (now >= deadline) {
			err_set("%s: the vhost-user backend did not answer %s within %u ms",
				vu->name, vhost_user_request_name(req),
				vu->reply_timeout_ms);
			return -1;
		}
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set("%s: poll: %s", vu->name, strerror(errno));
			return -1;
		}
		if (r > 0)
			return 0;
	}
}

/* Read `len` bytes (more of a message), counting descriptors that came
 * with them; they are closed at once - no reply of ours carries any. */
static int read_part(struct vhost_user *vu, uint32_t req, void *buf,
		     size_t len, unsigned int *nfds, uint64_t deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	char *p = buf;

	while (len) {
		struct iovec iov = { .iov_base = p, .iov_len = len };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *c;
		ssize_t n;

		if (wait_readable(vu, req, deadline) < 0)
			return -1;
		n = recvmsg(vu->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			err_set("%s: the vhost-user backend %s while we waited for its answer to %s",
				vu->name, n < 0 ? strerror(errno) :
				"closed the connection",
				vhost_user_request_name(req));
			return -1;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			int i, fd, cnt;

			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (i = 0; i < cnt; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				       sizeof(fd));
				close(fd);
				(*nfds)++;
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_reply(struct vhost_user *vu, uint32_t req,
		      struct vhost_user_msg *out)
{
	uint64_t deadline = now_ms() + vu->reply_timeout_ms;
	struct vhost_user_msg buf;
	unsigned int nfds = 0;
	size_t size;

	if (read_part(vu, req, &buf.hdr, VHOST_USER_HDR_SIZE, &nfds,
		      deadline) < 0)
		return -1;
	/* Bounded before reading on: what does not fit is nonsense. */
	size = buf.hdr.size;
	if (size > sizeof(buf.payload)) {
		err_set("%s: reply to %s announces %zu payload bytes", vu->name,
			vhost_user_request_name(req), size);
		return -1;
	}
	if (size && read_part(vu, req, &buf.payload, size, &nfds,
			      deadline) < 0)
		return -1;
	if (vhost_user_check_reply(req, &buf, VHOST_USER_HDR_SIZE + size,
				   nfds, out) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err_msg());
		err_set("%s: vhost-user backend: %s", vu->name, why);
		return -1;
	}
	return 0;
}

static bool is_get(uint32_t req)
{
	return req == VHOST_USER_GET_FEATURES ||
	       req == VHOST_USER_GET_PROTOCOL_FEATURES ||
	       req == VHOST_USER_GET_QUEUE_NUM ||
	       req == VHOST_USER_GET_VRING_BASE;
}

/* Send a request; wait for its answer (GET_*) or acknowledgement. */
static int request(struct vhost_user *vu, uint32_t req, const void *payload,
		   uint32_t len, const int *fds, unsigned int nfds,
		   struct vhost_user_msg *reply)
{
	bool ack = !is_get(req) && (vu->protocol_features &
				   1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct vhost_user_msg m, r;
	size_t n;

	if (vu->broken || vu->fd < 0) {
		err_set("%s: the vhost-user backend is gone", vu->name);
		return -1;
	}
	n = vhost_user_build(&m, req, payload, len, ack);
	if (send_msg(vu, &m, n, fds, nfds) < 0)
		return fail(vu);
	if (!is_get(req) && !ack)
		return 0;
	if (recv_reply(vu, req, reply ? reply : &r) < 0)
		return fail(vu);
	if (ack && (reply ? reply : &r)->payload.u64) {
		err_set("%s: the vhost-user backend refused %s (status %llu)",
			vu->name, vhost_user_request_name(req),
			(unsigned long long)(reply ? reply : &r)->payload.u64);
		return fail(vu);
	}
	return 0;
}

static int get_u64(struct vhost_user *vu, uint32_t req, uint64_t *v)
{
	struct vhost_user_msg r;

	if (request(vu, req, NULL, 0, NULL, 0, &r) < 0)
		return -1;
	*v = r.payload.u64;
	return 0;
}

static int set_u64(struct vhost_user *vu, uint32_t req, uint64_t v,
		   int fd)
{
	return request(vu, req, &v, sizeof(v), &fd, fd >= 0, NULL);
}

int vhost_user_setup(struct vhost_user *vu)
{
	uint64_t pf = 0, qn;

	if (get_u64(vu, VHOST_USER_GET_FEATURES, &vu->features) < 0)
		return -1;
	if (vu->features & 1ULL << VHOST_USER_F_PROTOCOL_FEATURES) {
		if (get_u64(vu, VHOST_USER_GET_PROTOCOL_FEATURES, &pf) < 0 ||
		    set_u64(vu, VHOST_USER_SET_PROTOCOL_FEATURES,
			    pf & OUR_PROTOCOL_FEATURES, -1) < 0)
			return -1;
		/* From here on, REPLY_ACK (if agreed) applies. */
		vu->protocol_features = pf & OUR_PROTOCOL_FEATURES;
	}
	if (vu->protocol_features & 1ULL << VHOST_USER_PROTOCOL_F_MQ) {
		if (get_u64(vu, VHOST_USER_GET_QUEUE_NUM, &qn) < 0)
			return -1;
		if (!qn || qn > VHOST_USER_MAX_QUEUES) {
			err_set("%s: the vhost-user backend says it has %llu queues",
				vu->name, (unsigned long long)qn);
			return fail(vu);
		}
		vu->max_queues = (unsigned int)qn;
	}
	if (request(vu, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL) < 0)
		return -1;
	vu->owned = true;
	return 0;
}

int vhost_user_set_features(struct vhost_user *vu, uint64_t features)
{
	/* "PROTOCOL_FEATURES ... must be acked by SET_FEATURES" when the
	 * back-end offered it, or it may not honour the protocol features. */
	if (vu->features & 1ULL << VHOST_USER_F_PROTOCOL_FEATURES)
		features |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	return set_u64(vu, VHOST_USER_SET_FEATURES, features, -1);
}

int vhost_user_set_mem_table(struct vhost_user *vu,
			     const struct vhost_user_region *r,
			     const int *fds, unsigned int n)
{
	struct vhost_user_mem mem;

	if (!n || n > VHOST_USER_MAX_REGIONS) {
		err_set("%s: %u memory regions for vhost-user", vu->name, n);
		return -1;
	}
	memset(&mem, 0, sizeof(mem));
	mem.nregions = n;
	memcpy(mem.regions, r, n * sizeof(*r));
	return request(vu, VHOST_USER_SET_MEM_TABLE, &mem,
		       (uint32_t)(offsetof(struct vhost_user_mem, regions) +
				  n * sizeof(*r)), fds, n, NULL);
}

static int set_state(struct vhost_user *vu, uint32_t req, unsigned int index,
		     unsigned int num)
{
	struct vhost_vring_state s = { .index = index, .num = num };

	return request(vu, req, &s, sizeof(s), NULL, 0, NULL);
}

static int set_ring_fd(struct vhost_user *vu, uint32_t req,
		       unsigned int index, int fd)
{
	uint64_t v = index & VHOST_USER_VRING_IDX_MASK;

	if (fd < 0)
		v |= VHOST_USER_VRING_NOFD;
	return set_u64(vu, req, v, fd);
}

int vhost_user_ring_start(struct vhost_user *vu,
			  const struct vhost_user_ring *r)
{
	struct vhost_vring_addr a = {
		.index = r->index,
		.desc_user_addr = r->desc,
		.used_user_addr = r->used,
		.avail_user_addr = r->avail,
	};

	if (set_state(vu, VHOST_USER_SET_VRING_NUM, r->index, r->num) < 0 ||
	    request(vu, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0,
		    NULL) < 0 ||
	    set_state(vu, VHOST_USER_SET_VRING_BASE, r->index, r->base) < 0 ||
	    set_ring_fd(vu, VHOST_USER_SET_VRING_CALL, r->index,
			r->call_fd) < 0 ||
	    set_ring_fd(vu, VHOST_USER_SET_VRING_KICK, r->index,
			r->kick_fd) < 0)
		return -1;
	/* "If VHOST_USER_F_PROTOCOL_FEATURES has been negotiated, the ring
	 * starts disabled" and does nothing until enabled. */
	if (vu->features & 1ULL << VHOST_USER_F_PROTOCOL_FEATURES)
		return set_state(vu, VHOST_USER_SET_VRING_ENABLE, r->index, 1);
	return 0;
}

int vhost_user_set_call(struct vhost_user *vu, unsigned int index, int fd)
{
	return set_ring_fd(vu, VHOST_USER_SET_VRING_CALL, index, fd);
}

int vhost_user_ring_stop(struct vhost_user *vu, unsigned int index,
			 unsigned int *base)
{
	struct vhost_vring_state s = { .index = index };
	struct vhost_user_msg r;

	if (request(vu, VHOST_USER_GET_VRING_BASE, &s, sizeof(s), NULL, 0,
		    &r) < 0)
		return -1;
	if (r.payload.state.index != index) {
		err_set("%s: GET_VRING_BASE for ring %u answered for ring %u",
			vu->name, index, r.payload.state.index);
		return fail(vu);
	}
	*base = r.payload.state.num;
	return 0;
}

void vhost_user_close(struct vhost_user *vu)
{
	if (vu->fd >= 0)
		close(vu->fd);
	vu->fd = -1;
	vu->broken = true;
}
