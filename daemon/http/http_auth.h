// HTTP basic auth for iotaxd's endpoint (--auth-file). Basic, not digest,
// because that is what Prometheus's scrape config speaks (basic_auth:).
// Passwords are stored as crypt(3) hashes ("user:$2b$..." bcrypt, "$6$"
// sha512-crypt, "$y$" yescrypt), never in clear, in the htpasswd format that
// `htpasswd -nbB USER PASS` and `openssl passwd -6` produce. Pure apart from
// reading the file, so the HTTP fuzzer drives it directly.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// The user and password of an "Authorization: Basic BASE64(user:password)"
// header value; nullopt for anything else (another scheme, bad base64, no ':').
std::optional<BasicCredentials> ParseBasicAuthorization(absl::string_view header);

class BasicAuth {
 public:
  // Reads an htpasswd-style file: one "USER:HASH" per line; blank lines and
  // lines starting with '#' are skipped. Errors name the file and the line.
  static absl::StatusOr<BasicAuth> FromFile(const std::string& path);
  // The same from text; `origin` names it in errors ("--auth-file=PATH").
  static absl::StatusOr<BasicAuth> FromText(absl::string_view text, absl::string_view origin);

  // Whether the Authorization header value carries a known user with the
  // right password. An unknown user costs one hash too, like a known one.
  bool Allows(absl::string_view authorization_header) const;

  size_t users() const { return hashes_.size(); }

 private:
  std::map<std::string, std::string> hashes_;  // user -> crypt(3) hash
};

// crypt(3) of `password` with the settings (and salt) of `hash` equals
// `hash`, compared in constant time. False for a hash crypt cannot use.
bool PasswordMatchesHash(absl::string_view password, const std::string& hash);

}  // namespace iotax
