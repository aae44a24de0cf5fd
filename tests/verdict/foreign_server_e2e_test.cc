// End to end on a server iotax was not built around (issue 14): the foreign
// thread-per-connection echo server (servers/foreign) under a closed-loop
// load of 100 connections, measured by `iotax report --json`. At saturation
// the few reads that find data waiting are the odd ones, so tier 2 must
// price a block from the blocked reads' own switch paths. Every bound below
// comes from figures of the same run, none from one machine's numbers.
#include <gtest/gtest.h>

#include "e2e_support.h"
#include "nlohmann/json.hpp"
#include "require.h"

namespace iotax::testing {
namespace {

using nlohmann::json;

TEST(ForeignServerE2E, ThreadPerConnectionBlocksArePricedBySwitchPathsAndAsyncWouldSave) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  // Pinned to CPU 0 (by taskset, as one would pin a server found in the wild).
  auto server = Subprocess::Start({"/usr/bin/taskset", "-c", "0", Bin("iotax-foreign-tpc"), "0"}, dir.File("server.err"));
  ASSERT_TRUE(server.ok()) << server.status();
  const std::optional<std::string> line = (*server)->ReadLine(absl::Seconds(10));
  int port = 0;
  ASSERT_TRUE(line && absl::StartsWith(*line, "port ") && absl::SimpleAtoi(line->substr(5), &port))
      << (line ? *line : "no line") << ReadFile(dir.File("server.err"));

  // Closed loop: 100 connections, one 512 B request in flight each, the
  // client on the other CPU. It outlasts the report's window generously
  // (attaching can take seconds on a loaded machine).
  const int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
  auto client = Subprocess::Start({Bin("iotax-echo-client"), "--model=uring", absl::StrCat("--port=", port),
                                   "--conns=100", "--msg-size=512", "--duration=20s", "--warmup=500ms",
                                   absl::StrCat("--cpus=", cpu), "--json", "--allow-invalid"},
                                  dir.File("client.err"));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::SleepFor(absl::Milliseconds(1500));  // connected and warmed up
  const RunResult r = RunProgram({Bin("iotax"), "report", absl::StrCat("--pid=", (*server)->pid()), "--duration=4s",
                                  "--json", "--calibration=none"},
                                 dir.File("iotax.err"), absl::Seconds(60));
  const bool load_outlasted_report = !(*client)->Wait(absl::Milliseconds(1)).has_value();
  (*client)->Stop(absl::Seconds(2));
  (*server)->Stop();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(load_outlasted_report) << "the load ended before iotax report's window did";
  const json report = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out << r.err;
  const json& t = report["targets"][0];
  const json& v = t["verdict"];
  std::printf("foreign server: %s\n", v["summary"].get<std::string>().c_str());

  json read;
  for (const json& c : t["syscalls"]) {
    if (c["class"] == "net_read") read = c;
  }
  ASSERT_TRUE(read.is_object()) << t["syscalls"].dump(2);
  std::printf("net_read: %s\n", read.dump().c_str());
  const double blocked = read["blocked_calls"].get<double>();
  ASSERT_GT(blocked, 0) << read.dump(2);
  EXPECT_EQ(read["tier2_method"], "switch_paths") << read.dump(2);
  EXPECT_EQ(read["tier2_status"], "calibrated") << read.dump(2);
  // The price is positive and made of the blocked reads' own on-CPU time:
  // at least the sleep path (the own work comes off the resume path only),
  // at most the whole blocked read.
  const double price = read["price_per_block_seconds"].get<double>();
  const double sleep = read["mean_sleep_path_seconds"].get<double>();
  const double resume = read["mean_resume_path_seconds"].get<double>();
  EXPECT_GT(sleep, 0);
  EXPECT_GT(resume, 0);
  EXPECT_GT(price, 0);
  EXPECT_GE(price, sleep * 0.999);
  EXPECT_LE(price, read["mean_blocked_oncpu_seconds"].get<double>() * 1.001);
  EXPECT_NEAR(read["direct_cpu_seconds"].get<double>(), price * blocked, price * blocked * 1e-6);
  // Every blocked read moved a request (512 B, or less when split).
  EXPECT_GT(read["mean_blocked_bytes"].get<double>(), 0);
  EXPECT_LE(read["mean_blocked_bytes"].get<double>(), 65536);
  // The verdict: blocking costs something and an async design saves some of it.
  ASSERT_TRUE(v["overhead_share"].is_number()) << v.dump(2);
  ASSERT_TRUE(v["estimated_saving_share"].is_number()) << v.dump(2);
  EXPECT_GT(v["overhead_share"].get<double>(), 0) << v.dump(2);
  EXPECT_GT(v["estimated_saving_share"].get<double>(), 0) << v.dump(2);
  EXPECT_LE(v["estimated_saving_share"].get<double>(), v["overhead_share"].get<double>()) << v.dump(2);
  EXPECT_TRUE(absl::StrContains(v["reasons"].dump(), "switch_paths")) << v["reasons"].dump(2);
}

}  // namespace
}  // namespace iotax::testing
