// Snapshot -> Prometheus metric families. BuildMetricFamilies is a pure
// function of a DaemonView (unit-tested on synthetic views); MetricsCollector
// is the prometheus::Collectable that asks for a fresh view at every scrape,
// so BPF maps are read at scrape time. No HTTP here.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "daemon_view.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "version.h"  // kIotaxVersion, exported as iotax_agent_info{version}

namespace iotax {

// Builds every iotax_* family from one view. Names, units and labels are the
// ones documented in docs/metrics.md.
std::vector<prometheus::MetricFamily> BuildMetricFamilies(const DaemonView& view);

class MetricsCollector : public prometheus::Collectable {
 public:
  using ViewSource = std::function<DaemonView()>;

  // `source` is called once per scrape, possibly from several HTTP threads;
  // it must be thread-safe (TargetManager::View is).
  explicit MetricsCollector(ViewSource source);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ViewSource source_;
};

}  // namespace iotax
