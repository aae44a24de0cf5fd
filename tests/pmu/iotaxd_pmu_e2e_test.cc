// Tier 3 through the real iotaxd: without a hardware PMU it exports
// iotax_pmu_up 0 and the reason, no IPC series, and says so in one log line;
// with the software stand-ins every IPC family appears, valid for promtool;
// doctor, --check, report, the metric and the page name one reason, the one
// that follows from the kernel's answer.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "child_process.h"
#include "http_client.h"
#include "pmu_capability.h"
#include "require.h"

namespace iotax {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::HttpGet;

const std::string kIotaxd = std::string(IOTAX_BIN_DIR) + "/iotaxd";
const std::string kWorkload = IOTAX_PIPE_WORKLOAD;

// The value of the first sample whose series starts with `prefix` (a metric
// name, or a name and the first labels).
std::optional<double> Sample(const std::string& body, const std::string& prefix) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, prefix)) {
      double v = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) return v;
    }
  }
  return std::nullopt;
}

int StartDaemon(ChildProcess& daemon) {
  auto line = daemon.ReadStdoutLine(20s);
  if (!line) {
    ADD_FAILURE() << "iotaxd printed no address; stderr: " << daemon.DrainStderr(1s);
    return 0;
  }
  int port = 0;
  const size_t colon = line->rfind(':');
  if (!absl::SimpleAtoi(line->substr(colon + 1, line->rfind("/metrics") - colon - 1), &port)) {
    ADD_FAILURE() << "unexpected first line: " << *line;
  }
  return port;
}

std::string ScrapeUntil(int port, const std::function<bool(const std::string&)>& pred,
                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string body;
  do {
    body = HttpGet(port, "/metrics").body;
    if (pred(body)) return body;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return body;
}

bool PromtoolAccepts(const std::string& text, std::string* output) {
  char path[] = "/tmp/iotax_pmu_e2e_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return false;
  close(fd);
  std::ofstream(path) << text;
  int status = -1;
  if (FILE* p = popen(absl::StrCat("timeout 30 promtool check metrics < ", path, " 2>&1").c_str(), "r")) {
    char buf[1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) output->append(buf, n);
    status = pclose(p);
  }
  unlink(path);
  return status == 0;
}

// Tier-3 families that must never appear without counters.
constexpr const char* kIpcFamilies[] = {
    "iotax_user_instructions_total", "iotax_user_cycles_total", "iotax_user_segments_total", "iotax_user_ipc",
    "iotax_ipc_recovery",            "iotax_ipc_steady_state",  "iotax_cycles_lost_per_return",
    "iotax_indirect_cycles_per_syscall", "iotax_ipc_regression_windows", "iotax_pmu_running_ratio",
    "iotax_pmu_system_user_events"};

TEST(IotaxdPmuE2E, WithoutAPmuExportsUpZeroTheReasonAndNoIpcSeries) {
  IOTAX_REQUIRE_BPF();
  const pmu::PmuCapability cap = pmu::ProbeCapability();
  if (cap.hardware_pmu) GTEST_SKIP() << "this machine has a hardware PMU: " << cap.summary;
  ChildProcess workload({kWorkload, "--name=iotax_pmu_wl", "--seconds=60"});
  ASSERT_TRUE(workload.ReadStdoutLine(10s).has_value()) << "workload did not start";
  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", workload.pid()), "--listen=127.0.0.1:0"});
  const int port = StartDaemon(daemon);
  ASSERT_GT(port, 0);

  const std::string reads =
      absl::StrCat("iotax_syscalls_total{pid=\"", workload.pid(), "\",comm=\"iotax_pmu_wl\",class=\"sync\"}");
  // Long enough for a good number of 100 ms windows, had there been a sampler.
  std::this_thread::sleep_for(1500ms);
  const std::string body =
      ScrapeUntil(port, [&](const std::string& b) { return Sample(b, reads).value_or(0) > 0; }, 10s);
  EXPECT_GT(Sample(body, reads).value_or(0), 0) << "tier 1 keeps working";
  EXPECT_EQ(Sample(body, "iotax_pmu_up "), 0.0);
  EXPECT_EQ(Sample(body, absl::StrCat("iotax_pmu_info{reason=\"", cap.reason, "\",instructions_event=\"instructions\","
                                      "cycles_event=\"cycles\",software_standins=\"false\"}")),
            1.0)
      << body;
  for (const char* family : kIpcFamilies) {
    EXPECT_FALSE(absl::StrContains(body, std::string("\n") + family)) << family << " exported without a PMU";
  }
  std::string promtool;
  EXPECT_TRUE(PromtoolAccepts(body, &promtool)) << promtool;

  daemon.Kill(SIGTERM);
  ASSERT_TRUE(daemon.Wait(10s).has_value());
  const std::string err = daemon.DrainStderr(2s);
  int pmu_lines = 0;
  for (absl::string_view line : absl::StrSplit(err, '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "PMU") || absl::StrContains(line, "perf_event") || absl::StrContains(line, "IPC")) {
      ++pmu_lines;
      EXPECT_TRUE(absl::StrContains(line, absl::StrCat("IPC metrics off (", cap.reason, ")"))) << line;
    }
  }
  EXPECT_EQ(pmu_lines, 1) << "one line about the missing PMU, no more:\n" << err;
}

TEST(IotaxdPmuE2E, WithSoftwareStandInsEveryIpcFamilyAppears) {
  IOTAX_REQUIRE_BPF();
  ChildProcess workload({kWorkload, "--name=iotax_pmu_wl", "--seconds=60"});
  ASSERT_TRUE(workload.ReadStdoutLine(10s).has_value()) << "workload did not start";
  const std::string target = absl::StrCat("{pid=\"", workload.pid(), "\",comm=\"iotax_pmu_wl\"");
  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", workload.pid()), "--listen=127.0.0.1:0",
                       "--pmu-events=cpu-clock,task-clock", "--window=50ms"});
  const int port = StartDaemon(daemon);
  ASSERT_GT(port, 0);

  const std::string windows = "iotax_ipc_regression_windows" + target;
  const std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Sample(b, windows).value_or(0) >= 10; }, 20s);
  EXPECT_EQ(Sample(body, "iotax_pmu_up "), 1.0);
  EXPECT_TRUE(absl::StrContains(body, "iotax_pmu_info{reason=\"ok\",instructions_event=\"cpu-clock\","
                                      "cycles_event=\"task-clock\",software_standins=\"true\"} 1"))
      << body;
  EXPECT_GT(Sample(body, "iotax_user_instructions_total" + target).value_or(0), 0);
  EXPECT_GT(Sample(body, "iotax_user_segments_total" + target + ",after=\"blocked_syscall\"").value_or(0), 0);
  EXPECT_GT(Sample(body, "iotax_user_segments_total" + target + ",after=\"syscall\"").value_or(0), 0);
  // Both stand-ins count nanoseconds: IPC about 1. The two counters are
  // read one after the other at each boundary, so short segments carry the
  // gap between the reads: a loaded ASan run measured 0.88 (7 Dec).
  EXPECT_NEAR(Sample(body, "iotax_user_ipc" + target).value_or(0), 1.0, 0.25);
  EXPECT_GE(Sample(body, windows).value_or(0), 10);
  // Software events are never multiplexed; machine-wide they count all CPUs.
  EXPECT_EQ(Sample(body, "iotax_pmu_running_ratio{event=\"instructions\"}"), 1.0);
  EXPECT_GT(Sample(body, "iotax_pmu_system_user_events{event=\"cycles\"}").value_or(0), 0);
  std::string promtool;
  EXPECT_TRUE(PromtoolAccepts(body, &promtool)) << promtool;

  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0);
  const std::string err = daemon.DrainStderr(2s);
  EXPECT_FALSE(absl::StrContains(err, "IPC metrics off")) << err;
}

// Every line a program prints until it exits (or `timeout` between lines).
std::string AllStdout(ChildProcess& p, std::chrono::milliseconds timeout) {
  std::string out;
  while (auto line = p.ReadStdoutLine(timeout)) out += *line + "\n";
  return out;
}

TEST(IotaxdPmuE2E, OneReasonEverywhereFollowsTheKernelsAnswer) {
  IOTAX_REQUIRE_BPF();
  const pmu::KernelCounterAnswer kernel = pmu::AskKernelForCounters();
  ASSERT_FALSE(kernel.Undecided()) << "root, so the kernel answers: " << kernel.Describe();
  const pmu::PmuCapability cap = pmu::ProbeCapability();
  ASSERT_EQ(cap.hardware_pmu, kernel.Counts()) << cap.summary;
  const std::string reason = kernel.Counts() ? "ok" : cap.reason;

  ChildProcess doctor({std::string(IOTAX_BIN_DIR) + "/iotax", "doctor", "--calibration=/nonexistent/iotax.json"});
  const std::string doctor_out = AllStdout(doctor, 60s);
  doctor.Wait(10s);
  std::string pmu_line;
  for (absl::string_view line : absl::StrSplit(doctor_out, '\n')) {
    // The check's own line (the hint list below repeats the name).
    if (pmu_line.empty() && absl::StrContains(line, "PMU (tier 3)")) pmu_line = std::string(line);
  }
  if (kernel.Counts()) {
    EXPECT_TRUE(absl::StrContains(pmu_line, "counting instructions and cycles")) << doctor_out;
  } else {
    EXPECT_TRUE(absl::StrContains(pmu_line, reason + ": ")) << doctor_out;
  }

  ChildProcess check({kIotaxd, "--check"});
  const std::string check_out = AllStdout(check, 30s);
  EXPECT_EQ(check.Wait(20s), 0) << check_out;
  EXPECT_TRUE(absl::StrContains(check_out, absl::StrCat("(", reason, ")\n"))) << check_out;
  EXPECT_TRUE(absl::StrContains(check_out, "kernel's answer:      " + kernel.Describe())) << check_out;
  EXPECT_TRUE(absl::StrContains(check_out, kernel.Counts() ? "tier 3 (IPC): up"
                                                           : absl::StrCat("tier 3 (IPC): down (", reason, ")")))
      << check_out;

  ChildProcess workload({kWorkload, "--name=iotax_pmu_wl", "--seconds=60"});
  ASSERT_TRUE(workload.ReadStdoutLine(10s).has_value()) << "workload did not start";
  ChildProcess report({std::string(IOTAX_BIN_DIR) + "/iotax", "report", absl::StrCat("--pid=", workload.pid()),
                       "--duration=1s", "--json"});
  const std::string report_out = AllStdout(report, 30s);
  EXPECT_EQ(report.Wait(20s), 0) << report_out << report.DrainStderr(1s);
  const auto report_json = nlohmann::json::parse(report_out, nullptr, false);
  ASSERT_FALSE(report_json.is_discarded()) << report_out;
  EXPECT_EQ(report_json["pmu"]["reason"], reason) << report_out;

  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", workload.pid()), "--listen=127.0.0.1:0"});
  const int port = StartDaemon(daemon);
  ASSERT_GT(port, 0);
  const std::string body = ScrapeUntil(
      port, [](const std::string& b) { return absl::StrContains(b, "iotax_pmu_info{"); }, 10s);
  EXPECT_TRUE(absl::StrContains(body, absl::StrCat("iotax_pmu_info{reason=\"", reason, "\"")))
      << body;
  // The page renders /api/report's pmu.reason.
  nlohmann::json page_json;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  do {  // the first verdict window has to close before /api/report answers
    page_json = nlohmann::json::parse(HttpGet(port, "/api/report").body, nullptr, false);
    if (!page_json.is_discarded() && page_json.contains("pmu")) break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(!page_json.is_discarded() && page_json.contains("pmu")) << page_json;
  EXPECT_EQ(page_json["pmu"]["reason"], reason);
  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0);
}

}  // namespace
}  // namespace iotax
