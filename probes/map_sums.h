// Turns per-CPU copies of the BPF counters (bpf/iotax.h) into the plain C++
// snapshot structs (snapshot.h). Pure functions, so they are unit-tested
// without root.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "iotax.h"
#include "snapshot.h"

namespace iotax {

// Sums `ncpus` consecutive per-CPU values, as a PERCPU_ARRAY lookup returns them.
TargetStats SumTargetStats(const iotax_target_stats* per_cpu, size_t ncpus);

struct SelfCounters {
  std::array<uint64_t, IOTAX_NPROBES> events{};
  std::array<uint64_t, kNumDropReasons> dropped{};
};
SelfCounters SumSelfStats(const iotax_self_stats* per_cpu, size_t ncpus);

}  // namespace iotax
