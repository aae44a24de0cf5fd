// Synthetic per-request handler work: spin for a given time while touching a
// working set of a given size, so that the cost of cache pollution (from
// context switches, syscalls or other threads) shows up in the handler.
//
// Each thread owns its working set. A request walks it one cache line at a
// time (a read and a write per line), continuing where the previous request
// stopped, with a stride that defeats the hardware prefetcher and still visits
// every line once per pass:
//   work_ns > 0, work_bytes > 0: walk the set until work_ns have passed;
//   work_ns > 0, work_bytes = 0: spin on the clock for work_ns;
//   work_ns = 0, work_bytes > 0: one full pass over the set;
//   both 0: nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace iotax::echo {

class HandlerWork {
 public:
  HandlerWork(int64_t work_ns, size_t work_bytes);
  HandlerWork(const HandlerWork&) = delete;
  HandlerWork& operator=(const HandlerWork&) = delete;

  bool enabled() const { return work_ns_ > 0 || lines_ > 0; }
  // One request's worth of work.
  void Run();

  // Cache lines touched so far (for tests and sanity checks).
  uint64_t lines_touched() const { return touched_; }
  size_t working_set_lines() const { return lines_; }

 private:
  struct alignas(64) Line {
    uint64_t words[8];
  };
  void TouchLines(size_t count);

  int64_t work_ns_;
  size_t lines_;
  size_t stride_ = 1;
  size_t next_ = 0;
  uint64_t touched_ = 0;
  std::unique_ptr<Line[]> set_;
};

// Monotonic clock in nanoseconds (vDSO, no syscall).
int64_t MonotonicNowNs();

}  // namespace iotax::echo
