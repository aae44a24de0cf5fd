// One complete client run: set-up (file limit, connections, a verified round
// trip on each), warm-up, the measured window with CPU and listen-queue
// counters sampled around it, the drain, and the verdict (valid or not, and
// why). Used by iotax-echo-client and by the bench runner.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "client_options.h"
#include "run_report.h"

namespace iotax::client {

// A Status only when the run could not start (bad host, server down, too few
// file descriptors...); everything that went wrong during the run is in the
// report (errors, invalid_reasons). With --cpus the calling thread (and
// every thread of the run) is pinned for the run's length; its own CPU set is
// restored afterwards.
absl::StatusOr<RunReport> RunEchoClient(const ClientOptions& options);

// Called on the run's main thread at the edges of the measured window: at its
// start just before the client's own counters are read, at its end just after,
// so that another process (the server) can be sampled over the same window
// without the sampling's cost landing in the client's figures.
struct WindowHooks {
  std::function<void()> at_start;
  std::function<void()> at_end;
};
absl::StatusOr<RunReport> RunEchoClient(const ClientOptions& options, const WindowHooks& hooks);

// 0 for a valid run; 1 for errors, or for an invalid run unless allowed.
int ExitCodeFor(const RunReport& report, bool allow_invalid);

// When the io_uring client's threads (at most one ring per CPU) waited at
// least this share of the window for a CPU, send lag is blamed on other work
// on its CPUs.
inline constexpr double kBusyCpuWaitShare = 0.01;

// The invalid reason for a run whose p99 send lag exceeded
// --max-schedule-lag: the figures, and the likely cause and fix (other work
// on the client's CPUs when its threads waited for one, else its capacity).
std::string ScheduleLagReason(const RunReport& report, const ClientOptions& options);

}  // namespace iotax::client
