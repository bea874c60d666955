/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost.h - interface of vmm/vhost: the frontend side of the vhost-user
 * protocol (QEMU's docs/interop/vhost-user.rst) - messages and reply
 * validation (message.c), a connection to one backend (vhost_user.c) -
 * and Debian's virtiofsd run as a managed backend (virtiofsd.c).
 *
 * A backend serves virtqueues out of guest RAM it maps itself (the memfd
 * regions of SET_MEM_TABLE), is kicked through the KVM ioeventfds and
 * signals through eventfds we hand it, so the data path never enters
 * lightvm.  Everything it sends back is hostile input: every reply is
 * checked here before any field is used.
 */
#ifndef LIGHTVM_VHOST_H
#define LIGHTVM_VHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vhost_types.h>

#include "../lightvm.h"

/* "Master message types" of vhost-user.rst (front-end requests). */
enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_REQUEST_MAX = 19,	/* names below this */
};

/* Header flags: "Version: bits 0-1 ... currently 0x1; Reply: bit 2;
 * Need_reply: bit 3". */
#define VHOST_USER_VERSION		0x1
#define VHOST_USER_VERSION_MASK		0x3
#define VHOST_USER_REPLY		(1u << 2)
#define VHOST_USER_NEED_REPLY		(1u << 3)

/* Virtio feature bit 30 in GET/SET_FEATURES: the backend speaks the
 * protocol-feature extension.  Never offered to the guest. */
#define VHOST_USER_F_PROTOCOL_FEATURES	30
/* Protocol features we use. */
#define VHOST_USER_PROTOCOL_F_MQ	0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK	3

/* SET_VRING_KICK/CALL payload: the queue in bits 0-7, bit 8 set when no
 * fd is passed. */
#define VHOST_USER_VRING_IDX_MASK	0xff
#define VHOST_USER_VRING_NOFD		(1u << 8)

#define VHOST_USER_MAX_REGIONS		8	/* the baseline table */
#define VHOST_USER_MAX_QUEUES		256

struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;			/* payload bytes that follow */
} __attribute__((packed));

struct vhost_user_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;	/* where our mapping has it */
	uint64_t mmap_offset;		/* into the region's fd */
};

struct vhost_user_mem {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
};

union vhost_user_payload {
	uint64_t u64;
	struct vhost_vring_state state;
	struct vhost_vring_addr addr;
	struct vhost_user_mem mem;
};

struct vhost_user_msg {
	struct vhost_user_hdr hdr;
	union vhost_user_payload payload;
} __attribute__((packed));

#define VHOST_USER_HDR_SIZE	sizeof(struct vhost_user_hdr)

/* ---- message.c: building requests and checking replies ---- */

const char *vhost_user_request_name(uint32_t request);
/* Fill m as request `req` carrying `len` payload bytes (copied from
 * payload, may be NULL for 0); returns the bytes to send. */
size_t vhost_user_build(struct vhost_user_msg *m, uint32_t req,
			const void *payload, uint32_t len, bool need_reply);
/* The payload size a reply to `req` must have: 8 (u64 or vring state),
 * or 0 when the request has no reply of its own. */
uint32_t vhost_user_reply_size(uint32_t req);
/*
 * Check a received reply to request `req` (buf: header and payload, len
 * bytes; nfds: file descriptors that came with it).  0 with *out filled,
 * or -1 with err_set() naming what was wrong: short, wrong version, not
 * flagged as a reply, another request's reply, a payload of the wrong
 * size, descriptors where none belong.
 */
int vhost_user_check_reply(uint32_t req, const void *buf, size_t len,
			   unsigned int nfds, struct vhost_user_msg *out);

/* ---- vhost_user.c: one connection to a backend ---- */

struct vhost_user {
	int fd;				/* the UNIX stream socket, or -1 */
	char name[64];			/* for messages: "virtio-fs data" */
	uint64_t features;		/* what GET_FEATURES offered */
	uint64_t protocol_features;	/* agreed with SET_PROTOCOL_FEATURES */
	unsigned int max_queues;	/* GET_QUEUE_NUM, or 0: not said */
	unsigned int reply_timeout_ms;	/* a backend this slow is dead */
	bool owned;			/* SET_OWNER sent */
	bool broken;			/* gave up on it: no more messages */
};

/* Connect to the backend listening at path.  0, or -1 with err_set(). */
int vhost_user_connect(struct vhost_user *vu, const char *path,
		       const char *name);
/* Use an already-connected socket (tests pass one end of a socketpair);
 * the connection owns fd from now on. */
void vhost_user_attach(struct vhost_user *vu, int fd, const char *name);
/* The session's start: GET_FEATURES, the protocol features we both know
 * (REPLY_ACK, MQ), SET_OWNER.  0, or -1 with err_set() (and broken set). */
int vhost_user_setup(struct vhost_user *vu);
/* SET_FEATURES: the virtio features the driver accepted (plus
 * PROTOCOL_FEATURES when the backend offered it, as the spec asks). */
int vhost_user_set_features(struct vhost_user *vu, uint64_t features);
int vhost_user_set_mem_table(struct vhost_user *vu,
			     const struct vhost_user_region *r,
			     const int *fds, unsigned int n);

/* One ring, in the backend's terms: the host addresses of its parts. */
struct vhost_user_ring {
	unsigned int index;
	unsigned int num;
	uint64_t desc, avail, used;	/* userspace (our mapping) addresses */
	unsigned int base;		/* next avail index to use */
	int kick_fd, call_fd;
};
/* SET_VRING_NUM, ADDR, BASE, KICK, CALL and, when protocol features
 * were agreed (rings then start disabled), SET_VRING_ENABLE 1. */
int vhost_user_ring_start(struct vhost_user *vu,
			  const struct vhost_user_ring *r);
/* SET_VRING_CALL alone: where the backend signals this ring now. */
int vhost_user_set_call(struct vhost_user *vu, unsigned int index, int fd);
/* GET_VRING_BASE: the backend stops the ring and says where it was. */
int vhost_user_ring_stop(struct vhost_user *vu, unsigned int index,
			 unsigned int *base);
void vhost_user_close(struct vhost_user *vu);

/* ---- virtiofsd.c: Debian's virtio-fs file server as a child ---- */

#define VIRTIOFSD_PATH		"/usr/lib/qemu/virtiofsd"

struct virtiofsd {
	pid_t pid;			/* 0: not running */
	char dir[64];			/* our private directory... */
	char socket[128];		/* ...holding its socket */
	char root[128];			/* ...where it sees DIR */
	char log[128];			/* ...and its messages */
	const char *shared;		/* the directory it serves */
};

/* Whether virtiofsd can serve `dir` at all: it is installed, and dir is a
 * readable directory.  0, or -1 with err_set() naming the problem. */
int virtiofsd_check(const char *dir);
/*
 * Start virtiofsd serving `dir` (through a bind mount in a mount
 * namespace of its own; read-only when ro, so the host enforces it) and
 * wait for its socket.  The child dies with us (PR_SET_PDEATHSIG).
 * 0, or -1 with err_set(): no virtiofsd, DIR not a readable directory,
 * the daemon exited or never listened.
 */
int virtiofsd_start(struct virtiofsd *d, const char *dir, bool ro,
		    const char *cache);
/* The last line virtiofsd logged, quoted, for an error message. */
const char *virtiofsd_last_words(const struct virtiofsd *d, char *buf,
				 size_t len);
/* Whether it is still running (reaps it when it is not). */
bool virtiofsd_alive(struct virtiofsd *d);
/* SIGTERM, then SIGKILL after a grace period; remove its socket. */
void virtiofsd_stop(struct virtiofsd *d);

#endif
