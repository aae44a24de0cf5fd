#include "request_handler.h"

namespace iotax::echo {

RequestHandler::RequestHandler(const ServerOptions& options, PapiCalipers* papi, EchoCounters* counters)
    : work_(options.work_ns, options.work_bytes),
      calipers_(papi),
      measure_(work_.enabled() || calipers_.active()),
      counters_(counters) {}

RequestHandler::~RequestHandler() { counters_->Add(connections_, requests_, bytes_); }

void RequestHandler::RunHandler() {
  calipers_.Begin();
  work_.Run();
  calipers_.End();
}

}  // namespace iotax::echo
