#include "echo_server.h"

#include "absl/strings/str_format.h"
#include "blocking_server.h"
#include "epoll_server.h"
#include "uring_server.h"

namespace iotax::echo {

absl::Status EchoServer::error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_;
}

void EchoServer::Fail(const absl::Status& status) {
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    if (error_.ok()) error_ = status;
  }
  shutdown_->RequestStop();
}

std::string EchoServer::Summary() const {
  EchoTotals t = totals();
  return absl::StrFormat("%s server stopped: %d connections, %d requests, %.1f MB echoed",
                         ModelName(options_.model), t.connections, t.requests,
                         static_cast<double>(t.bytes) / 1e6);
}

std::unique_ptr<EchoServer> MakeEchoServer(const ServerOptions& options, ShutdownSignal* shutdown,
                                           PapiCalipers* papi) {
  switch (options.model) {
    case Model::kBlocking:
      return std::make_unique<BlockingServer>(options, shutdown, papi);
    case Model::kEpoll:
      return std::make_unique<EpollServer>(options, shutdown, papi);
    case Model::kUring:
      return std::make_unique<UringServer>(options, shutdown, papi);
  }
  return nullptr;
}

}  // namespace iotax::echo
