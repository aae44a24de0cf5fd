// iotaxd's HTTPS: OpenSSL in front of civetweb. Debian 12's civetweb (1.15)
// cannot do TLS with Debian 12's OpenSSL 3: it loads libssl at run time and
// requires SSL_get_peer_certificate, which OpenSSL 3 no longer exports
// (civetweb logs "cannot find SSL_get_peer_certificate", and with TLS forced
// on its workers call a null pointer). So iotaxd terminates TLS itself: this
// accepts on the public address, does the handshake with the certificate
// from --tls-cert/--tls-key, and relays the decrypted bytes to civetweb on a
// loopback port of its own, where the same routes and the same basic auth
// apply. HTTP parsing stays civetweb's; there is no second parser.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "tls_credentials.h"

namespace iotax {

class TlsFrontend {
 public:
  explicit TlsFrontend(std::shared_ptr<const TlsCredentials> credentials);
  ~TlsFrontend();  // Stop
  TlsFrontend(const TlsFrontend&) = delete;
  TlsFrontend& operator=(const TlsFrontend&) = delete;

  // Listens on host:port (0 = a free port) and relays every connection to
  // 127.0.0.1:backend_port. The error of a failed bind is the OS's (the
  // caller words it).
  absl::Status Start(const std::string& host, int port, int backend_port);
  int port() const { return port_; }

  // Stops accepting, cuts open connections and waits (bounded) for their
  // threads. Idempotent.
  void Stop();

  // At most this many connections at once; more are closed at accept.
  static constexpr int kMaxConnections = 64;

 private:
  void AcceptLoop();
  void Relay(int client_fd);

  std::shared_ptr<const TlsCredentials> credentials_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a byte here ends the accept loop
  int port_ = 0;
  int backend_port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::set<int> open_fds_;  // client sockets being relayed (guarded by mu_)
  bool stopping_ = false;   // guarded by mu_
};

}  // namespace iotax
