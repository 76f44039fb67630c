// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lab traffic for the tests and the demo: exact, scripted exchanges.
 *
 *   ctalab serve tcp|udp PORT [SECONDS] [-a ADDR]...
 *       echo server on each ADDR, or on every address (IPv4 and IPv6)
 *   ctalab send tcp|udp DST PORT [-s SRC] [-n COUNT] [-b BYTES] [-H SECONDS]
 *       COUNT connections (TCP) or exchanges from distinct ports (UDP), each sending
 *       BYTES and reading the echo. Exit 0 only if every echo came back. -H: stay
 *       alive SECONDS after the last (first printing "ok" or "failed"), so a recorder
 *       still finds the program in /proc.
 *   ctalab burst udp DST PORT -n COUNT    COUNT datagrams from COUNT sockets open at
 *       once (so from COUNT ports: COUNT connections; up to the open-files limit)
 *   ctalab flood udp NET PORT -r RATE -t SECONDS
 *       RATE new flows a second for SECONDS, each one datagram to its own 5-tuple: the
 *       last octet of the IPv4 network NET (.1-.254) and destination ports from PORT
 *       up. Paced in batches (sendmmsg); prints how many were sent and in how many
 *       seconds. For bench/.
 *       -s: shared flows instead: every datagram to port PORT of the 254 addresses in
 *       turn, each round from a new source port (1024 up, bound one after the other),
 *       so the connections are new and the flows (source, destination, port) are 254.
 *   ctalab flood tcp NET PORT -r RATE -t SECONDS
 *       RATE short TCP connections a second to the addresses of NET in turn, all to
 *       PORT: each is opened (non-blocking, until the handshake completes) and closed
 *       with a reset, so no TIME_WAIT holds its port. Prints how many connected and
 *       in how long. For bench/.
 *   ctalab sink tcp PORT [SECONDS]    accepts TCP connections on PORT, closes them
 *   ctalab probe tcp DST PORT [-s SRC]    one connect attempt with a 2 s timeout;
 *       exit 0 if it connected, 1 if refused or timed out.
 *   ctalab ftpd tcp PORT [SECONDS]
 *       a passive-mode FTP server, as much of one as the conntrack ftp helper needs
 *       to see: "220" on connect; PASV opens a data listener on a port the kernel
 *       picks and answers "227 Entering Passive Mode (a,b,c,d,p1,p2)"; RETR sends
 *       100 bytes on the data connection; QUIT. One client at a time.
 *   ctalab ftp tcp DST PORT [-s SRC]
 *       its client: PASV, the data connection to the port in the 227 reply (from SRC),
 *       RETR. Exit 0 only if the 100 bytes came.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	fprintf(stderr, "ctalab: bad address %s\n", s);
	return -1;
}

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

static int listen_on(int tcp, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0;

	if (addr) {
		if (parse_addr(addr, port, &ss, &len) < 0)
			return -1;
	} else {
		struct sockaddr_in6 *a6 = (void *)&ss;

		memset(&ss, 0, sizeof(ss));
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	}
	fd = socket(ss.ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, addr ? &one : &zero, sizeof(int));
	if (bind(fd, (void *)&ss, len) < 0 || (tcp && listen(fd, 128) < 0)) {
		perror("ctalab: bind");
		return -1;
	}
	return fd;
}

static void answer(int tcp, int fd)
{
	char buf[65536];

	if (tcp) {
		int c = accept(fd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			return;
		while (wait_fd(c, POLLIN, 2000) == 0 && (n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	} else {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&peer, &plen);

		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (void *)&peer, plen);
	}
}

/*
 * A UDP socket bound to the wildcard answers from whatever address routing picks;
 * bound to each service address (-a), it answers from the address it was asked on.
 */
static int serve(int tcp, uint16_t port, int seconds, char **addrs, int n_addrs)
{
	struct pollfd fds[16];
	int n = 0;
	time_t end = time(NULL) + seconds;

	for (int i = 0; i < (n_addrs ? n_addrs : 1) && n < 16; i++) {
		int fd = listen_on(tcp, n_addrs ? addrs[i] : NULL, port);

		if (fd < 0)
			return 1;
		fds[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	while (time(NULL) < end) {
		if (poll(fds, (nfds_t)n, 200) <= 0)
			continue;
		for (int i = 0; i < n; i++)
			if (fds[i].revents & POLLIN)
				answer(tcp, fds[i].fd);
	}
	return 0;
}

/* The other end of flood tcp: accept and close, for SECONDS. */
static int sink(uint16_t port, int seconds)
{
	int fd = listen_on(1, NULL, port);
	time_t end = time(NULL) + seconds;

	if (fd < 0 || listen(fd, 4096) < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return 1;
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		for (int c; (c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
			close(c);
	}
	return 0;
}

/* One line (up to CRLF) from a control connection, NUL-terminated without the CRLF. */
static int ftp_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len && wait_fd(fd, POLLIN, 3000) == 0) {
		char c;

		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n') {
			if (n && buf[n - 1] == '\r')
				n--;
			buf[n] = '\0';
			return 0;
		}
		buf[n++] = c;
	}
	return -1;
}

static int ftp_say(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

/* PASV: a data listener on the control connection's own address, any port. */
static int ftp_pasv(int c, int *data)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	unsigned char *ip = (void *)&a.sin_addr;
	char reply[96];
	uint16_t port;

	if (getsockname(c, (void *)&a, &alen) < 0 || a.sin_family != AF_INET)
		return ftp_say(c, "522 IPv4 only\r\n");
	a.sin_port = 0;
	if (*data >= 0)
		close(*data);
	*data = socket(AF_INET, SOCK_STREAM, 0);
	alen = sizeof(a);
	if (*data < 0 || bind(*data, (void *)&a, sizeof(a)) < 0 || listen(*data, 1) < 0 ||
	    getsockname(*data, (void *)&a, &alen) < 0)
		return ftp_say(c, "425 no data port\r\n");
	port = ntohs(a.sin_port);
	snprintf(reply, sizeof(reply), "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u)\r\n", ip[0],
		 ip[1], ip[2], ip[3], port >> 8, port & 0xff);
	return ftp_say(c, reply);
}

static void ftp_session(int c)
{
	char line[256], payload[100];
	int data = -1;

	memset(payload, 'f', sizeof(payload));
	if (ftp_say(c, "220 ctalab\r\n") < 0)
		return;
	while (ftp_line(c, line, sizeof(line)) == 0) {
		if (!strncmp(line, "PASV", 4)) {
			if (ftp_pasv(c, &data) < 0)
				break;
		} else if (!strncmp(line, "RETR", 4) && data >= 0) {
			int d;

			ftp_say(c, "150 here it comes\r\n");
			d = wait_fd(data, POLLIN, 3000) == 0 ? accept(data, NULL, NULL) : -1;
			if (d >= 0) {
				if (write(d, payload, sizeof(payload)) != (ssize_t)sizeof(payload))
					perror("ctalab: ftpd data");
				close(d);
			}
			ftp_say(c, d >= 0 ? "226 done\r\n" : "425 no data connection\r\n");
		} else if (!strncmp(line, "QUIT", 4)) {
			ftp_say(c, "221 bye\r\n");
			break;
		} else {
			ftp_say(c, "502 not here\r\n");
		}
	}
	if (data >= 0)
		close(data);
}

static int ftpd(uint16_t port, int seconds)
{
	int fd = listen_on(1, "0.0.0.0", port);
	time_t end = time(NULL) + seconds;

	if (fd < 0)
		return 1;
	while (time(NULL) < end) {
		int c;

		if (wait_fd(fd, POLLIN, 200) < 0)
			continue;
		c = accept(fd, NULL, NULL);
		if (c >= 0) {
			ftp_session(c);
			close(c);
		}
	}
	return 0;
}

/* The data connection of a 227 reply, from src (may be NULL). */
static int ftp_data(const char *reply, const char *src)
{
	const char *p = strchr(reply, '(');
	unsigned a, b, c, d, p1, p2;
	char addr[32];
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (!p || sscanf(p, "(%u,%u,%u,%u,%u,%u)", &a, &b, &c, &d, &p1, &p2) != 6)
		return -1;
	snprintf(addr, sizeof(addr), "%u.%u.%u.%u", a, b, c, d);
	if (parse_addr(addr, (uint16_t)(p1 << 8 | p2), &ss, &len) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0) {
		struct timeval tv = { 2, 0 }; /* a dropped data connection fails, not hangs */

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (fd >= 0 && src) {
		struct sockaddr_storage s;
		socklen_t slen;

		if (parse_addr(src, 0, &s, &slen) < 0 || bind(fd, (void *)&s, slen) < 0) {
			close(fd);
			return -1;
		}
	}
	if (fd >= 0 && connect(fd, (void *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int ftp_client(const struct sockaddr_storage *dst, socklen_t dlen, const char *src)
{
	char line[256], buf[128];
	int c = socket(dst->ss_family, SOCK_STREAM, 0), d = -1, rc = 1;
	size_t got = 0;

	if (c < 0)
		return 1;
	if (src) {
		struct sockaddr_storage s;
		socklen_t slen;

		if (parse_addr(src, 0, &s, &slen) < 0 || bind(c, (void *)&s, slen) < 0)
			goto out;
	}
	if (connect(c, (const void *)dst, dlen) < 0 || ftp_line(c, line, sizeof(line)) < 0 ||
	    strncmp(line, "220", 3) || ftp_say(c, "PASV\r\n") < 0 ||
	    ftp_line(c, line, sizeof(line)) < 0 || strncmp(line, "227", 3))
		goto out;
	d = ftp_data(line, src);
	if (d < 0 || ftp_say(c, "RETR file\r\n") < 0)
		goto out;
	while (got < sizeof(buf) && wait_fd(d, POLLIN, 3000) == 0) {
		ssize_t n = read(d, buf + got, sizeof(buf) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == 100 && ftp_line(c, line, sizeof(line)) == 0 && !strncmp(line, "150", 3) &&
	    ftp_line(c, line, sizeof(line)) == 0 && !strncmp(line, "226", 3))
		rc = 0;
	ftp_say(c, "QUIT\r\n");
	ftp_line(c, line, sizeof(line));
out:
	if (d >= 0)
		close(d);
	close(c);
	return rc;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* RATE short TCP connections a second for SECONDS (see the header). */
static int flood_tcp(const char *net, uint16_t port, long rate, int seconds)
{
	enum { INFLIGHT = 4096 };
	struct pollfd *pend = calloc(INFLIGHT, sizeof(*pend));
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	long total = rate * seconds, started = 0, done = 0, failed = 0;
	long long t0 = now_ns(), elapsed = 0;
	struct in_addr base;
	int n = 0;

	if (!pend || inet_pton(AF_INET, net, &base) != 1 || rate < 1) {
		fprintf(stderr, "ctalab: flood: bad network or rate\n");
		return 2;
	}
	while (done + failed < total && elapsed < (seconds + 5) * 1000000000LL) {
		long due = (long)((double)elapsed * (double)rate / 1e9);

		for (; started < due && started < total && n < INFLIGHT; started++) {
			struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(port) };
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

			dst.sin_addr.s_addr = (base.s_addr & htonl(0xffffff00)) |
					      htonl((uint32_t)(started % 254 + 1));
			if (fd < 0 ||
			    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) < 0 ||
			    (connect(fd, (void *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS)) {
				if (fd >= 0)
					close(fd);
				failed++;
				continue;
			}
			pend[n++] = (struct pollfd){ .fd = fd, .events = POLLOUT };
		}
		poll(pend, (nfds_t)n, 1);
		for (int i = 0; i < n;) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (!pend[i].revents) {
				i++;
				continue;
			}
			if (getsockopt(pend[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
				failed++;
			else
				done++;
			close(pend[i].fd); /* a reset: the port is free at once */
			pend[i] = pend[--n];
		}
		elapsed = now_ns() - t0;
	}
	for (int i = 0; i < n; i++)
		close(pend[i].fd);
	free(pend);
	printf("%ld %.3f\n", done, (double)elapsed / 1e9);
	return failed || n ? 1 : 0;
}

static int one_exchange(int tcp, const struct sockaddr_storage *dst, socklen_t dlen,
			const char *src, size_t bytes, int probe)
{
	int fd = socket(dst->ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0), rc = 1;
	char *buf = calloc(1, bytes + 1), *in = calloc(1, bytes + 1);
	size_t got = 0;

	if (fd < 0 || !buf || !in)
		goto out;
	memset(buf, 'x', bytes);
	if (src) {
		struct sockaddr_storage s;
		socklen_t slen;

		if (parse_addr(src, 0, &s, &slen) < 0 || bind(fd, (void *)&s, slen) < 0) {
			perror("ctalab: bind source");
			goto out;
		}
	}
	if (tcp) {
		if (probe) {
			struct timeval tv = { 2, 0 };

			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		if (connect(fd, (const void *)dst, dlen) < 0)
			goto out;
		if (probe) {
			rc = 0;
			goto out;
		}
		if (write(fd, buf, bytes) != (ssize_t)bytes)
			goto out;
		shutdown(fd, SHUT_WR);
	} else if (sendto(fd, buf, bytes, 0, (const void *)dst, dlen) != (ssize_t)bytes) {
		goto out;
	}
	while (got < bytes && wait_fd(fd, POLLIN, 3000) == 0) {
		ssize_t n = recv(fd, in + got, bytes - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	rc = got == bytes && !memcmp(buf, in, bytes) ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(in);
	return rc;
}

/*
 * Datagram K's destination: address K % 254 + 1 of BASE's /24; its port PORT0 + K / 254
 * (a flow per datagram) or, with SHARED, PORT0 (the 254 flows of a source port).
 */
static void flood_dst(struct sockaddr_in *dst, struct in_addr base, uint16_t port0, long k,
		      bool shared)
{
	memset(dst, 0, sizeof(*dst));
	dst->sin_family = AF_INET;
	dst->sin_addr.s_addr = (base.s_addr & htonl(0xffffff00)) | htonl((uint32_t)(k % 254 + 1));
	dst->sin_port = htons(shared ? port0 : (uint16_t)(port0 + (k / 254) % (65536 - port0)));
}

/* With SHARED, the socket of round K / 254 (bound to its own source port); -1 on error. */
static int flood_socket(int fd, long k, bool shared)
{
	struct sockaddr_in src = { .sin_family = AF_INET };

	if (!shared)
		return fd >= 0 ? fd : socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0 && k % 254)
		return fd;
	if (fd >= 0)
		close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	src.sin_port = htons((uint16_t)(1024 + (k / 254) % 64000));
	if (fd >= 0 && bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* RATE new UDP flows (or connections, SHARED) a second for SECONDS (see the header). */
static int flood(const char *net, uint16_t port0, long rate, int seconds, bool shared)
{
	enum { BATCH = 64 };
	struct sockaddr_in dst[BATCH];
	struct mmsghdr msg[BATCH];
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct in_addr base;
	struct timespec t0, next;
	long total = rate * seconds, sent = 0;
	int fd = -1;

	if (inet_pton(AF_INET, net, &base) != 1 || rate < 1) {
		fprintf(stderr, "ctalab: flood: bad network or rate\n");
		return 2;
	}
	memset(msg, 0, sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < total) {
		int n = total - sent < BATCH ? (int)(total - sent) : BATCH, done;
		long long at;

		if (shared && 254 - sent % 254 < n)
			n = (int)(254 - sent % 254); /* a batch never spans two source ports */
		fd = flood_socket(fd, sent, shared);
		if (fd < 0) {
			perror("ctalab: flood");
			break;
		}
		for (int i = 0; i < n; i++) {
			flood_dst(&dst[i], base, port0, sent + i, shared);
			msg[i].msg_hdr.msg_name = &dst[i];
			msg[i].msg_hdr.msg_namelen = sizeof(dst[i]);
			msg[i].msg_hdr.msg_iov = &iov;
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		done = sendmmsg(fd, msg, (unsigned)n, 0);
		if (done < 0 && errno != ENOBUFS && errno != EAGAIN)
			break;
		sent += done > 0 ? done : 0;
		/* the schedule: sent flows at rate since t0 */
		at = (long long)t0.tv_sec * 1000000000LL + t0.tv_nsec +
		     (long long)((double)sent * 1e9 / (double)rate);
		next.tv_sec = (time_t)(at / 1000000000LL);
		next.tv_nsec = (long)(at % 1000000000LL);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	if (fd >= 0)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &next);
	/* how many, and in how long: the rate reached may be below the one asked for */
	printf("%ld %.3f\n", sent,
	       (double)(next.tv_sec - t0.tv_sec) + (double)(next.tv_nsec - t0.tv_nsec) / 1e9);
	return sent == total ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *src = NULL;
	int count = 1, bytes = 100, hold = 0, tcp, c, fails = 0;
	struct sockaddr_storage dst;
	socklen_t dlen;

	if (argc < 4)
		goto usage;
	tcp = !strcmp(argv[2], "tcp");
	if (!tcp && strcmp(argv[2], "udp"))
		goto usage;
	if (!strcmp(argv[1], "serve")) {
		char *addrs[16];
		int n = 0, seconds = 60;

		optind = 4;
		if (argc > 4 && argv[4][0] != '-')
			seconds = atoi(argv[optind++]);
		while ((c = getopt(argc, argv, "a:")) != -1) {
			if (c != 'a' || n == 16)
				goto usage;
			addrs[n++] = optarg;
		}
		return serve(tcp, (uint16_t)atoi(argv[3]), seconds, addrs, n);
	}
	if (!strcmp(argv[1], "ftpd") && tcp)
		return ftpd((uint16_t)atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 60);
	if (!strcmp(argv[1], "sink") && tcp)
		return sink((uint16_t)atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 60);
	if (!strcmp(argv[1], "flood") && argc >= 5) {
		long rate = 0;
		int seconds = 1;
		bool shared = false;

		optind = 5;
		while ((c = getopt(argc, argv, "r:t:s")) != -1) {
			if (c == 'r')
				rate = atol(optarg);
			else if (c == 't')
				seconds = atoi(optarg);
			else if (c == 's' && !tcp)
				shared = true;
			else
				goto usage;
		}
		if (tcp)
			return flood_tcp(argv[3], (uint16_t)atoi(argv[4]), rate, seconds);
		return flood(argv[3], (uint16_t)atoi(argv[4]), rate, seconds, shared);
	}
	if (argc < 5 || parse_addr(argv[3], (uint16_t)atoi(argv[4]), &dst, &dlen) < 0)
		goto usage;
	optind = 5;
	while ((c = getopt(argc, argv, "s:n:b:H:")) != -1) {
		if (c == 'H')
			hold = atoi(optarg);
		else if (c == 's')
			src = optarg;
		else if (c == 'n')
			count = atoi(optarg);
		else if (c == 'b')
			bytes = atoi(optarg);
		else
			goto usage;
	}
	if (!strcmp(argv[1], "burst") && !tcp) {
		/*
		 * COUNT datagrams from COUNT fresh sockets, no waiting: COUNT new connections
		 * at once. The sockets stay open until all have sent, so their ports differ:
		 * a port used again would be the same 5-tuple, one connection in conntrack.
		 */
		int *fds = calloc((size_t)count, sizeof(*fds));

		if (!fds)
			return 1;
		for (int i = 0; i < count; i++) {
			fds[i] = socket(dst.ss_family, SOCK_DGRAM, 0);
			if (fds[i] < 0 || sendto(fds[i], "b", 1, 0, (void *)&dst, dlen) != 1)
				fails++;
		}
		for (int i = 0; i < count; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		free(fds);
		return fails ? 1 : 0;
	}
	if (!strcmp(argv[1], "ftp") && tcp)
		return ftp_client(&dst, dlen, src);
	if (!strcmp(argv[1], "probe"))
		return one_exchange(tcp, &dst, dlen, src, 1, 1);
	if (strcmp(argv[1], "send") || bytes < 1)
		goto usage;
	for (int i = 0; i < count; i++)
		fails += one_exchange(tcp, &dst, dlen, src, (size_t)bytes, 0);
	if (fails)
		fprintf(stderr, "ctalab: %d of %d exchanges failed\n", fails, count);
	if (hold > 0) {
		/* the exchanges are done: say so, then stay */
		printf("%s\n", fails ? "failed" : "ok");
		fflush(stdout);
		sleep((unsigned)hold);
	}
	return fails ? 1 : 0;
usage:
	fprintf(stderr,
		"usage: ctalab serve tcp|udp PORT [SECONDS] [-a ADDR]...\n"
		"       ctalab send tcp|udp DST PORT [-s SRC] [-n COUNT] [-b BYTES] [-H SECONDS]\n"
		"       ctalab burst udp DST PORT -n COUNT\n"
		"       ctalab flood udp|tcp NET PORT -r RATE -t SECONDS [-s (udp: shared flows)]\n"
		"       ctalab sink tcp PORT [SECONDS]\n"
		"       ctalab probe tcp DST PORT [-s SRC]\n"
		"       ctalab ftpd tcp PORT [SECONDS]\n"
		"       ctalab ftp tcp DST PORT [-s SRC]\n");
	return 2;
}
