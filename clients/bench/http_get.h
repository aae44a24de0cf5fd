// A minimal HTTP/1.0 GET over loopback, enough to read iotaxd's /api/report
// and /metrics: one request per connection, the body until the server closes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace iotax::bench {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// Splits a raw response into status code and body.
absl::StatusOr<HttpResponse> ParseHttpResponse(const std::string& raw);

absl::StatusOr<HttpResponse> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                                     absl::Duration timeout);

}  // namespace iotax::bench
