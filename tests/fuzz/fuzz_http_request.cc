// libFuzzer: iotaxd's own HTTP request handling, without a socket. The input
// is a request as civetweb hands it over (method, decoded path, query string,
// Authorization header; one per line) plus a first byte that picks a server
// with or without basic auth. It goes through the production HttpServer::
// Dispatch with iotaxd's real routes (/, /api/report, /api/series with its
// ?seconds= parsing, /metrics, /healthz) and the production basic-auth code
// (header parsing, base64, crypt(3) compare). Checked on every input:
// nothing crashes (ASan/UBSan), every answer has a status iotaxd means to
// send, and with auth on nothing but a 401 ever goes out without the right
// password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "http_auth.h"
#include "http_server.h"
#include "metrics_route.h"
#include "self_metrics.h"
#include "verdict_sampler.h"
#include "web_routes.h"

namespace {

// sha256-crypt with the fewest rounds allowed, so a guess costs ~0.3 ms.
constexpr char kAuthFile[] = "prom:$5$rounds=1000$iotaxfuzz$qmjg05hd27Mqhn.79SyM5.jXW8h3zgM42zoIsfSZsW6\n";
constexpr char kPassword[] = "fuzz-secret";

struct Servers {
  std::unique_ptr<iotax::VerdictSampler> verdicts;
  iotax::HttpServer open;
  iotax::HttpServer guarded;
};

void AddRoutes(iotax::HttpServer& server, const iotax::VerdictSampler* verdicts) {
  server.AddRoute("/metrics", iotax::MetricsHandler({std::make_shared<iotax::SelfMetricsCollector>()}));
  server.AddRoute("/healthz", iotax::HealthHandler());
  iotax::AddVerdictRoutes(server, verdicts);
}

Servers& GetServers() {
  static Servers* servers = [] {
    auto* s = new Servers;
    s->verdicts = std::make_unique<iotax::VerdictSampler>([] { return iotax::AgentSnapshot{}; },
                                                          iotax::VerdictSamplerOptions{});
    // A few steps of history, so /api/series has something to cut.
    const absl::Time t0 = absl::FromUnixSeconds(1700000000);
    for (int i = 0; i < 5; ++i) s->verdicts->SampleOnce(t0 + absl::Seconds(i));
    AddRoutes(s->open, s->verdicts.get());
    AddRoutes(s->guarded, s->verdicts.get());
    absl::StatusOr<iotax::BasicAuth> auth = iotax::BasicAuth::FromText(kAuthFile, "fuzz");
    if (!auth.ok()) std::abort();
    s->guarded.RequireBasicAuth(std::make_shared<const iotax::BasicAuth>(std::move(*auth)));
    return s;
  }();
  return *servers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  const bool with_auth = data[0] & 1;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('\n', 3));
  parts.resize(4);
  iotax::HttpRequest request{parts[0], parts[1], parts[2], parts[3]};

  // The header parser on its own: a parse must round-trip what it found.
  if (auto credentials = iotax::ParseBasicAuthorization(request.authorization)) {
    if (credentials->user.find(':') != std::string::npos) std::abort();  // the user ends at the first ':'
  }

  Servers& servers = GetServers();
  const iotax::HttpResponse response = (with_auth ? servers.guarded : servers.open).Dispatch(request);
  switch (response.status) {
    case 200: case 401: case 404: case 405: break;
    default: std::abort();  // a status no route means to send
  }
  if (with_auth && response.status != 401) {
    // Through only with the password of the one user.
    auto credentials = iotax::ParseBasicAuthorization(request.authorization);
    if (!credentials || credentials->user != "prom" || credentials->password != kPassword) std::abort();
  }
  if (with_auth && response.status == 401 && response.headers.empty()) std::abort();  // no WWW-Authenticate
  return 0;
}
