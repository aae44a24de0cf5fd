// iotax-bench --stacks end to end (root + BPF): the smallest proof (one
// setup, one repeat, the shortest attached runs) writes the blocking vs
// io_uring stack diff, and the off-CPU diff names the call sites that
// change: the blocking server's read path shrinks, io_uring_enter grows.
#include <gtest/gtest.h>

#include <fstream>

#include "bench_cli.h"
#include "require.h"

namespace {

using namespace iotax::bench::testing;

constexpr char kSmallestProof[] = R"conf(servers = blocking, uring
clients = uring
conns = 8
sizes = 512
loads = closed
placements = separate
proof_load = 0.5
agent = proof
calibration = none
repeats = 1
warmup = 100ms
duration = 300ms
unloaded_duration = 200ms
agent_duration = 3s
max_schedule_lag = 10ms
)conf";

// The line of `iotax diff`'s table whose frame column is `frame`, or "".
std::string Row(const std::string& table, const std::string& frame) {
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) {
    if (line.size() >= frame.size() && line.compare(line.size() - frame.size(), frame.size(), frame) == 0) {
      return line;
    }
  }
  return "";
}

TEST(BenchStacks, TheProofWritesTheBlockingVsUringDiffWithTheExpectedCallSites) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  const std::string config = dir.path() + "/smallest.conf";
  std::ofstream(config) << kSmallestProof;
  const std::string out = dir.path() + "/out";
  const Outcome o = RunBench({"--config", config, "--stacks", "--out", out}, dir.path() + "/err", absl::Seconds(90));
  ASSERT_EQ(o.code, 0) << o.err;

  const std::string setup = out + "/stacks/uring-client.c8.s512.w0.separate";
  EXPECT_NE(o.err.find("stacks: uring-client.c8.s512.w0.separate: blocking -> io_uring stack diffs"), std::string::npos)
      << o.err;
  for (const char* name : {"offcpu-diff.txt", "offcpu-diff.svg", "oncpu-diff.txt", "oncpu-diff.svg",
                           "blocking.offcpu.folded", "uring.offcpu.folded"}) {
    EXPECT_FALSE(ReadFile(setup + "/" + name).empty()) << name;
  }
  EXPECT_NE(ReadFile(setup + "/offcpu-diff.svg").find("<svg"), std::string::npos);

  const std::string table = ReadFile(setup + "/offcpu-diff.txt");
  EXPECT_NE(table.find("per request"), std::string::npos) << table;
  // The blocking server waits in read() on its sockets; the io_uring server in io_uring_enter.
  const std::string read_row = Row(table, "read (socket)");
  const std::string enter_row = Row(table, "io_uring_enter (anon)");
  EXPECT_NE(read_row.find("-100%"), std::string::npos) << table;
  EXPECT_NE(enter_row.find("new"), std::string::npos) << table;
  EXPECT_NE(Row(table, "iotax::echo::BlockingServer::ServeConnection(unsigned long, int)").find("-100%"),
            std::string::npos)
      << table;
}

TEST(BenchStacks, StacksWithoutTheAgentIsExitTwo) {
  TempDir dir;
  const std::string config = dir.path() + "/off.conf";
  std::ofstream(config) << "servers = blocking, uring\nagent = off\n";
  const Outcome o = RunBench({"--config", config, "--stacks", "--out", dir.path() + "/out"}, dir.path() + "/err",
                             absl::Seconds(20));
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("set agent = proof"), std::string::npos) << o.err;
}

}  // namespace
