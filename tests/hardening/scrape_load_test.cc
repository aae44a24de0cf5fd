// The HTTP endpoint under pressure while the target is under full load (the
// blocking echo server, driven closed-loop by the echo client): 32 clients
// scraping in a loop, a client that reads one byte per 100 ms, and
// connections that never send a whole request. Every scrape must answer,
// within a bound, and iotaxd must keep running. civetweb gives each
// connection one of iotaxd's 4 worker threads until it is answered or its
// request_timeout_ms (10 s) passes; see docs/methodology.md, "Faults".
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>

#include "harness.h"
#include "http_server.h"
#include "require.h"

namespace iotax::hardening {
namespace {

double Value(const std::string& body, const std::string& series) { return Sample(body, series).value_or(-1); }

struct EchoLoad {
  std::unique_ptr<Process> server;
  std::unique_ptr<Process> client;
  int server_port = 0;
};

EchoLoad StartEchoLoad(const std::string& duration) {
  EchoLoad load;
  load.server = std::make_unique<Process>(
      std::vector<std::string>{std::string(IOTAX_BIN_DIR) + "/iotax-echo-server", "--model=blocking", "--port=0"});
  auto line = load.server->ReadStdoutLine(20s);  // "listening on HOST:PORT"
  if (!line || !absl::StrContains(*line, "listening on ")) return load;
  if (!absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &load.server_port)) return load;
  load.client = std::make_unique<Process>(std::vector<std::string>{
      std::string(IOTAX_BIN_DIR) + "/iotax-echo-client", absl::StrCat("--port=", load.server_port), "--model=blocking",
      "--conns=16", "--depth=1", "--warmup=0", "--duration=" + duration, "--allow-invalid"});
  return load;
}

// A scraper thread's tally.
struct Tally {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex mu;
  double worst_s = 0;
  std::string first_failure;
};

void ScrapeLoop(int port, Clock::time_point until, Tally& tally) {
  while (Clock::now() < until) {
    const auto t0 = Clock::now();
    const HttpReply r = Get(port, "/metrics", 30);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    const bool good = r.status == 200 && absl::StrContains(r.body, "iotax_target_up{");
    (good ? tally.ok : tally.failed)++;
    std::lock_guard<std::mutex> lock(tally.mu);
    tally.worst_s = std::max(tally.worst_s, s);
    if (!good && tally.first_failure.empty())
      tally.first_failure = absl::StrCat("status ", r.status, ": ", r.raw.substr(0, 200));
  }
}

TEST(ScrapeLoad, ThirtyTwoScrapersASlowReaderAndStalledRequestsUnderFullLoad) {
  IOTAX_REQUIRE_BPF();
  EchoLoad load = StartEchoLoad("60s");
  ASSERT_GT(load.server_port, 0) << "echo server did not start";
  const int server = load.server->pid();
  Process daemon(DaemonArgs({absl::StrCat("--pid=", server)}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  const std::string reads = Series("iotax_syscalls_total", server, "iotax-echo-serv", ",class=\"net_read\"");
  std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, reads) > 1000; }, 20s);
  ASSERT_GT(Value(body, reads), 1000) << "the echo load does not reach the server";
  const double reads_before = Value(body, reads);

  // Two connections that never finish their request (fewer than the 4
  // workers, so the others keep serving), and one that reads a byte per 100 ms.
  std::vector<int> stalled;
  for (int i = 0; i < 2; ++i) {
    const int fd = ConnectLoopback(port);
    ASSERT_GE(fd, 0);
    const std::string partial = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";  // no blank line
    send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
    stalled.push_back(fd);
  }
  const int slow = ConnectLoopback(port);
  ASSERT_GE(slow, 0);
  const int small_buffer = 1024;
  setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small_buffer, sizeof(small_buffer));
  const std::string request = "GET /metrics HTTP/1.0\r\n\r\n";
  send(slow, request.data(), request.size(), MSG_NOSIGNAL);

  Tally tally;
  const auto until = Clock::now() + 8s;
  std::vector<std::thread> scrapers;
  for (int i = 0; i < 32; ++i) scrapers.emplace_back(ScrapeLoop, port, until, std::ref(tally));
  std::string slow_bytes;
  while (Clock::now() < until) {
    char c;
    if (recv(slow, &c, 1, MSG_DONTWAIT) == 1) slow_bytes.push_back(c);
    std::this_thread::sleep_for(100ms);
  }
  for (std::thread& t : scrapers) t.join();
  std::printf("32 scrapers for 8 s under load: %d answered, %d failed, slowest %.2f s\n", tally.ok.load(),
              tally.failed.load(), tally.worst_s);
  EXPECT_EQ(tally.failed.load(), 0) << tally.first_failure;
  EXPECT_GE(tally.ok.load(), 32) << "every scraper got at least one answer";
  EXPECT_LT(tally.worst_s, 20.0) << "a scrape waited longer than the bound";
  EXPECT_TRUE(absl::StartsWith(slow_bytes, "HTTP/1.1 200")) << slow_bytes;

  for (int fd : stalled) close(fd);
  close(slow);
  body = Metrics(port);
  EXPECT_GT(Value(body, reads), reads_before) << "the target is still counted";
  EXPECT_FALSE(daemon.Wait(0ms).has_value()) << "iotaxd must survive";
}

TEST(ScrapeLoad, SilentConnectionsDelayScrapesOnlyWhenTheyHoldEveryWorkerAndOnlyUntilTheRequestTimeout) {
  IOTAX_REQUIRE_BPF();
  Process target({kFaultTarget, "busy", "--name=ft_stall"});
  ASSERT_TRUE(target.ReadStdoutLine(20s).has_value());
  Process daemon(DaemonArgs({absl::StrCat("--pid=", target.pid())}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  ASSERT_EQ(Get(port, "/healthz").status, 200);

  // A few silent connections (fewer than the workers) do not delay a scrape.
  std::vector<int> stalled;
  const auto open_silent = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const int fd = ConnectLoopback(port);
      ASSERT_GE(fd, 0);
      stalled.push_back(fd);
    }
  };
  ASSERT_NO_FATAL_FAILURE(open_silent(6));
  std::this_thread::sleep_for(300ms);
  auto t0 = Clock::now();
  HttpReply r = Get(port, "/metrics", 60);
  double waited = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("scrape with 6 silent connections open: status %d after %.2f s\n", r.status, waited);
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(waited, 2.0) << "6 silent connections must not hold all " << HttpServer::kDefaultThreads << " workers";

  // More than the workers: the scrape waits for the request timeout, no longer.
  ASSERT_NO_FATAL_FAILURE(open_silent(HttpServer::kDefaultThreads + 4 - 6));
  std::this_thread::sleep_for(300ms);
  t0 = Clock::now();
  r = Get(port, "/metrics", 60);
  waited = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("scrape with %zu silent connections open: status %d after %.2f s\n", stalled.size(), r.status, waited);
  EXPECT_EQ(r.status, 200) << "a scrape must be answered once the stalled requests time out";
  EXPECT_LT(waited, 3 * HttpServer::kRequestTimeoutMs / 1000.0) << "bounded by the request timeout";
  for (int fd : stalled) close(fd);
  EXPECT_EQ(Get(port, "/healthz").status, 200);
  EXPECT_FALSE(daemon.Wait(0ms).has_value());
}

}  // namespace
}  // namespace iotax::hardening
