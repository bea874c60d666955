// SPDX-License-Identifier: GPL-2.0
/*
 * test_vhost.c - the vhost-user frontend (vmm/vhost) and the virtio-fs
 * device (vmm/virtio/fs.c) against a fake backend: the other end of a
 * socketpair, driven by the test.  Every request is synchronous, so the
 * fake's answers are queued in the socket before the call and its side
 * of the conversation is read and checked afterwards.
 *
 * Covered: message building; every kind of malformed reply, alone
 * (vhost_user_check_reply) and in a session (short, wrong version, no
 * Reply flag, another request's answer, wrong payload size, descriptors
 * attached, silence, a closed socket, REPLY_ACK refusals, absurd queue
 * counts, GET_VRING_BASE for another ring); the session and ring start
 * sequences with the fds they carry; and the virtio-fs device: config
 * space, offered features, the rings handed over at DRIVER_OK with the
 * addresses queue_enable validated, GET_VRING_BASE at reset, a dead
 * backend marking NEEDS_RESET, and the option parser's --fs/--share/
 * --rootfs rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "unit.h"
#include "../../vmm/vhost/vhost.h"
#include "../../vmm/virtio/virtio.h"
#include "../../vmm/rootfs/rootfs.h"

#define F_VERSION_1	(1ULL << VIRTIO_F_VERSION_1)
#define F_PROTOCOL	(1ULL << VHOST_USER_F_PROTOCOL_FEATURES)
/* What QEMU 7.2's virtiofsd offers (libvhost-user's defaults). */
#define VFSD_FEATURES	0x175000000ULL
#define VFSD_PROTOCOL	0x8c2bULL

/* ---- the fake backend ---- */

struct fake {
	int fe, be;		/* frontend's and backend's ends */
	struct vhost_user vu;
};

static void fake_open(struct fake *f)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	f->fe = sv[0];
	f->be = sv[1];
	vhost_user_attach(&f->vu, f->fe, "test");
	f->vu.reply_timeout_ms = 200;
}

static void fake_close(struct fake *f)
{
	vhost_user_close(&f->vu);
	if (f->be >= 0)
		close(f->be);
}

/* Queue raw bytes (and optionally one fd) as the backend's answer. */
static void raw(struct fake *f, const void *buf, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ck_assert_int_eq(sendmsg(f->be, &mh, 0), (ssize_t)len);
}

static void reply(struct fake *f, uint32_t req, const void *p, uint32_t len)
{
	struct vhost_user_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.request = req;
	m.hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
	m.hdr.size = len;
	memcpy(&m.payload, p, len);
	raw(f, &m, VHOST_USER_HDR_SIZE + len, -1);
}

static void reply_u64(struct fake *f, uint32_t req, uint64_t v)
{
	reply(f, req, &v, sizeof(v));
}

/* Read one request the frontend sent; returns how many fds came. */
static unsigned int next(struct fake *f, struct vhost_user_msg *m, int *fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { .iov_base = m, .iov_len = VHOST_USER_HDR_SIZE };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	unsigned int n = 0;

	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(recvmsg(f->be, &mh, MSG_DONTWAIT),
			 (ssize_t)VHOST_USER_HDR_SIZE);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		n = (unsigned int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
	}
	ck_assert_uint_le(m->hdr.size, sizeof(m->payload));
	if (m->hdr.size)
		ck_assert_int_eq(read(f->be, &m->payload, m->hdr.size),
				 (ssize_t)m->hdr.size);
	ck_assert_uint_eq(m->hdr.flags & VHOST_USER_VERSION_MASK,
			  VHOST_USER_VERSION);
	ck_assert_uint_eq(m->hdr.flags & VHOST_USER_REPLY, 0);
	return n;
}

static void expect(struct fake *f, uint32_t req, struct vhost_user_msg *m,
		   unsigned int nfds)
{
	int fds[8];
	unsigned int i, n = next(f, m, fds);

	ck_assert_msg(m->hdr.request == req, "sent %s, expected %s",
		      vhost_user_request_name(m->hdr.request),
		      vhost_user_request_name(req));
	ck_assert_msg(n == nfds, "%s came with %u fds, expected %u",
		      vhost_user_request_name(req), n, nfds);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

static void nothing_more(struct fake *f)
{
	char c;

	ck_assert_int_lt(recv(f->be, &c, 1, MSG_DONTWAIT), 0);
}

/* The session as virtiofsd answers it, REPLY_ACK and MQ agreed. */
static void queue_setup_answers(struct fake *f, uint64_t features)
{
	reply_u64(f, VHOST_USER_GET_FEATURES, features);
	reply_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES, VFSD_PROTOCOL);
	reply_u64(f, VHOST_USER_GET_QUEUE_NUM, 2);
	reply_u64(f, VHOST_USER_SET_OWNER, 0);
}

static void check_setup_requests(struct fake *f)
{
	struct vhost_user_msg m;

	expect(f, VHOST_USER_GET_FEATURES, &m, 0);
	ck_assert_uint_eq(m.hdr.size, 0);
	expect(f, VHOST_USER_GET_PROTOCOL_FEATURES, &m, 0);
	expect(f, VHOST_USER_SET_PROTOCOL_FEATURES, &m, 0);
	ck_assert_uint_eq(m.payload.u64,
			  1ULL << VHOST_USER_PROTOCOL_F_MQ |
			  1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	expect(f, VHOST_USER_GET_QUEUE_NUM, &m, 0);
	expect(f, VHOST_USER_SET_OWNER, &m, 0);
	ck_assert(m.hdr.flags & VHOST_USER_NEED_REPLY);
}

/* ---- messages alone ---- */

START_TEST(build_request)
{
	struct vhost_user_msg m;
	uint64_t v = 0x1122334455667788ULL;

	ck_assert_uint_eq(vhost_user_build(&m, VHOST_USER_SET_FEATURES, &v,
					   8, true), 20);
	ck_assert_uint_eq(m.hdr.request, VHOST_USER_SET_FEATURES);
	ck_assert_uint_eq(m.hdr.flags, VHOST_USER_VERSION |
			  VHOST_USER_NEED_REPLY);
	ck_assert_uint_eq(m.hdr.size, 8);
	ck_assert_uint_eq(m.payload.u64, v);
	ck_assert_uint_eq(vhost_user_build(&m, VHOST_USER_GET_FEATURES, NULL,
					   0, false), 12);
	ck_assert_uint_eq(m.hdr.flags, VHOST_USER_VERSION);
	ck_assert_str_eq(vhost_user_request_name(VHOST_USER_GET_VRING_BASE),
			 "GET_VRING_BASE");
	ck_assert_str_eq(vhost_user_request_name(0), "unknown request");
	ck_assert_str_eq(vhost_user_request_name(1000), "unknown request");
	/* The wire layout of the structures the payload carries. */
	ck_assert_uint_eq(sizeof(struct vhost_user_hdr), 12);
	ck_assert_uint_eq(sizeof(struct vhost_vring_addr), 40);
	ck_assert_uint_eq(sizeof(struct vhost_user_region), 32);
	ck_assert_uint_eq(sizeof(struct vhost_user_mem), 8 + 8 * 32);
}
END_TEST

/* Each malformed reply is refused with a reason naming the fault. */
static const struct bad_reply {
	uint32_t request, flags, size;
	size_t len;		/* bytes actually there */
	unsigned int nfds;
	const char *why;
} bad_replies[] = {
	{ VHOST_USER_GET_FEATURES, 5, 8, 11, 0, "shorter than a header" },
	{ VHOST_USER_GET_FEATURES, 0 | 4, 8, 20, 0, "protocol version 0" },
	{ VHOST_USER_GET_FEATURES, 2 | 4, 8, 20, 0, "protocol version 2" },
	{ VHOST_USER_GET_FEATURES, 3 | 4, 8, 20, 0, "protocol version 3" },
	{ VHOST_USER_GET_FEATURES, 1, 8, 20, 0, "Reply flag" },
	{ VHOST_USER_GET_PROTOCOL_FEATURES, 5, 8, 20, 0, "answers GET_PROTOCOL_FEATURES" },
	{ VHOST_USER_GET_FEATURES, 5, 4, 16, 0, "4 payload bytes, expected 8" },
	{ VHOST_USER_GET_FEATURES, 5, 0, 12, 0, "0 payload bytes" },
	{ VHOST_USER_GET_FEATURES, 5, 16, 28, 0, "16 payload bytes" },
	{ VHOST_USER_GET_FEATURES, 5, 8, 24, 0, "24 bytes received" },
	{ VHOST_USER_GET_FEATURES, 5, 8, 16, 0, "16 bytes received" },
	{ VHOST_USER_GET_FEATURES, 5, 8, 20, 1, "file descriptor" },
	{ VHOST_USER_GET_VRING_BASE, 5, 4, 16, 0, "expected 8" },
	{ VHOST_USER_SET_VRING_NUM, 5, 0, 12, 0, "0 payload bytes" },
};

START_TEST(check_reply_rejects)
{
	const struct bad_reply *b = &bad_replies[_i];
	uint8_t buf[64] = { 0 };
	struct vhost_user_hdr h = { b->request, b->flags, b->size };
	struct vhost_user_msg out;
	/* The request the reply is checked against. */
	uint32_t req = b->request == VHOST_USER_GET_PROTOCOL_FEATURES ?
		       VHOST_USER_GET_FEATURES : b->request;

	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(vhost_user_check_reply(req, buf, b->len, b->nfds,
						&out), -1);
	ck_assert_msg(strstr(err_msg(), b->why), "'%s' does not say '%s'",
		      err_msg(), b->why);
}
END_TEST

START_TEST(check_reply_accepts)
{
	struct vhost_user_msg in, out;

	memset(&in, 0, sizeof(in));
	in.hdr = (struct vhost_user_hdr){ VHOST_USER_GET_VRING_BASE,
					  VHOST_USER_VERSION | VHOST_USER_REPLY |
					  VHOST_USER_NEED_REPLY, 8 };
	in.payload.state.index = 1;
	in.payload.state.num = 77;
	ck_assert_int_eq(vhost_user_check_reply(VHOST_USER_GET_VRING_BASE,
						&in, 20, 0, &out), 0);
	ck_assert_uint_eq(out.payload.state.num, 77);
	/* An acknowledgement is a u64 too. */
	in.hdr.request = VHOST_USER_SET_MEM_TABLE;
	ck_assert_int_eq(vhost_user_check_reply(VHOST_USER_SET_MEM_TABLE,
						&in, 20, 0, &out), 0);
}
END_TEST

/* ---- sessions ---- */

START_TEST(session_setup)
{
	struct fake f;

	fake_open(&f);
	queue_setup_answers(&f, VFSD_FEATURES);
	ck_assert_int_eq(vhost_user_setup(&f.vu), 0);
	ck_assert_uint_eq(f.vu.features, VFSD_FEATURES);
	ck_assert_uint_eq(f.vu.protocol_features,
			  1ULL << VHOST_USER_PROTOCOL_F_MQ |
			  1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	ck_assert_uint_eq(f.vu.max_queues, 2);
	ck_assert(f.vu.owned && !f.vu.broken);
	check_setup_requests(&f);
	nothing_more(&f);
	fake_close(&f);
}
END_TEST

/* Without PROTOCOL_FEATURES: no protocol negotiation, no acks. */
START_TEST(session_without_protocol_features)
{
	struct vhost_user_msg m;
	struct fake f;

	fake_open(&f);
	reply_u64(&f, VHOST_USER_GET_FEATURES, F_VERSION_1);
	ck_assert_int_eq(vhost_user_setup(&f.vu), 0);
	ck_assert_uint_eq(f.vu.protocol_features, 0);
	expect(&f, VHOST_USER_GET_FEATURES, &m, 0);
	expect(&f, VHOST_USER_SET_OWNER, &m, 0);
	ck_assert_uint_eq(m.hdr.flags & VHOST_USER_NEED_REPLY, 0);
	/* SET_FEATURES carries exactly what the driver took. */
	ck_assert_int_eq(vhost_user_set_features(&f.vu, F_VERSION_1), 0);
	expect(&f, VHOST_USER_SET_FEATURES, &m, 0);
	ck_assert_uint_eq(m.payload.u64, F_VERSION_1);
	nothing_more(&f);
	fake_close(&f);
}
END_TEST

/* Broken answers during setup: each fails the session with one line. */
enum bad_session {
	BS_SHORT_PAYLOAD, BS_HUGE_SIZE, BS_NO_REPLY_FLAG, BS_WRONG_REQ,
	BS_FD, BS_CLOSED, BS_SILENT, BS_QUEUES_0, BS_QUEUES_HUGE, BS_NACK,
	BS_COUNT
};

START_TEST(session_bad_answers)
{
	struct vhost_user_msg m;
	const char *why = NULL;
	struct fake f;
	uint64_t v = F_VERSION_1;

	fake_open(&f);
	memset(&m, 0, sizeof(m));
	m.hdr = (struct vhost_user_hdr){ VHOST_USER_GET_FEATURES,
					 VHOST_USER_VERSION | VHOST_USER_REPLY,
					 8 };
	m.payload.u64 = v;
	switch (_i) {
	case BS_SHORT_PAYLOAD:
		m.hdr.size = 4;
		raw(&f, &m, 16, -1);
		why = "4 payload bytes";
		break;
	case BS_HUGE_SIZE:
		m.hdr.size = 1u << 30;
		raw(&f, &m, 20, -1);
		why = "announces";
		break;
	case BS_NO_REPLY_FLAG:
		m.hdr.flags = VHOST_USER_VERSION;
		raw(&f, &m, 20, -1);
		why = "Reply flag";
		break;
	case BS_WRONG_REQ:
		m.hdr.request = VHOST_USER_GET_QUEUE_NUM;
		raw(&f, &m, 20, -1);
		why = "answers GET_QUEUE_NUM";
		break;
	case BS_FD:
		raw(&f, &m, 20, f.be);
		why = "file descriptor";
		break;
	case BS_CLOSED:
		close(f.be);
		f.be = -1;
		why = "closed the connection";
		break;
	case BS_SILENT:
		why = "did not answer GET_FEATURES";
		break;
	case BS_QUEUES_0:
	case BS_QUEUES_HUGE:
		reply_u64(&f, VHOST_USER_GET_FEATURES, VFSD_FEATURES);
		reply_u64(&f, VHOST_USER_GET_PROTOCOL_FEATURES, VFSD_PROTOCOL);
		reply_u64(&f, VHOST_USER_GET_QUEUE_NUM,
			  _i == BS_QUEUES_0 ? 0 : 100000);
		why = "queues";
		break;
	case BS_NACK:
		reply_u64(&f, VHOST_USER_GET_FEATURES, VFSD_FEATURES);
		reply_u64(&f, VHOST_USER_GET_PROTOCOL_FEATURES, VFSD_PROTOCOL);
		reply_u64(&f, VHOST_USER_GET_QUEUE_NUM, 2);
		reply_u64(&f, VHOST_USER_SET_OWNER, 1);
		why = "refused SET_OWNER (status 1)";
		break;
	}
	ck_assert_int_eq(vhost_user_setup(&f.vu), -1);
	ck_assert(f.vu.broken);
	ck_assert_msg(strstr(err_msg(), why), "'%s' does not say '%s'",
		      err_msg(), why);
	ck_assert_ptr_null(strchr(err_msg(), '\n'));
	/* Broken: nothing more is sent. */
	ck_assert_int_eq(vhost_user_set_features(&f.vu, F_VERSION_1), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "gone"));
	fake_close(&f);
}
END_TEST

/* A ring's start: NUM, ADDR, BASE, CALL + fd, KICK + fd, ENABLE. */
START_TEST(ring_start_and_stop)
{
	struct vhost_user_ring r = {
		.index = 1, .num = 128, .desc = 0x1000, .avail = 0x2000,
		.used = 0x3000, .base = 5, .kick_fd = 0, .call_fd = 1,
	};
	struct vhost_vring_state st = { .index = 1, .num = 42 };
	struct vhost_user_msg m;
	unsigned int base = 0;
	struct fake f;

	fake_open(&f);
	queue_setup_answers(&f, VFSD_FEATURES);
	ck_assert_int_eq(vhost_user_setup(&f.vu), 0);
	check_setup_requests(&f);
	reply_u64(&f, VHOST_USER_SET_VRING_NUM, 0);
	reply_u64(&f, VHOST_USER_SET_VRING_ADDR, 0);
	reply_u64(&f, VHOST_USER_SET_VRING_BASE, 0);
	reply_u64(&f, VHOST_USER_SET_VRING_CALL, 0);
	reply_u64(&f, VHOST_USER_SET_VRING_KICK, 0);
	reply_u64(&f, VHOST_USER_SET_VRING_ENABLE, 0);
	ck_assert_int_eq(vhost_user_ring_start(&f.vu, &r), 0);
	expect(&f, VHOST_USER_SET_VRING_NUM, &m, 0);
	ck_assert_uint_eq(m.payload.state.index, 1);
	ck_assert_uint_eq(m.payload.state.num, 128);
	expect(&f, VHOST_USER_SET_VRING_ADDR, &m, 0);
	ck_assert_uint_eq(m.hdr.size, sizeof(struct vhost_vring_addr));
	ck_assert_uint_eq(m.payload.addr.index, 1);
	ck_assert_uint_eq(m.payload.addr.desc_user_addr, 0x1000);
	ck_assert_uint_eq(m.payload.addr.avail_user_addr, 0x2000);
	ck_assert_uint_eq(m.payload.addr.used_user_addr, 0x3000);
	expect(&f, VHOST_USER_SET_VRING_BASE, &m, 0);
	ck_assert_uint_eq(m.payload.state.num, 5);
	expect(&f, VHOST_USER_SET_VRING_CALL, &m, 1);
	ck_assert_uint_eq(m.payload.u64, 1);
	expect(&f, VHOST_USER_SET_VRING_KICK, &m, 1);
	ck_assert_uint_eq(m.payload.u64, 1);
	expect(&f, VHOST_USER_SET_VRING_ENABLE, &m, 0);
	ck_assert_uint_eq(m.payload.state.num, 1);
	nothing_more(&f);

	reply(&f, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	ck_assert_int_eq(vhost_user_ring_stop(&f.vu, 1, &base), 0);
	ck_assert_uint_eq(base, 42);
	expect(&f, VHOST_USER_GET_VRING_BASE, &m, 0);
	ck_assert_uint_eq(m.payload.state.index, 1);

	/* An answer about another ring is nonsense. */
	st.index = 0;
	reply(&f, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	ck_assert_int_eq(vhost_user_ring_stop(&f.vu, 1, &base), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "answered for ring 0"));
	ck_assert(f.vu.broken);
	fake_close(&f);
}
END_TEST

/* The acknowledgement of the wrong request is not an acknowledgement. */
START_TEST(ack_for_another_request)
{
	struct fake f;

	fake_open(&f);
	queue_setup_answers(&f, VFSD_FEATURES);
	ck_assert_int_eq(vhost_user_setup(&f.vu), 0);
	reply_u64(&f, VHOST_USER_SET_VRING_ADDR, 0);
	ck_assert_int_eq(vhost_user_set_call(&f.vu, 0, 1), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "answers SET_VRING_ADDR"));
	fake_close(&f);
}
END_TEST

/* ---- the virtio-fs device ---- */

#define FS_LOW		(16ULL << 20)
#define COMMON(f)	(VIRTIO_MODERN_COMMON + VIRTIO_PCI_COMMON_##f)

struct fst {
	struct fake f;
	struct vm *vm;
	struct virtio_dev *dev;
	struct fs_config fc;
};

static void fs_open(struct fst *t)
{
	memset(t, 0, sizeof(*t));
	t->vm = calloc(1, sizeof(*t->vm));
	ck_assert_ptr_nonnull(t->vm);
	t->vm->vm_fd = t->vm->kvm_fd = -1;
	ck_assert_int_eq(guest_mem_init(&t->vm->mem, FS_LOW), 0);
	ck_assert_int_ge(t->vm->mem.fd, 0);
	fake_open(&t->f);
	t->fc.socket = "test";
	t->fc.tag = "data";
	queue_setup_answers(&t->f, VFSD_FEATURES);
	t->dev = virtio_fs_new(t->vm, &t->fc, t->f.fe);
	ck_assert_msg(t->dev != NULL, "virtio_fs_new: %s", err_msg());
	check_setup_requests(&t->f);
}

static void fs_close(struct fst *t)
{
	virtio_fs_free(t->dev);
	if (t->f.be >= 0)
		close(t->f.be);
	guest_mem_free(&t->vm->mem);
	free(t->vm);
}

static void mw(struct fst *t, unsigned int off, uint64_t v, unsigned int len)
{
	virtio_modern_write(t->dev, off, v, len);
}

static uint64_t mr(struct fst *t, unsigned int off, unsigned int len)
{
	return virtio_modern_read(t->dev, off, len);
}

START_TEST(fs_config_and_features)
{
	uint64_t f;
	struct fst t;
	char tag[37] = { 0 };
	unsigned int i;

	fs_open(&t);
	ck_assert_uint_eq(t.dev->device_id, 26);
	ck_assert_int_eq(t.dev->kind, VIRTIO_MODERN);
	for (i = 0; i < 36; i++)
		tag[i] = (char)mr(&t, VIRTIO_MODERN_DEVICE + i, 1);
	ck_assert_str_eq(tag, "data");
	ck_assert_uint_eq(mr(&t, VIRTIO_MODERN_DEVICE + 36, 4), 1);
	mw(&t, COMMON(DFSELECT), 0, 4);
	f = mr(&t, COMMON(DF), 4);
	mw(&t, COMMON(DFSELECT), 1, 4);
	f |= mr(&t, COMMON(DF), 4) << 32;
	/* The ring features pass; vhost-user's own bits never reach the
	 * guest (PROTOCOL_FEATURES, LOG_ALL), nor NOTIFY_ON_EMPTY. */
	ck_assert_uint_eq(f, F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			  1ULL << VIRTIO_RING_F_EVENT_IDX);
	ck_assert_uint_eq(mr(&t, COMMON(NUMQ), 2), 2);
	nothing_more(&t.f);
	fs_close(&t);
}
END_TEST

static void place(struct fst *t, unsigned int q, uint64_t base)
{
	mw(t, COMMON(Q_SELECT), q, 2);
	mw(t, COMMON(Q_DESCLO), base, 8);
	mw(t, COMMON(Q_AVAILLO), base + 0x1000, 8);
	mw(t, COMMON(Q_USEDLO), base + 0x2000, 8);
	mw(t, COMMON(Q_ENABLE), 1, 2);
}

static void drive_to_driver_ok(struct fst *t)
{
	mw(t, COMMON(STATUS), VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	mw(t, COMMON(GFSELECT), 0, 4);
	mw(t, COMMON(GF), 1u << VIRTIO_RING_F_EVENT_IDX, 4);
	mw(t, COMMON(GFSELECT), 1, 4);
	mw(t, COMMON(GF), 1, 4);	/* VERSION_1 */
	mw(t, COMMON(STATUS), 0x0b, 1);	/* + FEATURES_OK */
	ck_assert(mr(t, COMMON(STATUS), 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	place(t, 0, 0x100000);
	place(t, 1, 0x200000);
}

static void queue_start_acks(struct fake *f)
{
	unsigned int q;

	reply_u64(f, VHOST_USER_SET_FEATURES, 0);
	reply_u64(f, VHOST_USER_SET_MEM_TABLE, 0);
	for (q = 0; q < 2; q++) {
		reply_u64(f, VHOST_USER_SET_VRING_NUM, 0);
		reply_u64(f, VHOST_USER_SET_VRING_ADDR, 0);
		reply_u64(f, VHOST_USER_SET_VRING_BASE, 0);
		reply_u64(f, VHOST_USER_SET_VRING_CALL, 0);
		reply_u64(f, VHOST_USER_SET_VRING_KICK, 0);
		reply_u64(f, VHOST_USER_SET_VRING_ENABLE, 0);
	}
}

START_TEST(fs_rings_handed_over_and_back)
{
	struct vhost_vring_state st;
	struct vhost_user_msg m;
	struct fst t;
	uint8_t *host;
	unsigned int q;

	fs_open(&t);
	host = t.vm->mem.host;
	drive_to_driver_ok(&t);
	nothing_more(&t.f);		/* nothing before DRIVER_OK */
	queue_start_acks(&t.f);
	mw(&t, COMMON(STATUS), 0x0f, 1);
	virtio_dev_poll(t.dev, 3, false, 0);
	ck_assert_uint_eq(mr(&t, COMMON(STATUS), 1), 0x0f);

	expect(&t.f, VHOST_USER_SET_FEATURES, &m, 0);
	ck_assert_uint_eq(m.payload.u64, F_VERSION_1 | F_PROTOCOL |
			  1ULL << VIRTIO_RING_F_EVENT_IDX);
	expect(&t.f, VHOST_USER_SET_MEM_TABLE, &m, 1);
	ck_assert_uint_eq(m.payload.mem.nregions, 1);
	ck_assert_uint_eq(m.payload.mem.regions[0].guest_phys_addr, 0);
	ck_assert_uint_eq(m.payload.mem.regions[0].memory_size, FS_LOW);
	ck_assert_uint_eq(m.payload.mem.regions[0].userspace_addr,
			  (uintptr_t)host);
	ck_assert_uint_eq(m.payload.mem.regions[0].mmap_offset, 0);
	for (q = 0; q < 2; q++) {
		uint64_t base = q ? 0x200000 : 0x100000;

		expect(&t.f, VHOST_USER_SET_VRING_NUM, &m, 0);
		ck_assert_uint_eq(m.payload.state.num, VIRTIO_FS_QUEUE_SIZE);
		expect(&t.f, VHOST_USER_SET_VRING_ADDR, &m, 0);
		ck_assert_uint_eq(m.payload.addr.index, q);
		ck_assert_uint_eq(m.payload.addr.desc_user_addr,
				  (uintptr_t)(host + base));
		ck_assert_uint_eq(m.payload.addr.avail_user_addr,
				  (uintptr_t)(host + base + 0x1000));
		ck_assert_uint_eq(m.payload.addr.used_user_addr,
				  (uintptr_t)(host + base + 0x2000));
		expect(&t.f, VHOST_USER_SET_VRING_BASE, &m, 0);
		ck_assert_uint_eq(m.payload.state.num, 0);
		expect(&t.f, VHOST_USER_SET_VRING_CALL, &m, 1);
		expect(&t.f, VHOST_USER_SET_VRING_KICK, &m, 1);
		expect(&t.f, VHOST_USER_SET_VRING_ENABLE, &m, 0);
	}
	nothing_more(&t.f);
	/* Another pass does not start them twice. */
	virtio_dev_poll(t.dev, 3, false, 0);
	nothing_more(&t.f);

	/* Reset: each ring comes back with GET_VRING_BASE. */
	for (q = 0; q < 2; q++) {
		st = (struct vhost_vring_state){ .index = q, .num = 9 };
		reply(&t.f, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	}
	mw(&t, COMMON(STATUS), 0, 1);
	for (q = 0; q < 2; q++) {
		expect(&t.f, VHOST_USER_GET_VRING_BASE, &m, 0);
		ck_assert_uint_eq(m.payload.state.index, q);
	}
	nothing_more(&t.f);
	ck_assert_uint_eq(mr(&t, COMMON(STATUS), 1), 0);
	fs_close(&t);
}
END_TEST

/* The backend's signal on our own call eventfd becomes the queue's
 * interrupt (INTx here: MSI-X is off). */
START_TEST(fs_forwards_calls_without_msix)
{
	struct fst t;
	uint64_t one = 1;
	int fds[8];
	struct vhost_user_msg m;
	int call = -1;
	unsigned int n;

	fs_open(&t);
	drive_to_driver_ok(&t);
	queue_start_acks(&t.f);
	mw(&t, COMMON(STATUS), 0x0f, 1);
	virtio_dev_poll(t.dev, 3, false, 0);
	expect(&t.f, VHOST_USER_SET_FEATURES, &m, 0);
	expect(&t.f, VHOST_USER_SET_MEM_TABLE, &m, 1);
	expect(&t.f, VHOST_USER_SET_VRING_NUM, &m, 0);
	expect(&t.f, VHOST_USER_SET_VRING_ADDR, &m, 0);
	expect(&t.f, VHOST_USER_SET_VRING_BASE, &m, 0);
	n = next(&t.f, &m, fds);
	ck_assert_uint_eq(m.hdr.request, VHOST_USER_SET_VRING_CALL);
	ck_assert_uint_eq(n, 1);
	call = fds[0];
	ck_assert_uint_eq(t.dev->stats.irqs, 0);
	ck_assert_int_eq(write(call, &one, sizeof(one)), sizeof(one));
	virtio_dev_poll(t.dev, 0, true, 0);
	ck_assert_uint_eq(t.dev->stats.irqs, 1);
	/* ISR says "queue", and reading it clears it. */
	ck_assert_uint_eq(mr(&t, VIRTIO_MODERN_ISR, 1), 1);
	ck_assert_uint_eq(mr(&t, VIRTIO_MODERN_ISR, 1), 0);
	close(call);
	/* Leave the rest unread; the reset at close gets no answers. */
	t.f.vu.reply_timeout_ms = 50;
	fs_close(&t);
}
END_TEST

/* The backend hangs up: NEEDS_RESET, the guest carries on. */
START_TEST(fs_backend_dies)
{
	struct fst t;

	fs_open(&t);
	drive_to_driver_ok(&t);
	close(t.f.be);
	t.f.be = -1;
	mw(&t, COMMON(STATUS), 0x0f, 1);
	virtio_dev_poll(t.dev, 3, true, 0);
	ck_assert(mr(&t, COMMON(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(t.dev->stats.needs_reset, 1);
	/* A reset with the backend gone sends nothing and clears it. */
	mw(&t, COMMON(STATUS), 0, 1);
	ck_assert_uint_eq(mr(&t, COMMON(STATUS), 1), 0);
	fs_close(&t);
}
END_TEST

/* A backend without VERSION_1 cannot serve a modern-only device. */
START_TEST(fs_refuses_legacy_backend)
{
	struct fs_config fc = { .socket = "x", .tag = "t" };
	struct vm *vm = calloc(1, sizeof(*vm));
	struct fake f;

	ck_assert_ptr_nonnull(vm);
	vm->vm_fd = vm->kvm_fd = -1;
	ck_assert_int_eq(guest_mem_init(&vm->mem, FS_LOW), 0);
	fake_open(&f);
	reply_u64(&f, VHOST_USER_GET_FEATURES, 1ULL << VIRTIO_RING_F_EVENT_IDX);
	ck_assert_ptr_null(virtio_fs_new(vm, &fc, f.fe));
	ck_assert_ptr_nonnull(strstr(err_msg(), "VIRTIO_F_VERSION_1"));
	close(f.be);
	guest_mem_free(&vm->mem);
	free(vm);
}
END_TEST

/* ---- --rootfs pieces ---- */

START_TEST(guest_cwd)
{
	char out[256];

	ck_assert_str_eq(rootfs_guest_cwd("/", "/home/u", out, sizeof(out)),
			 "/home/u");
	ck_assert_str_eq(rootfs_guest_cwd("/srv/root", "/srv/root/x/y", out,
					  sizeof(out)), "/x/y");
	ck_assert_str_eq(rootfs_guest_cwd("/srv/root/", "/srv/root", out,
					  sizeof(out)), "/");
	ck_assert_str_eq(rootfs_guest_cwd("/srv/root", "/srv/rootless", out,
					  sizeof(out)), "/");
	ck_assert_str_eq(rootfs_guest_cwd("/srv/root", "/tmp", out,
					  sizeof(out)), "/");
}
END_TEST

START_TEST(cpio_newc_layout)
{
	struct cpio c = { 0 };

	ck_assert_int_eq(cpio_add(&c, "dev", 040755, NULL, 0, 0, 0), 0);
	ck_assert_uint_eq(c.len, 116);	/* 110 + "dev\0" + pad to 4 */
	ck_assert_int_eq(memcmp(c.buf, "070701", 6), 0);
	ck_assert_int_eq(memcmp(c.buf + 14, "000041ED", 8), 0);	/* mode */
	ck_assert_int_eq(memcmp(c.buf + 94, "00000004", 8), 0);	/* namesize */
	ck_assert_int_eq(cpio_add(&c, "a", 0100644, "xyz", 3, 0, 0), 0);
	ck_assert_uint_eq(c.len, 116 + 112 + 4);
	ck_assert_int_eq(memcmp(c.buf + 116 + 54, "00000003", 8), 0);
	ck_assert_int_eq(memcmp(c.buf + 116 + 112, "xyz\0", 4), 0);
	ck_assert_int_eq(cpio_add(&c, "dev/console", 020600, NULL, 0, 5, 1),
			 0);
	ck_assert_int_eq(cpio_finish(&c), 0);
	ck_assert_uint_eq(c.len % 4, 0);
	ck_assert_ptr_nonnull(memmem(c.buf, c.len, "TRAILER!!!", 11));
	cpio_free(&c);
}
END_TEST

Suite *vhost_suite(void)
{
	Suite *s = suite_create("vhost-user and virtio-fs");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, build_request);
	tcase_add_loop_test(tc, check_reply_rejects, 0,
			    sizeof(bad_replies) / sizeof(bad_replies[0]));
	tcase_add_test(tc, check_reply_accepts);
	tcase_add_test(tc, session_setup);
	tcase_add_test(tc, session_without_protocol_features);
	tcase_add_loop_test(tc, session_bad_answers, 0, BS_COUNT);
	tcase_add_test(tc, ring_start_and_stop);
	tcase_add_test(tc, ack_for_another_request);
	tcase_add_test(tc, fs_config_and_features);
	tcase_add_test(tc, fs_rings_handed_over_and_back);
	tcase_add_test(tc, fs_forwards_calls_without_msix);
	tcase_add_test(tc, fs_backend_dies);
	tcase_add_test(tc, fs_refuses_legacy_backend);
	tcase_add_test(tc, guest_cwd);
	tcase_add_test(tc, cpio_newc_layout);
	suite_add_tcase(s, tc);
	return s;
}
