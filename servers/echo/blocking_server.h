// The classic model: one thread per connection with blocking read()/write().
//
// An acceptor thread polls the listening socket and the stop fd, and starts a
// thread for each connection. Connection threads read, run the handler and
// write everything back, blocking in both. On stop the acceptor shuts down
// every open connection (waking threads blocked in read or write) and joins
// all threads. Finished threads are joined as new connections arrive, so
// connection churn does not accumulate zombies.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "echo_server.h"
#include "socket_util.h"

namespace iotax::echo {

class BlockingServer : public EchoServer {
 public:
  using EchoServer::EchoServer;
  ~BlockingServer() override;
  absl::Status Start() override;
  void Join() override;

 private:
  void AcceptLoop();
  void ServeConnection(uint64_t id, int fd);
  void JoinFinished();
  void CloseAllAndJoin();

  net::UniqueFd listener_;
  std::thread acceptor_;

  std::mutex mu_;
  std::map<uint64_t, int> open_fds_;              // id -> fd, closed under mu_
  std::map<uint64_t, std::thread> threads_;       // running or finished, not yet joined
  std::vector<uint64_t> finished_;                // ids ready to join
  uint64_t next_id_ = 0;
};

}  // namespace iotax::echo
