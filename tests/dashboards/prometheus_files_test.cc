// The Prometheus files in dashboards/prometheus, offline: promtool accepts
// the scrape config and the rules, the rules' unit tests pass (promtool test
// rules), and every metric a rule reads is one iotaxd documents.
#include <gtest/gtest.h>

#include <sstream>

#include "dashboard_files.h"
#include "promql_names.h"
#include "run_command.h"

namespace iotax::dashboards {

using testing::CommandResult;
using testing::RunCommand;
namespace {

const char kPromtool[] = "/usr/bin/promtool";

class PrometheusFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " missing: install the Debian package prometheus (make deps)";
  }
};

TEST_F(PrometheusFiles, PromtoolAcceptsTheScrapeConfigAndItsRuleFiles) {
  const CommandResult r = RunCommand(std::string(kPromtool) + " check config " + SourcePath(kScrapeConfig));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SUCCESS: 2 rule files found"), std::string::npos) << r.output;
}

TEST_F(PrometheusFiles, PromtoolAcceptsTheRules) {
  for (const char* file : {kRecordingRules, kAlertingRules}) {
    const CommandResult r = RunCommand(std::string(kPromtool) + " check rules " + SourcePath(file));
    EXPECT_EQ(r.exit_code, 0) << file << "\n" << r.output;
  }
}

TEST_F(PrometheusFiles, RuleUnitTestsPass) {
  // Alert timing (for: 15m ...), annotations, and the recording rules'
  // arithmetic on synthetic series; it runs from its own directory.
  const CommandResult r = RunCommand(std::string(kPromtool) + " test rules " + SourcePath(kRulesTest), 120);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SUCCESS"), std::string::npos) << r.output;
}

TEST_F(PrometheusFiles, PromtoolRejectsABrokenRule) {
  // The check above must be able to fail.
  char path[] = "/tmp/iotax_bad_rules_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string bad = "groups:\n  - name: x\n    rules:\n      - record: a:b:c\n        expr: rate(iotax_x_total[5m]\n";
  ASSERT_EQ(write(fd, bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
  close(fd);
  EXPECT_NE(RunCommand(std::string(kPromtool) + " check rules " + path).exit_code, 0);
  unlink(path);
}

// The PromQL of every `expr:` in a rules file (block scalars included).
std::vector<std::string> RuleExpressions(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  size_t block_indent = std::string::npos;
  while (std::getline(in, line)) {
    const size_t indent = line.find_first_not_of(' ');
    if (block_indent != std::string::npos) {
      if (indent != std::string::npos && indent > block_indent) {
        out.back() += " " + line.substr(indent);
        continue;
      }
      block_indent = std::string::npos;
    }
    const size_t at = line.find("expr:");
    if (at == std::string::npos || indent != at) continue;
    std::string rest = line.substr(at + 5);
    rest.erase(0, rest.find_first_not_of(' '));
    if (rest == "|" || rest == ">-" || rest == "|-") {
      out.push_back("");
      block_indent = indent;
    } else {
      out.push_back(rest);
    }
  }
  return out;
}

TEST_F(PrometheusFiles, EveryMetricARuleReadsIsExportedOrRecorded) {
  const auto documented = DocumentedMetrics();
  const auto recorded = RuleNames(ReadFile(SourcePath(kRecordingRules)), "record");
  const std::set<std::string> recorded_set(recorded.begin(), recorded.end());
  size_t expressions = 0;
  for (const char* file : {kRecordingRules, kAlertingRules}) {
    for (const std::string& expr : RuleExpressions(ReadFile(SourcePath(file)))) {
      ++expressions;
      const auto names = MetricNamesIn(expr);
      EXPECT_FALSE(names.empty()) << file << ": " << expr;
      for (const std::string& n : names) {
        EXPECT_TRUE(IsDocumentedSeries(n, documented) || recorded_set.count(n) || IsPrometheusSeries(n))
            << file << " reads " << n << ", which iotaxd does not export: " << expr;
      }
    }
  }
  EXPECT_EQ(expressions, recorded.size() + RuleNames(ReadFile(SourcePath(kAlertingRules)), "alert").size());
}

TEST_F(PrometheusFiles, AlertsCarrySeverityASummaryAndARunbook) {
  const std::string text = ReadFile(SourcePath(kAlertingRules));
  const auto alerts = RuleNames(text, "alert");
  ASSERT_GE(alerts.size(), 5u);
  for (const std::string want : {"IotaxBlockingOverheadHigh", "IotaxAgentLosingEvents", "IotaxTargetGone", "IotaxAgentDown"}) {
    EXPECT_NE(std::find(alerts.begin(), alerts.end(), want), alerts.end()) << want;
  }
  // One of each per alert.
  auto count = [&](const std::string& key) {
    size_t n = 0;
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("severity:"), alerts.size());
  EXPECT_EQ(count("summary:"), alerts.size());
  EXPECT_EQ(count("runbook:"), alerts.size());
  EXPECT_EQ(count("for:"), alerts.size());
}

}  // namespace
}  // namespace iotax::dashboards
