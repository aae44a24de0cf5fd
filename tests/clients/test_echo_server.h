// A small epoll echo server for the client tests, running on its own thread
// in the test process, so the clients are tested without the servers branch.
// It can echo in small pieces (partial reads for the client; its own small
// reads make the client's large sends partial), pause, corrupt a byte, or
// hang up, to check that the clients notice.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "socket_util.h"

namespace iotax::testing {

struct TestEchoServerOptions {
  size_t chunk = 64 * 1024;  // at most this many bytes per read() and per write()
  std::chrono::microseconds delay_per_write{0};  // sleep before every write (stalls all connections)
  size_t buffer_limit = 64 * 1024;  // per connection: stop reading while this much is unsent
  // Flip the byte at this offset of the first accepted connection's stream (-1: never).
  int64_t corrupt_offset = -1;
  // Once this many bytes were echoed in total, pause everything once for `stall_for`.
  int64_t stall_after_bytes = -1;
  std::chrono::milliseconds stall_for{0};
  // Close the first accepted connection once it has echoed this many bytes (-1: never).
  int64_t hang_up_after_bytes = -1;
};

class TestEchoServer {
 public:
  explicit TestEchoServer(const TestEchoServerOptions& options = {});
  ~TestEchoServer();
  TestEchoServer(const TestEchoServer&) = delete;
  TestEchoServer& operator=(const TestEchoServer&) = delete;

  uint16_t port() const { return port_; }
  uint64_t bytes_echoed() const { return bytes_echoed_.load(); }
  uint64_t accepted() const { return accepted_.load(); }

 private:
  void Loop();

  TestEchoServerOptions options_;
  iotax::net::UniqueFd listen_fd_;
  iotax::net::UniqueFd epoll_fd_;
  iotax::net::UniqueFd stop_fd_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> bytes_echoed_{0};
  std::atomic<uint64_t> accepted_{0};
  std::thread thread_;
};

}  // namespace iotax::testing
