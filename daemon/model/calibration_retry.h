// Whether `iotax calibrate` keeps a server run, runs it again, or gives up
// and writes nothing. A run is clean when the load client kept its send
// schedule and saw nothing that invalidates it (an accept queue overflow):
// only then did the blocking and the io_uring server see the same offered
// load, which the difference between them assumes. Pure, so the refusal is
// testable without root or BPF.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "machine_load.h"

namespace iotax {

// One attempt at one server run, as the load client judged it.
struct RunAttempt {
  bool clean = false;
  std::vector<std::string> reasons;  // the client's invalid_reasons when not clean
};

// Runs again after an unclean attempt at most this often per server run: a
// passing burst of other work clears in a few seconds, a busy machine does not.
inline constexpr int kMaxUncleanRetries = 2;

// Exit code of a refused calibration (nothing written): distinct from 1
// (something is broken) because running again later may well succeed.
inline constexpr int kRefusedExitCode = 3;

enum class RunStep { kKeep, kRetry, kRefuse };

struct RunDecision {
  RunStep step = RunStep::kKeep;
  // kRetry: a progress line for stderr. kRefuse: what was unclean, the
  // machine's load and what to do, on one line; nothing is written.
  std::string line;
  int exit_code = 0;  // kRefusedExitCode on kRefuse
};

// The machine's load for the user, now and before calibrating: "load
// average 3.10 on 2 CPUs (0.40 before calibrating)". Now includes
// calibrate's own server and client (up to 2); a low figure before points at
// --rates, a high one at the machine.
std::string DescribeLoad(const MachineLoad& before, const MachineLoad& now);

// After the latest of `attempts` (oldest first, at least one) of the `model`
// server at `rate` requests/s.
RunDecision DecideAfterAttempt(absl::string_view model, int rate, const std::vector<RunAttempt>& attempts,
                               const MachineLoad& before, const MachineLoad& now,
                               int max_retries = kMaxUncleanRetries);

// The one line of a refusal: "refused, nothing written: WHAT; LOAD: FIX".
std::string RefusalLine(absl::string_view what, absl::string_view load, absl::string_view fix);

}  // namespace iotax
