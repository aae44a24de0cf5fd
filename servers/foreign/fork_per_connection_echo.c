/*
 * A fork-per-connection echo server, as inetd-style and pre-forking servers
 * are found in the wild (issue 14 part 5): the parent accepts, forks a child
 * per connection and goes back to accept; the child echoes with blocking
 * recv()/send() on a large (256 KiB) buffer and exits at EOF. One process per
 * connection, so iotax must see it as a service (--comm), not one PID.
 *
 *   iotax-foreign-fork [PORT] [--async] [--work-us=N] [--work-bytes=N]
 *     --async: its async counterpart, one process with an epoll loop and
 *     the same recv()/send() calls on non-blocking sockets.
 *     --work-us, --work-bytes: handler work per read, foreign_common.h.
 *
 * Prints "port N" on stdout. Runs until killed. Loopback only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "foreign_common.h"

#define BUF_SIZE (256 * 1024)

static ssize_t in(int fd, char *buf, size_t len) { return recv(fd, buf, len, 0); }
static ssize_t out(int fd, const char *buf, size_t len) { return send(fd, buf, len, MSG_NOSIGNAL); }

static const struct foreign_io io = {in, out};

static void serve_connection(int fd)
{
	char *buf = malloc(BUF_SIZE);
	struct foreign_conn_work work = {0};

	while (buf) {
		ssize_t n = in(fd, buf, BUF_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		foreign_handle(&work);
		if (foreign_write_all(&io, fd, buf, (size_t)n))
			break;
	}
	foreign_conn_work_free(&work);
	_exit(0);
}

int main(int argc, char **argv)
{
	const struct foreign_args a = foreign_parse(argc, argv, "[PORT] [--async] " FOREIGN_WORK_USAGE, NULL);
	int lfd = foreign_listen(a.port);

	if (a.async)
		return foreign_event_loop(lfd, &io);
	signal(SIGCHLD, SIG_IGN); /* children reap themselves */
	for (;;) {
		int fd = foreign_accept(lfd);
		pid_t child = fork();

		if (child == 0) {
			close(lfd);
			serve_connection(fd);
		}
		close(fd); /* the child's now (or lost, when fork failed) */
	}
}
