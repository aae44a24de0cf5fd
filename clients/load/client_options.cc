#include "client_options.h"

#include <arpa/inet.h>

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "cpu_list.h"

namespace iotax::client {

const char* ModelName(ClientModel model) { return model == ClientModel::kBlocking ? "blocking" : "uring"; }
const char* ModeName(LoadMode mode) { return mode == LoadMode::kClosedLoop ? "closed" : "open"; }

absl::StatusOr<size_t> ParseByteSize(absl::string_view text) {
  absl::string_view digits = absl::StripAsciiWhitespace(text);
  uint64_t unit = 1;
  struct Suffix {
    const char* text;
    uint64_t unit;
  };
  for (const Suffix& s : {Suffix{"KiB", 1024}, Suffix{"MiB", 1 << 20}, Suffix{"K", 1024}, Suffix{"M", 1 << 20},
                          Suffix{"k", 1024}, Suffix{"B", 1}}) {
    if (absl::ConsumeSuffix(&digits, s.text)) {
      unit = s.unit;
      break;
    }
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a size: use bytes, or a K/KiB or M/MiB suffix (e.g. 512, 64K, 1MiB)"));
  }
  if (value > (uint64_t{1} << 40) / unit) return absl::InvalidArgumentError(absl::StrCat("size '", text, "' is too large"));
  return static_cast<size_t>(value * unit);
}

absl::StatusOr<ClientOptions> ValidateClientFlags(const ClientFlags& f) {
  ClientOptions o;
  if (f.model == "blocking") {
    o.model = ClientModel::kBlocking;
  } else if (f.model == "uring") {
    o.model = ClientModel::kUring;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown --model='", f.model, "': use blocking (a thread per connection) or uring (io_uring rings)"));
  }

  in_addr addr{};
  if (inet_pton(AF_INET, f.host.c_str(), &addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--host='", f.host, "' is not an IPv4 address: use e.g. 127.0.0.1"));
  }
  o.host = f.host;

  if (f.port == 0) {
    return absl::InvalidArgumentError(
        "--port is required: the echo server's port (iotax-echo-server prints 'listening on 127.0.0.1:PORT')");
  }
  if (f.port < 1 || f.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--port=", f.port, " is out of range: use 1-65535"));
  }
  o.port = static_cast<uint16_t>(f.port);

  if (f.conns < 1 || f.conns > kMaxConnections) {
    return absl::InvalidArgumentError(
        absl::StrCat("--conns=", f.conns, " is out of range: use 1-", kMaxConnections));
  }
  o.conns = f.conns;

  auto size = ParseByteSize(f.msg_size);
  if (!size.ok()) return absl::InvalidArgumentError(absl::StrCat("--msg-size: ", size.status().message()));
  if (*size < 1 || *size > kMaxMessageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("--msg-size=", f.msg_size, " is out of range: use 1 byte to 64MiB"));
  }
  o.msg_size = *size;

  if (f.duration <= absl::ZeroDuration() || f.duration > absl::Hours(24)) {
    return absl::InvalidArgumentError(absl::StrCat("--duration=", absl::FormatDuration(f.duration),
                                                   " must be positive and at most 24h (e.g. 10s)"));
  }
  o.duration = f.duration;
  if (f.warmup < absl::ZeroDuration() || f.warmup > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--warmup=", absl::FormatDuration(f.warmup), " must be between 0 and 1h"));
  }
  o.warmup = f.warmup;

  auto cpus = iotax::net::ParseCpuList(f.cpus);
  if (!cpus.ok()) return absl::InvalidArgumentError(absl::StrCat("--cpus: ", cpus.status().message()));
  o.cpus = *cpus;

  if (!(f.rate >= 0) || std::isinf(f.rate) || f.rate > 1e8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rate=", f.rate, " is out of range: 0 for closed loop, or requests/s over all connections up to 1e8"));
  }
  if (f.depth < 1 || f.depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("--depth=", f.depth, " is out of range: use 1-", kMaxDepth));
  }
  if (f.rate > 0) {
    if (f.depth != 1) {
      return absl::InvalidArgumentError(
          "--depth applies to the closed loop only: with --rate (open loop) requests are sent on schedule "
          "however many are outstanding; drop one of the two");
    }
    o.mode = LoadMode::kOpenLoop;
    o.rate = f.rate;
  } else {
    o.mode = LoadMode::kClosedLoop;
    o.depth = f.depth;
  }

  if (f.rings < 1 || f.rings > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--rings=", f.rings, " is out of range: use 1-1024"));
  }
  if (f.rings != 1 && o.model != ClientModel::kUring) {
    return absl::InvalidArgumentError("--rings applies to --model=uring only");
  }
  if (f.rings > f.conns) {
    return absl::InvalidArgumentError(absl::StrCat("--rings=", f.rings, " exceeds --conns=", f.conns,
                                                   ": a ring needs at least one connection"));
  }
  o.rings = f.rings;
  if (f.busy_poll && o.model != ClientModel::kUring) {
    return absl::InvalidArgumentError(
        "--busy-poll applies to --model=uring only (a blocking client would spin a thread per connection)");
  }
  o.busy_poll = f.busy_poll;
  if (f.realtime && f.busy_poll) {
    return absl::InvalidArgumentError(
        "--realtime with --busy-poll would keep every other task off the client's CPUs (a real-time thread that "
        "never sleeps): use one of the two");
  }
  o.realtime = f.realtime;

  if (f.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--io-timeout must be positive (e.g. 5s)");
  }
  o.io_timeout = f.io_timeout;
  if (f.max_schedule_lag <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max-schedule-lag must be positive (e.g. 1ms)");
  }
  o.max_schedule_lag = f.max_schedule_lag;

  o.seed = f.seed;
  o.json = f.json;
  o.allow_invalid = f.allow_invalid;
  return o;
}

}  // namespace iotax::client
