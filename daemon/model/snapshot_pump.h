// iotaxd's one reader of the tracer: a thread takes a snapshot every period
// and hands it to its consumers, each at its own multiple of the period (the
// IPC analysis every --window, the verdict every second); the latest view is
// kept for scrapes, so a scrape never reads the tracer. The samplers also run
// on one of their own when used alone (tests, tools).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon_view.h"

namespace iotax {

class SnapshotPump {
 public:
  using Source = std::function<DaemonView()>;
  using Consumer = std::function<void(const AgentSnapshot& snapshot, absl::Time wall)>;

  // `source` is called from the pump's thread only (and PumpOnce's caller).
  SnapshotPump(Source source, absl::Duration period);
  // A pump over a bare snapshot source (a sampler used on its own).
  static std::unique_ptr<SnapshotPump> OfSnapshots(std::function<AgentSnapshot()> source, absl::Duration period);
  ~SnapshotPump();  // stops the thread
  SnapshotPump(const SnapshotPump&) = delete;
  SnapshotPump& operator=(const SnapshotPump&) = delete;

  // Before Start: `consumer` gets the first snapshot and then one every
  // `every` (rounded to a whole number of periods, at least one).
  void AddConsumer(absl::Duration every, Consumer consumer);

  // One read now, handed to the consumers that are due. `wall` is the time
  // to record (tests pass their own clock).
  void PumpOnce(absl::Time wall = absl::Now());

  // Starts the thread; its first read is one period from now. Idempotent.
  void Start();
  void Stop();

  // The view of the last read; null before the first.
  std::shared_ptr<const DaemonView> Latest() const;

  absl::Duration period() const { return period_; }

 private:
  struct Subscriber {
    uint64_t every_ticks;
    Consumer consume;
  };
  void Run();

  Source source_;
  absl::Duration period_;
  std::vector<Subscriber> consumers_;  // fixed once started
  mutable std::mutex mu_;
  std::shared_ptr<const DaemonView> latest_;  // guarded by mu_
  uint64_t ticks_ = 0;                        // reads so far; only the reading thread touches it
  std::mutex read_mu_;                        // one read (and hand-out) at a time
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mu_
  bool started_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace iotax
