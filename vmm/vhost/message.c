// SPDX-License-Identifier: GPL-2.0
/*
 * message.c - vhost-user messages: "a header followed by a payload of
 * `size` bytes" (vhost-user.rst, "Message Specification"), requests built
 * here and every reply checked here before a field of it is used.
 *
 * The replies we take are the ones the spec defines for our requests:
 * GET_FEATURES, GET_PROTOCOL_FEATURES and GET_QUEUE_NUM answer a u64,
 * GET_VRING_BASE a vring state, and with REPLY_ACK agreed any request
 * sent with need_reply is answered by a u64 that is zero on success.  A
 * reply must carry "the same request code" with the Reply flag and
 * version 1, exactly its payload and no file descriptors.
 */
#include <string.h>

#include "vhost.h"

static const char *const names[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
};

const char *vhost_user_request_name(uint32_t request)
{
	if (request < VHOST_USER_REQUEST_MAX && names[request])
		return names[request];
	return "unknown request";
}

size_t vhost_user_build(struct vhost_user_msg *m, uint32_t req,
			const void *payload, uint32_t len, bool need_reply)
{
	memset(m, 0, sizeof(*m));
	if (len > sizeof(m->payload))
		len = sizeof(m->payload);
	m->hdr.request = req;
	m->hdr.flags = VHOST_USER_VERSION |
		       (need_reply ? VHOST_USER_NEED_REPLY : 0);
	m->hdr.size = len;
	if (len)
		memcpy(&m->payload, payload, len);
	return VHOST_USER_HDR_SIZE + len;
}

uint32_t vhost_user_reply_size(uint32_t req)
{
	switch (req) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
		return sizeof(uint64_t);
	case VHOST_USER_GET_VRING_BASE:
		return sizeof(struct vhost_vring_state);
	default:
		/* A REPLY_ACK answer: "a u64 payload ... zero for success". */
		return sizeof(uint64_t);
	}
}

int vhost_user_check_reply(uint32_t req, const void *buf, size_t len,
			   unsigned int nfds, struct vhost_user_msg *out)
{
	struct vhost_user_hdr h;
	uint32_t want = vhost_user_reply_size(req);
	const char *rn = vhost_user_request_name(req);

	if (len < VHOST_USER_HDR_SIZE) {
		err_set("reply to %s: %zu bytes, shorter than a header", rn,
			len);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if ((h.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
		err_set("reply to %s: protocol version %u, not 1", rn,
			h.flags & VHOST_USER_VERSION_MASK);
		return -1;
	}
	if (!(h.flags & VHOST_USER_REPLY)) {
		err_set("reply to %s: the Reply flag is not set", rn);
		return -1;
	}
	if (h.request != req) {
		err_set("reply to %s: answers %s (%u) instead", rn,
			vhost_user_request_name(h.request), h.request);
		return -1;
	}
	if (h.size != want) {
		err_set("reply to %s: %u payload bytes, expected %u", rn,
			h.size, want);
		return -1;
	}
	if (len != VHOST_USER_HDR_SIZE + want) {
		err_set("reply to %s: %zu bytes received for a %u-byte payload",
			rn, len, want);
		return -1;
	}
	if (nfds) {
		err_set("reply to %s: carries %u file descriptor(s)", rn,
			nfds);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, buf, len);
	return 0;
}
