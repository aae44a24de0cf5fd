// File IO against synchronisation (issue 15): the kernel side classes a read
// or write by the kind of its fd's inode. A child of the test, traced, works
// in phases on command: preads of a file whose pages were dropped from the
// page cache (cold: they block on the disk), the same preads again (warm:
// they do not), a pwrite and fdatasync, and an eventfd write and read. Its
// commands arrive on a pipe, so its waits for them are pipe reads:
// synchronisation, never file IO.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "process_facts.h"
#include "require.h"
#include "snapshot.h"
#include "tracer.h"

namespace iotax {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kChunks = 128;  // an 8 MiB file

// The traced child: one command byte in, one ack byte out, until 'q' or EOF.
[[noreturn]] void ChildLoop(int cmd_fd, int ack_fd, int file_fd) {
  static char buf[kChunk];
  char c;
  while (read(cmd_fd, &c, 1) == 1 && c != 'q') {
    if (c == 'c' || c == 'w') {
      // Cold: drop the file's pages first, and read ahead nothing, so each
      // chunk is its own page-cache miss.
      if (c == 'c') {
        posix_fadvise(file_fd, 0, 0, POSIX_FADV_DONTNEED);
        posix_fadvise(file_fd, 0, 0, POSIX_FADV_RANDOM);
      }
      for (size_t i = 0; i < kChunks; ++i) {
        if (pread(file_fd, buf, kChunk, static_cast<off_t>(i * kChunk)) != static_cast<ssize_t>(kChunk)) _exit(2);
      }
    } else if (c == 's') {
      if (pwrite(file_fd, buf, 4096, 0) != 4096 || fdatasync(file_fd) != 0) _exit(3);
    } else if (c == 'm') {
      // Mapped: drop the pages, then touch every page of a mapping with no
      // read-ahead; each touch of a dropped page is a major fault, and no
      // system call reads the file.
      posix_fadvise(file_fd, 0, 0, POSIX_FADV_DONTNEED);
      void* map = mmap(nullptr, kChunk * kChunks, PROT_READ, MAP_SHARED, file_fd, 0);
      if (map == MAP_FAILED || madvise(map, kChunk * kChunks, MADV_RANDOM) != 0) _exit(6);
      volatile char sum = 0;
      for (size_t off = 0; off < kChunk * kChunks; off += 4096) sum = sum + static_cast<const char*>(map)[off];
      munmap(map, kChunk * kChunks);
    } else if (c == 'e') {
      const int efd = eventfd(0, 0);
      uint64_t one = 1;
      if (efd < 0 || write(efd, &one, sizeof(one)) != sizeof(one) || read(efd, &one, sizeof(one)) != sizeof(one)) {
        _exit(4);
      }
      close(efd);
    }
    if (write(ack_fd, &c, 1) != 1) _exit(5);
  }
  _exit(0);
}

class FileIoClassTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/iotax-fileio-XXXXXX";  // a disk, not tmpfs: the page cache can drop it
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/data";
    file_fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(file_fd_, 0);
    std::vector<char> block(kChunk, 'x');
    for (size_t i = 0; i < kChunks; ++i) ASSERT_EQ(write(file_fd_, block.data(), kChunk), static_cast<ssize_t>(kChunk));
    ASSERT_EQ(fsync(file_fd_), 0);  // written back, so DONTNEED can drop the pages
    int cmd[2], ack[2];
    ASSERT_EQ(pipe(cmd), 0);
    ASSERT_EQ(pipe(ack), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      close(cmd[1]);
      close(ack[0]);
      ChildLoop(cmd[0], ack[1], file_fd_);
    }
    close(cmd[0]);
    close(ack[1]);
    cmd_fd_ = cmd[1];
    ack_fd_ = ack[0];
  }

  void TearDown() override {
    if (cmd_fd_ >= 0) close(cmd_fd_);  // EOF ends the child
    if (ack_fd_ >= 0) close(ack_fd_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
    if (file_fd_ >= 0) close(file_fd_);
    if (!path_.empty()) unlink(path_.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  // Runs one phase in the child and returns the target's counters after it.
  TargetStats Phase(Tracer& tracer, char c) {
    char ack = 0;
    EXPECT_EQ(write(cmd_fd_, &c, 1), 1);
    EXPECT_EQ(read(ack_fd_, &ack, 1), 1) << "phase " << c;
    for (const TargetSnapshot& t : tracer.Read().targets) {
      if (t.pid == pid_) return t.stats;
    }
    ADD_FAILURE() << "the child is not in the snapshot";
    return {};
  }

  std::string dir_, path_;
  int file_fd_ = -1, cmd_fd_ = -1, ack_fd_ = -1;
  pid_t pid_ = -1;
};

const ClassStats& Of(const TargetStats& s, SyscallClass c) { return s.classes[static_cast<int>(c)]; }

TEST_F(FileIoClassTest, ColdReadsBlockAsFileIoWarmOnesDoNotAndPipesAndEventfdsAreSynchronisation) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(pid_).ok());

  const TargetStats start = Phase(**tracer, 'n');  // a no-op: the child is in its command read
  const TargetStats cold = Phase(**tracer, 'c');
  const TargetStats warm = Phase(**tracer, 'w');
  const TargetStats synced = Phase(**tracer, 's');
  const TargetStats event = Phase(**tracer, 'e');

  const auto delta = [](const TargetStats& a, const TargetStats& b, SyscallClass c) {
    return std::make_pair(Of(b, c).calls - Of(a, c).calls, Of(b, c).blocked_calls - Of(a, c).blocked_calls);
  };
  const auto [cold_calls, cold_blocked] = delta(start, cold, SyscallClass::kFileRead);
  const auto [warm_calls, warm_blocked] = delta(cold, warm, SyscallClass::kFileRead);
  std::printf("file_read cold: %llu calls, %llu blocked; warm: %llu calls, %llu blocked\n",
              static_cast<unsigned long long>(cold_calls), static_cast<unsigned long long>(cold_blocked),
              static_cast<unsigned long long>(warm_calls), static_cast<unsigned long long>(warm_blocked));
  EXPECT_EQ(cold_calls, kChunks) << "every pread of a regular file is file IO";
  EXPECT_EQ(warm_calls, kChunks);
  EXPECT_GT(cold_blocked, 0u) << "reads of dropped pages wait for the disk";
  EXPECT_LT(warm_blocked, cold_blocked) << "the page cache serves the warm reads";
  EXPECT_LE(warm_blocked * 10, warm_calls) << "a warm read hardly ever sleeps";
  EXPECT_GT(Of(cold, SyscallClass::kFileRead).blocked_bytes, Of(start, SyscallClass::kFileRead).blocked_bytes);

  // pwrite + fdatasync: two file writes.
  EXPECT_EQ(delta(warm, synced, SyscallClass::kFileWrite).first, 2u);
  // The eventfd (an anonymous inode) and the command pipe: no file IO at all.
  EXPECT_EQ(delta(synced, event, SyscallClass::kFileRead).first, 0u);
  EXPECT_EQ(delta(synced, event, SyscallClass::kFileWrite).first, 0u);
  EXPECT_EQ(delta(synced, event, SyscallClass::kSync).first, 4u)
      << "command read, eventfd write and read, ack write";
  // Waiting for a command is a blocked pipe read: synchronisation.
  EXPECT_GT(Of(event, SyscallClass::kSync).blocked_calls, 0u);
  EXPECT_GT(event.offcpu_ns[static_cast<int>(OffCpuReason::kSync)], 0u);
  EXPECT_EQ(Of(event, SyscallClass::kNetRead).calls, 0u);
}

// Major page faults (issue 15 part 4): a mapped file read after its pages
// were dropped blocks in page faults, not in calls, so no file class sees it;
// /proc's majflt does, and that is what the verdict reports.
TEST_F(FileIoClassTest, MappedReadsOfDroppedPagesAreMajorFaultsWithoutAnyFileCall) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(pid_).ok());

  const TargetStats start = Phase(**tracer, 'n');
  const std::optional<uint64_t> faults_before = ReadMajorFaults(pid_);
  const TargetStats mapped = Phase(**tracer, 'm');
  const std::optional<uint64_t> faults_after = ReadMajorFaults(pid_);
  ASSERT_TRUE(faults_before && faults_after) << "the child is alive: its stat must read";
  std::printf("mapped read of %zu pages: %llu major faults\n", kChunk * kChunks / 4096,
              static_cast<unsigned long long>(*faults_after - *faults_before));
  EXPECT_GT(*faults_after, *faults_before) << "touching dropped pages of a mapping reads them from the disk";
  EXPECT_LE(*faults_after - *faults_before, kChunk * kChunks / 4096) << "at most one major fault per page";
  EXPECT_EQ(Of(mapped, SyscallClass::kFileRead).calls, Of(start, SyscallClass::kFileRead).calls)
      << "reading through a mapping makes no read call";
  EXPECT_EQ(ReadMajorFaults(-1), std::nullopt) << "no such process";
}

}  // namespace
}  // namespace iotax
