// SPDX-License-Identifier: GPL-2.0
/*
 * net_frame.c - the bytes of the few frames the network test kernels
 * exchange with the host kernel behind a tap: Ethernet headers, ARP
 * requests and replies (RFC 826), ICMP echo requests (RFC 792) over IPv4
 * with the Internet checksum (RFC 1071), and the checks a reply must
 * pass.  No device access here: virtio_net.c (and the test kernels'
 * own drivers) move these frames.
 *
 * Multi-byte fields on the wire are big-endian.
 */
#include "runtime.h"

void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void net_put32(uint8_t *p, uint32_t v)
{
	net_put16(p, v >> 16);
	net_put16(p + 2, (uint16_t)v);
}

uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071: the one's complement of the one's complement sum. */
uint16_t net_csum(const uint8_t *p, unsigned int len)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += net_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void net_eth_header(uint8_t *p, const uint8_t *dst, const uint8_t *src,
		    uint16_t type)
{
	memcpy(p, dst, ETH_ALEN);
	memcpy(p + ETH_ALEN, src, ETH_ALEN);
	net_put16(p + 2 * ETH_ALEN, type);
}

unsigned int net_build_arp(uint8_t *p, const struct net_ends *e, uint16_t op,
			   const uint8_t *tha, const uint8_t *tpa,
			   const uint8_t *eth_dst)
{
	uint8_t *a = p + ETH_HLEN;

	net_eth_header(p, eth_dst, e->mac, ETH_P_ARP);
	net_put16(a, 1);			/* hardware: Ethernet */
	net_put16(a + 2, ETH_P_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	net_put16(a + 6, op);
	memcpy(a + 8, e->mac, ETH_ALEN);
	memcpy(a + 14, e->ip, 4);
	memcpy(a + 18, tha, ETH_ALEN);
	memcpy(a + 24, tpa, 4);
	return ETH_HLEN + NET_ARP_LEN;
}

unsigned int net_build_arp_request(uint8_t *p, const struct net_ends *e)
{
	static const uint8_t zero[ETH_ALEN];
	uint8_t bcast[ETH_ALEN];

	memset(bcast, 0xff, sizeof(bcast));
	return net_build_arp(p, e, NET_ARP_REQUEST, zero, e->peer_ip, bcast);
}

bool net_is_arp_request_for_us(const uint8_t *f, unsigned int len,
			       const struct net_ends *e)
{
	const uint8_t *a = f + ETH_HLEN;

	return len >= ETH_HLEN + NET_ARP_LEN &&
	       net_get16(f + 12) == ETH_P_ARP &&
	       net_get16(a + 6) == NET_ARP_REQUEST &&
	       !memcmp(a + 24, e->ip, 4);
}

unsigned int net_build_arp_reply(uint8_t *p, const struct net_ends *e,
				 const uint8_t *req)
{
	const uint8_t *a = req + ETH_HLEN;

	return net_build_arp(p, e, NET_ARP_REPLY, a + 8, a + 14, a + 8);
}

bool net_is_arp_reply(const uint8_t *f, unsigned int len,
		      const struct net_ends *e)
{
	const uint8_t *a = f + ETH_HLEN;

	return len >= ETH_HLEN + NET_ARP_LEN &&
	       net_get16(f + 12) == ETH_P_ARP &&
	       net_get16(a + 6) == NET_ARP_REPLY &&
	       !memcmp(a + 14, e->peer_ip, 4) && !memcmp(a + 18, e->mac, 6) &&
	       !memcmp(a + 24, e->ip, 4) && !memcmp(f, e->mac, 6);
}

uint8_t net_echo_byte(uint16_t seq, unsigned int i)
{
	return (uint8_t)(seq * 7 + i * 13 + (i >> 8));
}

unsigned int net_build_echo(uint8_t *p, const struct net_ends *e,
			    uint16_t seq, unsigned int size)
{
	uint8_t *ip = p + ETH_HLEN, *icmp = ip + NET_IP_HLEN;
	unsigned int i, total = NET_IP_HLEN + NET_ICMP_HLEN + size;

	net_eth_header(p, e->peer_mac, e->mac, ETH_P_IP);
	memset(ip, 0, NET_IP_HLEN);
	ip[0] = 0x45;			/* IPv4, 5 words of header */
	net_put16(ip + 2, (uint16_t)total);
	net_put16(ip + 4, seq);		/* identification */
	net_put16(ip + 6, 0x4000);	/* don't fragment */
	ip[8] = 64;			/* TTL */
	ip[9] = 1;			/* ICMP */
	memcpy(ip + 12, e->ip, 4);
	memcpy(ip + 16, e->peer_ip, 4);
	net_put16(ip + 10, net_csum(ip, NET_IP_HLEN));
	icmp[0] = NET_ICMP_ECHO;
	icmp[1] = 0;
	net_put16(icmp + 2, 0);
	net_put16(icmp + 4, NET_ECHO_ID);
	net_put16(icmp + 6, seq);
	for (i = 0; i < size; i++)
		icmp[NET_ICMP_HLEN + i] = net_echo_byte(seq, i);
	net_put16(icmp + 2, net_csum(icmp, NET_ICMP_HLEN + size));
	return ETH_HLEN + total;
}

bool net_is_echo_reply(const uint8_t *f, unsigned int len, uint16_t seq)
{
	const uint8_t *ip = f + ETH_HLEN, *icmp = ip + NET_IP_HLEN;

	return len >= ETH_HLEN + NET_IP_HLEN + NET_ICMP_HLEN &&
	       net_get16(f + 12) == ETH_P_IP && ip[9] == 1 &&
	       icmp[0] == NET_ICMP_ECHO_REPLY &&
	       net_get16(icmp + 4) == NET_ECHO_ID &&
	       net_get16(icmp + 6) == seq;
}

int net_check_echo_reply(const uint8_t *f, unsigned int len,
			 const struct net_ends *e, uint16_t seq,
			 unsigned int size)
{
	const uint8_t *ip = f + ETH_HLEN, *icmp = ip + NET_IP_HLEN;
	unsigned int i, want = ETH_HLEN + NET_IP_HLEN + NET_ICMP_HLEN + size;

	/* Short frames may be padded to the 60-byte Ethernet minimum. */
	if (len != want && !(want < NET_ETH_ZLEN && len == NET_ETH_ZLEN)) {
		printf("FAIL: echo reply seq %u: %u bytes, expected %u\n",
		       seq, len, want);
		return -1;
	}
	if (memcmp(f, e->mac, 6) || memcmp(f + 6, e->peer_mac, 6) ||
	    memcmp(ip + 12, e->peer_ip, 4) || memcmp(ip + 16, e->ip, 4) ||
	    net_get16(ip + 2) != want - ETH_HLEN ||
	    net_csum(ip, NET_IP_HLEN) ||
	    net_csum(icmp, NET_ICMP_HLEN + size)) {
		printf("FAIL: echo reply seq %u: bad addresses or checksums\n",
		       seq);
		return -1;
	}
	for (i = 0; i < size; i++) {
		if (icmp[NET_ICMP_HLEN + i] != net_echo_byte(seq, i)) {
			printf("FAIL: echo reply seq %u: payload byte %u is %02x, expected %02x\n",
			       seq, i, icmp[NET_ICMP_HLEN + i],
			       net_echo_byte(seq, i));
			return -1;
		}
	}
	return 0;
}
