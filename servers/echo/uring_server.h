// N threads, each with its own io_uring, its own SO_REUSEPORT listening
// socket and its own provided-buffer ring.
//
// Per thread: one multishot accept; per connection one multishot recv that
// picks buffers from the ring, and at most one send in flight (what arrives
// meanwhile is queued, keeping the byte order). Completions are handled in
// batches and every SQE of a batch goes out with the next
// io_uring_submit_and_wait. No SQPOLL: threads sleep in the kernel when idle.
// Where the kernel rejects multishot accept or recv (EINVAL), the thread says
// so once and falls back to single-shot requests.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "echo_server.h"

namespace iotax::echo {

class UringServer : public EchoServer {
 public:
  UringServer(const ServerOptions& options, ShutdownSignal* shutdown, PapiCalipers* papi);
  ~UringServer() override;
  absl::Status Start() override;
  void Join() override;

 private:
  class Worker;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace iotax::echo
