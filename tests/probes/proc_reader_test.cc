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

TEST(ParseStat, CommWithParenthesesAndSpacesInside) {
  const auto stat = ParseStat("4242 (a) (b ) (c) S 17 4242 4242 0 -1 4194560 10 0 0 0 731 269 0 0 20 0 3 0 12345\n");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->comm, "a) (b ) (c");
  EXPECT_EQ(stat->State(), 'S');
  EXPECT_EQ(stat->Number(kStatParentPid), 17u);
  EXPECT_EQ(stat->Number(kStatFlags), 4194560u);
  EXPECT_EQ(stat->Number(kStatUserTicks), 731u);
  EXPECT_EQ(stat->Number(kStatSystemTicks), 269u);
  EXPECT_EQ(stat->Number(kStatStartTime), 12345u);
  EXPECT_EQ(stat->Number(23), std::nullopt) << "past the end of the line";
  EXPECT_EQ(stat->Number(8), std::nullopt) << "tpgid -1 is not a count";
  EXPECT_EQ(stat->Number(2), std::nullopt) << "comm is not a numbered field";
}

TEST(ParseStat, ZombieKeepsItsStateAndShortLinesParse) {
  const auto zombie = ParseStat("77 (gone) Z 1 0 0");
  ASSERT_TRUE(zombie.ok());
  EXPECT_EQ(zombie->State(), 'Z');
  EXPECT_EQ(zombie->Number(kStatParentPid), 1u);
  EXPECT_EQ(zombie->Number(kStatStartTime), std::nullopt);
  const auto empty = ParseStat("78 ()");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->comm, "");
  EXPECT_EQ(empty->State(), '\0');
}

TEST(ParseStat, NoCommandNameIsDataLoss) {
  EXPECT_TRUE(absl::IsDataLoss(ParseStat("4242 no parens here").status()));
  EXPECT_TRUE(absl::IsDataLoss(ParseStat("").status()));
}

TEST_F(FakeProc, ReadStatOfAMissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(ReadStat(999, root_).status()));
  EXPECT_EQ(ReadParentPid(999, root_), 0);
  AddProcess(500, "x) (y", 'Z', 9, 500, {500});
  const auto stat = ReadStat(500, root_);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->comm, "x) (y");
  EXPECT_EQ(stat->State(), 'Z');
  EXPECT_EQ(ReadParentPid(500, root_), 1);
}

TEST_F(FakeProc, ThreadRunTimesFromSchedstat) {
  AddProcess(600, "threads", 'S', 1, 600, {600, 601, 602});
  std::ofstream(fs::path(root_) / "600/task/600/schedstat") << "1000 5 3\n";
  std::ofstream(fs::path(root_) / "600/task/601/schedstat") << "2500 0 1\n";
  // 602 has no schedstat (it exited while read): left out.
  const auto runs = ReadThreadRunTimes(600, root_);
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_EQ(*runs, (std::map<int, uint64_t>{{600, 1000}, {601, 2500}}));
  EXPECT_TRUE(absl::IsNotFound(ReadThreadRunTimes(999, root_).status()));
  EXPECT_EQ(ParseSchedstatRunNs("123456789 5000 42\n").value(), 123456789u);
  EXPECT_TRUE(absl::IsDataLoss(ParseSchedstatRunNs("").status()));
}

TEST(Preflight, MissingBtfSaysWhatToDo) {
  const absl::Status s = iotax::CheckKernelBtf("/nonexistent/vmlinux");
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_NE(s.message().find("/nonexistent/vmlinux"), absl::string_view::npos);
  EXPECT_NE(s.message().find("CONFIG_DEBUG_INFO_BTF"), absl::string_view::npos);
}

}  // namespace
}  // namespace iotax::proc
