#include "load_result.h"

namespace iotax::client {

void LoadResult::Merge(const LoadResult& other) {
  requests += other.requests;
  latency.Merge(other.latency);
  send_lag.Merge(other.send_lag);
  bytes_verified += other.bytes_verified;
  if (errors == 0 && other.errors > 0) first_error = other.first_error;
  errors += other.errors;
}

}  // namespace iotax::client
