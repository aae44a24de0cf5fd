// The tracer's tier-3 set-up and read-out: decide whether the PMU path runs
// (open both counters on every online CPU, or say why not in a PmuStatus),
// and sum the per-CPU BPF counters into the snapshot's PmuTargetStats.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "iotax.h"
#include "perf_counters.h"
#include "snapshot.h"

namespace iotax::pmu {

struct PmuSetup {
  PmuStatus status;
  std::optional<PmuCounterPair> counters;  // present exactly when status.up
};

// `events` is a --pmu-events value ("" turns tier 3 off). A malformed list or
// an event name libpfm4 does not know is an error (the user must fix it);
// counters that cannot be opened are not: the status says why (reason token
// from the capability probe: vm_without_pmu, no_hardware_pmu, not_permitted,
// open_failed) and what to do.
absl::StatusOr<PmuSetup> SetUpPmu(const std::string& events);

// Sums `ncpus` consecutive per-CPU copies, as a PERCPU_ARRAY lookup returns them.
PmuTargetStats SumPmuStats(const iotax_pmu_stats* per_cpu, size_t ncpus);

}  // namespace iotax::pmu
