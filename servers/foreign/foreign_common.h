/*
 * What the foreign designs (issue 14 part 5) share, and nothing of the
 * bundled servers: a loopback listener that prints its port, and an
 * event-driven echo loop each design uses as its async counterpart with its
 * own kind of IO call. Plain C and POSIX.
 *
 * Handler work (issue 14: the verdict judged with work 0 / 5 / 20 us, with
 * and without a working set), the same in every design and its --async
 * counterpart, done by foreign_handle() per read that returned data, before
 * the echo: so a 64 KiB message that arrives in several reads is worked on
 * several times.
 *   --work-us=N: spin for N us of the thread's time on the CPU (the
 *     monotonic clock without the gaps where it was switched out), so a
 *     thread preempted mid-spin still does all of it; no syscall in the
 *     handler: it would split the user segment iotax times.
 *   --work-bytes=N: a working set of N bytes per connection (allocated and
 *     touched on its first request, freed when it closes), walked with one
 *     load per 64-byte line before the spin. One set per connection in the
 *     blocking and the async designs alike: the same memory footprint.
 */
#ifndef IOTAX_FOREIGN_COMMON_H
#define IOTAX_FOREIGN_COMMON_H

#include <stddef.h>
#include <sys/types.h>

/* A listening socket on 127.0.0.1:port (0: the kernel picks); prints
 * "port N" on stdout. Exits with a message when it cannot. */
int foreign_listen(int port);

/* The next connection of a blocking listener, with TCP_NODELAY; retries
 * what a busy server sees (EINTR, ECONNABORTED, EMFILE) and exits on
 * anything else. */
int foreign_accept(int listen_fd);

/* The IO calls a design echoes with: `in` reads into buf, `out` writes from
 * it; both return as read(2)/write(2) do. */
struct foreign_io {
	ssize_t (*in)(int fd, char *buf, size_t len);
	ssize_t (*out)(int fd, const char *buf, size_t len);
};

/* Writes all `len` bytes with io->out on a blocking socket, retrying EINTR;
 * 0 when all went, -1 when the connection failed. */
int foreign_write_all(const struct foreign_io *io, int fd, const char *buf, size_t len);

/* The async counterpart: one thread, epoll over every connection and the
 * listener, non-blocking sockets, the same IO calls. Runs until killed. */
int foreign_event_loop(int listen_fd, const struct foreign_io *io);

/* A connection's part of the handler work: its working set, NULL until its
 * first request. Zero-initialise it. */
struct foreign_conn_work {
	unsigned char *set;
};

/* The handler work of one read that returned data (see above); a no-op
 * without --work-us and --work-bytes. Exits when the set cannot be had. */
void foreign_handle(struct foreign_conn_work *w);

/* Frees the connection's working set; call when it closes. */
void foreign_conn_work_free(struct foreign_conn_work *w);

/* The flags foreign_parse takes for every design, for its usage string. */
#define FOREIGN_WORK_USAGE "[--work-us=N] [--work-bytes=N]"

/* Parses "[PORT] [--async] [--work-us=N] [--work-bytes=N] [extra]" for a
 * design's main; `extra` (may be NULL) handles a design's own flag and
 * returns 0 when it took it. Prints usage and exits 2 on anything else,
 * a malformed work value included. */
struct foreign_args {
	int port;
	int async;
};
struct foreign_args foreign_parse(int argc, char **argv, const char *usage, int (*extra)(const char *arg));

#endif
