// The certificate (chain) and private key of iotaxd's HTTPS endpoint
// (--tls-cert, --tls-key). Read and checked once at start, while iotaxd can
// still read root-only files, and kept in memory: the server is started after
// iotaxd has dropped its privileges (and perhaps become --user), when the key
// file may no longer be readable. The TLS front
// (tls_frontend.h, which terminates TLS in front of civetweb) holds them.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace iotax {

class TlsCredentials {
 public:
  // Reads both PEM files and checks that the key belongs to the certificate.
  // Errors name the flag, the file and OpenSSL's reason.
  static absl::StatusOr<std::shared_ptr<const TlsCredentials>> Load(const std::string& cert_path,
                                                                    const std::string& key_path);

  // Installs certificate, chain and key into an OpenSSL SSL_CTX (void* so
  // that this header needs no OpenSSL include),
  // and sets TLS 1.2 as the oldest protocol.
  absl::Status ApplyTo(void* ssl_ctx) const;

  const std::string& cert_path() const { return cert_path_; }


 private:
  std::string cert_path_, key_path_;
  std::string cert_pem_, key_pem_;
};

}  // namespace iotax
