// CPU lists as users write them ("0", "0-1", "0,2-3") and pinning to them.
#pragma once

#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace iotax::net {

// Parses a Linux-style CPU list. Rejects empty items, reversed ranges and CPUs
// this machine does not have, with a message that names the bad part.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text);

// Pins the calling thread to `cpus`; an empty list is a no-op.
absl::Status PinCurrentThread(const std::vector<int>& cpus);

}  // namespace iotax::net
