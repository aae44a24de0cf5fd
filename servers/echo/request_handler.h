// The per-thread request path shared by all models: count the request, and
// run the handler work inside the PAPI calipers.
//
// A pure byte echo has no message framing, so a "request" is one received
// chunk: one read() (blocking, epoll) or one recv completion (uring).
#pragma once

#include <cstddef>
#include <cstdint>

#include "echo_server.h"
#include "handler_work.h"
#include "papi_calipers.h"
#include "server_options.h"

namespace iotax::echo {

class RequestHandler {
 public:
  RequestHandler(const ServerOptions& options, PapiCalipers* papi, EchoCounters* counters);
  // Adds this thread's counts to `counters`.
  ~RequestHandler();
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  void OnConnection() { ++connections_; }
  void OnRequest(size_t bytes) {
    ++requests_;
    bytes_ += bytes;
    if (measure_) RunHandler();
  }

 private:
  void RunHandler();

  HandlerWork work_;
  PapiCalipers::Thread calipers_;
  const bool measure_;
  EchoCounters* const counters_;
  uint64_t connections_ = 0;
  uint64_t requests_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace iotax::echo
