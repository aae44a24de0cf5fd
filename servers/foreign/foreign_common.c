#define _GNU_SOURCE /* accept4 */
#include "foreign_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BUF (64 * 1024)
#define MAX_EVENTS 256
#define LINE 64
#define MAX_WORK_US 10000000ULL /* 10 s */
#define MAX_WORK_BYTES (1ULL << 32)

static long long work_ns;	/* --work-us, in ns */
static size_t work_bytes;	/* --work-bytes */
static __thread volatile unsigned long sink; /* keeps the walk's loads; per thread, no shared line */

int foreign_listen(int port)
{
	int one = 1;
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)port);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len)) {
		perror("bind/listen");
		exit(1);
	}
	printf("port %d\n", ntohs(addr.sin_port));
	fflush(stdout);
	return lfd;
}

int foreign_accept(int lfd)
{
	int one = 1;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
		if (errno != EINTR && errno != ECONNABORTED && errno != EMFILE) {
			perror("accept");
			exit(1);
		}
	}
}

int foreign_write_all(const struct foreign_io *io, int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = io->out(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static long long now_ns(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A gap between two reads of the clock this long means the thread was off
 * the CPU in between (a read takes tens of ns; a switch away and back, µs). */
#define OFF_CPU_GAP_NS 5000

/* N ns of the thread's time on the CPU: the monotonic clock (vDSO, no
 * syscall: one in the handler would split the user segment iotax times),
 * not counting the gaps where it was switched out. A spin until a deadline
 * counted them: a pool of 50 workers on one CPU used 83 us of CPU per
 * request at --work-us=100 and its async counterpart 114 us, an "actual
 * saving" of -37% (docs/experiments/model-error.md, section 10). A loop
 * count measured at start-up did not hold either: this VM's speed moves
 * between runs, and each server would measure its own. */
static void spin(long long ns)
{
	long long done = 0, last = now_ns(CLOCK_MONOTONIC);

	while (done < ns) {
		const long long now = now_ns(CLOCK_MONOTONIC);

		if (now - last < OFF_CPU_GAP_NS)
			done += now - last;
		last = now;
	}
}

void foreign_handle(struct foreign_conn_work *w)
{
	if (work_bytes) {
		unsigned long sum = 0;

		if (!w->set) {
			if (posix_memalign((void **)&w->set, LINE, work_bytes)) {
				fprintf(stderr, "working set of %zu bytes: out of memory\n", work_bytes);
				exit(1);
			}
			memset(w->set, 1, work_bytes); /* real pages, not the shared zero page */
		}
		for (size_t i = 0; i < work_bytes; i += LINE)
			sum += w->set[i];
		sink = sum;
	}
	if (work_ns)
		spin(work_ns);
}

void foreign_conn_work_free(struct foreign_conn_work *w)
{
	free(w->set);
	w->set = NULL;
}

/* The N of "--name=N" when arg is that flag: decimal digits only, at most
 * max; 1 when it was the flag, 0 when not. Exits 2 when malformed. */
static int work_flag(const char *arg, const char *name, unsigned long long max, unsigned long long *value,
		     const char *prog, const char *usage)
{
	const size_t len = strlen(name);
	const char *v = arg + len;
	char *end;

	if (strncmp(arg, name, len) != 0)
		return 0;
	errno = 0;
	*value = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || *value > max) {
		fprintf(stderr, "%s: %s: want a whole number from 0 to %llu\nusage: %s %s\n", prog, arg, max, prog,
			usage);
		exit(2);
	}
	return 1;
}

struct foreign_args foreign_parse(int argc, char **argv, const char *usage, int (*extra)(const char *arg))
{
	struct foreign_args a = {0, 0};
	unsigned long long v;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--async") == 0)
			a.async = 1;
		else if (argv[i][0] >= '0' && argv[i][0] <= '9')
			a.port = atoi(argv[i]);
		else if (work_flag(argv[i], "--work-us=", MAX_WORK_US, &v, argv[0], usage))
			work_ns = (long long)v * 1000;
		else if (work_flag(argv[i], "--work-bytes=", MAX_WORK_BYTES, &v, argv[0], usage))
			work_bytes = (size_t)v;
		else if (!extra || extra(argv[i]) != 0) {
			fprintf(stderr, "usage: %s %s\n", argv[0], usage);
			exit(2);
		}
	}
	return a;
}

/* A connection of the loop: what was read and not yet written back, and
 * what epoll watches it for now. */
struct conn {
	int fd;
	uint32_t watching;
	size_t off, len;
	struct foreign_conn_work work;
	char buf[LOOP_BUF];
};

/* Changes what epoll watches the connection for, only when it changes. */
static int watch(int ep, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	int op = c->watching ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (c->watching == events)
		return 0;
	c->watching = events;
	return epoll_ctl(ep, op, c->fd, &ev);
}

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	foreign_conn_work_free(&c->work);
	free(c);
}

/* One readiness event, level-triggered as most event loops are: a readable
 * connection gets one read and its echo; a write that stalls parks the rest
 * until the socket is writable again. */
static void serve(int ep, struct conn *c, const struct foreign_io *io)
{
	if (c->off == c->len) {
		ssize_t n = io->in(c->fd, c->buf, sizeof(c->buf));

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			drop(ep, c);
			return;
		}
		c->off = 0;
		c->len = (size_t)n;
		foreign_handle(&c->work);
	}
	while (c->off < c->len) {
		ssize_t w = io->out(c->fd, c->buf + c->off, c->len - c->off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			watch(ep, c, EPOLLOUT);
			return;
		}
		if (w <= 0) {
			drop(ep, c);
			return;
		}
		c->off += (size_t)w;
	}
	c->off = c->len = 0;
	watch(ep, c, EPOLLIN);
}

int foreign_event_loop(int lfd, const struct foreign_io *io)
{
	int one = 1;
	int ep = epoll_create1(0);
	struct epoll_event listener = {.events = EPOLLIN, .data.ptr = NULL};
	struct epoll_event events[MAX_EVENTS];

	if (ep < 0 || fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &listener)) {
		perror("epoll");
		return 1;
	}
	for (;;) {
		int n = epoll_wait(ep, events, MAX_EVENTS, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;

			if (c) {
				serve(ep, c, io);
				continue;
			}
			for (;;) { /* every pending connection */
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (fd < 0)
					break;
				c = malloc(sizeof(*c));
				if (!c) {
					close(fd);
					continue;
				}
				c->fd = fd;
				c->watching = 0;
				c->off = c->len = 0;
				c->work.set = NULL;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				if (watch(ep, c, EPOLLIN)) {
					close(fd);
					free(c);
				}
			}
		}
	}
}
