// What a load generator measured: latencies, counts, verified bytes and
// errors. Each worker fills its own and the results are merged at the end.
#pragma once

#include <cstdint>
#include <string>

#include "log_linear_histogram.h"

namespace iotax::client {

struct LoadResult {
  // Requests sent inside the measurement window and answered (possibly after
  // it ended, while draining).
  uint64_t requests = 0;
  // Latency in ns of those requests: receive time minus send time (closed
  // loop) or minus intended send time (open loop).
  LogLinearHistogram latency;
  // Open loop: how late each request's send started after its intended time.
  LogLinearHistogram send_lag;
  // Every echoed byte checked, warm-up and drain included.
  uint64_t bytes_verified = 0;
  uint64_t errors = 0;
  std::string first_error;

  void AddError(std::string message) {
    if (errors++ == 0) first_error = std::move(message);
  }
  void Merge(const LoadResult& other);
};

}  // namespace iotax::client
