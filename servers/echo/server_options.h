// The echo server's options: raw flag values in, one validated struct out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::echo {

enum class Model { kBlocking, kEpoll, kUring };

// "blocking", "epoll" or "uring".
const char* ModelName(Model model);
absl::StatusOr<Model> ParseModel(absl::string_view text);

// Flag values exactly as the user gave them (wide integer types so that
// out-of-range values can be reported rather than silently truncated).
struct RawServerFlags {
  std::string model = "epoll";
  std::string host = "127.0.0.1";
  int64_t port = 0;
  int64_t threads = 0;  // 0 = one per CPU in --cpus, else one per online CPU
  std::string cpus;
  int64_t work_ns = 0;
  int64_t work_bytes = 0;
  bool papi = false;
  int64_t backlog = 4096;
  bool uring_multishot = true;
};

struct ServerOptions {
  Model model = Model::kEpoll;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // Event-loop threads (epoll, uring); 0 for blocking, which uses one thread
  // per connection.
  int threads = 1;
  std::vector<int> cpus;  // empty = not pinned
  int64_t work_ns = 0;
  size_t work_bytes = 0;
  bool papi = false;
  int backlog = 4096;
  bool uring_multishot = true;
};

// Largest values accepted; beyond them a typo is more likely than intent.
inline constexpr int64_t kMaxThreads = 1024;
inline constexpr int64_t kMaxWorkNs = 1'000'000'000;        // 1 s per request
inline constexpr int64_t kMaxWorkBytes = int64_t{1} << 30;  // 1 GiB per thread
inline constexpr int64_t kMaxBacklog = 1 << 20;

// Checks every value and resolves defaults (thread count from --cpus or the
// online CPUs). Errors name the flag, the bad value and the accepted range.
absl::StatusOr<ServerOptions> ValidateServerOptions(const RawServerFlags& raw);

}  // namespace iotax::echo
