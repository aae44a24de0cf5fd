#include "tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace iotax {
namespace {

// OpenSSL's reason for the last failure (its error queue), or `fallback`.
std::string OpenSslReason(const char* fallback) {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fallback;
}

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("--", flag, "=", path,
                                            " cannot be read (missing, or not readable by this user): pass a PEM file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemoryBio(const std::string& pem) { return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

}  // namespace

absl::StatusOr<std::shared_ptr<const TlsCredentials>> TlsCredentials::Load(const std::string& cert_path,
                                                                           const std::string& key_path) {
  auto credentials = std::make_shared<TlsCredentials>();
  credentials->cert_path_ = cert_path;
  credentials->key_path_ = key_path;
  absl::StatusOr<std::string> cert = ReadFile("tls-cert", cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile("tls-key", key_path);
  if (!key.ok()) return key.status();
  credentials->cert_pem_ = std::move(*cert);
  credentials->key_pem_ = std::move(*key);
  // The same checks the server will make, now, with the file names in the error.
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return absl::InternalError(absl::StrCat("OpenSSL cannot create a TLS context: ", OpenSslReason("unknown")));
  if (absl::Status s = credentials->ApplyTo(ctx.get()); !s.ok()) return s;
  return std::shared_ptr<const TlsCredentials>(std::move(credentials));
}

absl::Status TlsCredentials::ApplyTo(void* ssl_ctx) const {
  SSL_CTX* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  ERR_clear_error();
  BioPtr cert_bio = MemoryBio(cert_pem_);
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509_AUX(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-cert=", cert_path_, " holds no PEM certificate (",
                                                   OpenSslReason("no certificate"),
                                                   "): pass the server certificate, then any intermediates"));
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-cert=", cert_path_, ": OpenSSL refuses the certificate (",
                                                   OpenSslReason("unusable certificate"), ")"));
  }
  SSL_CTX_clear_chain_certs(ctx);
  // Whatever follows the first certificate is its chain.
  while (X509* next = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, next) != 1) {
      X509_free(next);
      return absl::InvalidArgumentError(absl::StrCat("--tls-cert=", cert_path_,
                                                     ": OpenSSL refuses an intermediate certificate (",
                                                     OpenSslReason("unusable certificate"), ")"));
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BioPtr key_bio = MemoryBio(key_pem_);
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-key=", key_path_, " holds no unencrypted PEM private key (",
                                                   OpenSslReason("no key"),
                                                   "): pass the key without a passphrase (`openssl pkey -in KEY -out "
                                                   "KEY.plain` removes one)"));
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-key=", key_path_, " does not belong to --tls-cert=",
                                                   cert_path_, " (", OpenSslReason("key mismatch"),
                                                   "): pass the key the certificate was issued for"));
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  return absl::OkStatus();
}

}  // namespace iotax
