// End to end on the server designs written for the out-of-sample check
// (issue 14 part 5, servers/foreign), each next to its async counterpart
// (--async: one epoll loop, the same IO calls): what iotax must see in each.
// The bounds are the design's facts (a fork design is many processes, a
// worker pool hands off and never blocks in a read, an epoll loop has nothing
// to save), none of one machine's numbers.
#include <gtest/gtest.h>

#include <algorithm>

#include "foreign_load.h"
#include "require.h"

namespace iotax::testing {
namespace {

using nlohmann::json;

json ClassNamed(const json& target, const std::string& name) {
  for (const json& c : target["syscalls"]) {
    if (c["class"] == name) return c;
  }
  return json();
}

// The design's (or with --async its counterpart's) report under 32
// connections; `service` measures every process of its name (--comm).
json Measure(const std::string& program, bool async, bool service) {
  TempDir dir;
  std::unique_ptr<Subprocess> server;
  std::vector<std::string> flags;
  if (async) flags.push_back("--async");
  const int port = StartForeignServer(dir, program, flags, &server);
  EXPECT_GT(port, 0) << ReadFile(dir.File("server.err"));
  if (port <= 0) return json();
  // The kernel keeps 15 characters of a program's name.
  const std::vector<std::string> target = {service ? absl::StrCat("--comm=", program.substr(0, 15))
                                                   : absl::StrCat("--pid=", server->pid())};
  json t = ReportUnderLoad(dir, target, port, 32);
  server->Stop();
  if (t.is_object()) {
    std::printf("%s%s: %s\n", program.c_str(), async ? " --async" : "", t["verdict"]["summary"].dump().c_str());
  }
  return t;
}

// The async counterpart: an epoll loop over every connection in one thread.
void ExpectNothingToSave(const json& t) {
  ASSERT_TRUE(t.is_object());
  EXPECT_EQ(t["verdict"]["blocked_io_calls"], 0) << t["verdict"].dump(2);
  EXPECT_EQ(t["verdict"]["level"], "not_worth_it") << t["verdict"].dump(2);
  // Nothing blocked: no model error to carry.
  EXPECT_EQ(t["verdict"]["saving_model_error_share"], json::array({0.0, 0.0})) << t["verdict"].dump(2);
  if (t["waits"]["blocked_waits"].get<double>() > 0) {
    EXPECT_FALSE(t["waits"]["blocking_design"].get<bool>()) << t["waits"].dump(2);
  }
}

void ExpectBlockingReadsAndASaving(const json& t) {
  ASSERT_TRUE(t.is_object());
  const json read = ClassNamed(t, "net_read");
  ASSERT_TRUE(read.is_object()) << t["syscalls"].dump(2);
  EXPECT_GT(read["blocked_calls"].get<double>(), 0) << read.dump(2);
  const json& v = t["verdict"];
  ASSERT_TRUE(v["estimated_saving_share"].is_number()) << v.dump(2);
  EXPECT_GT(v["estimated_saving_share"].get<double>(), 0) << v.dump(2);
  EXPECT_NE(v["level"], "not_worth_it") << v.dump(2);
  // The interval carries the model's validated error around the estimate,
  // up to all of the CPU (no saving is more).
  const double estimate = v["estimated_saving_share"].get<double>();
  const json& margin = v["saving_model_error_share"];
  EXPECT_LT(margin[0].get<double>(), 0) << v.dump(2);
  EXPECT_GT(margin[1].get<double>(), 0) << v.dump(2);
  EXPECT_LE(v["estimated_saving_share_ci"][0].get<double>(), estimate + margin[0].get<double>() + 1e-9) << v.dump(2);
  EXPECT_GE(v["estimated_saving_share_ci"][1].get<double>(), std::min(1.0, estimate + margin[1].get<double>()) - 1e-9)
      << v.dump(2);
  EXPECT_LE(v["estimated_saving_share_ci"][1].get<double>(), 1.0) << v.dump(2);
}

TEST(ForeignDesignsE2E, ThreadPerConnectionAsyncCounterpartHasNothingToSave) {
  IOTAX_REQUIRE_BPF();
  ExpectNothingToSave(Measure("iotax-foreign-tpc", true, false));
}

TEST(ForeignDesignsE2E, ForkPerConnectionIsOneServiceOfManyProcessesWithBlockingReads) {
  IOTAX_REQUIRE_BPF();
  const json t = Measure("iotax-foreign-fork", false, true);
  ASSERT_TRUE(t.is_object());
  ASSERT_TRUE(t["service"].is_object()) << t.dump(2);
  EXPECT_GE(t["service"]["processes_seen"].get<int>(), 33) << "the parent and one child per connection";
  ExpectBlockingReadsAndASaving(t);
  ExpectNothingToSave(Measure("iotax-foreign-fork", true, true));
}

TEST(ForeignDesignsE2E, VectoredThreadPerConnectionReadvIsASocketReadThatBlocks) {
  IOTAX_REQUIRE_BPF();
  const json t = Measure("iotax-foreign-vec", false, false);
  ExpectBlockingReadsAndASaving(t);
  ExpectNothingToSave(Measure("iotax-foreign-vec", true, false));
}

TEST(ForeignDesignsE2E, WorkerPoolPaysHandOffsNotBlockedReads) {
  IOTAX_REQUIRE_BPF();
  const json t = Measure("iotax-foreign-pool", false, false);
  ASSERT_TRUE(t.is_object());
  const json& v = t["verdict"];
  EXPECT_GT(v["handoffs_per_second"].get<double>(), 0) << v.dump(2);
  EXPECT_TRUE(absl::StrContains(v["reasons"].dump(), "Thread hand-offs")) << v["reasons"].dump(2);
  const json read = ClassNamed(t, "net_read");
  ASSERT_TRUE(read.is_object()) << t["syscalls"].dump(2);
  // The dispatcher saw each connection readable before a worker reads it.
  EXPECT_LE(read["blocked_calls"].get<double>() * 20, read["calls"].get<double>()) << read.dump(2);
  EXPECT_FALSE(t["waits"]["blocking_design"].get<bool>()) << "one epoll over every connection: " << t["waits"].dump(2);
  // A worker (a thread that never waits in epoll) re-arms its connection
  // (one-shot epoll_ctl) after each request: one poll_rearm call per read,
  // priced with the futex calls as the hand-off. The dispatcher, the thread
  // that waits in epoll, makes no epoll_ctl of its own.
  const json rearm = ClassNamed(t, "poll_rearm");
  ASSERT_TRUE(rearm.is_object()) << t["syscalls"].dump(2);
  EXPECT_GE(rearm["calls"].get<double>(), read["calls"].get<double>() * 0.9) << rearm.dump(2);
  EXPECT_TRUE(ClassNamed(t, "poll_ctl").is_null()) << t["syscalls"].dump(2);
  EXPECT_GT(v["rearms_per_second"].get<double>(), 0) << v.dump(2);
  EXPECT_GT(v["rearm_cpu_seconds"].get<double>(), 0) << v.dump(2);
  EXPECT_NEAR(v["handoff_cpu_seconds"].get<double>(),
              v["handoff_futex_cpu_seconds"].get<double>() + v["rearm_cpu_seconds"].get<double>() +
                  v["handoff_sleep_cpu_seconds"].get<double>(),
              1e-9);
  // Its counterpart's loop thread re-arms only for itself: no hand-off.
  const json async = Measure("iotax-foreign-pool", true, false);
  ExpectNothingToSave(async);
  if (async.is_object()) {
    EXPECT_EQ(async["verdict"]["handoffs_per_second"], 0) << async["verdict"].dump(2);
  }
}

}  // namespace
}  // namespace iotax::testing
