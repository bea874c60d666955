/* SPDX-License-Identifier: GPL-2.0 */
/*
 * net.h - interface of vmm/net: the host end of a guest network card.
 *
 *   tap.c   a Linux tap device opened through /dev/net/tun: one
 *           Ethernet frame per read() or write(), each behind a virtio
 *           net header the kernel fills in and parses itself
 *           (IFF_VNET_HDR), so the device can hand guest buffers to the
 *           kernel as they are.
 *   mac.c   MAC addresses: parsing --net's mac=, and the stable default
 *           each interface gets.
 *
 * A tap can also be stood in for by any descriptor that keeps message
 * boundaries (a SOCK_SEQPACKET socketpair in the unit tests): reads and
 * writes behave alike, and the ioctls that only a tap understands are
 * remembered instead of issued.
 */
#ifndef LIGHTVM_NET_H
#define LIGHTVM_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "../lightvm.h"

#define NET_MAC_LEN		6
#define NET_MAC_STR_LEN		18	/* "52:54:00:12:34:56" + NUL */
#define NET_ETH_HLEN		14	/* destination, source, ethertype */
/*
 * The largest frame either side may hand the other, without the virtio
 * header: a 64 KiB GSO packet (Linux caps skb->len at 65536) plus room
 * for an Ethernet header with one VLAN tag.
 */
#define NET_MAX_FRAME		(65536 + NET_ETH_HLEN + 4)
/* Ethernet frame without FCS, with one VLAN tag: 1514 + 4. */
#define NET_ETH_MAX_NO_GSO	(1514 + 4)

struct tap;

/*
 * Attach to the tap device `ifname` (created by `ip tuntap add IFNAME
 * mode tap`), or create it when it does not exist and we may (it then
 * lives as long as lightvm and is down until someone configures it).
 * NULL with err_set() naming the problem: no /dev/net/tun, no such tap
 * and no permission to create one, in use by another process, not a tap.
 */
struct tap *net_tap_open(const char *ifname);
/* A stand-in that owns `fd` (message-preserving: one frame per call). */
struct tap *net_tap_from_fd(int fd, const char *name);
void net_tap_close(struct tap *t);

int net_tap_fd(const struct tap *t);
const char *net_tap_name(const struct tap *t);
/* Whether net_tap_open() created the interface rather than found it. */
bool net_tap_created(const struct tap *t);

/*
 * TUNSETVNETHDRSZ: how long the virtio header in front of every frame is
 * (10, or 12 with the mergeable-buffers num_buffers field).  0 or -errno.
 */
int net_tap_set_vnet_hdr_len(struct tap *t, unsigned int len);
unsigned int net_tap_vnet_hdr_len(const struct tap *t);
/*
 * TUNSETOFFLOAD: what the kernel may send us (TUN_F_CSUM: partial
 * checksums, TUN_F_TSO4/6: TCP segments up to 64 KiB).  0 or -errno.
 */
int net_tap_set_offload(struct tap *t, unsigned int tun_flags);
unsigned int net_tap_offload(const struct tap *t);

/*
 * One frame, header included.  Nonblocking: -EAGAIN when nothing is
 * queued (read).  A frame longer than the iovecs is cut short, and the
 * result is then the iovecs' total: callers that must know append a
 * spare buffer.  Other errors come back as -errno.
 */
ssize_t net_tap_read(struct tap *t, const struct iovec *iov,
		     unsigned int cnt);
ssize_t net_tap_write(struct tap *t, const struct iovec *iov,
		      unsigned int cnt);

/*
 * "52:54:00:12:34:56" (hex digits, either case, ':' or '-').  0, or -1
 * with err_set() saying what is wrong: the syntax, a multicast address
 * (bit 0 of the first byte: a NIC must have a unicast one) or all
 * zeroes.  `what` prefixes the message ("--net tap0").
 */
int net_parse_mac(const char *s, uint8_t mac[NET_MAC_LEN], const char *what);
/* 52:54:00 (locally administered) + 3 bytes of a hash of the name. */
void net_default_mac(const char *ifname, uint8_t mac[NET_MAC_LEN]);
void net_format_mac(const uint8_t mac[NET_MAC_LEN],
		    char buf[NET_MAC_STR_LEN]);

#endif
