// What one scrape (or, later, one report) sees: the tracer's snapshot plus
// what the daemon itself knows about its targets. Produced by TargetManager,
// consumed by the metrics collector; plain values, so tests can build one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"

namespace iotax {

// One --comm NAME watch.
struct CommWatchStatus {
  std::string comm;
  int live_targets = 0;             // traced processes with this name still running
  uint64_t processes_attached = 0;  // processes with this name attached since start
};

struct DaemonView {
  AgentSnapshot snapshot;
  std::vector<CommWatchStatus> comm_watches;
  uint64_t attach_failures = 0;     // processes found but not traced (e.g. slots full)
  double snapshot_read_seconds = 0; // how long Tracer::Read took for this view
};

}  // namespace iotax
