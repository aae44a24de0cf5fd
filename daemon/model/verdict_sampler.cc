#include "verdict_sampler.h"

namespace iotax {

VerdictSampler::VerdictSampler(SnapshotSource source, VerdictSamplerOptions options)
    : source_(std::move(source)), options_(std::move(options)), latest_(std::make_shared<Report>()) {}

VerdictSampler::~VerdictSampler() { Stop(); }

void VerdictSampler::Start() {
  if (pump_) return;
  SampleOnce();
  pump_ = SnapshotPump::OfSnapshots(source_, options_.step);
  pump_->AddConsumer(options_.step, [this](const AgentSnapshot& s, absl::Time wall) { Observe(s, wall); });
  pump_->Start();
}

void VerdictSampler::Stop() {
  if (pump_) pump_->Stop();
}

void VerdictSampler::Observe(const AgentSnapshot& snapshot, absl::Time wall) {
  auto kept = std::make_shared<const AgentSnapshot>(snapshot);
  std::lock_guard<std::mutex> lock(mu_);
  history_.push_back({wall, std::move(kept)});
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
