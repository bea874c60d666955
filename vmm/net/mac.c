// SPDX-License-Identifier: GPL-2.0
/*
 * mac.c - the guest NIC's Ethernet address.
 *
 * IEEE 802: bit 0 of the first byte is the group (multicast) bit, which a
 * station address must not have; bit 1 marks a locally administered
 * address, one nobody bought from the IEEE.  The default 52:54:00 prefix
 * has bit 1 set and bit 0 clear (it is the prefix QEMU and libvirt use,
 * so tools that recognise VM addresses recognise ours); the last three
 * bytes come from the interface name, so a VM on tap0 keeps its address
 * from run to run - the host's ARP caches and DHCP leases stay valid -
 * while VMs on different taps differ.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "net.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int net_parse_mac(const char *s, uint8_t mac[NET_MAC_LEN], const char *what)
{
	uint8_t m[NET_MAC_LEN];
	char sep = 0;
	unsigned int i;

	for (i = 0; i < NET_MAC_LEN; i++, s += 3) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

		if (lo < 0)
			goto syntax;
		m[i] = (uint8_t)(hi << 4 | lo);
		if (i == NET_MAC_LEN - 1)
			break;
		/* One separator, used throughout. */
		if (!sep && (s[2] == ':' || s[2] == '-'))
			sep = s[2];
		if (s[2] != sep)
			goto syntax;
	}
	if (s[2])
		goto syntax;
	if (m[0] & 1) {
		err_set("%s: mac=%02x:%02x:%02x:%02x:%02x:%02x is a multicast address (the first byte must be even)",
			what, m[0], m[1], m[2], m[3], m[4], m[5]);
		return -1;
	}
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) {
		err_set("%s: mac=00:00:00:00:00:00 is not a station address",
			what);
		return -1;
	}
	memcpy(mac, m, NET_MAC_LEN);
	return 0;
syntax:
	err_set("%s: bad MAC address (use six hex bytes: 52:54:00:12:34:56)",
		what);
	return -1;
}

/* FNV-1a: small, and spreads names that differ in one digit. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

void net_default_mac(const char *ifname, uint8_t mac[NET_MAC_LEN])
{
	uint32_t h = name_hash(ifname);

	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = h;
}

void net_format_mac(const uint8_t mac[NET_MAC_LEN],
		    char buf[NET_MAC_STR_LEN])
{
	snprintf(buf, NET_MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
