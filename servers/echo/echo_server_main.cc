// iotax-echo-server: the reference echo servers (blocking, epoll, io_uring)
// that the profiler is judged against.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "cpu_list.h"
#include "echo_server.h"
#include "flags.h"
#include "papi_calipers.h"
#include "process_limits.h"
#include "server_options.h"
#include "shutdown_signal.h"

ABSL_FLAG(std::string, model, "epoll",
          "IO model: blocking (one thread per connection, blocking read/write), epoll (--threads "
          "event loops, non-blocking sockets, edge-triggered) or uring (--threads io_uring loops with "
          "multishot accept/recv and provided buffers)");
ABSL_FLAG(std::string, host, "127.0.0.1", "IPv4 address to listen on");
ABSL_FLAG(int64_t, port, 0, "TCP port to listen on; 0 picks a free one (printed on stdout)");
ABSL_FLAG(int64_t, threads, 0,
          "event-loop threads for epoll and uring (0 = one per CPU in --cpus, else one per online "
          "CPU); each has its own SO_REUSEPORT listening socket. Not valid with blocking");
ABSL_FLAG(std::string, cpus, "",
          "pin the server to this CPU list (e.g. 0 or 0-1 or 0,2-3); event-loop thread i runs on "
          "the i-th CPU of the list. Empty = not pinned");
ABSL_FLAG(int64_t, work_ns, 0,
          "handler work per request, in ns: spin this long (while walking the --work-bytes working "
          "set) before echoing. A request is one received chunk (one read or recv completion): a "
          "pure byte echo has no message boundaries");
ABSL_FLAG(int64_t, work_bytes, 0,
          "per-thread working set the handler touches, in bytes (one read+write per 64-byte cache "
          "line, prefetcher-hostile stride). With --work-ns=0 each request makes one full pass");
ABSL_FLAG(bool, papi, false,
          "count instructions and cycles of the handler section with PAPI (PAPI_TOT_INS, "
          "PAPI_TOT_CYC) and print the totals and IPC at exit; without hardware counters says so "
          "once and runs without");
ABSL_FLAG(int64_t, backlog, 4096,
          "listen backlog per listening socket; keep it at least the number of connections a "
          "client opens at once (capped by net.core.somaxconn, which is warned about)");
ABSL_FLAG(bool, uring_multishot, true,
          "uring only: use multishot accept and recv (Linux 6.0+); false forces single-shot "
          "requests, as the automatic fallback on older kernels does");

namespace {

constexpr char kUsage[] =
    "Reference echo server for iotax: whatever bytes arrive are sent back.\n"
    "\n"
    "  iotax-echo-server --model=blocking|epoll|uring [--port=0] [--threads=N] [--cpus=LIST]\n"
    "                    [--work-ns=NS] [--work-bytes=B] [--papi]\n"
    "\n"
    "When ready it prints exactly one line on stdout, 'listening on HOST:PORT'; everything else\n"
    "goes to stderr. SIGINT or SIGTERM stops it cleanly (exit 0) with a one-line summary.\n"
    "All sockets use TCP_NODELAY. Flag names take dashes or underscores (--work-ns, --work_ns).";

const iotax::flags::Program kProgram = {
    .name = "iotax-echo-server",
    .usage = kUsage,
    .flags = {{"model", "blocking|epoll|uring"}, {"host", "ADDRESS"}, {"port", "PORT"}, {"threads"},
              {"cpus", "LIST"}, {"work_ns", "NS"}, {"work_bytes", "BYTES"}, {"papi"}, {"backlog"},
              {"uring_multishot"}},
};

}  // namespace

int main(int argc, char** argv) {
  iotax::flags::ParseOrExit(kProgram, argc, argv);
  iotax::echo::RawServerFlags raw;
  raw.model = absl::GetFlag(FLAGS_model);
  raw.host = absl::GetFlag(FLAGS_host);
  raw.port = absl::GetFlag(FLAGS_port);
  raw.threads = absl::GetFlag(FLAGS_threads);
  raw.cpus = absl::GetFlag(FLAGS_cpus);
  raw.work_ns = absl::GetFlag(FLAGS_work_ns);
  raw.work_bytes = absl::GetFlag(FLAGS_work_bytes);
  raw.papi = absl::GetFlag(FLAGS_papi);
  raw.backlog = absl::GetFlag(FLAGS_backlog);
  raw.uring_multishot = absl::GetFlag(FLAGS_uring_multishot);
  auto options = iotax::echo::ValidateServerOptions(raw);
  if (!options.ok()) {
    std::fprintf(stderr, "iotax-echo-server: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }

  // Before any thread exists, so that every thread inherits the blocked mask.
  auto shutdown = iotax::echo::ShutdownSignal::Install();
  if (!shutdown.ok()) {
    std::fprintf(stderr, "iotax-echo-server: %s\n", shutdown.status().ToString().c_str());
    return 1;
  }
  if (auto limit = iotax::echo::RaiseFileLimit(); !limit.ok()) {
    std::fprintf(stderr, "iotax-echo-server: warning: %s: connections are limited by ulimit -n\n",
                 limit.status().ToString().c_str());
  }
  if (std::string warning = iotax::echo::BacklogWarning(options->backlog); !warning.empty()) {
    std::fprintf(stderr, "iotax-echo-server: warning: %s\n", warning.c_str());
  }
  // The process first (helper threads inherit it), then each loop thread narrows to its CPU.
  if (auto s = iotax::net::PinCurrentThread(options->cpus); !s.ok()) {
    std::fprintf(stderr, "iotax-echo-server: --cpus: %s\n", s.ToString().c_str());
    return 1;
  }
  auto papi = iotax::echo::PapiCalipers::Create(options->papi);

  auto server = iotax::echo::MakeEchoServer(*options, shutdown->get(), papi.get());
  if (auto s = server->Start(); !s.ok()) {
    std::fprintf(stderr, "iotax-echo-server: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", options->host.c_str(), static_cast<unsigned>(server->port()));
  std::fflush(stdout);

  (*shutdown)->Wait();
  server->Join();
  std::fprintf(stderr, "iotax-echo-server: %s\n", server->Summary().c_str());
  if (std::string line = papi->Summary(); !line.empty()) std::fprintf(stderr, "iotax-echo-server: %s\n", line.c_str());
  if (absl::Status error = server->error(); !error.ok()) {
    std::fprintf(stderr, "iotax-echo-server: stopped on error: %s\n", error.ToString().c_str());
    return 1;
  }
  return 0;
}
