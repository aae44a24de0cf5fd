#include "ipc_sampler.h"

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "ipc_metrics.h"

namespace iotax::ipc {

IpcSampler::IpcSampler(SnapshotSource source, IpcAnalyzerOptions options, LogSink log)
    : source_(std::move(source)), options_(options), log_(std::move(log)), analyzer_(options) {
  if (!log_) log_ = [](const std::string& line) { std::fprintf(stderr, "iotaxd: %s\n", line.c_str()); };
}

IpcSampler::~IpcSampler() { Stop(); }

void IpcSampler::SampleOnce() {
  AgentSnapshot snapshot = source_();
  std::lock_guard<std::mutex> lock(mu_);
  analyzer_.Observe(snapshot);
}

void IpcSampler::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return;
    started_ = true;
    stopping_ = false;
  }
  SampleOnce();
  const PmuStatus status = View().status;
  if (!status.up) {
    log_(absl::StrCat("IPC metrics off (", status.reason, "): ", status.detail));
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

void IpcSampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IpcSampler::Run() {
  using Clock = std::chrono::steady_clock;
  const auto window = std::chrono::nanoseconds(options_.window_ns);
  auto next = Clock::now() + window;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    SampleOnce();
    // Fixed cadence; after a stall, skip missed windows rather than bunch up.
    next += window;
    const auto now = Clock::now();
    if (next <= now) next = now + window;
  }
}

IpcView IpcSampler::View() const {
  std::lock_guard<std::mutex> lock(mu_);
  return analyzer_.View();
}

std::vector<prometheus::MetricFamily> IpcCollector::Collect() const {
  return BuildIpcMetricFamilies(sampler_->View());
}

}  // namespace iotax::ipc
