// The syscall class table and the generated name table.
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include "iotax.h"
#include "syscall_classes.h"
#include "syscall_names.h"

namespace iotax {
namespace {

TEST(SyscallClasses, ReadWriteFamiliesAreResolvedByFdInTheKernel) {
  for (int nr : {SYS_read, SYS_pread64, SYS_readv, SYS_preadv, SYS_preadv2})
    EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_FD_READ) << SyscallName(nr);
  for (int nr : {SYS_write, SYS_pwrite64, SYS_writev, SYS_pwritev, SYS_pwritev2})
    EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_FD_WRITE) << SyscallName(nr);
}

TEST(SyscallClasses, SocketCallsPollFutexSleep) {
  for (int nr : {SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg}) EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_NET_READ);
  for (int nr : {SYS_sendto, SYS_sendmsg, SYS_sendmmsg, SYS_sendfile})
    EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_NET_WRITE);
  for (int nr : {SYS_accept, SYS_accept4, SYS_connect}) EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_ACCEPT_CONNECT);
#ifdef SYS_poll
  EXPECT_EQ(SyscallClassValue(SYS_poll), IOTAX_CLASS_POLL_NFDS);  // its nfds counts the fds watched
  EXPECT_EQ(SyscallClassValue(SYS_select), IOTAX_CLASS_POLL);
  EXPECT_EQ(SyscallClassValue(SYS_epoll_wait), IOTAX_CLASS_POLL);
#endif
  EXPECT_EQ(SyscallClassValue(SYS_ppoll), IOTAX_CLASS_POLL_NFDS);
  for (int nr : {SYS_pselect6, SYS_epoll_pwait, SYS_epoll_pwait2})
    EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_POLL);
  EXPECT_EQ(SyscallClassValue(SYS_io_uring_enter), IOTAX_CLASS_IO_URING);
  EXPECT_EQ(SyscallClassValue(SYS_futex), IOTAX_CLASS_FUTEX);
  EXPECT_EQ(SyscallClassValue(SYS_futex_waitv), IOTAX_CLASS_FUTEX);
  for (int nr : {SYS_nanosleep, SYS_clock_nanosleep}) EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_SLEEP);
#ifdef SYS_pause
  EXPECT_EQ(SyscallClassValue(SYS_pause), IOTAX_CLASS_SLEEP);
#endif
}

TEST(SyscallClasses, FileCallsWithoutAnFdToResolve) {
  for (int nr : {SYS_fsync, SYS_fdatasync, SYS_sync_file_range})
    EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_FILE_WRITE) << SyscallName(nr);
  for (int nr : {SYS_openat, SYS_io_submit, SYS_io_getevents})
    EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_FILE_READ) << SyscallName(nr);
}

TEST(SyscallClasses, EverythingElseIsOther) {
  for (int nr : {SYS_close, SYS_mmap, SYS_getppid, SYS_clone3, SYS_exit_group})
    EXPECT_EQ(SyscallClassValue(nr), IOTAX_CLASS_OTHER) << SyscallName(nr);
  EXPECT_EQ(SyscallClassValue(-1), IOTAX_CLASS_OTHER);
  EXPECT_EQ(SyscallClassValue(100000), IOTAX_CLASS_OTHER);
}

TEST(SyscallClasses, TableCoversEveryNumberTheKernelSideCounts) {
  const std::vector<uint8_t> table = BuildSyscallClassTable();
  ASSERT_EQ(table.size(), static_cast<size_t>(IOTAX_MAX_SYSCALL_NR));
  int fd_classes = 0;
  for (int nr = 0; nr < IOTAX_MAX_SYSCALL_NR; ++nr) {
    EXPECT_EQ(table[nr], SyscallClassValue(nr));
    const bool valid = table[nr] < IOTAX_NCLASS || table[nr] == IOTAX_CLASS_FD_READ ||
                       table[nr] == IOTAX_CLASS_FD_WRITE || table[nr] == IOTAX_CLASS_POLL_NFDS;
    EXPECT_TRUE(valid) << nr;
    fd_classes += table[nr] == IOTAX_CLASS_FD_READ || table[nr] == IOTAX_CLASS_FD_WRITE;
  }
  EXPECT_EQ(fd_classes, 10);
}

TEST(SyscallNames, GeneratedFromTheKernelHeader) {
  EXPECT_EQ(SyscallName(SYS_read), "read");
  EXPECT_EQ(SyscallName(SYS_write), "write");
  EXPECT_EQ(SyscallName(SYS_clock_nanosleep), "clock_nanosleep");
  EXPECT_EQ(SyscallName(SYS_io_uring_enter), "io_uring_enter");
  EXPECT_EQ(SyscallName(SYS_exit_group), "exit_group");
  EXPECT_EQ(SyscallName(100000), "syscall_100000");
  EXPECT_EQ(SyscallNumber("epoll_pwait2"), SYS_epoll_pwait2);
  EXPECT_EQ(SyscallNumber("futex"), SYS_futex);
  EXPECT_EQ(SyscallNumber("no_such_call"), std::nullopt);
  // Round trip for every number the header names.
  int named = 0;
  for (int nr = 0; nr < IOTAX_MAX_SYSCALL_NR; ++nr) {
    const std::string name = SyscallName(nr);
    if (name.rfind("syscall_", 0) == 0) continue;
    ++named;
    EXPECT_EQ(SyscallNumber(name), nr) << name;
  }
  EXPECT_GT(named, 300) << "the x86_64 header names over 300 syscalls";
}

}  // namespace
}  // namespace iotax
