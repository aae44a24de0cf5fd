#include "handler_work.h"

#include <time.h>

#include <numeric>

namespace iotax::echo {

int64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

namespace {

// A stride near lines/phi that is coprime with the line count, so that the
// walk visits every line once per pass and consecutive touches are far apart.
size_t PickStride(size_t lines) {
  if (lines < 3) return 1;
  size_t stride = static_cast<size_t>(static_cast<double>(lines) * 0.6180339887) | 1;
  while (std::gcd(stride, lines) != 1) stride += 2;
  return stride % lines == 0 ? 1 : stride;
}

// Lines touched between clock reads: the clock costs ~20 ns, a line ~1-100 ns.
constexpr size_t kLinesPerClockRead = 16;

}  // namespace

HandlerWork::HandlerWork(int64_t work_ns, size_t work_bytes)
    : work_ns_(work_ns), lines_((work_bytes + sizeof(Line) - 1) / sizeof(Line)) {
  if (lines_ == 0) return;
  stride_ = PickStride(lines_);
  // Value-initialised: the pages are touched now, not during the first requests.
  set_ = std::make_unique<Line[]>(lines_);
}

void HandlerWork::TouchLines(size_t count) {
  Line* set = set_.get();
  size_t next = next_;
  for (size_t i = 0; i < count; ++i) {
    // A read-modify-write: the line is fetched and left dirty, as real
    // request state would be.
    set[next].words[0] += 1;
    next += stride_;
    if (next >= lines_) next -= lines_;
  }
  next_ = next;
  touched_ += count;
}

void HandlerWork::Run() {
  if (work_ns_ <= 0) {
    if (lines_ > 0) TouchLines(lines_);
    return;
  }
  const int64_t deadline = MonotonicNowNs() + work_ns_;
  if (lines_ == 0) {
    while (MonotonicNowNs() < deadline) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    return;
  }
  do {
    TouchLines(kLinesPerClockRead);
  } while (MonotonicNowNs() < deadline);
}

}  // namespace iotax::echo
