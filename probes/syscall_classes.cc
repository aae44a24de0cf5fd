#include "syscall_classes.h"

#include <sys/syscall.h>

#include "iotax.h"

namespace iotax {
namespace {

struct Rule {
  int nr;
  uint8_t cls;
};

// SYS_* constants exist only where the architecture has the call (aarch64 has
// no poll or select, for instance), hence one guard per entry.
constexpr Rule kRules[] = {
#ifdef SYS_read
    {SYS_read, IOTAX_CLASS_FD_READ},
#endif
#ifdef SYS_pread64
    {SYS_pread64, IOTAX_CLASS_FD_READ},
#endif
#ifdef SYS_readv
    {SYS_readv, IOTAX_CLASS_FD_READ},
#endif
#ifdef SYS_preadv
    {SYS_preadv, IOTAX_CLASS_FD_READ},
#endif
#ifdef SYS_preadv2
    {SYS_preadv2, IOTAX_CLASS_FD_READ},
#endif
#ifdef SYS_write
    {SYS_write, IOTAX_CLASS_FD_WRITE},
#endif
#ifdef SYS_pwrite64
    {SYS_pwrite64, IOTAX_CLASS_FD_WRITE},
#endif
#ifdef SYS_writev
    {SYS_writev, IOTAX_CLASS_FD_WRITE},
#endif
#ifdef SYS_pwritev
    {SYS_pwritev, IOTAX_CLASS_FD_WRITE},
#endif
#ifdef SYS_pwritev2
    {SYS_pwritev2, IOTAX_CLASS_FD_WRITE},
#endif
#ifdef SYS_recvfrom
    {SYS_recvfrom, IOTAX_CLASS_NET_READ},
#endif
#ifdef SYS_recvmsg
    {SYS_recvmsg, IOTAX_CLASS_NET_READ},
#endif
#ifdef SYS_recvmmsg
    {SYS_recvmmsg, IOTAX_CLASS_NET_READ},
#endif
#ifdef SYS_sendto
    {SYS_sendto, IOTAX_CLASS_NET_WRITE},
#endif
#ifdef SYS_sendmsg
    {SYS_sendmsg, IOTAX_CLASS_NET_WRITE},
#endif
#ifdef SYS_sendmmsg
    {SYS_sendmmsg, IOTAX_CLASS_NET_WRITE},
#endif
#ifdef SYS_sendfile
    {SYS_sendfile, IOTAX_CLASS_NET_WRITE},
#endif
#ifdef SYS_accept
    {SYS_accept, IOTAX_CLASS_ACCEPT_CONNECT},
#endif
#ifdef SYS_accept4
    {SYS_accept4, IOTAX_CLASS_ACCEPT_CONNECT},
#endif
#ifdef SYS_connect
    {SYS_connect, IOTAX_CLASS_ACCEPT_CONNECT},
#endif
#ifdef SYS_poll
    {SYS_poll, IOTAX_CLASS_POLL_NFDS},
#endif
#ifdef SYS_ppoll
    {SYS_ppoll, IOTAX_CLASS_POLL_NFDS},
#endif
#ifdef SYS_select
    {SYS_select, IOTAX_CLASS_POLL},
#endif
#ifdef SYS_pselect6
    {SYS_pselect6, IOTAX_CLASS_POLL},
#endif
#ifdef SYS_epoll_wait
    {SYS_epoll_wait, IOTAX_CLASS_POLL},
#endif
#ifdef SYS_epoll_pwait
    {SYS_epoll_pwait, IOTAX_CLASS_POLL},
#endif
#ifdef SYS_epoll_pwait2
    {SYS_epoll_pwait2, IOTAX_CLASS_POLL},
#endif
#ifdef SYS_epoll_ctl
    {SYS_epoll_ctl, IOTAX_CLASS_POLL_CTL},
#endif
    // File IO that names no fd of its own, or syncs one already written.
#ifdef SYS_fsync
    {SYS_fsync, IOTAX_CLASS_FILE_WRITE},
#endif
#ifdef SYS_fdatasync
    {SYS_fdatasync, IOTAX_CLASS_FILE_WRITE},
#endif
#ifdef SYS_sync_file_range
    {SYS_sync_file_range, IOTAX_CLASS_FILE_WRITE},
#endif
#ifdef SYS_open
    {SYS_open, IOTAX_CLASS_FILE_READ},
#endif
#ifdef SYS_openat
    {SYS_openat, IOTAX_CLASS_FILE_READ},
#endif
#ifdef SYS_openat2
    {SYS_openat2, IOTAX_CLASS_FILE_READ},
#endif
#ifdef SYS_io_submit
    {SYS_io_submit, IOTAX_CLASS_FILE_READ},
#endif
#ifdef SYS_io_getevents
    {SYS_io_getevents, IOTAX_CLASS_FILE_READ},
#endif
#ifdef SYS_io_pgetevents
    {SYS_io_pgetevents, IOTAX_CLASS_FILE_READ},
#endif
#ifdef SYS_io_uring_enter
    {SYS_io_uring_enter, IOTAX_CLASS_IO_URING},
#endif
#ifdef SYS_futex
    {SYS_futex, IOTAX_CLASS_FUTEX},
#endif
#ifdef SYS_futex_waitv
    {SYS_futex_waitv, IOTAX_CLASS_FUTEX},
#endif
#ifdef SYS_nanosleep
    {SYS_nanosleep, IOTAX_CLASS_SLEEP},
#endif
#ifdef SYS_clock_nanosleep
    {SYS_clock_nanosleep, IOTAX_CLASS_SLEEP},
#endif
#ifdef SYS_pause
    {SYS_pause, IOTAX_CLASS_SLEEP},
#endif
};

}  // namespace

uint8_t SyscallClassValue(int nr) {
  for (const Rule& r : kRules) {
    if (r.nr == nr) return r.cls;
  }
  return IOTAX_CLASS_OTHER;
}

std::vector<uint8_t> BuildSyscallClassTable() {
  std::vector<uint8_t> table(IOTAX_MAX_SYSCALL_NR);
  for (int nr = 0; nr < IOTAX_MAX_SYSCALL_NR; ++nr) table[nr] = SyscallClassValue(nr);
  return table;
}

}  // namespace iotax
