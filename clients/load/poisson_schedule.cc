#include "poisson_schedule.h"

#include <cmath>

namespace iotax::client {

PoissonSchedule::PoissonSchedule(double rate_per_s, uint64_t seed)
    : rng_(seed), mean_gap_ns_(1e9 / rate_per_s) {}

int64_t PoissonSchedule::Next() {
  // Inverse transform: 1 - U is in (0, 1], so the log is finite.
  time_ns_ += -std::log(1.0 - rng_.NextUnit()) * mean_gap_ns_;
  int64_t t = static_cast<int64_t>(time_ns_);
  if (t <= last_) t = last_ + 1;  // keep times distinct after rounding
  last_ = t;
  return t;
}

uint64_t PoissonSchedule::ConnectionSeed(uint64_t run_seed, uint64_t conn) {
  return SplitMix64Hash(run_seed ^ SplitMix64Hash(conn + 1));
}

}  // namespace iotax::client
