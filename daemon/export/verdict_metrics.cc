#include "verdict_metrics.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "families.h"
#include "verdict_sampler.h"

namespace iotax {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;
using prom::AddValue;
using prom::Labels;

MetricFamily Gauge(const char* name, const char* help) { return prom::Family(name, help, MetricType::Gauge); }

}  // namespace

std::vector<MetricFamily> BuildVerdictMetricFamilies(const Report& report) {
  auto overhead = Gauge("iotax_blocking_overhead_ratio",
                        "Share of the process's CPU spent because IO calls blocked (direct + indirect when measured), over the verdict window");
  auto overhead_lo = Gauge("iotax_blocking_overhead_ratio_lower", "Lower bound of the 95% interval of iotax_blocking_overhead_ratio");
  auto overhead_hi = Gauge("iotax_blocking_overhead_ratio_upper", "Upper bound of the 95% interval of iotax_blocking_overhead_ratio");
  auto saving = Gauge("iotax_async_saving_ratio",
                      "Estimated share of the process's CPU an async design would save: blocking overhead minus what the async design pays instead");
  auto saving_lo = Gauge("iotax_async_saving_ratio_lower", "Lower bound of the interval of iotax_async_saving_ratio: the 95% sub-window spread widened by the model's validated error");
  auto saving_hi = Gauge("iotax_async_saving_ratio_upper", "Upper bound of the interval of iotax_async_saving_ratio: the 95% sub-window spread widened by the model's validated error");
  auto level = Gauge("iotax_verdict_level",
                     "Verdict: 0 insufficient data, 1 not worth it, 2 maybe, 3 likely worth it");
  auto confidence = Gauge("iotax_verdict_confidence", "Confidence of the verdict: 0 low, 1 medium, 2 high");
  auto window = Gauge("iotax_verdict_window_seconds", "Length of the window the verdict was computed over");
  auto rq = Gauge("iotax_verdict_runqueue_wait_p99_seconds",
                  "99th percentile of run-queue waits (preempted or woken threads waiting for a CPU) over the verdict window");
  auto tracer = Gauge("iotax_tracer_time_removed_per_block_seconds",
                      "The tracer's own CPU time (its sched_switch program, measured by bpf_stats) taken off the direct cost of each blocked IO call; absent when bpf_stats were off or nothing blocked");
  auto indirect = Gauge("iotax_blocking_indirect_per_block_seconds",
                        "The indirect cost charged to each blocked IO call (cache and TLB refills): from user time on one code path without a PMU (method user_time), from cycles with one (method pmu); absent when unavailable");
  auto waits_design = Gauge("iotax_waits_blocking_design",
                            "1 when the target's blocked poll/epoll/select waits are a blocking design (one connection per thread or process, about one ready descriptor per wake) and are costed as IO; 0 when they are an event loop or none blocked");
  auto info = Gauge("iotax_verdict_info",
                    "Always 1; labels name the verdict level, the confidence and where the async cost came from (calibration or target_nonblocking_calls)");

  std::set<int> seen;
  for (const TargetReport& t : report.targets) {
    if (!seen.insert(t.pid).second) continue;
    const Labels base = {{"pid", t.service ? "" : absl::StrCat(t.pid)}, {"comm", t.comm}};  // as TargetLabels
    const Verdict& v = t.verdict;
    AddValue(level, base, static_cast<int>(v.level));
    AddValue(window, base, v.window_seconds);
    Labels info_labels = base;
    info_labels.push_back({"level", VerdictLevelName(v.level)});
    info_labels.push_back({"confidence", ConfidenceName(v.confidence)});
    info_labels.push_back({"async_cost_source", AsyncCostSourceName(v.async_cost.source)});
    AddValue(info, info_labels, 1);
    if (v.runqueue_wait_p99_seconds) AddValue(rq, base, *v.runqueue_wait_p99_seconds);
    const BlockingBreakdown& b = v.breakdown;
    AddValue(waits_design, base, b.waits.blocking_design ? 1 : 0);
    if (b.tracer_switch.known && b.blocked_io_calls > 0) AddValue(tracer, base, b.TracerRemovedPerBlockedCall());
    if (b.indirect.available && b.blocked_io_calls > 0) {
      Labels l = base;
      l.push_back({"method", IndirectMethodName(b.indirect.method)});
      AddValue(indirect, l, b.indirect.cpu_seconds / static_cast<double>(b.blocked_io_calls));
    }
    if (v.level == VerdictLevel::kInsufficientData) continue;
    AddValue(confidence, base, static_cast<int>(v.confidence));
    if (v.overhead_share) AddValue(overhead, base, *v.overhead_share);
    if (v.overhead_share_ci) {
      AddValue(overhead_lo, base, v.overhead_share_ci->lo);
      AddValue(overhead_hi, base, v.overhead_share_ci->hi);
    }
    if (v.estimated_saving_share) AddValue(saving, base, *v.estimated_saving_share);
    if (v.estimated_saving_share_ci) {
      AddValue(saving_lo, base, v.estimated_saving_share_ci->lo);
      AddValue(saving_hi, base, v.estimated_saving_share_ci->hi);
    }
  }
  std::vector<MetricFamily> out;
  for (auto* f : {&overhead, &overhead_lo, &overhead_hi, &saving, &saving_lo, &saving_hi, &level, &confidence,
                  &window, &rq, &tracer, &indirect, &waits_design, &info}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

std::vector<MetricFamily> VerdictCollector::Collect() const {
  return BuildVerdictMetricFamilies(*sampler_->LatestReport());
}

}  // namespace iotax
