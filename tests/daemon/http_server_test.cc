#include "http_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "http_client.h"
#include "metrics_collector.h"
#include "metrics_route.h"
#include "synthetic_view.h"

namespace iotax {
namespace {

using testing::HttpGet;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto collector = std::make_shared<MetricsCollector>([] { return testing::MakeFullView(); });
    server_.AddRoute("/metrics", MetricsHandler({collector}));
    server_.AddRoute("/healthz", HealthHandler());
    ASSERT_TRUE(server_.Start("127.0.0.1", 0).ok());
    ASSERT_GT(server_.port(), 0);
  }
  HttpServer server_;
};

TEST_F(HttpServerTest, ServesMetricsInTheTextFormat) {
  const auto r = HttpGet(server_.port(), "/metrics");
  ASSERT_EQ(r.status, 200) << r.headers;
  EXPECT_TRUE(absl::StrContains(r.headers, "Content-Type: text/plain; version=0.0.4")) << r.headers;
  EXPECT_TRUE(absl::StrContains(r.body, "# TYPE iotax_target_up gauge"));
  EXPECT_TRUE(absl::StrContains(r.body, "iotax_target_up{pid=\"100\",comm=\"web\"} 1"));
  EXPECT_TRUE(absl::StrContains(r.body, "iotax_syscall_duration_seconds_bucket{pid=\"100\",comm=\"web\",class=\"net_read\",le=\"4.096e-06\"} 6"))
      << r.body.substr(0, 2000);
  EXPECT_TRUE(absl::StrContains(r.headers, "Content-Length: " + std::to_string(r.body.size())));
}

TEST_F(HttpServerTest, HealthzAnswersOk) {
  const auto r = HttpGet(server_.port(), "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
}

TEST_F(HttpServerTest, UnknownPathIs404AndNamesTheRoutes) {
  for (const char* path : {"/nope", "/metrics/x", "/metricsx", "/"}) {
    const auto r = HttpGet(server_.port(), path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(absl::StrContains(r.body, "/healthz, /metrics")) << r.body;
  }
}

TEST_F(HttpServerTest, QueryStringDoesNotChangeTheRoute) {
  EXPECT_EQ(HttpGet(server_.port(), "/healthz?verbose=1").status, 200);
}

TEST_F(HttpServerTest, HeadHasNoBodyAndPostIsNotAllowed) {
  const auto head = HttpGet(server_.port(), "/healthz", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(HttpGet(server_.port(), "/metrics", "POST").status, 405);
}

TEST_F(HttpServerTest, ServesConcurrentScrapes) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += HttpGet(server_.port(), "/metrics").status == 200 ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
}

TEST_F(HttpServerTest, StopClosesThePort) {
  const int port = server_.port();
  server_.Stop();
  EXPECT_EQ(HttpGet(port, "/healthz").status, 0);
  server_.Stop();  // idempotent
}

TEST(HttpServer, PortInUseIsOneLineWithTheFix) {
  HttpServer first;
  first.AddRoute("/healthz", HealthHandler());
  ASSERT_TRUE(first.Start("127.0.0.1", 0).ok());
  HttpServer second;
  const absl::Status s = second.Start("127.0.0.1", first.port());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "127.0.0.1:" + std::to_string(first.port()) +
                             " is already in use (another iotaxd?): pass --listen=127.0.0.1:PORT");
  EXPECT_EQ(HttpGet(first.port(), "/healthz").status, 200) << "the first server is unaffected";
}

TEST(HttpServer, AddressThatIsNotOnThisMachine) {
  HttpServer server;
  const absl::Status s = server.Start("192.0.2.1", 0);  // TEST-NET-1: never local; bind only, no traffic
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "192.0.2.1 is not an address of this machine: pass --listen=127.0.0.1:0");
}

TEST(HttpServer, Ipv6EitherWorksOrSaysWhatToPass) {
  HttpServer server;
  server.AddRoute("/healthz", HealthHandler());
  const absl::Status s = server.Start("::1", 0);
  if (s.ok()) {
    EXPECT_GT(server.port(), 0);
    EXPECT_EQ(server.address(), "[::1]:" + std::to_string(server.port()));
  } else {
    EXPECT_EQ(s.message(), "cannot listen on [::1]:0: this civetweb has no IPv6 support; pass an IPv4 address such as "
                           "--listen=127.0.0.1:0");
  }
}

TEST(HttpServer, WildcardAddressStopsPromptly) {
  HttpServer server;
  server.AddRoute("/healthz", HealthHandler());
  ASSERT_TRUE(server.Start("0.0.0.0", 0).ok());
  EXPECT_EQ(testing::HttpGet(server.port(), "/healthz").status, 200);
  const auto start = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST(HttpServer, DispatchWithoutSockets) {
  HttpServer server;
  server.AddRoute("/a", [](const HttpRequest& r) { return HttpResponse{200, "text/plain", "q=" + r.query}; });
  EXPECT_EQ(server.Dispatch({"GET", "/a", "x=1"}).body, "q=x=1");
  EXPECT_EQ(server.Dispatch({"GET", "/b", ""}).status, 404);
  EXPECT_EQ(server.Dispatch({"DELETE", "/a", ""}).status, 405);
}

TEST(HttpServer, JoinHostPortBracketsIpv6) {
  EXPECT_EQ(JoinHostPort("127.0.0.1", 80), "127.0.0.1:80");
  EXPECT_EQ(JoinHostPort("::1", 80), "[::1]:80");
}

}  // namespace
}  // namespace iotax
