// iotaxd's verdict: a snapshot every step (1 s, handed over by iotaxd's
// SnapshotPump), the recent ones kept (--history), and the report recomputed
// over the sliding verdict window (--verdict-window) after each. /metrics, /api/report,
// /api/series and the page read what it keeps; nothing is computed per
// request beyond formatting.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "async_cost.h"
#include "report.h"
#include "snapshot.h"
#include "snapshot_pump.h"

namespace iotax {

struct HistoryEntry {
  absl::Time wall;  // when it was read
  std::shared_ptr<const AgentSnapshot> snapshot;
};

struct VerdictSamplerOptions {
  absl::Duration step = absl::Seconds(1);
  absl::Duration verdict_window = absl::Seconds(30);
  absl::Duration history = absl::Minutes(5);
  std::optional<Calibration> calibration;
  std::string calibration_note;
  std::string calibration_rejected;  // CalibrationLookup::rejected
  std::function<int(int pid)> cpus_of;  // nullptr: unknown
};

class VerdictSampler {
 public:
  using SnapshotSource = std::function<AgentSnapshot()>;

  // `source` is read by SampleOnce and Start; null when fed with Observe
  // (iotaxd's pump).
  VerdictSampler(SnapshotSource source, VerdictSamplerOptions options);
  ~VerdictSampler();  // stops the thread
  VerdictSampler(const VerdictSampler&) = delete;
  VerdictSampler& operator=(const VerdictSampler&) = delete;

  // One step with this snapshot, taken at `wall`.
  void Observe(const AgentSnapshot& snapshot, absl::Time wall = absl::Now());

  // Alone (no pump): takes the first snapshot and starts a pump of its own
  // over `source`, one read per step. Idempotent.
  void Start();
  void Stop();

  // One step now from `source`; for tests. `wall` is the time to record
  // (tests pass their own clock).
  void SampleOnce(absl::Time wall = absl::Now()) { Observe(source_(), wall); }

  // The report over the verdict window as of the last step.
  std::shared_ptr<const Report> LatestReport() const;

  // Snapshots of the last `span` (all kept ones for an infinite span), oldest first.
  std::vector<HistoryEntry> History(absl::Duration span = absl::InfiniteDuration()) const;

  const VerdictSamplerOptions& options() const { return options_; }

 private:
  std::shared_ptr<const Report> Compute() const;  // over history_, caller holds mu_

  SnapshotSource source_;
  VerdictSamplerOptions options_;
  mutable std::mutex mu_;
  std::deque<HistoryEntry> history_;            // guarded by mu_
  std::shared_ptr<const Report> latest_;        // guarded by mu_
  std::unique_ptr<SnapshotPump> pump_;          // when started alone
};

}  // namespace iotax
