// A poll-based echo driver for the server tests: many connections from one
// thread, each sending messages in closed loop (the next message goes out once
// the previous one is fully echoed), with optional small write/read chunks and
// pauses, and byte-exact verification of everything that comes back.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace iotax::testing {

struct DriveSpec {
  int connections = 1;
  size_t message_bytes = 512;
  int messages = 1;                              // per connection
  size_t write_chunk = 0;                        // 0 = as much as the socket takes
  size_t read_chunk = 0;                         // 0 = up to 256 KiB per read
  std::chrono::microseconds pause{0};            // after each chunk, per connection
  int receive_buffer = 0;                        // SO_RCVBUF; small values force short server sends
  std::chrono::milliseconds timeout{20000};      // for the whole run
};

struct DriveResult {
  bool ok = false;
  std::string error;  // what went wrong first, for the assertion message
  uint64_t bytes_verified = 0;
  int connections_done = 0;
};

DriveResult DriveEcho(uint16_t port, const DriveSpec& spec);

// Raises RLIMIT_NOFILE for tests that open many sockets.
void RaiseTestFileLimit();

}  // namespace iotax::testing
