/*
 * A thread-per-connection echo server that moves its bytes with scatter/
 * gather calls (issue 14 part 5): each thread readv()s into a small header
 * buffer and a large body buffer, and writev()s the same two pieces back,
 * as servers that keep a protocol header apart from the payload do. Blocking
 * sockets, a detached thread per connection.
 *
 *   iotax-foreign-vec [PORT] [--async] [--work-us=N] [--work-bytes=N]
 *     --async: its async counterpart, one thread with an epoll loop and the
 *     same readv()/writev() calls on non-blocking sockets.
 *     --work-us, --work-bytes: handler work per read, foreign_common.h.
 *
 * Prints "port N" on stdout. Runs until killed. Loopback only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "foreign_common.h"

#define HEADER 64

/* A buffer as two pieces: the first HEADER bytes and the rest. */
static int split(struct iovec v[2], char *buf, size_t len)
{
	v[0].iov_base = buf;
	v[0].iov_len = len < HEADER ? len : HEADER;
	v[1].iov_base = buf + v[0].iov_len;
	v[1].iov_len = len - v[0].iov_len;
	return v[1].iov_len ? 2 : 1;
}

static ssize_t in(int fd, char *buf, size_t len)
{
	struct iovec v[2];
	const int n = split(v, buf, len);

	return readv(fd, v, n);
}

static ssize_t out(int fd, const char *buf, size_t len)
{
	struct iovec v[2];
	const int n = split(v, (char *)buf, len);

	return writev(fd, v, n);
}

static const struct foreign_io io = {in, out};

static void *serve_connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(64 * 1024);
	struct foreign_conn_work work = {0};

	while (buf) {
		ssize_t n = in(fd, buf, 64 * 1024);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		foreign_handle(&work);
		if (foreign_write_all(&io, fd, buf, (size_t)n))
			break;
	}
	foreign_conn_work_free(&work);
	free(buf);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	const struct foreign_args a = foreign_parse(argc, argv, "[PORT] [--async] " FOREIGN_WORK_USAGE, NULL);
	int lfd = foreign_listen(a.port);

	if (a.async)
		return foreign_event_loop(lfd, &io);
	for (;;) {
		pthread_t th;
		pthread_attr_t attr;
		int fd = foreign_accept(lfd);

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&th, &attr, serve_connection, (void *)(intptr_t)fd))
			close(fd);
		pthread_attr_destroy(&attr);
	}
}
