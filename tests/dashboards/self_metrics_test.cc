// iotaxd's own CPU and memory (daemon/export/self_metrics.h): parsing, a fake /proc,
// the real process, and docs/metrics.md's "Agent process" section.
#include "self_metrics.h"

#include <gtest/gtest.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "metrics_route.h"

namespace iotax {
namespace {

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

class FakeProcSelf : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iotax_self_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void WriteStatus(const std::string& text) { std::ofstream(dir_ + "/status") << text; }
  std::string dir_;
};

TEST(ParseVmRss, ReadsKibibytesAsBytes) {
  EXPECT_EQ(ParseVmRssBytes("Name:\tiotaxd\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nRssAnon:\t 100 kB\n"), 5120u * 1024);
}

TEST(ParseVmRss, MissingOrMalformedIsUnknown) {
  EXPECT_EQ(ParseVmRssBytes("Name:\tkthreadd\nState:\tS (sleeping)\n"), std::nullopt);  // kernel threads have none
  EXPECT_EQ(ParseVmRssBytes("VmRSS:\t   lots kB\n"), std::nullopt);
  EXPECT_EQ(ParseVmRssBytes("VmRSS:\t   5120 MB\n"), std::nullopt);
  EXPECT_EQ(ParseVmRssBytes(""), std::nullopt);
}

TEST_F(FakeProcSelf, MemoryComesFromStatus) {
  WriteStatus("Name:\tiotaxd\nVmRSS:\t  2048 kB\n");
  const SelfUsage usage = ReadSelfUsage(dir_);
  ASSERT_TRUE(usage.resident_bytes.has_value());
  EXPECT_EQ(*usage.resident_bytes, 2048.0 * 1024);
}

TEST_F(FakeProcSelf, UnreadableStatusLeavesMemoryOutNotZero) {
  const auto families = SelfMetricsCollector(dir_ + "/missing").Collect();
  EXPECT_EQ(Find(families, "iotax_agent_resident_memory_bytes"), nullptr);
  const auto* cpu = Find(families, "iotax_agent_cpu_seconds_total");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->metric.size(), 2u);
}

// This thread's CPU time: the loops below run for CPU time, not wall time,
// so a loaded machine stretches them but does not shrink what they measure.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(SelfUsage, CpuGrowsWithWorkInUserAndSystemMode) {
  const SelfUsage before = ReadSelfUsage();
  // 150 ms of CPU spinning in user mode, then 150 ms of CPU making syscalls.
  volatile uint64_t sink = 0;
  double until = ThreadCpuSeconds() + 0.15;
  while (ThreadCpuSeconds() < until) {
    for (int i = 0; i < 10000; ++i) sink = sink + static_cast<uint64_t>(i);
  }
  until = ThreadCpuSeconds() + 0.15;
  while (ThreadCpuSeconds() < until) {
    for (int i = 0; i < 100; ++i) (void)getppid();
  }
  const SelfUsage after = ReadSelfUsage();
  // The kernel's split is tick-sampled (10 ms): loose bounds.
  EXPECT_GT(after.user_cpu_seconds - before.user_cpu_seconds, 0.08);
  EXPECT_GT(after.system_cpu_seconds - before.system_cpu_seconds, 0.03);
  EXPECT_LT(after.user_cpu_seconds + after.system_cpu_seconds - before.user_cpu_seconds - before.system_cpu_seconds,
            0.3 + 0.1);
}

TEST(SelfUsage, ResidentMemoryOfThisProcessIsPlausible) {
  // Touch 32 MiB: RSS must grow by about that much.
  const SelfUsage before = ReadSelfUsage();
  ASSERT_TRUE(before.resident_bytes.has_value());
  std::vector<char> block(32 << 20);
  for (size_t i = 0; i < block.size(); i += 4096) block[i] = 1;
  const SelfUsage after = ReadSelfUsage();
  ASSERT_TRUE(after.resident_bytes.has_value());
  EXPECT_GT(*after.resident_bytes - *before.resident_bytes, 30.0 * (1 << 20));
  EXPECT_EQ(block[4096], 1);
}

TEST(SelfMetrics, RendersValidPrometheusText) {
  const std::string text = RenderMetricsText({std::make_shared<SelfMetricsCollector>()});
  EXPECT_NE(text.find("iotax_agent_cpu_seconds_total{mode=\"user\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("iotax_agent_cpu_seconds_total{mode=\"system\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("iotax_agent_resident_memory_bytes "), std::string::npos) << text;
  char path[] = "/tmp/iotax_self_metrics_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  const int rc = system((std::string("timeout 30 promtool check metrics < ") + path + " > /dev/null 2>&1").c_str());
  unlink(path);
  EXPECT_EQ(rc, 0) << "promtool check metrics rejected:\n" << text;
}

// Rows "| `iotax_name` | type | ..." of docs/metrics.md's "## Agent process" section.
std::map<std::string, std::string> DocumentedAgentProcessMetrics() {
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/docs/metrics.md");
  EXPECT_TRUE(in.good());
  std::map<std::string, std::string> out;
  bool inside = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) inside = line.rfind("## Agent process", 0) == 0;
    if (!inside || line.rfind("| `iotax_", 0) != 0) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    std::string name(absl::StripAsciiWhitespace(cells[1]));
    out[name.substr(1, name.size() - 2)] = std::string(absl::StripAsciiWhitespace(cells[2]));
  }
  return out;
}

TEST(SelfMetrics, DocumentedInAgentProcessSectionWithTheirTypes) {
  const auto documented = DocumentedAgentProcessMetrics();
  SelfUsage usage;
  usage.resident_bytes = 1;
  const auto families = BuildSelfMetricFamilies(usage);
  EXPECT_EQ(documented.size(), families.size()) << "every documented row is emitted, and only those";
  for (const auto& f : families) {
    auto it = documented.find(f.name);
    ASSERT_NE(it, documented.end()) << f.name << " is not in the Agent process section of docs/metrics.md";
    EXPECT_EQ(it->second, f.type == prometheus::MetricType::Counter ? "counter" : "gauge") << f.name;
  }
}

}  // namespace
}  // namespace iotax
