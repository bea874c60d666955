// SPDX-License-Identifier: GPL-2.0
/*
 * net-flood - send Ethernet frames into a tap as fast as the host can,
 * for hostile_net's case=flood (tests/guest/run-tests.sh): the frames
 * queue up in the tap for the VMM, which must leave them there while
 * its guest has no receive buffers, without spinning on the tap.
 *
 *   net-flood IFNAME DST-MAC SECONDS
 *
 * Each frame is 60 bytes to DST-MAC with EtherType 0x88b6 (IEEE local
 * experimental: nobody else takes it), "LVFL" and a 32-bit sequence
 * number.  They go out through a packet socket bound to IFNAME, i.e.
 * into the tap's queue towards whoever reads the tap; what does not fit
 * there the kernel drops.  Prints "net-flood: N frames in S s" and exits
 * 0, or 1 with a message when the socket cannot be set up or nothing
 * could be sent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_FLOOD	0x88b6
#define FRAME_LEN	60

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t frame[FRAME_LEN] = { 0 };
	double secs, start, end;
	unsigned long sent = 0, refused = 0;
	uint32_t seq;
	int fd;

	if (argc != 4 || parse_mac(argv[2], frame) < 0 ||
	    (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: net-flood IFNAME DST-MAC SECONDS\n");
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, frame, 6);
	if (fd < 0 || !sll.sll_ifindex) {
		fprintf(stderr, "net-flood: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	/* Source: a locally administered address of our own. */
	memcpy(frame + 6, "\x02\x00\x00\x4c\x56\x46", 6);
	frame[12] = ETH_P_FLOOD >> 8;
	frame[13] = ETH_P_FLOOD & 0xff;
	memcpy(frame + 14, "LVFL", 4);
	start = now();
	end = start + secs;
	for (seq = 0;; seq++) {
		uint32_t be = htonl(seq);

		/* The clock now and then: a syscall per frame costs. */
		if (!(seq & 255) && now() >= end)
			break;
		memcpy(frame + 18, &be, 4);
		if (sendto(fd, frame, sizeof(frame), 0,
			   (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "net-flood: send: %s\n",
					strerror(errno));
				return 1;
			}
			refused++;
			continue;
		}
		sent++;
	}
	printf("net-flood: %lu frames in %.2f s (%lu refused)\n", sent,
	       now() - start, refused);
	close(fd);
	return sent ? 0 : 1;
}
