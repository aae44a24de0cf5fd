#include "metrics_collector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "metrics_test_util.h"
#include "synthetic_view.h"

namespace iotax {
namespace {

using prometheus::MetricType;
using testing::FindFamily;
using testing::FindMetric;
using testing::LabelMap;
using testing::Value;

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override { families_ = BuildMetricFamilies(testing::MakeFullView()); }

  static LabelMap Web(LabelMap extra = {}) {
    extra["pid"] = "100";
    extra["comm"] = "web";
    return extra;
  }
  static LabelMap Gone(LabelMap extra = {}) {
    extra["pid"] = "200";
    extra["comm"] = "gone";
    return extra;
  }
  std::optional<double> V(const std::string& name, const LabelMap& labels) { return Value(families_, name, labels); }

  std::vector<prometheus::MetricFamily> families_;
};

TEST_F(CollectorTest, FamiliesHaveTheDocumentedTypes) {
  const std::map<std::string, MetricType> expected = {
      {"iotax_target_up", MetricType::Gauge},
      {"iotax_target_threads", MetricType::Gauge},
      {"iotax_threads_created_total", MetricType::Counter},
      {"iotax_threads_exited_total", MetricType::Counter},
      {"iotax_children_followed_total", MetricType::Counter},
      {"iotax_cpu_seconds_total", MetricType::Counter},
      {"iotax_offcpu_seconds_total", MetricType::Counter},
      {"iotax_context_switches_total", MetricType::Counter},
      {"iotax_wakeups_total", MetricType::Counter},
      {"iotax_futex_queue_waits_blocked_total", MetricType::Counter},
      {"iotax_futex_queue_wait_cpu_seconds_total", MetricType::Counter},
      {"iotax_futex_woken_total", MetricType::Counter},
      {"iotax_target_sockets", MetricType::Gauge},
      {"iotax_waits_blocked_total", MetricType::Counter},
      {"iotax_wait_ready_descriptors_total", MetricType::Counter},
      {"iotax_waits_watched_known_total", MetricType::Counter},
      {"iotax_wait_watched_descriptors_total", MetricType::Counter},
      {"iotax_major_page_faults_total", MetricType::Counter},
      {"iotax_syscalls_total", MetricType::Counter},
      {"iotax_syscalls_blocked_total", MetricType::Counter},
      {"iotax_syscall_cpu_seconds_total", MetricType::Counter},
      {"iotax_syscall_blocked_cpu_seconds_total", MetricType::Counter},
      {"iotax_syscall_duration_seconds", MetricType::Histogram},
      {"iotax_runqueue_wait_seconds", MetricType::Histogram},
      {"iotax_blocking_direct_cpu_seconds", MetricType::Gauge},
      {"iotax_blocking_calibrated", MetricType::Gauge},
      {"iotax_agent_info", MetricType::Gauge},
      {"iotax_probe_up", MetricType::Gauge},
      {"iotax_bpf_events_total", MetricType::Counter},
      {"iotax_bpf_prog_runs_total", MetricType::Counter},
      {"iotax_bpf_prog_run_seconds_total", MetricType::Counter},
      {"iotax_bpf_stats_enabled", MetricType::Gauge},
      {"iotax_bpf_dropped_total", MetricType::Counter},
      {"iotax_comm_watch_targets", MetricType::Gauge},
      {"iotax_comm_watch_attached_total", MetricType::Counter},
      {"iotax_target_attach_failures_total", MetricType::Counter},
      {"iotax_snapshot_read_seconds", MetricType::Gauge},
      {"iotax_sample_fraction", MetricType::Gauge},
      {"iotax_sample_traced_seconds_total", MetricType::Counter},
      {"iotax_sample_windows_total", MetricType::Counter},
  };
  std::set<std::string> seen;
  for (const auto& f : families_) {
    seen.insert(f.name);
    auto it = expected.find(f.name);
    ASSERT_NE(it, expected.end()) << "undocumented family " << f.name;
    EXPECT_EQ(f.type, it->second) << f.name;
    EXPECT_FALSE(f.metric.empty()) << f.name;
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_EQ(f.help.find_first_of("\\\n"), std::string::npos) << "help must stay plain: " << f.name;
  }
  for (const auto& [name, type] : expected) EXPECT_TRUE(seen.count(name)) << "missing " << name;
}

TEST_F(CollectorTest, TargetGaugesAndCounters) {
  EXPECT_EQ(V("iotax_target_up", Web()), 1);
  EXPECT_EQ(V("iotax_target_threads", Web()), 4);
  EXPECT_EQ(V("iotax_target_sockets", Web()), 5);
  EXPECT_EQ(V("iotax_waits_blocked_total", Web()), 8);
  EXPECT_EQ(V("iotax_wait_ready_descriptors_total", Web()), 9);
  EXPECT_EQ(V("iotax_waits_watched_known_total", Web()), 6);
  EXPECT_EQ(V("iotax_wait_watched_descriptors_total", Web()), 6);
  EXPECT_EQ(V("iotax_threads_created_total", Web()), 3);
  EXPECT_EQ(V("iotax_threads_exited_total", Web()), 1);
  EXPECT_EQ(V("iotax_children_followed_total", Web()), 2);
  EXPECT_DOUBLE_EQ(*V("iotax_cpu_seconds_total", Web({{"mode", "user"}})), 1.5);
  EXPECT_DOUBLE_EQ(*V("iotax_cpu_seconds_total", Web({{"mode", "syscall"}})), 0.25);
  EXPECT_DOUBLE_EQ(*V("iotax_cpu_seconds_total", Web({{"mode", "io_worker"}})), 0.005);
  EXPECT_DOUBLE_EQ(*V("iotax_cpu_seconds_total", Web({{"mode", "sched"}})), 0.002);
  for (int r = 0; r < kNumOffCpuReasons; ++r) {
    EXPECT_DOUBLE_EQ(*V("iotax_offcpu_seconds_total", Web({{"reason", std::string(kOffCpuReasonNames[r])}})),
                     (r + 1) * 0.1)
        << kOffCpuReasonNames[r];
  }
  EXPECT_EQ(V("iotax_context_switches_total", Web({{"kind", "voluntary"}})), 11);
  EXPECT_EQ(V("iotax_context_switches_total", Web({{"kind", "involuntary"}})), 7);
  EXPECT_EQ(V("iotax_wakeups_total", Web()), 13);
}

TEST_F(CollectorTest, SyscallClassSeries) {
  const LabelMap net = Web({{"class", "net_read"}});
  EXPECT_EQ(V("iotax_syscalls_total", net), 10);
  EXPECT_EQ(V("iotax_syscalls_blocked_total", net), 4);
  EXPECT_DOUBLE_EQ(*V("iotax_syscall_cpu_seconds_total", net), 100e-6);
  EXPECT_DOUBLE_EQ(*V("iotax_syscall_blocked_cpu_seconds_total", net), 70e-6);
  // Every class is exported for every target, zero or not.
  for (const auto& c : kClassNames) {
    EXPECT_TRUE(V("iotax_syscalls_total", Web({{"class", std::string(c)}})).has_value()) << c;
    EXPECT_TRUE(V("iotax_syscalls_total", Gone({{"class", std::string(c)}})).has_value()) << c;
  }
  EXPECT_EQ(V("iotax_syscalls_total", Web({{"class", "other"}})), 0);

  const auto* hist = FindMetric(families_, "iotax_syscall_duration_seconds", net);
  ASSERT_NE(hist, nullptr);
  EXPECT_EQ(hist->histogram.sample_count, 10u);
  EXPECT_DOUBLE_EQ(hist->histogram.sample_sum, 0.001);
  // 6 calls in fine bucket 12 (<= 4.096 us), 4 in bucket 16 (<= 65.536 us).
  ASSERT_GE(hist->histogram.bucket.size(), 4u);
  EXPECT_EQ(hist->histogram.bucket[0].cumulative_count, 0u);  // le 1.024 us
  EXPECT_EQ(hist->histogram.bucket[1].cumulative_count, 6u);  // le 4.096 us
  EXPECT_EQ(hist->histogram.bucket[3].cumulative_count, 10u); // le 65.536 us
  EXPECT_TRUE(std::isinf(hist->histogram.bucket.back().upper_bound));
}

TEST_F(CollectorTest, RunqueueHistogramsUseTheRunqueueOffCpuTimeAsSum) {
  const auto* pre = FindMetric(families_, "iotax_runqueue_wait_seconds", Web({{"kind", "preempted"}}));
  const auto* wake = FindMetric(families_, "iotax_runqueue_wait_seconds", Web({{"kind", "wakeup"}}));
  ASSERT_NE(pre, nullptr);
  ASSERT_NE(wake, nullptr);
  EXPECT_EQ(pre->histogram.sample_count, 5u);
  EXPECT_DOUBLE_EQ(pre->histogram.sample_sum,
                   (static_cast<int>(OffCpuReason::kRunqueuePreempted) + 1) * 0.1);
  EXPECT_EQ(wake->histogram.sample_count, 5u);
  EXPECT_EQ(wake->histogram.bucket[0].cumulative_count, 5u);  // fine bucket 10 = le 1.024 us
}

TEST_F(CollectorTest, TierTwoFollowsTheCalibrationRule) {
  // Priced by its switch paths: 12.5 us sleep path x 4 blocked calls.
  EXPECT_NEAR(*V("iotax_blocking_direct_cpu_seconds", Web({{"class", "net_read"}})), 50e-6, 1e-12);
  EXPECT_EQ(V("iotax_blocking_calibrated", Web({{"class", "net_read"}})), 1);
  // Nothing blocked: cost is exactly 0 and calibrated.
  EXPECT_EQ(V("iotax_blocking_direct_cpu_seconds", Web({{"class", "file_read"}})), 0);
  EXPECT_EQ(V("iotax_blocking_calibrated", Web({{"class", "file_read"}})), 1);
  // Every call blocked and no switch paths: no cost series, calibrated 0 says why.
  EXPECT_FALSE(V("iotax_blocking_direct_cpu_seconds", Web({{"class", "sleep"}})).has_value());
  EXPECT_EQ(V("iotax_blocking_calibrated", Web({{"class", "sleep"}})), 0);
  // A class without calls has neither series.
  EXPECT_FALSE(V("iotax_blocking_direct_cpu_seconds", Web({{"class", "poll"}})).has_value());
  EXPECT_FALSE(V("iotax_blocking_calibrated", Web({{"class", "poll"}})).has_value());
  // The exited target keeps its tier-2 estimate: futex 2 blocked, 3 us sleep path each.
  EXPECT_NEAR(*V("iotax_blocking_direct_cpu_seconds", Gone({{"class", "futex"}})), 3e-6 * 2, 1e-12);
}

TEST_F(CollectorTest, ExitedTargetIsDownButKeepsItsValues) {
  EXPECT_EQ(V("iotax_target_up", Gone()), 0);
  EXPECT_EQ(V("iotax_target_threads", Gone()), 0);
  EXPECT_DOUBLE_EQ(*V("iotax_cpu_seconds_total", Gone({{"mode", "user"}})), 0.042);
  EXPECT_EQ(V("iotax_context_switches_total", Gone({{"kind", "voluntary"}})), 9);
  EXPECT_EQ(V("iotax_syscalls_total", Gone({{"class", "futex"}})), 8);
}

TEST_F(CollectorTest, AgentSelfObservation) {
  EXPECT_EQ(V("iotax_agent_info", {{"version", kIotaxVersion}}), 1);
  EXPECT_EQ(V("iotax_probe_up", {{"probe", "sys_enter"}}), 1);
  EXPECT_EQ(V("iotax_probe_up", {{"probe", "sched_wakeup_new"}}), 0);
  EXPECT_EQ(V("iotax_bpf_events_total", {{"probe", "sys_enter"}}), 1234);
  EXPECT_EQ(V("iotax_bpf_prog_runs_total", {{"probe", "sys_enter"}}), 5000);
  EXPECT_DOUBLE_EQ(*V("iotax_bpf_prog_run_seconds_total", {{"probe", "sys_enter"}}), 0.0025);
  // Run-time stats only where the kernel provided them.
  EXPECT_FALSE(V("iotax_bpf_prog_runs_total", {{"probe", "sched_wakeup_new"}}).has_value());
  EXPECT_EQ(V("iotax_bpf_stats_enabled", {}), 1);
  for (int r = 0; r < kNumDropReasons; ++r) {
    EXPECT_EQ(V("iotax_bpf_dropped_total", {{"reason", std::string(kDropReasonNames[r])}}), (r + 1) * 10);
  }
  EXPECT_EQ(V("iotax_comm_watch_targets", {{"comm", "web"}}), 1);
  EXPECT_EQ(V("iotax_comm_watch_attached_total", {{"comm", "web"}}), 2);
  EXPECT_EQ(V("iotax_target_attach_failures_total", {}), 1);
  EXPECT_DOUBLE_EQ(*V("iotax_snapshot_read_seconds", {}), 0.002);
  EXPECT_DOUBLE_EQ(*V("iotax_sample_fraction", {}), 0.1);
  EXPECT_DOUBLE_EQ(*V("iotax_sample_traced_seconds_total", {}), 4.0);
  EXPECT_EQ(V("iotax_sample_windows_total", {}), 4);
}

TEST(Collector, NotSamplingTheFractionIsOneAndTheWindowSeriesAreAbsent) {
  DaemonView view = testing::MakeFullView();
  view.snapshot.sampling = SamplingStatus{};
  const auto families = BuildMetricFamilies(view);
  EXPECT_EQ(Value(families, "iotax_sample_fraction", {}), 1);
  EXPECT_EQ(FindFamily(families, "iotax_sample_traced_seconds_total"), nullptr);
  EXPECT_EQ(FindFamily(families, "iotax_sample_windows_total"), nullptr);
}

TEST(Collector, NoThreadIdLabelAnywhere) {
  const auto families = BuildMetricFamilies(testing::MakeFullView());
  const std::set<std::string> allowed = {"pid", "comm", "class", "reason", "kind", "mode", "probe", "version"};
  for (const auto& f : families) {
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) EXPECT_TRUE(allowed.count(l.name)) << f.name << " has label " << l.name;
    }
  }
}

TEST(Collector, WithoutBpfStatsTheRunSeriesAreAbsentAndTheGaugeSaysSo) {
  DaemonView view = testing::MakeFullView();
  for (auto& p : view.snapshot.probes) p.run_stats_valid = false;
  const auto families = BuildMetricFamilies(view);
  EXPECT_EQ(FindFamily(families, "iotax_bpf_prog_runs_total"), nullptr);
  EXPECT_EQ(FindFamily(families, "iotax_bpf_prog_run_seconds_total"), nullptr);
  EXPECT_EQ(Value(families, "iotax_bpf_stats_enabled", {}), 0);
}

TEST(Collector, ReusedPidWithTheSameNameExportsOnlyTheNewestSlot) {
  DaemonView view = testing::MakeFullView();
  TargetSnapshot reborn = view.snapshot.targets[1];  // pid 200 "gone", exited
  reborn.up = true;
  reborn.stats.voluntary_switches = 1;
  view.snapshot.targets.push_back(reborn);
  const auto families = BuildMetricFamilies(view);
  const auto* up = FindFamily(families, "iotax_target_up");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->metric.size(), 2u);
  EXPECT_EQ(Value(families, "iotax_target_up", {{"pid", "200"}, {"comm", "gone"}}), 1);
  EXPECT_EQ(Value(families, "iotax_context_switches_total", {{"pid", "200"}, {"comm", "gone"}, {"kind", "voluntary"}}), 1);
}

TEST(Collector, AskForAFreshViewAtEveryScrape) {
  int calls = 0;
  MetricsCollector collector([&calls] {
    DaemonView v = testing::MakeFullView();
    v.snapshot.targets[0].stats.wakeups = static_cast<uint64_t>(++calls);
    return v;
  });
  collector.Collect();
  const auto second = collector.Collect();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Value(second, "iotax_wakeups_total", {{"pid", "100"}, {"comm", "web"}}), 2);
}

}  // namespace
}  // namespace iotax
