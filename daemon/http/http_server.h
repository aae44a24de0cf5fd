// A small HTTP server (civetweb) with a table of exact-path routes. It knows
// nothing about metrics: callers add routes (/metrics, /healthz, /api/report,
// /) before Start. Optional basic auth (RequireBasicAuth) and TLS (UseTls).
// Dispatch is separate from the socket side so routes and auth can be tested
// (and fuzzed) without a network.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "http_auth.h"
#include "tls_credentials.h"
#include "tls_frontend.h"

class CivetServer;
class CivetHandler;

namespace iotax {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string path;    // decoded path without the query, e.g. "/metrics"
  std::string query;   // the part after '?', or ""
  std::string authorization{};  // the Authorization header, or ""
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers{};  // extra response headers
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer();
  ~HttpServer();  // stops the server
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a GET/HEAD route for exactly `path`. Call before Start. Handlers run
  // on the server's threads, several at once, so they must be thread-safe.
  void AddRoute(const std::string& path, HttpHandler handler);

  // Every request must carry a user and password of `auth` (basic auth),
  // or gets 401. Call before Start.
  void RequireBasicAuth(std::shared_ptr<const BasicAuth> auth) { auth_ = std::move(auth); }

  // Serves HTTPS only (plain HTTP on the port gets no answer). Call before
  // Start. TLS is terminated in iotaxd (tls_frontend.h), which relays to
  // civetweb on a loopback port of its own.
  void UseTls(std::shared_ptr<const TlsCredentials> tls) { tls_ = std::move(tls); }

  bool auth_required() const { return auth_ != nullptr; }
  bool tls() const { return tls_ != nullptr; }

  // Routes a request: 401 without valid credentials when auth is required
  // (before anything else, so not even the route list leaks), then the
  // handler's response, 404 for an unknown path, 405 for a method other than
  // GET or HEAD.
  HttpResponse Dispatch(const HttpRequest& request) const;

  // Listens on host:port (port 0 picks a free one; IPv6 hosts without
  // brackets, e.g. "::1"). On failure the status message is one line that
  // says what to do, e.g. a port already in use. A connection that never
  // sends a whole request holds a worker for kRequestTimeoutMs: enough
  // workers that a few such connections do not delay scrapes, and a short
  // timeout (a scraper sends its request at once) bound the rest.
  static constexpr int kDefaultThreads = 16;
  static constexpr int kRequestTimeoutMs = 3000;
  absl::Status Start(const std::string& host, int port, int threads = kDefaultThreads);

  // The port actually bound (useful after port 0), or 0 when not running.
  int port() const { return port_; }
  // "host:port" as a client would use it ("[::1]:9464" for IPv6).
  std::string address() const;
  // "http://host:port" or "https://host:port".
  std::string url() const;

  // Stops accepting and waits for running handlers. Idempotent.
  void Stop();

 private:
  std::map<std::string, HttpHandler> routes_;
  std::shared_ptr<const BasicAuth> auth_;
  std::shared_ptr<const TlsCredentials> tls_;
  std::unique_ptr<CivetHandler> dispatcher_;
  std::unique_ptr<CivetServer> server_;
  std::unique_ptr<TlsFrontend> frontend_;  // with TLS: the public listener
  std::string host_;
  int port_ = 0;
  std::string civet_host_;  // where civetweb itself listens (loopback with TLS)
  int civet_port_ = 0;
};

// Whether host:port could be bound right now (tries and releases it): lets
// iotaxd report a port in use before it loads anything. The real Start can
// still fail if someone takes the port in between; it reports the same way.
absl::Status CheckCanListen(const std::string& host, int port);

// Whether a numeric host is a loopback address (127.0.0.0/8, ::1,
// ::ffff:127.x): anything else may be reachable from other machines.
bool IsLoopbackHost(const std::string& host);

// "host:port" with brackets around IPv6 hosts.
std::string JoinHostPort(const std::string& host, int port);

}  // namespace iotax
