#include "run_report.h"

#include <gtest/gtest.h>

#include <string>

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
        "\"invalid_reasons\":[]", "\"schedule_lag_ns\":{"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " missing from " << json;
  }
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_EQ(json.find('\n'), std::string::npos);
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
