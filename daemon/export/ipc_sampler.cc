#include "ipc_sampler.h"

#include "absl/strings/str_cat.h"
#include "ipc_metrics.h"

namespace iotax::ipc {

IpcSampler::IpcSampler(SnapshotSource source, IpcAnalyzerOptions options, LogSink log)
    : source_(std::move(source)), options_(options), log_(std::move(log)), analyzer_(options) {
  if (!log_) log_ = StderrLog("iotaxd");
}

IpcSampler::~IpcSampler() { Stop(); }

void IpcSampler::Observe(const AgentSnapshot& snapshot) {
  bool say_down = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    analyzer_.Observe(snapshot);
    say_down = !said_down_ && !snapshot.pmu.up;
    said_down_ = said_down_ || say_down;
  }
  if (say_down) log_(absl::StrCat("IPC metrics off (", snapshot.pmu.reason, "): ", snapshot.pmu.detail));
}

void IpcSampler::Start() {
  if (pump_) return;
  SampleOnce();
  pump_ = SnapshotPump::OfSnapshots(source_, absl::Nanoseconds(options_.window_ns));
  if (!View().status.up) return;  // said why in Observe
  pump_->AddConsumer(pump_->period(), [this](const AgentSnapshot& s, absl::Time) { Observe(s); });
  pump_->Start();
}

void IpcSampler::Stop() {
  if (pump_) pump_->Stop();
}

IpcView IpcSampler::View() const {
  std::lock_guard<std::mutex> lock(mu_);
  return analyzer_.View();
}

std::vector<prometheus::MetricFamily> IpcCollector::Collect() const {
  return BuildIpcMetricFamilies(sampler_->View());
}

}  // namespace iotax::ipc
