// Matrix expansion: which runs, in which order, with which stable ids, and
// the CPU plans of the two placements.
#include "bench_matrix.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "bench_config.h"

namespace iotax::bench {
namespace {

BenchConfig Parse(const std::string& text) {
  auto c = ParseBenchConfig(text, "t.conf");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(BenchMatrix, CountsEveryPhase) {
  const BenchConfig c = Parse(
      "servers = blocking, epoll, uring\nconns = 10, 100\nsizes = 512\nloads = closed, 0.25, 0.75\n"
      "placements = separate, shared\nrepeats = 3\nagent = proof\n");
  const auto slots = ExpandMatrix(c);
  std::map<Phase, int> by_phase;
  for (const RunSlot& s : slots) ++by_phase[s.point.phase];
  // unloaded: 2 placements x 3 servers x 3 repeats (conns collapse to 1)
  EXPECT_EQ(by_phase[Phase::kUnloaded], 2 * 3 * 3);
  // closed: 4 setups x 3 servers x 3 repeats
  EXPECT_EQ(by_phase[Phase::kClosed], 4 * 3 * 3);
  // open: 4 setups x 2 fractions x 3 servers x 3 repeats
  EXPECT_EQ(by_phase[Phase::kOpen], 4 * 2 * 3 * 3);
  // proof: 4 setups x (blocking, uring) x (plain, agent) x 3 repeats
  EXPECT_EQ(by_phase[Phase::kProof], 4 * 2 * 2 * 3);
  // Keys are unique.
  std::set<std::string> keys;
  for (const RunSlot& s : slots) EXPECT_TRUE(keys.insert(s.Key()).second) << s.Key();
}

TEST(BenchMatrix, PhasesRunInOrderAndModelsAlternateWithinARepeat) {
  const BenchConfig c = Parse(
      "servers = blocking, uring\nconns = 10\nloads = closed, 0.5\nplacements = separate\n"
      "repeats = 2\n");
  const auto slots = ExpandMatrix(c);
  for (size_t i = 1; i < slots.size(); ++i) {
    EXPECT_LE(static_cast<int>(slots[i - 1].point.phase), static_cast<int>(slots[i].point.phase));
  }
  // The closed-loop group: r0 blocking, r0 uring, r1 blocking, r1 uring.
  std::vector<std::string> closed;
  for (const RunSlot& s : slots) {
    if (s.point.phase == Phase::kClosed) closed.push_back(s.Key());
  }
  EXPECT_EQ(closed, (std::vector<std::string>{
                        "blocking.uring-client.c10.s512.w0.separate.closed#0",
                        "uring.uring-client.c10.s512.w0.separate.closed#0",
                        "blocking.uring-client.c10.s512.w0.separate.closed#1",
                        "uring.uring-client.c10.s512.w0.separate.closed#1",
                    }));
  // The proof group alternates all four kinds within a repeat.
  std::vector<std::string> proof;
  for (const RunSlot& s : slots) {
    if (s.point.phase == Phase::kProof && s.repeat == 0) proof.push_back(s.point.Id());
  }
  EXPECT_EQ(proof, (std::vector<std::string>{
                       "blocking.uring-client.c10.s512.w0.separate.proof0.5",
                       "uring.uring-client.c10.s512.w0.separate.proof0.5",
                       "blocking.uring-client.c10.s512.w0.separate.proof0.5+agent",
                       "uring.uring-client.c10.s512.w0.separate.proof0.5+agent",
                   }));
}

TEST(BenchMatrix, IdsAreStableStringsOfTheParameters) {
  const iotax::bench::Setup setup{"blocking", 400, 4096, 5000, 65536, Placement::kShared};
  Point p{Phase::kOpen, "epoll", setup, 0.25, false};
  EXPECT_EQ(p.Id(), "epoll.blocking-client.c400.s4096.w5000.ws65536.shared.open0.25");
  EXPECT_EQ((RunSlot{p, 2}.Key()), "epoll.blocking-client.c400.s4096.w5000.ws65536.shared.open0.25#2");
  EXPECT_EQ(p.setup.Label(), "400 conns, 4 KiB, work 5000 ns over 65536 B, shared, blocking client");
}

TEST(BenchMatrix, AgentAllAddsAnAttachedTwinToEveryOpenPoint) {
  const BenchConfig c = Parse(
      "servers = blocking, uring\nconns = 10\nloads = closed, 0.5\nplacements = separate\n"
      "repeats = 1\nagent = all\n");
  int open = 0, open_attached = 0;
  for (const RunSlot& s : ExpandMatrix(c)) {
    if (s.point.phase != Phase::kOpen) continue;
    ++open;
    open_attached += s.point.agent;
  }
  EXPECT_EQ(open, 4);
  EXPECT_EQ(open_attached, 2);
}

TEST(BenchMatrix, NoProofWithoutProofLoadAndNoAttachedRunsWithAgentOff) {
  const BenchConfig c = Parse(
      "servers = epoll\nconns = 10\nloads = closed\nplacements = separate\nproof_load = none\n"
      "agent = off\nrepeats = 1\n");
  for (const RunSlot& s : ExpandMatrix(c)) {
    EXPECT_NE(s.point.phase, Phase::kProof);
    EXPECT_FALSE(s.point.agent);
  }
  EXPECT_EQ(ExpandMatrix(c).size(), 2u);  // unloaded + closed
}

TEST(BenchMatrix, CpuPlansScaleToTheMachine) {
  CpuPlan two_sep = PlanCpus(Placement::kSeparate, 2);
  EXPECT_EQ(two_sep.server, "0");
  EXPECT_EQ(two_sep.client, "1");
  CpuPlan two_shared = PlanCpus(Placement::kShared, 2);
  EXPECT_EQ(two_shared.server, "0");
  EXPECT_EQ(two_shared.client, "0");
  CpuPlan eight_sep = PlanCpus(Placement::kSeparate, 8);
  EXPECT_EQ(eight_sep.server, "0-3");
  EXPECT_EQ(eight_sep.client, "4-7");
  EXPECT_EQ(PlanCpus(Placement::kShared, 8).client, "0-3");
  CpuPlan three = PlanCpus(Placement::kSeparate, 3);
  EXPECT_EQ(three.server, "0");
  EXPECT_EQ(three.client, "1-2");
}

}  // namespace
}  // namespace iotax::bench
