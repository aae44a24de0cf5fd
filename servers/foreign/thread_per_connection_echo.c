/*
 * A textbook thread-per-connection echo server, written for iotax's ground
 * truth as a program iotax was not built around (issue 14): an accept loop,
 * one detached pthread per connection, a blocking read into a 64 KiB buffer,
 * and a write of what was read. Nothing from servers/common or the bundled
 * servers is used: plain C and POSIX, as such a server is found in the wild.
 *
 *   iotax-foreign-tpc [PORT] [--wait=poll]
 *     PORT 0 (the default): the kernel picks; the port is printed on stdout
 *     as "port N".
 *     --wait=poll: each thread makes its socket non-blocking and waits in
 *     poll() on it before every read and stalled write, as Apache's prefork
 *     children do: poll per connection, a blocking design all the same
 *     (issue 15). The read itself then never blocks.
 *
 * Runs until killed. Loopback only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	free(buf);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	int port = 0;
	int one = 1;
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--wait=poll") == 0) {
			wait_in_poll = 1;
		} else if (argv[i][0] >= '0' && argv[i][0] <= '9') {
			port = atoi(argv[i]);
		} else {
			fprintf(stderr, "usage: %s [PORT] [--wait=poll]\n", argv[0]);
			return 2;
		}
	}
	if (lfd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)port);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len)) {
		perror("bind/listen");
		return 1;
	}
	printf("port %d\n", ntohs(addr.sin_port));
	fflush(stdout);
	for (;;) {
		pthread_t th;
		pthread_attr_t attr;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
				continue;
			perror("accept");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&th, &attr, serve_connection, (void *)(intptr_t)fd))
			close(fd);
		pthread_attr_destroy(&attr);
	}
}
