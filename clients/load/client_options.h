// The load generator's settings: the flags as typed (ClientFlags) and the
// validated, typed options (ClientOptions). Validation is separate from flag
// parsing so tests can check every rejection and its message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace iotax::client {

enum class ClientModel { kBlocking, kUring };
enum class LoadMode { kClosedLoop, kOpenLoop };

const char* ModelName(ClientModel model);
const char* ModeName(LoadMode mode);

// Flag values as the user typed them; defaults are the documented ones.
struct ClientFlags {
  std::string model = "uring";
  std::string host = "127.0.0.1";
  int port = 0;
  int conns = 10;
  std::string msg_size = "512";
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Milliseconds(500);
  std::string cpus;
  int depth = 1;
  double rate = 0;
  int rings = 1;
  bool busy_poll = false;
  bool realtime = false;
  uint64_t seed = 1;
  absl::Duration io_timeout = absl::Seconds(5);
  absl::Duration max_schedule_lag = absl::Milliseconds(1);
  bool json = false;
  bool allow_invalid = false;
};

struct ClientOptions {
  ClientModel model = ClientModel::kUring;
  std::string host;
  uint16_t port = 0;
  int conns = 0;
  size_t msg_size = 0;
  absl::Duration duration;
  absl::Duration warmup;
  std::vector<int> cpus;  // empty: not pinned
  LoadMode mode = LoadMode::kClosedLoop;
  int depth = 1;         // closed loop: outstanding requests per connection
  double rate = 0;       // open loop: requests/s over all connections
  int rings = 1;         // uring model only
  bool busy_poll = false;  // uring model only: rings never sleep
  bool realtime = false;   // every thread of the run at SCHED_FIFO priority 1
  uint64_t seed = 1;
  absl::Duration io_timeout;
  absl::Duration max_schedule_lag;
  bool json = false;
  bool allow_invalid = false;
};

// Largest accepted --msg-size (64 MiB) and --depth.
inline constexpr size_t kMaxMessageSize = size_t{64} << 20;
inline constexpr int kMaxDepth = 4096;
inline constexpr int kMaxConnections = 100000;

// "512", "4K"/"4KiB", "1M"/"1MiB" (binary units) -> bytes.
absl::StatusOr<size_t> ParseByteSize(absl::string_view text);

// Checks every flag and their combinations; errors name the flag, the problem
// and the fix.
absl::StatusOr<ClientOptions> ValidateClientFlags(const ClientFlags& flags);

}  // namespace iotax::client
