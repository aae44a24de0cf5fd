// A small HTTP server (civetweb) with a table of exact-path routes. It knows
// nothing about metrics: callers add routes (/metrics, /healthz today; later
// /api/report and /) before Start. Dispatch is separate from the socket side
// so routes can be tested without a network.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"

class CivetServer;
class CivetHandler;

namespace iotax {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string path;    // decoded path without the query, e.g. "/metrics"
  std::string query;   // the part after '?', or ""
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
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

  // Routes a request: the handler's response, 404 for an unknown path, 405
  // for a method other than GET or HEAD.
  HttpResponse Dispatch(const HttpRequest& request) const;

  // Listens on host:port (port 0 picks a free one; IPv6 hosts without
  // brackets, e.g. "::1"). On failure the status message is one line that
  // says what to do, e.g. a port already in use.
  absl::Status Start(const std::string& host, int port, int threads = 4);

  // The port actually bound (useful after port 0), or 0 when not running.
  int port() const { return port_; }
  // "host:port" as a client would use it ("[::1]:9464" for IPv6).
  std::string address() const;

  // Stops accepting and waits for running handlers. Idempotent.
  void Stop();

 private:
  std::map<std::string, HttpHandler> routes_;
  std::unique_ptr<CivetHandler> dispatcher_;
  std::unique_ptr<CivetServer> server_;
  std::string host_;
  int port_ = 0;
};

// Whether host:port could be bound right now (tries and releases it): lets
// iotaxd report a port in use before it loads anything. The real Start can
// still fail if someone takes the port in between; it reports the same way.
absl::Status CheckCanListen(const std::string& host, int port);

// "host:port" with brackets around IPv6 hosts.
std::string JoinHostPort(const std::string& host, int port);

}  // namespace iotax
