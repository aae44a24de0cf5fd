// Who belongs to a service (probes/service_members.h) and what its CPU is
// (ProcessCpuReader over its members), on a fake /proc and a fake cgroup tree
// in temporary directories: no root, nothing of this machine's.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "fake_proc.h"
#include "process_facts.h"
#include "service_members.h"

namespace iotax {
namespace {

using testing::FakeProc;

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// A fake cgroup v2 directory tree, removed at the end.
class FakeCgroup {
 public:
  FakeCgroup() {
    char tmpl[] = "/tmp/iotax_fake_cgroup_XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  ~FakeCgroup() { std::filesystem::remove_all(root_); }
  std::string Add(const std::string& sub, const std::string& procs) {
    const std::string dir = sub.empty() ? root_ : root_ + "/" + sub;
    Write(dir + "/cgroup.procs", procs);
    return dir;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(ServiceMembers, CommFindsEveryLiveProcessOfTheNameButNotZombies) {
  FakeProc proc;
  proc.AddProcess(10, "apache2");
  proc.AddProcess(11, "apache2", 10);
  proc.AddProcess(12, "apache2", 10, 1, 'Z');  // reaped soon: not a member
  proc.AddProcess(13, "nginx");
  const ServiceSelector s{ServiceSelector::Kind::kComm, "apache2", {}};
  EXPECT_EQ(FindServiceMembers(s, proc.root()), (std::vector<int>{10, 11}));
  EXPECT_EQ(s.DisplayName(), "apache2");
  EXPECT_STREQ(s.KindName(), "comm");
}

TEST(ServiceMembers, CgroupReadsCgroupProcsOfEveryCgroupBelowIt) {
  FakeProc proc;
  for (int pid : {20, 21, 22, 23}) proc.AddProcess(pid, "svc");
  FakeCgroup cg;
  const std::string top = cg.Add("system.slice/db.service", "20\n");
  cg.Add("system.slice/db.service/workers", "21\n22\n");
  cg.Add("system.slice/db.service/workers/deeper", "23\n99\n");  // 99 has exited
  cg.Add("system.slice/other.service", "30\n");
  const ServiceSelector s{ServiceSelector::Kind::kCgroup, top, {}};
  EXPECT_EQ(ReadCgroupProcs(top), (std::vector<int>{20, 21, 22, 23, 99}));
  EXPECT_EQ(FindServiceMembers(s, proc.root()), (std::vector<int>{20, 21, 22, 23}));
  EXPECT_TRUE(CheckCgroupPath(top).ok());
  EXPECT_FALSE(CheckCgroupPath(cg.root() + "/nope").ok());
  const absl::Status not_cgroup = CheckCgroupPath(proc.root());
  EXPECT_NE(not_cgroup.message().find("cgroup.procs"), std::string::npos) << not_cgroup;
}

TEST(ServiceMembers, PidListKeepsTheLiveOnes) {
  FakeProc proc;
  proc.AddProcess(40, "a");
  const ServiceSelector s{ServiceSelector::Kind::kPids, "", {40, 41}};
  EXPECT_EQ(FindServiceMembers(s, proc.root()), (std::vector<int>{40}));
  EXPECT_EQ(s.DisplayName(), "PIDs 40, 41");
  EXPECT_EQ(s.Describe(), "PIDs 40, 41");
  EXPECT_EQ((ServiceSelector{ServiceSelector::Kind::kCgroup, "/sys/fs/cgroup/x", {}}).Describe(), "cgroup /sys/fs/cgroup/x");
}

TEST(ServiceMembers, CpuListsParseAndMalformedOnesAreEmpty) {
  EXPECT_EQ(ParseCpuList("0-3,8,10-11\n"), (std::set<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(ParseCpuList("5"), (std::set<int>{5}));
  EXPECT_TRUE(ParseCpuList("").empty());
  EXPECT_TRUE(ParseCpuList("3-1").empty());
  EXPECT_TRUE(ParseCpuList("x").empty());
}

TEST(ServiceMembers, TheServicesCpusAreTheUnionOfItsMembersOrItsCgroupsCpuset) {
  FakeProc proc;
  proc.AddProcess(50, "w");
  proc.AddProcess(51, "w");
  Write(proc.root() + "/50/status", "Name:\tw\nCpus_allowed_list:\t0-1\n");
  Write(proc.root() + "/51/status", "Name:\tw\nCpus_allowed_list:\t1,3\n");
  EXPECT_EQ(ServiceCpus("", {50, 51}, proc.root()), 3);  // {0, 1, 3}
  EXPECT_EQ(ServiceCpus("", {}, proc.root()), 0);       // unknown, not zero CPUs

  FakeCgroup cg;
  const std::string dir = cg.Add("app/inner", "50\n");
  Write(cg.root() + "/app/cpuset.cpus.effective", "0-5\n");  // the parent's, inherited
  EXPECT_EQ(ServiceCpus(dir, {50, 51}, proc.root()), 6);
}

// ---- The service's CPU: the sum over its members, exited ones included ----

void SetRunNs(FakeProc& proc, int pid, uint64_t ns) {
  Write(absl::StrCat(proc.root(), "/", pid, "/task/", pid, "/schedstat"), absl::StrCat(ns, " 0 1\n"));
}

TargetSnapshot ServiceWith(std::vector<int> members) {
  TargetSnapshot t;
  t.pid = kServicePidBase;
  t.up = true;
  t.service = ServiceFacts{"comm", "w", std::move(members), 0, 0};
  return t;
}

TEST(ServiceCpu, MembersCountFromTheFirstReadOrTheirStartAndExitedOnesKeepTheirPart) {
  FakeProc proc;
  proc.AddProcess(60, "w");
  proc.AddProcess(61, "w");
  SetRunNs(proc, 60, 10'000'000);  // ran 10 ms before the window
  SetRunNs(proc, 61, 20'000'000);
  ProcessCpuReader reader(proc.root());
  AgentSnapshot first;
  first.targets.push_back(ServiceWith({60, 61}));
  reader.AddTo(first);
  const uint64_t at_start = first.targets[0].kernel_cpu_ns;
  EXPECT_LE(at_start, 1u) << "what ran before the window is not the window's";

  SetRunNs(proc, 60, 15'000'000);  // +5 ms
  SetRunNs(proc, 61, 23'000'000);  // +3 ms, then it exits
  AgentSnapshot second;
  second.targets.push_back(ServiceWith({60, 61}));
  reader.AddTo(second);
  EXPECT_EQ(second.targets[0].kernel_cpu_ns, 8'000'000u);

  proc.Remove(61);
  proc.AddProcess(62, "w");  // forked during the window: all of it counts
  SetRunNs(proc, 62, 4'000'000);
  SetRunNs(proc, 60, 16'000'000);  // +1 ms
  AgentSnapshot third;
  third.targets.push_back(ServiceWith({60, 62}));
  reader.AddTo(third);
  EXPECT_EQ(third.targets[0].kernel_cpu_ns, 6'000'000u + 3'000'000u + 4'000'000u);
  EXPECT_GE(third.targets[0].kernel_cpu_ns, second.targets[0].kernel_cpu_ns) << "never goes backwards";
}

// majflt of /proc/PID/stat, field 12 (fields 5-11 zero).
void SetMajorFaults(FakeProc& proc, int pid, uint64_t faults) {
  Write(absl::StrCat(proc.root(), "/", pid, "/stat"), absl::StrCat(pid, " (w) S 1 0 0 0 0 0 0 0 ", faults, " 0 0 0\n"));
}

TEST(ServiceMajorFaults, MembersCountFromTheFirstReadAndExitedOnesKeepTheirPart) {
  FakeProc proc;
  proc.AddProcess(70, "w");
  proc.AddProcess(71, "w");
  SetMajorFaults(proc, 70, 500);  // faulted before the window
  SetMajorFaults(proc, 71, 9);
  ProcessCpuReader reader(proc.root());
  AgentSnapshot first;
  first.targets.push_back(ServiceWith({70, 71}));
  reader.AddTo(first);
  EXPECT_EQ(first.targets[0].major_faults, 0u) << "faults before the window are not the window's";

  SetMajorFaults(proc, 70, 530);  // +30
  SetMajorFaults(proc, 71, 14);   // +5, then it exits
  AgentSnapshot second;
  second.targets.push_back(ServiceWith({70, 71}));
  reader.AddTo(second);
  EXPECT_EQ(second.targets[0].major_faults, 35u);

  proc.Remove(71);
  proc.AddProcess(72, "w");  // forked during the window: all its faults count
  SetMajorFaults(proc, 72, 4);
  SetMajorFaults(proc, 70, 531);
  AgentSnapshot third;
  third.targets.push_back(ServiceWith({70, 72}));
  reader.AddTo(third);
  EXPECT_EQ(third.targets[0].major_faults, 31u + 5u + 4u);
}

}  // namespace
}  // namespace iotax
