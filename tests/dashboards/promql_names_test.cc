// The scanner the dashboard tests rely on to catch misspelled metric names.
#include "promql_names.h"

#include <gtest/gtest.h>

namespace iotax::dashboards {
namespace {

using Names = std::set<std::string>;

TEST(MetricNamesIn, SelectorsRangesAndFunctions) {
  EXPECT_EQ(MetricNamesIn(R"(rate(iotax_cpu_seconds_total{pid=~"$pid", mode="user"}[$__rate_interval]))"),
            Names{"iotax_cpu_seconds_total"});
  EXPECT_EQ(MetricNamesIn("iotax_pmu_up"), Names{"iotax_pmu_up"});
  EXPECT_EQ(MetricNamesIn("up{job=~\"iotax.*\"} == 0"), Names{"up"});
}

TEST(MetricNamesIn, AggregationsAndLabelLists) {
  EXPECT_EQ(MetricNamesIn("sum without (mode) (target_mode:iotax_cpu_seconds:rate1m)"),
            Names{"target_mode:iotax_cpu_seconds:rate1m"});
  EXPECT_EQ(MetricNamesIn("sum by (le, class) (rate(a_bucket[1m]))"), Names{"a_bucket"});
  EXPECT_EQ(MetricNamesIn("count(x) by (instance)"), Names{"x"});
  EXPECT_EQ(MetricNamesIn("topk(5, y)"), Names{"y"});
}

TEST(MetricNamesIn, BinaryOperatorsAndMatching) {
  EXPECT_EQ(MetricNamesIn("histogram_quantile(0.99, rate(h_bucket[1m]) and ignoring (le) (rate(h_count[1m]) > 0))"),
            (Names{"h_bucket", "h_count"}));
  EXPECT_EQ(MetricNamesIn("a - ignoring (mode) group_left b or c unless d"), (Names{"a", "b", "c", "d"}));
  EXPECT_EQ(MetricNamesIn("a / on (instance, job) group_left (node) b"), (Names{"a", "b"}));
  EXPECT_EQ(MetricNamesIn("scrape_duration_seconds and on (instance, job) iotax_agent_info"),
            (Names{"scrape_duration_seconds", "iotax_agent_info"}));
  EXPECT_EQ(MetricNamesIn("a > bool 3"), Names{"a"});
}

TEST(MetricNamesIn, NumbersDurationsStringsAndKeywords) {
  EXPECT_EQ(MetricNamesIn("m > 256 * 1024 * 1024"), Names{"m"});
  EXPECT_EQ(MetricNamesIn("clamp_min(m, 1e-9) + 0x1f + .5 + Inf - NaN"), Names{"m"});
  EXPECT_EQ(MetricNamesIn("m offset 5m"), Names{"m"});
  EXPECT_EQ(MetricNamesIn("label_replace(m, \"dst\", \"$1\", \"src\", \"(.*) not_a_metric\")"), Names{"m"});
  EXPECT_EQ(MetricNamesIn("absent(up{job=~\"iotax.*\"})"), Names{"up"});
  EXPECT_EQ(MetricNamesIn("{__name__=~\"iotax_.*\"}"), Names{});
}

TEST(MetricNamesIn, AMisspelledNameIsReportedAsItIs) {
  EXPECT_EQ(MetricNamesIn("rate(iotax_syscals_total[5m])"), Names{"iotax_syscals_total"});
}

TEST(MetricNamesInLabelValues, TakesTheSelectorArgument) {
  EXPECT_EQ(MetricNamesInLabelValues("label_values(iotax_agent_info, job)"), Names{"iotax_agent_info"});
  EXPECT_EQ(MetricNamesInLabelValues(R"(label_values(iotax_target_up{job=~"$job", instance=~"$instance"}, comm))"),
            Names{"iotax_target_up"});
  EXPECT_EQ(MetricNamesInLabelValues("query_result(up)"), Names{});
}

}  // namespace
}  // namespace iotax::dashboards
