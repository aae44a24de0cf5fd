#include "snapshot_pump.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace iotax {

SnapshotPump::SnapshotPump(Source source, absl::Duration period)
    : source_(std::move(source)), period_(std::max(period, absl::Milliseconds(1))) {}

std::unique_ptr<SnapshotPump> SnapshotPump::OfSnapshots(std::function<AgentSnapshot()> source,
                                                       absl::Duration period) {
  return std::make_unique<SnapshotPump>(
      [source = std::move(source)] {
        DaemonView view;
        view.snapshot = source();
        return view;
      },
      period);
}

SnapshotPump::~SnapshotPump() { Stop(); }

void SnapshotPump::AddConsumer(absl::Duration every, Consumer consumer) {
  const double ticks = std::round(absl::FDivDuration(every, period_));
  consumers_.push_back({static_cast<uint64_t>(std::max(1.0, ticks)), std::move(consumer)});
}

void SnapshotPump::PumpOnce(absl::Time wall) {
  std::lock_guard<std::mutex> reading(read_mu_);
  auto view = std::make_shared<const DaemonView>(source_());
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = view;
  }
  for (const Subscriber& s : consumers_) {
    if (ticks_ % s.every_ticks == 0) s.consume(view->snapshot, wall);
  }
  ++ticks_;
}

void SnapshotPump::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return;
    started_ = true;
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void SnapshotPump::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SnapshotPump::Run() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::nanoseconds(absl::ToInt64Nanoseconds(period_));
  auto next = Clock::now() + period;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    PumpOnce();
    // Fixed cadence; after a stall, skip missed periods rather than bunch up.
    next += period;
    if (const auto now = Clock::now(); next <= now) next = now + period;
  }
}

std::shared_ptr<const DaemonView> SnapshotPump::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

}  // namespace iotax
