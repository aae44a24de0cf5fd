#include "verdict_sampler.h"

#include <chrono>

namespace iotax {

VerdictSampler::VerdictSampler(SnapshotSource source, VerdictSamplerOptions options)
    : source_(std::move(source)), options_(std::move(options)), latest_(std::make_shared<Report>()) {}

VerdictSampler::~VerdictSampler() { Stop(); }

void VerdictSampler::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return;
    started_ = true;
    stopping_ = false;
  }
  SampleOnce();
  thread_ = std::thread([this] { Run(); });
}

void VerdictSampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void VerdictSampler::Run() {
  using Clock = std::chrono::steady_clock;
  const auto step = std::chrono::nanoseconds(absl::ToInt64Nanoseconds(options_.step));
  auto next = Clock::now() + step;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    SampleOnce();
    next += step;
    if (const auto now = Clock::now(); next <= now) next = now + step;  // after a stall, skip rather than bunch up
  }
}

void VerdictSampler::SampleOnce(absl::Time wall) {
  auto snapshot = std::make_shared<const AgentSnapshot>(source_());
  std::lock_guard<std::mutex> lock(mu_);
  history_.push_back({wall, std::move(snapshot)});
  // Keep one entry older than the history span, so the span is covered.
  while (history_.size() > 2 && history_[1].wall < wall - options_.history) history_.pop_front();
  latest_ = Compute();
}

std::shared_ptr<const Report> VerdictSampler::Compute() const {
  std::vector<const AgentSnapshot*> window;
  if (!history_.empty()) {
    const absl::Time from = history_.back().wall - options_.verdict_window;
    // Start at the newest entry at or before `from`, so the window is full
    // once enough history exists.
    size_t first = 0;
    for (size_t i = 0; i < history_.size(); ++i) {
      if (history_[i].wall <= from) first = i;
    }
    for (size_t i = first; i < history_.size(); ++i) window.push_back(history_[i].snapshot.get());
  }
  ReportContext context;
  context.calibration = options_.calibration ? &*options_.calibration : nullptr;
  context.calibration_note = options_.calibration_note;
  context.calibration_rejected = options_.calibration_rejected;
  context.cpus_of = options_.cpus_of;
  return std::make_shared<const Report>(BuildReport(window, context));
}

std::shared_ptr<const Report> VerdictSampler::LatestReport() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

std::vector<HistoryEntry> VerdictSampler::History(absl::Duration span) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HistoryEntry> out;
  if (history_.empty()) return out;
  const absl::Time from = span == absl::InfiniteDuration() ? absl::InfinitePast() : history_.back().wall - span;
  size_t first = 0;
  for (size_t i = 0; i < history_.size(); ++i) {
    if (history_[i].wall <= from) first = i;
  }
  for (size_t i = first; i < history_.size(); ++i) out.push_back(history_[i]);
  return out;
}

}  // namespace iotax
