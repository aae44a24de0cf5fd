// Tier 3 in iotaxd: a snapshot every window (default 100 ms, --window,
// handed over by iotaxd's SnapshotPump) feeds the IpcAnalyzer; a prometheus
// Collectable exports its view at scrape time. With the PMU down: one log
// line, and only iotax_pmu_up 0 / iotax_pmu_info{reason}.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "ipc_analyzer.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "log_sink.h"
#include "snapshot_pump.h"

namespace iotax::ipc {

class IpcSampler {
 public:
  using SnapshotSource = std::function<AgentSnapshot()>;

  // `source` (null when fed with Observe) must be safe to call from the
  // sampler's thread while other threads read too. `log` receives the
  // single line said when the PMU is down (default: stderr).
  IpcSampler(SnapshotSource source, IpcAnalyzerOptions options, LogSink log = nullptr);
  ~IpcSampler();
  IpcSampler(const IpcSampler&) = delete;
  IpcSampler& operator=(const IpcSampler&) = delete;

  // One window with this snapshot; the first one that shows the PMU down
  // logs why, once.
  void Observe(const AgentSnapshot& snapshot);

  // Alone (no pump): takes the first snapshot from `source`; if the PMU is
  // up, starts a pump of its own, one read per window. Idempotent.
  void Start();
  void Stop();

  // One window now from `source`; for tests.
  void SampleOnce() { Observe(source_()); }

  IpcView View() const;

 private:
  SnapshotSource source_;
  IpcAnalyzerOptions options_;
  LogSink log_;
  mutable std::mutex mu_;
  IpcAnalyzer analyzer_;  // guarded by mu_
  bool said_down_ = false;  // guarded by mu_
  std::unique_ptr<SnapshotPump> pump_;  // when started alone
};

// Exports the sampler's view at every scrape.
class IpcCollector : public prometheus::Collectable {
 public:
  explicit IpcCollector(const IpcSampler* sampler) : sampler_(sampler) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const IpcSampler* sampler_;
};

}  // namespace iotax::ipc
