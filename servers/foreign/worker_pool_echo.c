/*
 * A worker-pool echo server, half-sync/half-async as many Java and C++
 * services are built (issue 14 part 5): one dispatcher thread waits in epoll
 * for readable connections (one-shot) and hands each to a pool of worker
 * threads through a queue guarded by a mutex and a condition variable; a
 * worker reads the request, writes it back and re-arms the connection. No
 * read blocks (the dispatcher saw it ready): what this design pays is the
 * hand-off, a wakeup and a switch per request.
 *
 *   iotax-foreign-pool [PORT] [--workers=N] [--async] [--work-us=N] [--work-bytes=N]
 *     --workers=N: pool size (default 4).
 *     --async: its async counterpart, one thread with an epoll loop and the
 *     same read()/write() calls, no hand-off.
 *     --work-us, --work-bytes: handler work per read, foreign_common.h.
 *
 * Prints "port N" on stdout. Runs until killed. Loopback only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "foreign_common.h"

#define QUEUE 4096
#define BUF_SIZE (64 * 1024)

static int workers = 4;
static int ep;

/* Each connection's handler work, by fd: a connection is with one worker at
 * a time (one-shot), and its entry is freed before its fd can be reused. */
static struct foreign_conn_work *work;
static size_t work_fds;

/* Ready connections waiting for a worker. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	int fds[QUEUE];
	unsigned head, tail;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0};

static ssize_t in(int fd, char *buf, size_t len) { return read(fd, buf, len); }
static ssize_t out(int fd, const char *buf, size_t len) { return write(fd, buf, len); }
static const struct foreign_io io = {in, out};

static void push(int fd)
{
	pthread_mutex_lock(&queue.lock);
	queue.fds[queue.tail++ % QUEUE] = fd; /* at most one entry per connection: never full */
	pthread_cond_signal(&queue.ready);
	pthread_mutex_unlock(&queue.lock);
}

static int pop(void)
{
	pthread_mutex_lock(&queue.lock);
	while (queue.head == queue.tail)
		pthread_cond_wait(&queue.ready, &queue.lock);
	int fd = queue.fds[queue.head++ % QUEUE];
	pthread_mutex_unlock(&queue.lock);
	return fd;
}

static int arm(int op, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = fd};

	return epoll_ctl(ep, op, fd, &ev);
}

/* One request: read what is there, write it all back, wait for the next. */
static void *worker(void *arg)
{
	char *buf = malloc(BUF_SIZE);

	(void)arg;
	for (;;) {
		int fd = pop();
		ssize_t n = buf ? in(fd, buf, BUF_SIZE) : -1;

		if (n > 0)
			foreign_handle(&work[fd]);
		if (n > 0 && foreign_write_all(&io, fd, buf, (size_t)n) == 0 && arm(EPOLL_CTL_MOD, fd) == 0)
			continue;
		if (n < 0 && errno == EINTR && arm(EPOLL_CTL_MOD, fd) == 0)
			continue;
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		foreign_conn_work_free(&work[fd]);
		close(fd);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	int lfd = (int)(long)arg;

	for (;;) {
		int fd = foreign_accept(lfd);

		if ((size_t)fd >= work_fds || arm(EPOLL_CTL_ADD, fd))
			close(fd);
	}
	return NULL;
}

static int workers_flag(const char *arg)
{
	if (strncmp(arg, "--workers=", 10) != 0 || atoi(arg + 10) < 1)
		return -1;
	workers = atoi(arg + 10);
	return 0;
}

int main(int argc, char **argv)
{
	const struct foreign_args a = foreign_parse(argc, argv, "[PORT] [--workers=N] [--async] " FOREIGN_WORK_USAGE,
							    workers_flag);
	int lfd = foreign_listen(a.port);
	pthread_t th;
	struct epoll_event events[256];
	struct rlimit files;

	if (a.async)
		return foreign_event_loop(lfd, &io);
	/* An entry per possible fd; calloc's pages stay untouched until used. */
	work_fds = getrlimit(RLIMIT_NOFILE, &files) || files.rlim_cur > (1 << 20) ? (1 << 20) : files.rlim_cur;
	work = calloc(work_fds, sizeof(*work));
	ep = epoll_create1(0);
	if (!work || ep < 0 || pthread_create(&th, NULL, acceptor, (void *)(long)lfd)) {
		perror("start");
		return 1;
	}
	for (int i = 0; i < workers; i++) {
		if (pthread_create(&th, NULL, worker, NULL)) {
			perror("pthread_create");
			return 1;
		}
	}
	for (;;) { /* the dispatcher */
		int n = epoll_wait(ep, events, 256, -1);

		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++)
			push(events[i].data.fd);
	}
}
