#include "run_report.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/time/time.h"
#include "client_options.h"
#include "echo_run.h"

namespace iotax::client {
namespace {

RunReport Sample() {
  RunReport r;
  r.model = "uring";
  r.mode = "closed";
  r.host = "127.0.0.1";
  r.port = 9000;
  r.conns = 10;
  r.msg_size = 512;
  r.depth = 1;
  r.rings = 1;
  r.duration_s = 2;
  r.requests = 1000;
  r.throughput_rps = 500;
  r.latency_ns = {1000, 2000, 3000, 4000, 5000, 1500.5};
  r.client_user_s = 0.5;
  r.client_sys_s = 1.5;
  r.bytes_verified = 512000;
  return r;
}

TEST(RunReport, JsonHasEveryStableKey) {
  const std::string json = FormatJsonReport(Sample());
  for (const char* key :
       {"\"model\":\"uring\"", "\"conns\":10", "\"msg_size\":512", "\"depth\":1", "\"rate\":0",
        "\"duration_s\":2", "\"requests\":1000", "\"throughput_rps\":500",
        "\"latency_ns\":{\"p50\":1000,\"p90\":2000,\"p99\":3000,\"p999\":4000,\"max\":5000,\"mean\":1500.5}",
        "\"errors\":0", "\"bytes_verified\":512000", "\"client_cpu_s\":{\"user\":0.5,\"sys\":1.5}",
        "\"machine_cpu\":{\"busy_s\":", "\"cores\":", "\"listen_overflows\":0", "\"valid\":true",
        "\"invalid_reasons\":[]", "\"schedule_lag_ns\":{", "\"realtime\":false",
        "\"client_runqueue_wait_s\":null"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " missing from " << json;
  }
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

TEST(RunReport, RealtimeAndTheClientsCpuWaitAreReported) {
  RunReport r = Sample();
  r.realtime = true;
  r.runqueue_wait_s = 0.0125;
  const std::string json = FormatJsonReport(r);
  EXPECT_NE(json.find("\"realtime\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"client_runqueue_wait_s\":0.0125"), std::string::npos) << json;
  const std::string text = FormatHumanReport(r);
  EXPECT_NE(text.find("real-time priority"), std::string::npos) << text;
  EXPECT_NE(text.find("12.5 ms runnable but waiting for a CPU"), std::string::npos) << text;
}

// An open-loop run that lagged: p99 2.5 ms against the 1 ms default.
RunReport Lagged(double runqueue_wait_s) {
  RunReport r = Sample();
  r.mode = "open";
  r.rate = 20000;
  r.duration_s = 8;
  r.schedule_lag_ns.p99 = 2'500'000;
  r.schedule_lag_ns.max = 9'000'000;
  r.runqueue_wait_s = runqueue_wait_s;
  return r;
}

TEST(ScheduleLagReason, BlamesOtherWorkWhenTheClientWaitedForItsCpu) {
  ClientOptions o;
  o.model = ClientModel::kUring;
  o.cpus = {1};
  o.max_schedule_lag = absl::Milliseconds(1);
  // 455 ms of 8 s (5.7 %) waiting for a CPU: a shared CPU, not the client's capacity.
  const std::string why = ScheduleLagReason(Lagged(0.455), o);
  EXPECT_EQ(why.rfind("the client fell behind its send schedule: p99 send lag 2.500 ms (max 9.000 ms) exceeds "
                      "--max-schedule-lag=1ms",
                      0),
            0u)
      << why;
  EXPECT_NE(why.find("waited 455 ms for a CPU in the 8.0 s window"), std::string::npos) << why;
  EXPECT_NE(why.find("add --realtime"), std::string::npos) << why;
  EXPECT_EQ(why.find("lower --rate"), std::string::npos) << why;
  o.realtime = true;  // already real-time: only CPUs of its own help
  EXPECT_NE(ScheduleLagReason(Lagged(0.455), o).find("give the client CPUs of its own"), std::string::npos);
}

TEST(ScheduleLagReason, PointsAtCapacityWhenTheClientHadItsCpu) {
  ClientOptions o;
  o.model = ClientModel::kUring;
  o.max_schedule_lag = absl::Milliseconds(1);
  for (double wait : {-1.0, 0.0, 0.05}) {  // unknown, none, 0.6 % of the window
    const std::string why = ScheduleLagReason(Lagged(wait), o);
    EXPECT_NE(why.find("lower --rate, add --rings or --cpus"), std::string::npos) << wait << ": " << why;
    EXPECT_EQ(why.find("waited"), std::string::npos) << wait << ": " << why;
  }
}

TEST(ScheduleLagReason, ThreadsQueueingBehindEachOtherAreTheClientsOwnCapacity) {
  ClientOptions o;
  o.max_schedule_lag = absl::Milliseconds(1);
  o.model = ClientModel::kBlocking;  // a thread per connection
  EXPECT_NE(ScheduleLagReason(Lagged(0.455), o).find("lower --rate"), std::string::npos);
  o.model = ClientModel::kUring;  // two rings on one CPU
  o.rings = 2;
  o.cpus = {1};
  EXPECT_NE(ScheduleLagReason(Lagged(0.455), o).find("lower --rate"), std::string::npos);
}

TEST(RunReport, JsonEscapesReasons) {
  RunReport r = Sample();
  r.valid = false;
  r.invalid_reasons = {"a \"quoted\"\nreason\\"};
  const std::string json = FormatJsonReport(r);
  EXPECT_NE(json.find("\"invalid_reasons\":[\"a \\\"quoted\\\"\\nreason\\\\\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"valid\":false"), std::string::npos);
}

TEST(RunReport, HumanTableShowsResultsAndVerdict) {
  RunReport r = Sample();
  std::string text = FormatHumanReport(r);
  EXPECT_NE(text.find("500 req/s"), std::string::npos) << text;
  EXPECT_NE(text.find("p50 1.0"), std::string::npos) << text;
  EXPECT_NE(text.find("VALID"), std::string::npos) << text;
  EXPECT_NE(text.find("2000.00 us/request"), std::string::npos) << text;
  r.valid = false;
  r.invalid_reasons = {"the server's accept queue overflowed"};
  text = FormatHumanReport(r);
  EXPECT_NE(text.find("INVALID"), std::string::npos);
  EXPECT_NE(text.find("accept queue overflowed"), std::string::npos);
}

TEST(RunReport, SummarizeUsesTheHistogramRule) {
  LogLinearHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  const LatencySummary s = Summarize(h);
  EXPECT_EQ(s.p50, 50u);
  EXPECT_EQ(s.p90, 90u);
  EXPECT_EQ(s.p99, 99u);
  EXPECT_EQ(s.p999, 100u);
  EXPECT_EQ(s.max, 100u);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

}  // namespace
}  // namespace iotax::client
