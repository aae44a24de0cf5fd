// Reads snapshots at a fixed cadence for a while: the sub-windows of
// `iotax report` and `iotax calibrate`. The caller blocks SIGINT and SIGTERM
// first; either one ends the sampling early (the snapshots so far are kept).
#pragma once

#include <signal.h>

#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "snapshot.h"

namespace iotax {

struct SamplingResult {
  std::vector<AgentSnapshot> snapshots;  // the first is taken at once
  int signal = 0;                        // the signal that stopped it, or 0
};

// Takes a snapshot now and then every `step` until `duration` has passed,
// `done(latest)` returns true, or a signal of `signals` arrives.
SamplingResult SampleWindows(const std::function<AgentSnapshot()>& read, absl::Duration duration,
                             absl::Duration step, const sigset_t& signals,
                             const std::function<bool(const AgentSnapshot&)>& done = nullptr);

// Waits up to `timeout` for one of `signals`; returns it, or 0.
int WaitForStopSignal(const sigset_t& signals, absl::Duration timeout);

// Blocks SIGINT and SIGTERM in this thread (and threads started after) and
// returns the set, for SampleWindows.
sigset_t BlockStopSignals();

}  // namespace iotax
