// The interface both client models implement, and what they share: the load
// to offer (LoadSpec), the run's time line, and the gate that starts every
// worker at once after all of them are ready.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "client_options.h"
#include "load_result.h"
#include "payload.h"
#include "socket_util.h"

namespace iotax::client {

struct LoadSpec {
  LoadMode mode = LoadMode::kClosedLoop;
  int depth = 1;           // closed loop
  double rate = 0;         // open loop, over all connections
  uint64_t seed = 1;       // open loop schedules
  int rings = 1;           // uring model
  bool busy_poll = false;  // uring model: poll completions and the clock, never sleep
  std::vector<int> cpus;   // uring: ring i is pinned to cpus[i % size]
  int64_t io_timeout_ns = 5'000'000'000;  // no progress this long on a busy connection is an error
};

// Absolute CLOCK_MONOTONIC times. Load starts at `origin` (the open-loop
// schedules count from it); requests sent (or intended) in
// [measure_start, measure_end) are measured; no request is sent at or after
// measure_end; answers still missing at drain_deadline are errors.
struct Timeline {
  int64_t origin_ns = 0;
  int64_t measure_start_ns = 0;
  int64_t measure_end_ns = 0;
  int64_t drain_deadline_ns = 0;
  bool InWindow(int64_t t) const { return t >= measure_start_ns && t < measure_end_ns; }
};

// A connected, probed socket and its number (which selects its payload bytes).
struct Connection {
  iotax::net::UniqueFd fd;
  uint64_t id = 0;
};

// Holds workers until the run's time line is known, or tells them to give up.
class StartGate {
 public:
  void Open(const Timeline& timeline);
  void Abort();
  // Blocks until Open (returns the time line) or Abort (returns nullopt).
  std::optional<Timeline> Wait();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool decided_ = false;
  std::optional<Timeline> timeline_;
};

// Holds workers that have finished until the run's counters are read: the
// client's run-queue wait is summed over /proc/self/task/*/schedstat, which
// forgets a thread once it exits, and a late-waking main thread would
// otherwise miss the very thread that waited.
class ExitGate {
 public:
  void Open();
  void Wait();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class LoadGenerator {
 public:
  virtual ~LoadGenerator() = default;
  // Sets up workers (threads, rings) for `conns` and returns when all are
  // ready, or with the reason one could not start.
  virtual absl::Status Prepare(std::vector<Connection> conns) = 0;
  // Releases the workers; returns at once.
  virtual void Start(const Timeline& timeline) = 0;
  // Waits for the run and the drain to end; merges the workers' results.
  // Workers stay alive (idle) until it is called.
  virtual LoadResult Finish() = 0;
};

// Ids are stable across models so a seed gives the same bytes and schedules.
std::unique_ptr<LoadGenerator> MakeBlockingGenerator(const Payload* payload, const LoadSpec& spec);
std::unique_ptr<LoadGenerator> MakeUringGenerator(const Payload* payload, const LoadSpec& spec);

}  // namespace iotax::client
