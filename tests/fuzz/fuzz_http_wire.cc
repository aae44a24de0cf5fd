// libFuzzer: raw bytes on the wire to iotaxd's real HTTP server (civetweb
// underneath, with iotaxd's routes and basic auth), on loopback. This is
// the whole path a request from the network takes: civetweb's request-line
// and header parsing, URL decoding, then iotaxd's dispatch and handlers.
// civetweb is Debian's build (not instrumented, so coverage guidance comes
// from iotaxd's side only), but a crash or hang anywhere ends the run.
// Checked on every input: the server answers within the timeout, with
// nothing or something that starts "HTTP/", and no route handler ever runs
// (nobody sends the password by chance: a handler call would be an auth
// bypass). The status line itself is not checked: civetweb's own error
// replies echo the request's version token, whatever it holds (the fuzzer
// found "GET / HTTP/9.9" answered "HTTP/9.9 505" and control bytes echoed
// back); that reaches only the client that sent them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "http_auth.h"
#include "http_server.h"
#include "loopback_socket.h"
#include "metrics_route.h"
#include "verdict_sampler.h"
#include "web_routes.h"

#include <atomic>

namespace {

constexpr char kAuthFile[] = "prom:$5$rounds=1000$iotaxfuzz$qmjg05hd27Mqhn.79SyM5.jXW8h3zgM42zoIsfSZsW6\n";

std::atomic<int> g_handler_calls{0};

iotax::HttpHandler Counted(iotax::HttpHandler handler) {
  return [handler = std::move(handler)](const iotax::HttpRequest& request) {
    ++g_handler_calls;
    return handler(request);
  };
}

int ServerPort() {
  static int port = [] {
    static auto* verdicts = new iotax::VerdictSampler([] { return iotax::AgentSnapshot{}; }, {});
    verdicts->SampleOnce(absl::FromUnixSeconds(1700000000));
    static auto* server = new iotax::HttpServer;  // lives as long as the fuzzer
    server->AddRoute("/healthz", Counted(iotax::HealthHandler()));
    server->AddRoute("/", Counted(iotax::PageHandler()));
    server->AddRoute("/api/report", Counted(iotax::ReportHandler(verdicts)));
    server->AddRoute("/api/series", Counted(iotax::SeriesHandler(verdicts)));
    absl::StatusOr<iotax::BasicAuth> auth = iotax::BasicAuth::FromText(kAuthFile, "fuzz");
    if (!auth.ok()) std::abort();
    server->RequireBasicAuth(std::make_shared<const iotax::BasicAuth>(std::move(*auth)));
    if (!server->Start("127.0.0.1", 0, 4).ok()) std::abort();
    return server->port();
  }();
  return port;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  const int port = ServerPort();
  // The server's request timeout (3 s) must end a request before ours.
  const int fd = iotax::testing::ConnectLoopback(port, 12);
  if (fd < 0) {
    if (errno == ECONNREFUSED) std::abort();  // the server is gone
    return 0;  // out of local ports for a moment: not the server's fault
  }
  if (size > 0) (void)send(fd, data, size, MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);  // end of request: civetweb must not wait for more
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    // libFuzzer's own timer (SIGALRM every timeout/2 + 1 s) interrupts recv.
    if (n < 0 && errno == EINTR) continue;
    // A reset is an end (civetweb may reset a connection it has answered or
    // refused); only the timeout, no answer and no close, is a hang.
    if (n < 0 && errno == ECONNRESET) break;
    if (n < 0) std::abort();
    reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // Empty is fine: civetweb may just close on garbage.
  if ((!reply.empty() && reply.compare(0, 5, "HTTP/") != 0) || g_handler_calls.load() != 0) {
    std::fprintf(stderr, "unexpected reply (%d handler calls): %s\n", g_handler_calls.load(),
                 reply.substr(0, 300).c_str());
    std::abort();
  }
  return 0;
}
