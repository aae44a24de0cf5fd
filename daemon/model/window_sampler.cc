#include "window_sampler.h"

#include <time.h>

#include <cerrno>

#include "absl/time/clock.h"

namespace iotax {
int WaitForStopSignal(const sigset_t& signals, absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) return 0;
  const timespec ts = absl::ToTimespec(timeout);
  for (;;) {
    const int sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno != EINTR) return 0;
  }
}

sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

SamplingResult SampleWindows(const std::function<AgentSnapshot()>& read, absl::Duration duration,
                             absl::Duration step, const sigset_t& signals,
                             const std::function<bool(const AgentSnapshot&)>& done) {
  SamplingResult result;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  result.snapshots.push_back(read());
  absl::Time next = start + step;
  while (true) {
    if (next > end) next = end;
    if (const int sig = WaitForStopSignal(signals, next - absl::Now()); sig != 0) {
      result.signal = sig;
      result.snapshots.push_back(read());
      return result;
    }
    result.snapshots.push_back(read());
    if (next >= end) return result;
    if (done && done(result.snapshots.back())) return result;
    next += step;
  }
}

}  // namespace iotax
