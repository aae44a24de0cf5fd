// SIGINT/SIGTERM turned into one eventfd that every server model can wait on.
//
// Install() blocks the two signals in the calling thread, so it must run
// before any other thread starts (threads inherit the mask): no thread is
// then ever interrupted by EINTR, and the signals are read from a signalfd.
// Wait() turns a signal into a write on the eventfd, which stays readable for
// good, so every event loop (epoll, poll, io_uring) sees the stop.
#pragma once

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "socket_util.h"

namespace iotax::echo {

class ShutdownSignal {
 public:
  // Blocks SIGINT and SIGTERM and listens for them.
  static absl::StatusOr<std::unique_ptr<ShutdownSignal>> Install();
  // No signal handling: only RequestStop() stops (for in-process tests).
  static absl::StatusOr<std::unique_ptr<ShutdownSignal>> CreateWithoutSignals();

  // An eventfd that becomes readable, and stays so, once a stop is requested.
  // Loops must watch it, never read it.
  int stop_fd() const { return stop_fd_.get(); }
  bool stop_requested() const { return stopped_.load(std::memory_order_acquire); }
  void RequestStop();

  // Blocks until SIGINT/SIGTERM arrives or RequestStop() is called. Returns
  // the signal number, or 0 for RequestStop().
  int Wait();

 private:
  ShutdownSignal() = default;
  net::UniqueFd stop_fd_;
  net::UniqueFd signal_fd_;  // empty without signals
  std::atomic<bool> stopped_{false};
};

}  // namespace iotax::echo
