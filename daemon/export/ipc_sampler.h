// Drives tier 3 in iotaxd: a thread takes a snapshot every window (default
// 100 ms, --window) and feeds the IpcAnalyzer; a prometheus Collectable
// exports its view at scrape time. With the PMU down there is no thread, one
// log line, and only iotax_pmu_up 0 / iotax_pmu_info{reason}.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ipc_analyzer.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace iotax::ipc {

class IpcSampler {
 public:
  using SnapshotSource = std::function<AgentSnapshot()>;
  using LogSink = std::function<void(const std::string&)>;

  // `source` must be safe to call from the sampler thread while other
  // threads read too. `log` receives the single line said when the PMU is
  // down (default: stderr).
  IpcSampler(SnapshotSource source, IpcAnalyzerOptions options, LogSink log = nullptr);
  ~IpcSampler();
  IpcSampler(const IpcSampler&) = delete;
  IpcSampler& operator=(const IpcSampler&) = delete;

  // Takes the first snapshot; starts the window thread if the PMU is up,
  // otherwise logs once why not. Idempotent.
  void Start();
  void Stop();

  // One window now (what the thread does every window); for tests.
  void SampleOnce();

  IpcView View() const;

 private:
  void Run();

  SnapshotSource source_;
  IpcAnalyzerOptions options_;
  LogSink log_;
  mutable std::mutex mu_;
  IpcAnalyzer analyzer_;  // guarded by mu_
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mu_
  bool started_ = false;   // guarded by mu_
  std::thread thread_;
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
