#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <cstring>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace iotax {
namespace {

// A numeric IPv4/IPv6 address; false when `host` is not one.
bool ToSockaddr(const std::string& host, int port, sockaddr_storage* addr, socklen_t* len) {
  *addr = {};
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(addr); inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (auto* v6 = reinterpret_cast<sockaddr_in6*>(addr); inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// Why binding host:port fails, found by trying it ourselves after civetweb
// gave up (civetweb only says "problem binding"). Empty when it would work.
std::string DiagnoseBind(const std::string& host, int port) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!ToSockaddr(host, port, &addr, &len)) {
    return absl::StrCat(host, " is not an IP address: pass --listen=127.0.0.1:", port);
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::StrCat("cannot create a socket: ", std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  const int err = errno;
  close(fd);
  if (rc == 0) return "";
  const std::string where = JoinHostPort(host, port);
  switch (err) {
    case EADDRINUSE:
      return absl::StrCat(where, " is already in use (another iotaxd?): pass --listen=", host.find(':') != std::string::npos ? "[" + host + "]" : host, ":PORT");
    case EACCES:
      return absl::StrCat("listening on ", where, " needs root or CAP_NET_BIND_SERVICE: pass --listen with a port above 1023");
    case EADDRNOTAVAIL:
      return absl::StrCat(host, " is not an address of this machine: pass --listen=127.0.0.1:", port);
    default:
      return absl::StrCat("cannot listen on ", where, ": ", std::strerror(err));
  }
}

// Opens and closes one connection to host:port (best effort).
void WakeListener(const std::string& host, int port) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!ToSockaddr(host, port, &addr, &len)) return;
  // A wildcard listener is reachable on loopback.
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&addr); addr.ss_family == AF_INET && v4->sin_addr.s_addr == htonl(INADDR_ANY)) {
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr); addr.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)) {
    v6->sin6_addr = in6addr_loopback;
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  connect(fd, reinterpret_cast<sockaddr*>(&addr), len);  // non-blocking: the SYN is enough
  close(fd);
}

// Debian's civetweb is built without IPv6: say so instead of "problem binding".
absl::Status CheckIpv6Support(const std::string& host, int port) {
  constexpr unsigned kCivetwebIpv6Feature = 8;
  if (host.find(':') == std::string::npos || mg_check_feature(kCivetwebIpv6Feature) != 0) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat("cannot listen on ", JoinHostPort(host, port),
                                               ": this civetweb has no IPv6 support; pass an IPv4 address such as "
                                               "--listen=127.0.0.1:",
                                               port));
}

void WriteResponse(mg_connection* conn, const HttpResponse& response, bool head_only) {
  const char* reason = mg_get_response_code_text(conn, response.status);
  std::string extra;
  for (const auto& [name, value] : response.headers) absl::StrAppend(&extra, name, ": ", value, "\r\n");
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
            response.status, reason, response.content_type.c_str(), response.body.size(), extra.c_str());
  if (!head_only && !response.body.empty()) mg_write(conn, response.body.data(), response.body.size());
}

// civetweb reports why it could not start only through
// its log callback, from the thread that calls mg_start: Start points this
// at a string for that time.
thread_local std::string* g_start_errors = nullptr;

int CaptureStartError(const mg_connection*, const char* message) {
  if (g_start_errors != nullptr && message != nullptr) absl::StrAppend(g_start_errors, g_start_errors->empty() ? "" : "; ", message);
  return 1;  // handled: civetweb prints nothing itself
}

}  // namespace

// One civetweb handler at "/" that sends every request through Dispatch, so
// routing (and 404/405) is ours and testable.
class RouteDispatcher : public CivetHandler {
 public:
  explicit RouteDispatcher(const HttpServer* server) : server_(server) {}

  bool handleGet(CivetServer*, mg_connection* conn) override { return Serve(conn); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Serve(conn); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Serve(conn); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return Serve(conn); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return Serve(conn); }
  bool handleOptions(CivetServer*, mg_connection* conn) override { return Serve(conn); }
  bool handlePatch(CivetServer*, mg_connection* conn) override { return Serve(conn); }

 private:
  bool Serve(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    request.method = info->request_method != nullptr ? info->request_method : "";
    request.path = info->local_uri != nullptr ? info->local_uri : "";
    request.query = info->query_string != nullptr ? info->query_string : "";
    const char* authorization = mg_get_header(conn, "Authorization");
    request.authorization = authorization != nullptr ? authorization : "";
    HttpResponse response;
    try {
      response = server_->Dispatch(request);
    } catch (const std::exception& e) {
      response = {500, "text/plain; charset=utf-8", absl::StrCat("internal error: ", e.what(), "\n")};
    }
    WriteResponse(conn, response, request.method == "HEAD");
    return true;
  }

  const HttpServer* server_;
};

absl::Status CheckCanListen(const std::string& host, int port) {
  if (absl::Status s = CheckIpv6Support(host, port); !s.ok()) return s;
  const std::string why = DiagnoseBind(host, port);
  return why.empty() ? absl::OkStatus() : absl::UnavailableError(why);
}

std::string JoinHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

HttpServer::HttpServer() = default;

HttpServer::~HttpServer() { Stop(); }

void HttpServer::AddRoute(const std::string& path, HttpHandler handler) { routes_[path] = std::move(handler); }

HttpResponse HttpServer::Dispatch(const HttpRequest& request) const {
  if (auth_ != nullptr && !auth_->Allows(request.authorization)) {
    HttpResponse denied{401, "text/plain; charset=utf-8",
                        "authentication required: send the user and password of iotaxd's --auth-file (basic auth)\n"};
    denied.headers.emplace_back("WWW-Authenticate", "Basic realm=\"iotaxd\", charset=\"UTF-8\"");
    return denied;
  }
  auto it = routes_.find(request.path);
  if (it == routes_.end()) {
    std::string known;
    for (const auto& [path, handler] : routes_) absl::StrAppend(&known, known.empty() ? "" : ", ", path);
    return {404, "text/plain; charset=utf-8", absl::StrCat("no such page: ", request.path, " (try ", known, ")\n")};
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return {405, "text/plain; charset=utf-8", absl::StrCat(request.method, " is not allowed here: use GET\n")};
  }
  return it->second(request);
}

absl::Status HttpServer::Start(const std::string& host, int port, int threads) {
  if (server_) return absl::FailedPreconditionError("the HTTP server is already running");
  if (absl::Status s = CheckIpv6Support(host, port); !s.ok()) return s;
  // With TLS, civetweb serves plain HTTP on a loopback port of its own and
  // the TLS front (tls_frontend.h) listens on host:port.
  civet_host_ = tls_ != nullptr ? "127.0.0.1" : host;
  const int civet_port = tls_ != nullptr ? 0 : port;
  const std::vector<std::string> options = {
      "listening_ports", JoinHostPort(civet_host_, civet_port),
      "num_threads", std::to_string(threads),
      "request_timeout_ms", std::to_string(kRequestTimeoutMs),
      "enable_keep_alive", "no",
  };
  CivetCallbacks callbacks;
  callbacks.log_message = CaptureStartError;
  std::string start_errors;
  g_start_errors = &start_errors;
  try {
    server_ = std::make_unique<CivetServer>(options, &callbacks, this);
  } catch (const CivetException& e) {
    g_start_errors = nullptr;
    std::string why = DiagnoseBind(civet_host_, civet_port);
    if (why.empty()) {
      why = absl::StrCat("cannot listen on ", JoinHostPort(civet_host_, civet_port), ": ",
                         start_errors.empty() ? std::string(e.what()) : start_errors);
    }
    return absl::UnavailableError(why);
  }
  g_start_errors = nullptr;
  dispatcher_ = std::make_unique<RouteDispatcher>(this);
  server_->addHandler("/", dispatcher_.get());
  const std::vector<int> ports = server_->getListeningPorts();
  civet_port_ = ports.empty() ? civet_port : ports.front();
  host_ = host;
  port_ = civet_port_;
  if (tls_ != nullptr) {
    frontend_ = std::make_unique<TlsFrontend>(tls_);
    if (absl::Status s = frontend_->Start(host, port, civet_port_); !s.ok()) {
      frontend_.reset();
      Stop();
      const std::string why = DiagnoseBind(host, port);
      return absl::UnavailableError(
          why.empty() ? absl::StrCat("cannot listen on ", JoinHostPort(host, port), ": ", s.message()) : why);
    }
    port_ = frontend_->port();
  }
  return absl::OkStatus();
}

std::string HttpServer::address() const { return JoinHostPort(host_, port_); }

std::string HttpServer::url() const { return absl::StrCat(tls_ != nullptr ? "https://" : "http://", address()); }

bool IsLoopbackHost(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

void HttpServer::Stop() {
  if (frontend_) {
    frontend_->Stop();  // first: no relayed request reaches civetweb after this
    frontend_.reset();
  }
  if (!server_) return;
  // civetweb's master thread polls the listening socket with a 2 s timeout
  // and notices the stop flag only when that poll returns. close() sets the
  // flag and waits, so meanwhile connect to ourselves to end the poll at once.
  std::atomic<bool> closed{false};
  std::thread closer([this, &closed] {
    server_->close();
    closed = true;
  });
  for (int i = 0; i < 200 && !closed; ++i) {
    WakeListener(civet_host_, civet_port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  closer.join();
  server_.reset();
  dispatcher_.reset();
  port_ = 0;
  civet_port_ = 0;
}

}  // namespace iotax
