// Inter-processor interrupts, machine-wide, from /proc/interrupts: the
// rescheduling (RES) and function-call (CAL) IPIs one CPU sends another to
// wake a thread there or hand it work. A thread-per-connection server woken
// from the client's CPU costs one per request; in a virtual machine each is
// an exit to the hypervisor, which is why the separate placement is costly
// here. Machine-wide, so other work on the machine shows up too.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::bench {

struct IpiCounts {
  uint64_t rescheduling = 0;   // RES, summed over CPUs
  uint64_t function_call = 0;  // CAL
  uint64_t total() const { return rescheduling + function_call; }
};

absl::StatusOr<IpiCounts> ParseInterrupts(absl::string_view text);
absl::StatusOr<IpiCounts> ReadIpis(const std::string& proc_root = "/proc");

}  // namespace iotax::bench
