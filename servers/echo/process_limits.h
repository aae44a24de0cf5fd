// Process-wide limits a server with 1000+ connections needs.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace iotax::echo {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
absl::StatusOr<long> RaiseFileLimit();

// The kernel silently caps every listen backlog at net.core.somaxconn.
// Returns a warning when `backlog` exceeds it, or "" when it fits (or the
// file cannot be read). `somaxconn_path` is a parameter for tests.
std::string BacklogWarning(int backlog,
                           const std::string& somaxconn_path = "/proc/sys/net/core/somaxconn");

}  // namespace iotax::echo
