/*
 * A textbook thread-per-connection echo server, written for iotax's ground
 * truth as a program iotax was not built around (issue 14): an accept loop,
 * one detached pthread per connection, a blocking read into a 64 KiB buffer,
 * and a write of what was read. Nothing from servers/common or the bundled
 * servers is used: plain C and POSIX, as such a server is found in the wild
 * (the listener and the async counterpart are the foreign designs' own,
 * foreign_common.c).
 *
 *   iotax-foreign-tpc [PORT] [--async] [--wait=poll] [--work-us=N] [--work-bytes=N]
 *     PORT 0 (the default): the kernel picks; the port is printed on stdout
 *     as "port N".
 *     --async: its async counterpart, one thread with an epoll loop and the
 *     same read()/write() calls on non-blocking sockets.
 *     --wait=poll: each thread makes its socket non-blocking and waits in
 *     poll() on it before every read and stalled write, as Apache's prefork
 *     children do: poll per connection, a blocking design all the same
 *     (issue 15). The read itself then never blocks.
 *     --work-us, --work-bytes: handler work per read, foreign_common.h.
 *
 * Runs until killed. Loopback only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "foreign_common.h"

#define BUF_SIZE (64 * 1024)

static int wait_in_poll; /* --wait=poll */

/* With --wait=poll: sleeps in poll() until `fd` is ready for `events`; 0 on success. */
static int wait_ready(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int n = poll(&p, 1, -1);

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static void *serve_connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(BUF_SIZE);
	struct foreign_conn_work work = {0};

	if (wait_in_poll)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (buf) {
		for (;;) {
			ssize_t n, off = 0;

			if (wait_in_poll && wait_ready(fd, POLLIN))
				break;
			n = read(fd, buf, BUF_SIZE);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				break;
			foreign_handle(&work);
			while (off < n) {
				ssize_t w = write(fd, buf + off, (size_t)(n - off));

				if (w < 0 && errno == EAGAIN && wait_in_poll) {
					if (wait_ready(fd, POLLOUT))
						goto done;
					continue;
				}
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					goto done;
				off += w;
			}
		}
	}
done:
	foreign_conn_work_free(&work);
	free(buf);
	close(fd);
	return NULL;
}

static int take_wait_flag(const char *arg)
{
	if (strcmp(arg, "--wait=poll") != 0)
		return -1;
	wait_in_poll = 1;
	return 0;
}

static ssize_t plain_read(int fd, char *buf, size_t len) { return read(fd, buf, len); }
static ssize_t plain_write(int fd, const char *buf, size_t len) { return write(fd, buf, len); }

int main(int argc, char **argv)
{
	static const struct foreign_io io = {plain_read, plain_write};
	const struct foreign_args a = foreign_parse(argc, argv, "[PORT] [--async] [--wait=poll] " FOREIGN_WORK_USAGE,
							    take_wait_flag);
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
