// N event-loop threads, each with its own epoll instance and its own
// SO_REUSEPORT listening socket (see listeners.h for why), non-blocking
// sockets, edge-triggered.
//
// Per connection: read until the socket is drained, echo each chunk at once;
// on a short write keep the rest and stop reading until EPOLLOUT has flushed
// it, so a client that does not read costs at most one chunk of memory.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "echo_server.h"
#include "socket_util.h"

namespace iotax::echo {

class EpollServer : public EchoServer {
 public:
  EpollServer(const ServerOptions& options, ShutdownSignal* shutdown, PapiCalipers* papi);
  ~EpollServer() override;
  absl::Status Start() override;
  void Join() override;

 private:
  class Loop;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
};

}  // namespace iotax::echo
