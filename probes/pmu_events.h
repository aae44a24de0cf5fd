// PMU event names -> perf_event_attr, through libpfm4. Accepts generic names
// ("instructions", "cycles"), PMU-specific ones ("INST_RETIRED:ANY_P", or the
// perf-style "INST_RETIRED.ANY"), and the software events that stand in for
// them on machines without a hardware PMU ("cpu-clock", "task-clock").
#pragma once

#include <linux/perf_event.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::pmu {

// Which privilege levels a counter counts. Explicit modifiers in the name
// (":u", ":k") take precedence, as libpfm4 defines.
enum class CountingMode { kUserOnly, kKernelOnly, kUserAndKernel };

struct EncodedEvent {
  std::string requested;   // the name as given
  std::string canonical;   // libpfm4's fully qualified form, e.g. perf::PERF_COUNT_HW_INSTRUCTIONS:u=1:k=0:...
  perf_event_attr attr{};  // counting (not sampling); size set; ready for perf_event_open
  bool software = false;   // a software event (a stand-in), not a hardware counter
};

// Encodes one event. InvalidArgument naming the event, with the libpfm4
// reason and where to find valid names, when libpfm4 does not know it.
absl::StatusOr<EncodedEvent> EncodeEvent(absl::string_view name, CountingMode mode);

// The two events iotax reads at every kernel boundary: the first stands for
// instructions, the second for cycles.
struct EventPair {
  std::string instructions;
  std::string cycles;
};
inline constexpr char kDefaultPmuEvents[] = "instructions,cycles";
inline constexpr char kSoftwareStandInEvents[] = "cpu-clock,task-clock";

// Parses a --pmu-events value: exactly two comma-separated, non-empty names.
absl::StatusOr<EventPair> ParseEventPair(absl::string_view text);

// Checks a --pmu-events value before anything is attached, so a typo'd event
// is one line at start: "" (tier 3 off) or a pair whose events both encode.
absl::Status CheckPmuEventsFlag(absl::string_view text);

// Names of the PMUs libpfm4 detected on this machine (e.g. "perf",
// "perf_raw", "amd64_fam19h"); only the generic software ones when the CPU's
// PMU is not visible (as in most VMs).
std::vector<std::string> DetectedPmus();

}  // namespace iotax::pmu
