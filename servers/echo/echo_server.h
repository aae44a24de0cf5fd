// What every server model shares: the start/stop life cycle, the counters
// behind the exit summary, and the factory that picks a model.
//
// Life cycle: Start() opens the listening socket(s) and starts the threads,
// returning once the server accepts connections. The threads run until the
// ShutdownSignal's stop fd becomes readable; they then stop accepting, close
// every connection and end. Join() waits for all of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "papi_calipers.h"
#include "server_options.h"
#include "shutdown_signal.h"

namespace iotax::echo {

struct EchoTotals {
  uint64_t connections = 0;  // accepted
  uint64_t requests = 0;     // read/recv completions handled (one handler run each)
  uint64_t bytes = 0;        // bytes received and echoed back
};

// Threads add their counts when they end, so the hot path touches no atomics.
class EchoCounters {
 public:
  void Add(uint64_t connections, uint64_t requests, uint64_t bytes) {
    connections_.fetch_add(connections, std::memory_order_relaxed);
    requests_.fetch_add(requests, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  EchoTotals Read() const { return {connections_.load(), requests_.load(), bytes_.load()}; }

 private:
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> bytes_{0};
};

class EchoServer {
 public:
  EchoServer(const ServerOptions& options, ShutdownSignal* shutdown, PapiCalipers* papi)
      : options_(options), shutdown_(shutdown), papi_(papi) {}
  virtual ~EchoServer() = default;
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Listens and starts the threads. On error nothing is left running.
  virtual absl::Status Start() = 0;
  // The port actually bound (the chosen one for --port=0); valid after Start().
  uint16_t port() const { return port_; }
  // Waits for every thread; call after a stop was requested.
  virtual void Join() = 0;

  // The first error that made a running thread stop the server, or OK.
  absl::Status error() const;
  EchoTotals totals() const { return counters_.Read(); }
  // "epoll server stopped: 12 connections, 3400 requests, 1.7 MB echoed"
  std::string Summary() const;

 protected:
  // Records `status` (first one wins) and stops the whole server.
  void Fail(const absl::Status& status);

  const ServerOptions options_;
  ShutdownSignal* const shutdown_;
  PapiCalipers* const papi_;
  EchoCounters counters_;
  uint16_t port_ = 0;

 private:
  mutable std::mutex error_mu_;
  absl::Status error_;
};

std::unique_ptr<EchoServer> MakeEchoServer(const ServerOptions& options, ShutdownSignal* shutdown,
                                           PapiCalipers* papi);

}  // namespace iotax::echo
