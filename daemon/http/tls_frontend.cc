#include "tls_frontend.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace iotax {
namespace {

// Every blocking step of a connection (handshake, read, write, waiting for
// the other side) ends after this long without progress.
constexpr int kIdleSeconds = 10;

void SetTimeouts(int fd) {
  timeval tv{kIdleSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool SslWriteAll(SSL* ssl, const char* data, size_t size) {
  while (size > 0) {
    const int n = SSL_write(ssl, data, static_cast<int>(size));
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int ConnectBackend(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  SetTimeouts(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Copies decrypted bytes both ways until civetweb closes (it answers one
// request per connection) or a side stalls for kIdleSeconds.
void Pump(SSL* ssl, int client, int backend) {
  char buf[16384];
  bool client_open = true;
  for (;;) {
    pollfd p[2] = {{client, static_cast<short>(client_open ? POLLIN : 0), 0}, {backend, POLLIN, 0}};
    if (poll(p, 2, kIdleSeconds * 1000) <= 0) return;
    if (client_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      // SSL_pending: bytes OpenSSL already decrypted that poll cannot see.
      do {
        const int n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) {
          client_open = false;
          shutdown(backend, SHUT_WR);
          break;
        }
        if (!SendAll(backend, buf, static_cast<size_t>(n))) return;
      } while (SSL_pending(ssl) > 0);
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = recv(backend, buf, sizeof(buf), 0);
      if (n <= 0) {
        SSL_shutdown(ssl);  // close_notify: the response is complete
        return;
      }
      if (!SslWriteAll(ssl, buf, static_cast<size_t>(n))) return;
    }
  }
}

}  // namespace

TlsFrontend::TlsFrontend(std::shared_ptr<const TlsCredentials> credentials) : credentials_(std::move(credentials)) {}

TlsFrontend::~TlsFrontend() { Stop(); }

absl::Status TlsFrontend::Start(const std::string& host, int port, int backend_port) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("OpenSSL cannot create a TLS context");
  ssl_ctx_ = ctx;
  if (absl::Status s = credentials_->ApplyTo(ctx); !s.ok()) return s;
  backend_port_ = backend_port;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(host, " is not an IP address"));
  }
  listen_fd_ = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (listen_fd_ >= 0) setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = listen_fd_ >= 0 && bind(listen_fd_, found->ai_addr, found->ai_addrlen) == 0 &&
                     listen(listen_fd_, 128) == 0;
  const int err = errno;
  freeaddrinfo(found);
  if (!bound) return absl::UnavailableError(std::strerror(err));
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&local), &len);
  port_ = ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  if (pipe2(wake_, O_CLOEXEC) != 0) return absl::InternalError(std::strerror(errno));
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void TlsFrontend::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || static_cast<int>(open_fds_.size()) >= kMaxConnections) {
      close(fd);
      continue;
    }
    open_fds_.insert(fd);
    std::thread([this, fd] { Relay(fd); }).detach();
  }
}

void TlsFrontend::Relay(int client_fd) {
  SetTimeouts(client_fd);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
  if (ssl != nullptr && SSL_set_fd(ssl, client_fd) == 1 && SSL_accept(ssl) == 1) {
    if (const int backend = ConnectBackend(backend_port_); backend >= 0) {
      Pump(ssl, client_fd, backend);
      close(backend);
    }
  }
  SSL_free(ssl);
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(client_fd);
  close(client_fd);  // under mu_: Stop never shuts down a reused descriptor
  idle_.notify_all();
}

void TlsFrontend::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  if (acceptor_.joinable()) {
    (void)!write(wake_[1], "x", 1);
    acceptor_.join();
  }
  {
    // Each relay ends within a few idle timeouts at worst; they use `this`.
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait_for(lock, std::chrono::seconds(4 * kIdleSeconds), [this] { return open_fds_.empty(); });
  }
  for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));  // live SSLs hold their own reference
  ssl_ctx_ = nullptr;
}

}  // namespace iotax
