// SPDX-License-Identifier: GPL-2.0
/*
 * vhost.c - fuzz what a vhost-user backend sends us (vmm/vhost).
 *
 * Input byte 0 picks the mode.  Even: bytes 1 and 2 are a request code
 * and a descriptor count, the rest one reply, checked alone by
 * vhost_user_check_reply().  Odd: the rest is the backend's whole side of
 * a conversation - written into one end of a socketpair which is then
 * closed - while the frontend runs a session on the other: setup,
 * SET_FEATURES, SET_MEM_TABLE, a ring start and a ring stop, as the
 * virtio-fs device does.  The backend's stream can be anything: replies
 * split or merged at any byte, huge sizes, wrong codes, early EOF.
 *
 * Checked: an accepted reply answers the request, with version 1, the
 * Reply flag and exactly its payload size; a session either succeeds
 * with sane results (protocol features only ours, a queue count within
 * bounds, GET_VRING_BASE about the ring asked) or fails with one line and
 * the connection marked broken, after which nothing more is sent.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "../../vmm/vhost/vhost.h"

#define OURS	(1ULL << VHOST_USER_PROTOCOL_F_MQ | \
		 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void one_reply(const uint8_t *data, size_t size)
{
	struct vhost_user_msg out;
	uint32_t req;
	unsigned int nfds;

	if (size < 3)
		return;
	req = data[1] % (VHOST_USER_REQUEST_MAX + 2);
	nfds = data[2] & 3;
	if (vhost_user_check_reply(req, data + 3, size - 3, nfds, &out) < 0) {
		FUZZ_ASSERT(!strchr(err_msg(), '\n'), "two-line error");
		return;
	}
	FUZZ_ASSERT(out.hdr.request == req, "answered %u for %u",
		    out.hdr.request, req);
	FUZZ_ASSERT((out.hdr.flags & 3) == 1 && (out.hdr.flags & 4),
		    "flags 0x%x", out.hdr.flags);
	FUZZ_ASSERT(out.hdr.size == vhost_user_reply_size(req) &&
		    size - 3 == VHOST_USER_HDR_SIZE + out.hdr.size && !nfds,
		    "size %u", out.hdr.size);
}

static void check_failed(struct vhost_user *vu)
{
	FUZZ_ASSERT(vu->broken, "failed but not broken");
	FUZZ_ASSERT(!strchr(err_msg(), '\n'), "two-line error");
	/* Broken: the next request must not be sent. */
	FUZZ_ASSERT(vhost_user_set_call(vu, 0, 0) < 0, "sent when broken");
}

static void session(const uint8_t *data, size_t size)
{
	struct vhost_user_region r = {
		.guest_phys_addr = 0, .memory_size = 1 << 20,
		.userspace_addr = 0x7f0000000000ULL,
	};
	struct vhost_user_ring ring = {
		.index = 1, .num = 128, .desc = 0x1000, .avail = 0x2000,
		.used = 0x3000,
	};
	struct vhost_user vu;
	unsigned int base = 0;
	int sv[2], efd;

	if (size > 16384)
		size = 16384;	/* well inside the socket buffer */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	if (size && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	/* End of the backend's stream: reads past it see EOF at once. */
	close(sv[1]);
	efd = eventfd(0, EFD_CLOEXEC);
	ring.kick_fd = ring.call_fd = efd;
	vhost_user_attach(&vu, sv[0], "fuzz");
	vu.reply_timeout_ms = 1000;
	if (vhost_user_setup(&vu) < 0) {
		check_failed(&vu);
		goto out;
	}
	FUZZ_ASSERT(!(vu.protocol_features & ~OURS), "protocol 0x%llx",
		    (unsigned long long)vu.protocol_features);
	FUZZ_ASSERT(vu.max_queues <= VHOST_USER_MAX_QUEUES, "%u queues",
		    vu.max_queues);
	if (vhost_user_set_features(&vu, 1ULL << 32) < 0 ||
	    vhost_user_set_mem_table(&vu, &r, &efd, 1) < 0 ||
	    vhost_user_ring_start(&vu, &ring) < 0) {
		check_failed(&vu);
		goto out;
	}
	if (vhost_user_ring_stop(&vu, 1, &base) < 0) {
		check_failed(&vu);
		goto out;
	}
out:
	vhost_user_close(&vu);
	if (efd >= 0)
		close(efd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		session(data + 1, size - 1);
	else
		one_reply(data, size);
	return 0;
}
