// Monotonic time in nanoseconds, the one clock every timestamp in the client uses.
#pragma once

#include <time.h>

#include <cerrno>
#include <cstdint>

namespace iotax::client {

inline int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline timespec ToTimespec(int64_t ns) {
  timespec ts;
  ts.tv_sec = ns / 1'000'000'000;
  ts.tv_nsec = ns % 1'000'000'000;
  return ts;
}

// Sleeps until the absolute monotonic time `deadline_ns` (returns at once if past).
inline void SleepUntilNs(int64_t deadline_ns) {
  const timespec ts = ToTimespec(deadline_ns);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace iotax::client
