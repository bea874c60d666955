// SPDX-License-Identifier: GPL-2.0
/*
 * net-peer - the host end of the virtio_net test kernel's flood=N run
 * (bench/net.sh): wait on a tap for the guest's request (EtherType
 * 0x88b5, "LVGO", frame count, frame size) and answer it with that many
 * frames of that size (EtherType 0x88b6) to the guest's MAC, through a
 * packet socket on the tap, i.e. into the tap's queue that the VMM (or
 * vhost) reads.
 *
 *   net-peer IFNAME [TIMEOUT-SECONDS]
 *
 * It prints "ready" once the socket is bound, then one result line:
 *
 *   peer: sent=N size=S seconds=T read=R dropped=D
 *
 * A tap drops what does not fit its queue (txqueuelen frames) and the
 * guest would only see fewer frames, so the sender keeps at most WINDOW
 * frames ahead of the reader: the tap's tx_packets statistic counts the
 * frames a reader has taken (tun counts on read), tx_dropped the ones it
 * threw away.  read and dropped are their increase over the whole run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_LVGO	0x88b5
#define ETH_P_FLOOD	0x88b6
#define FRAME_MIN	60
#define FRAME_MAX	1514
#define WINDOW		256	/* below tun's default queue of 1000 */
#define DRAIN_SECONDS	5.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_stat(const char *ifname, const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s",
		 ifname, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "net-peer: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static uint64_t read_stat(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0) {
		perror("net-peer: statistics");
		exit(1);
	}
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

static uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Block until a well-formed request; fills count, size and both MACs. */
static int wait_request(int sock, double deadline, uint32_t *count,
			unsigned int *size, uint8_t guest[6], uint8_t host[6])
{
	uint8_t buf[2048];
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n;

	for (;;) {
		double left = deadline - now();

		if (left <= 0)
			return -1;
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return -1;
		n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			return -1;
		if (n < ETH_HLEN + 10 || memcmp(buf + ETH_HLEN, "LVGO", 4))
			continue;
		*count = get32be(buf + ETH_HLEN + 4);
		*size = (unsigned int)buf[ETH_HLEN + 8] << 8 |
			buf[ETH_HLEN + 9];
		if (*size < FRAME_MIN || *size > FRAME_MAX)
			continue;
		memcpy(host, buf, 6);
		memcpy(guest, buf + 6, 6);
		return 0;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint64_t read0, drop0, rd = 0, sent = 0;
	uint8_t frame[FRAME_MAX] = { 0 }, guest[6], host[6];
	double timeout = 120, t0, t1, stop;
	int sock, stat_tx, stat_drop;
	unsigned int size;
	uint32_t count;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: net-peer IFNAME [TIMEOUT-SECONDS]\n");
		return 2;
	}
	if (argc == 3)
		timeout = atof(argv[2]);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "net-peer: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	sll.sll_protocol = htons(ETH_P_LVGO);
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_LVGO));
	if (sock < 0 || bind(sock, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("net-peer: packet socket");
		return 1;
	}
	stat_tx = open_stat(argv[1], "tx_packets");
	stat_drop = open_stat(argv[1], "tx_dropped");
	printf("ready\n");
	fflush(stdout);

	if (wait_request(sock, now() + timeout, &count, &size, guest, host)) {
		fprintf(stderr, "net-peer: no request within %.0f s\n", timeout);
		return 1;
	}
	memcpy(frame, guest, 6);
	memcpy(frame + 6, host, 6);
	frame[12] = ETH_P_FLOOD >> 8;
	frame[13] = ETH_P_FLOOD & 0xff;
	memcpy(frame + ETH_HLEN, "LVFL", 4);

	read0 = read_stat(stat_tx);
	drop0 = read_stat(stat_drop);
	t0 = now();
	stop = t0 + timeout;
	while (sent < count && now() < stop) {
		if (sent - rd >= WINDOW) {
			rd = read_stat(stat_tx) - read0;
			if (sent - rd >= WINDOW)
				usleep(20);
			continue;
		}
		put32be(frame + ETH_HLEN + 4, (uint32_t)sent);
		if (send(sock, frame, size, 0) == (ssize_t)size) {
			sent++;
		} else if (errno == ENOBUFS || errno == EAGAIN) {
			usleep(20);
		} else {
			perror("net-peer: send");
			return 1;
		}
	}
	t1 = now();
	/* Let the reader take the last window (or give up on it). */
	stop = t1 + DRAIN_SECONDS;
	while (read_stat(stat_tx) - read0 < sent && now() < stop)
		usleep(1000);
	printf("peer: sent=%llu size=%u seconds=%.6f read=%llu dropped=%llu\n",
	       (unsigned long long)sent, size, t1 - t0,
	       (unsigned long long)(read_stat(stat_tx) - read0),
	       (unsigned long long)(read_stat(stat_drop) - drop0));
	return 0;
}
