// /proc readers against a fake /proc tree in a temporary directory.
#include "proc_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "bpf_preflight.h"

namespace iotax::proc {
namespace {

namespace fs = std::filesystem;

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iotax-fakeproc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  // A process: comm, stat with `state` and `start_time`, Tgid, thread dirs.
  void AddProcess(int pid, const std::string& comm, char state, uint64_t start_time, int tgid,
                  const std::vector<int>& tids) {
    const fs::path dir = fs::path(root_) / std::to_string(pid);
    fs::create_directories(dir / "task");
    std::ofstream(dir / "comm") << comm << "\n";
    // Fields 3..22: state ppid pgrp session tty tpgid flags minflt cminflt majflt
    // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
    std::ofstream(dir / "stat") << pid << " (" << comm << ") " << state
                                << " 1 1 1 0 -1 4194560 10 0 0 0 5 3 0 0 20 0 " << tids.size() << " 0 "
                                << start_time << " 12345 67 18446744073709551615\n";
    std::ofstream(dir / "status") << "Name:\t" << comm << "\nUmask:\t0022\nState:\t" << state
                                  << " (whatever)\nTgid:\t" << tgid << "\nNgid:\t0\nPid:\t" << pid << "\n";
    for (int tid : tids) fs::create_directories(dir / "task" / std::to_string(tid));
  }

  std::string root_;
};

TEST_F(FakeProc, CommWithSpacesAndParentheses) {
  AddProcess(100, "my (odd)) name", 'S', 4242, 100, {100, 101});
  EXPECT_EQ(ReadComm(100, root_).value(), "my (odd)) name");
  EXPECT_TRUE(ProcessAlive(100, root_)) << "state is read after the last ')'";
  EXPECT_EQ(ReadStartTime(100, root_).value(), 4242u);
  EXPECT_EQ(CountThreads(100, root_), 2);
  EXPECT_EQ(ReadTgid(100, root_).value(), 100);
}

TEST_F(FakeProc, ZombieIsNotAlive) {
  AddProcess(200, "zombie", 'Z', 1, 200, {200});
  EXPECT_FALSE(ProcessAlive(200, root_));
  EXPECT_TRUE(ReadComm(200, root_).ok()) << "its comm is still readable";
  AddProcess(201, "dead", 'X', 1, 201, {});
  EXPECT_FALSE(ProcessAlive(201, root_));
}

TEST_F(FakeProc, MissingPid) {
  EXPECT_FALSE(ProcessAlive(999, root_));
  EXPECT_EQ(CountThreads(999, root_), 0);
  const auto comm = ReadComm(999, root_);
  EXPECT_TRUE(absl::IsNotFound(comm.status()));
  EXPECT_NE(comm.status().message().find("999"), absl::string_view::npos);
  EXPECT_TRUE(absl::IsNotFound(ReadTgid(999, root_).status()));
  EXPECT_TRUE(absl::IsNotFound(ReadStartTime(999, root_).status()));
}

TEST_F(FakeProc, ThreadIdResolvesToItsTgid) {
  AddProcess(300, "threaded", 'S', 7, 300, {300, 301});
  AddProcess(301, "worker", 'S', 7, 300, {301});  // /proc/<tid> exists for threads too
  EXPECT_EQ(ReadTgid(301, root_).value(), 300);
}

TEST_F(FakeProc, FindPidsByCommSkipsZombiesAndOthers) {
  AddProcess(10, "server", 'S', 1, 10, {10});
  AddProcess(12, "server", 'R', 1, 12, {12});
  AddProcess(11, "server", 'Z', 1, 11, {11});
  AddProcess(13, "client", 'S', 1, 13, {13});
  fs::create_directories(fs::path(root_) / "self");  // non-numeric entries are ignored
  EXPECT_EQ(FindPidsByComm("server", root_), (std::vector<int>{10, 12}));
  EXPECT_TRUE(FindPidsByComm("nobody", root_).empty());
}

TEST_F(FakeProc, TruncatedStatHasNoStartTime) {
  const fs::path dir = fs::path(root_) / "400";
  fs::create_directories(dir);
  std::ofstream(dir / "stat") << "400 (short) S 1 1\n";
  EXPECT_TRUE(absl::IsDataLoss(ReadStartTime(400, root_).status()));
}

TEST(Preflight, MissingBtfSaysWhatToDo) {
  const absl::Status s = iotax::CheckKernelBtf("/nonexistent/vmlinux");
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_NE(s.message().find("/nonexistent/vmlinux"), absl::string_view::npos);
  EXPECT_NE(s.message().find("CONFIG_DEBUG_INFO_BTF"), absl::string_view::npos);
}

}  // namespace
}  // namespace iotax::proc
