// Everything before the clock starts: enough file descriptors, every
// connection opened, and one verified round trip on each (a connect() can
// succeed while the server has not accepted yet; an echo proves it has).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "load_generator.h"
#include "payload.h"

namespace iotax::client {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
absl::StatusOr<uint64_t> RaiseFileLimit();

// Opens `count` TCP connections (TCP_NODELAY, blocking) with ids 0..count-1.
// Each connect is bounded by `timeout`.
absl::StatusOr<std::vector<Connection>> ConnectAll(const std::string& host, uint16_t port, int count,
                                                   absl::Duration timeout);

// Bytes in the set-up round trip: the message size, capped so that set-up of
// many large-message connections stays quick.
size_t ProbeSize(size_t msg_size);

// Sends the set-up message on every connection, then reads and verifies every
// echo within `timeout`.
absl::Status ProbeAll(const std::vector<Connection>& conns, const Payload& payload, absl::Duration timeout);

}  // namespace iotax::client
