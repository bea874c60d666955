// SPDX-License-Identifier: GPL-2.0
/*
 * net-raw - how fast the host kernel moves frames through a tap with no
 * VM at all: the ceiling for bench/net.sh's guest figures.
 *
 *   net-raw IFNAME SIZE SECONDS tx|rx
 *
 * The program opens the (existing, up) tap IFNAME the way lightvm does
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte virtio-net header, non-
 * blocking) and plays the VMM's part with frames of SIZE bytes (Ethernet
 * header included, EtherType 0x88b6, the same frames as the test
 * kernel's flood=N run):
 *
 *   tx  guest -> host: one writev (header, frame) per frame to the tap
 *       fd, addressed to the tap's own MAC.  tun hands each frame to the
 *       host's receive path in the writer's context, which finds no
 *       handler for the EtherType and frees it: the figure is the cost
 *       of one VMM-side write plus the kernel taking the frame in.
 *   rx  host -> guest: a packet socket on the tap sends batches of 64
 *       frames (sendmmsg) to a guest MAC, i.e. into the tap's queue, and
 *       the program reads them back from the tap fd, one readv (header,
 *       2 KiB buffer) per frame, until the queue is empty.  Both ends run
 *       on this one thread, so frames/s is 1 / (send + read); the reads
 *       alone, the VMM's share, are timed apart (read_fps).
 *
 * Everything stays on IFNAME.  Result, one line:
 *
 *   raw: dir=tx|rx size=S frames=N seconds=T fps=F [read_fps=R lost=L]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_FLOOD	0x88b6
#define FRAME_MIN	60
#define FRAME_MAX	1514
#define BATCH		64
#define RX_BUF		2048

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "net-raw: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int tap_open(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd, hdr = sizeof(struct virtio_net_hdr_mrg_rxbuf), s;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("/dev/net/tun");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die(ifname);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		die("TUNSETVNETHDRSZ");
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		die("SIOCGIFHWADDR");
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	return fd;
}

static void build(uint8_t *f, const uint8_t *dst, const uint8_t *src)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETH_P_FLOOD >> 8;
	f[13] = ETH_P_FLOOD & 0xff;
	memcpy(f + ETH_HLEN, "LVFL", 4);
}

static void run_tx(int tap, const uint8_t *tap_mac, unsigned int size,
		   double secs)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint8_t frame[FRAME_MAX] = { 0 };
	struct iovec iov[2] = {
		{ &hdr, sizeof(hdr) }, { frame, size },
	};
	uint64_t n = 0;
	double t0, t;
	unsigned int i;

	build(frame, tap_mac, guest_mac);
	t0 = now();
	do {
		for (i = 0; i < 1024; i++) {
			if (writev(tap, iov, 2) != (ssize_t)(sizeof(hdr) + size))
				die("tap write");
		}
		n += i;
		t = now();
	} while (t - t0 < secs);
	printf("raw: dir=tx size=%u frames=%llu seconds=%.6f fps=%.0f\n",
	       size, (unsigned long long)n, t - t0, n / (t - t0));
}

static void run_rx(int tap, const char *ifname, const uint8_t *tap_mac,
		   unsigned int size, double secs)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct mmsghdr msgs[BATCH];
	struct iovec siov = { NULL, size };
	uint8_t frame[FRAME_MAX] = { 0 }, buf[RX_BUF];
	struct iovec riov[2] = {
		{ &hdr, sizeof(hdr) }, { buf, sizeof(buf) },
	};
	uint64_t sent = 0, got = 0;
	double t0, t, t_read = 0;
	int sock, i, k;
	ssize_t r;

	build(frame, guest_mac, tap_mac);
	siov.iov_base = frame;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (!sll.sll_ifindex || sock < 0 ||
	    bind(sock, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("packet socket");
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &siov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	do {
		double tr;

		for (i = 0; i < BATCH; i += k) {
			k = sendmmsg(sock, msgs + i, BATCH - i, 0);
			if (k < 0)
				die("sendmmsg");
		}
		sent += BATCH;
		tr = now();
		for (;;) {
			r = readv(tap, riov, 2);
			if (r < 0 && errno == EAGAIN)
				break;
			if (r < 0)
				die("tap read");
			if (r == (ssize_t)(sizeof(hdr) + size))
				got++;
		}
		t = now();
		t_read += t - tr;
	} while (t - t0 < secs);
	close(sock);
	printf("raw: dir=rx size=%u frames=%llu seconds=%.6f fps=%.0f read_fps=%.0f lost=%llu\n",
	       size, (unsigned long long)got, t - t0, got / (t - t0),
	       got / t_read, (unsigned long long)(sent - got));
}

int main(int argc, char **argv)
{
	unsigned int size;
	uint8_t mac[6];
	double secs;
	int tap;

	if (argc != 5 || (strcmp(argv[4], "tx") && strcmp(argv[4], "rx"))) {
		fprintf(stderr, "usage: net-raw IFNAME SIZE SECONDS tx|rx\n");
		return 2;
	}
	size = (unsigned int)atoi(argv[2]);
	secs = atof(argv[3]);
	if (size < FRAME_MIN || size > FRAME_MAX || secs <= 0) {
		fprintf(stderr, "net-raw: SIZE %d..%d, SECONDS > 0\n",
			FRAME_MIN, FRAME_MAX);
		return 2;
	}
	tap = tap_open(argv[1], mac);
	if (!strcmp(argv[4], "tx"))
		run_tx(tap, mac, size, secs);
	else
		run_rx(tap, argv[1], mac, size, secs);
	close(tap);
	return 0;
}
