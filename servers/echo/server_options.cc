#include "server_options.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "cpu_list.h"

namespace iotax::echo {

const char* ModelName(Model model) {
  switch (model) {
    case Model::kBlocking:
      return "blocking";
    case Model::kEpoll:
      return "epoll";
    case Model::kUring:
      return "uring";
  }
  return "?";
}

absl::StatusOr<Model> ParseModel(absl::string_view text) {
  if (text == "blocking") return Model::kBlocking;
  if (text == "epoll") return Model::kEpoll;
  if (text == "uring") return Model::kUring;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown --model '", text, "': use blocking, epoll or uring"));
}

namespace {

absl::Status CheckRange(const char* flag, int64_t value, int64_t lo, int64_t hi,
                        absl::string_view hint = "") {
  if (value >= lo && value <= hi) return absl::OkStatus();
  std::string message = absl::StrCat("--", flag, "=", value, " is out of range: use ", lo, " to ", hi);
  if (!hint.empty()) absl::StrAppend(&message, " (", hint, ")");
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<ServerOptions> ValidateServerOptions(const RawServerFlags& raw) {
  ServerOptions out;
  auto model = ParseModel(raw.model);
  if (!model.ok()) return model.status();
  out.model = *model;
  if (raw.host.empty()) return absl::InvalidArgumentError("--host is empty: use e.g. 127.0.0.1");
  out.host = raw.host;

  if (auto s = CheckRange("port", raw.port, 0, 65535, "0 picks a free port"); !s.ok()) return s;
  out.port = static_cast<uint16_t>(raw.port);

  auto cpus = net::ParseCpuList(raw.cpus);
  if (!cpus.ok()) return absl::InvalidArgumentError(absl::StrCat("--cpus: ", cpus.status().message()));
  out.cpus = *cpus;

  if (auto s = CheckRange("threads", raw.threads, 0, kMaxThreads, "0 = one per CPU"); !s.ok()) return s;
  if (out.model == Model::kBlocking) {
    if (raw.threads != 0) {
      return absl::InvalidArgumentError(
          "--threads does not apply to --model=blocking, which runs one thread per connection: "
          "drop --threads");
    }
    out.threads = 0;
  } else if (raw.threads > 0) {
    out.threads = static_cast<int>(raw.threads);
  } else if (!out.cpus.empty()) {
    out.threads = static_cast<int>(out.cpus.size());
  } else {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    out.threads = online > 0 ? static_cast<int>(online) : 1;
  }

  if (auto s = CheckRange("work-ns", raw.work_ns, 0, kMaxWorkNs); !s.ok()) return s;
  out.work_ns = raw.work_ns;
  if (auto s = CheckRange("work-bytes", raw.work_bytes, 0, kMaxWorkBytes); !s.ok()) return s;
  out.work_bytes = static_cast<size_t>(raw.work_bytes);
  out.papi = raw.papi;
  if (auto s = CheckRange("backlog", raw.backlog, 1, kMaxBacklog); !s.ok()) return s;
  out.backlog = static_cast<int>(raw.backlog);
  out.uring_multishot = raw.uring_multishot;
  return out;
}

}  // namespace iotax::echo
