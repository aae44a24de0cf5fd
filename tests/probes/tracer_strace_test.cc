// Per-syscall counts of the Tracer equal `strace -c -f` on the same
// deterministic workload. Both attach the same way: to the running process,
// between its "ready" and "go", while it spins in user mode with no syscall
// in flight, so both count exactly the syscalls entered after "go".
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/numbers.h"
#include "child_process.h"
#include "known_workload_run.h"
#include "require.h"
#include "sanitizer.h"
#include "syscall_names.h"
#include "tracer.h"

namespace iotax {
namespace {

using testing::ChildProcess;
using testing::KnownWorkloadParams;
using testing::RunKnownWorkload;

constexpr KnownWorkloadParams kParams{.n = 20, .sleep_ms = 2, .spin_ms = 30, .cpu = 0};

// The syscall table of `strace -c`: name -> calls (errored calls included).
std::map<std::string, uint64_t> ParseStraceSummary(const std::string& text) {
  std::map<std::string, uint64_t> calls;
  int rules = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("------", 0) == 0) {
      ++rules;
      continue;
    }
    if (rules != 1) continue;  // rows sit between the first and second rule
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // % time, seconds, usecs/call, calls, [errors], syscall
    uint64_t n = 0;
    if (f.size() >= 5 && absl::SimpleAtoi(f[3], &n)) calls[f.back()] = n;
  }
  return calls;
}

bool HaveStrace() { return access("/usr/bin/strace", X_OK) == 0; }

TEST(TracerVsStrace, SyscallCountsAgreeExactly) {
  IOTAX_REQUIRE_BPF();
  IOTAX_REQUIRE(HaveStrace() ? std::nullopt : std::optional<std::string>("strace is not installed (apt-get install strace)"));

  // 1. Under strace: attach with -p (and -f: all threads, and new ones).
  testing::NoLeakCheckInTracedChildren();
  char out_path[] = "/tmp/iotax-strace-XXXXXX";
  const int out_fd = mkstemp(out_path);
  ASSERT_GE(out_fd, 0);
  close(out_fd);
  std::optional<ChildProcess> strace;
  absl::StatusOr<testing::WorkloadReport> straced = RunKnownWorkload(kParams, [&](pid_t pid) -> absl::Status {
    absl::StatusOr<ChildProcess> s = ChildProcess::Start(
        {"/usr/bin/strace", "-f", "-c", "-o", out_path, "-p", std::to_string(pid)}, /*capture_stderr=*/true);
    if (!s.ok()) return s.status();
    strace.emplace(std::move(*s));
    return strace->ReadStderrUntil("attached", std::chrono::seconds(10)).status();
  });
  ASSERT_TRUE(straced.ok()) << straced.status();
  ASSERT_TRUE(strace.has_value());
  ASSERT_TRUE(strace->Finish(std::chrono::seconds(10)).ok()) << "strace exits with its tracee";
  std::ifstream summary_file(out_path);
  std::stringstream summary;
  summary << summary_file.rdbuf();
  unlink(out_path);
  const std::map<std::string, uint64_t> expected = ParseStraceSummary(summary.str());
  ASSERT_FALSE(expected.empty()) << "no table in strace output:\n" << summary.str();

  // 2. Under the Tracer, same parameters.
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  absl::StatusOr<testing::WorkloadReport> traced =
      RunKnownWorkload(kParams, [&](pid_t pid) { return (*tracer)->AddTarget(pid); });
  ASSERT_TRUE(traced.ok()) << traced.status();
  const AgentSnapshot snap = (*tracer)->Read();
  ASSERT_EQ(snap.targets.size(), 1u);
  const TargetStats& st = snap.targets[0].stats;

  // 3. Every syscall strace saw, with the same count.
  // The sanitizer runtime's spin locks back off with sched_yield, as often
  // as threads happen to contend: a count that differs from run to run
  // there, and only there (it is compared exactly in the normal build).
  auto runtime_noise = [](const std::string& name) { return testing::kSanitizerBuild && name == "sched_yield"; };
  for (const auto& [name, calls] : expected) {
    if (runtime_noise(name)) continue;
    std::optional<int> nr = SyscallNumber(name);
    ASSERT_TRUE(nr.has_value()) << "strace reports a syscall this header does not name: " << name;
    EXPECT_EQ(st.syscalls.at(*nr), calls) << name << "\nstrace -c -f:\n" << summary.str();
  }
  // And nothing strace did not see, except exit and exit_group: strace -c
  // counts a call when it returns, and those two never return. The workload
  // ends three threads (exit) and then the process (exit_group).
  const std::map<std::string, uint64_t> never_return = {{"exit", 3}, {"exit_group", 1}};
  for (int nr = 0; nr < kMaxSyscallNr; ++nr) {
    if (st.syscalls[nr] == 0) continue;
    const std::string name = SyscallName(nr);
    if (expected.count(name) || runtime_noise(name)) continue;
    auto it = never_return.find(name);
    ASSERT_NE(it, never_return.end()) << "the tracer counted " << st.syscalls[nr] << " x " << name
                                      << ", strace none\n" << summary.str();
    EXPECT_EQ(st.syscalls[nr], it->second) << name;
  }
}

}  // namespace
}  // namespace iotax
