// Intended send times of a Poisson arrival process (exponential gaps with
// mean 1/rate) from a seeded generator. Times are computed ahead from the
// seed alone, never from when earlier sends actually happened, so a client
// that is delayed by a stalled server still charges the delay to latency
// (no coordinated omission). Copying a schedule replays the same times: the
// sender and the receiver of a connection each hold a copy.
#pragma once

#include <cstdint>

#include "splitmix.h"

namespace iotax::client {

class PoissonSchedule {
 public:
  // rate_per_s > 0.
  PoissonSchedule(double rate_per_s, uint64_t seed);

  // The next intended send time in ns after the schedule's origin; strictly
  // increasing.
  int64_t Next();

  double rate_per_s() const { return 1e9 / mean_gap_ns_; }

  // The seed of connection `conn`'s schedule in a run seeded with `run_seed`.
  static uint64_t ConnectionSeed(uint64_t run_seed, uint64_t conn);

 private:
  SplitMix64 rng_;
  double mean_gap_ns_;
  double time_ns_ = 0;  // exact running sum; rounded only on output
  int64_t last_ = 0;
};

}  // namespace iotax::client
