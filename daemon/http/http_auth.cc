#include "http_auth.h"

#include <crypt.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace iotax {
namespace {

constexpr char kHowToMakeALine[] =
    "each line is USER:HASH; make one with `htpasswd -nbB USER PASSWORD` (bcrypt) or "
    "`printf 'USER:%s\\n' \"$(openssl passwd -6)\"` (sha512-crypt)";

// crypt(3) of `password` with `setting`, or "" when crypt refuses the setting
// (libxcrypt answers "*0"/"*1" or NULL then).
std::string Crypt(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  const char* out = crypt_r(password.c_str(), setting.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return "";
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::optional<BasicCredentials> ParseBasicAuthorization(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  // The scheme is case-insensitive (RFC 7617), then one or more spaces.
  if (header.size() < 6 || !absl::EqualsIgnoreCase(header.substr(0, 5), "basic") || header[5] != ' ') {
    return std::nullopt;
  }
  const absl::string_view encoded = absl::StripLeadingAsciiWhitespace(header.substr(6));
  std::string decoded;
  if (encoded.empty() || !absl::Base64Unescape(encoded, &decoded)) return std::nullopt;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

bool PasswordMatchesHash(absl::string_view password, const std::string& hash) {
  // crypt(3) reads C strings: "secret\0anything" must not pass as "secret".
  if (password.find('\0') != absl::string_view::npos) return false;
  const std::string computed = Crypt(std::string(password), hash);
  return !computed.empty() && ConstantTimeEquals(computed, hash);
}

absl::StatusOr<BasicAuth> BasicAuth::FromText(absl::string_view text, absl::string_view origin) {
  BasicAuth auth;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = absl::StrCat(origin, ": line ", number);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, " is not USER:HASH: ", kHowToMakeALine));
    }
    const std::string user(line.substr(0, colon));
    const std::string hash(line.substr(colon + 1));
    if (hash.empty() || hash[0] != '$') {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the password of '", user,
                                                     "' is not a crypt(3) hash (a clear-text password?): ",
                                                     kHowToMakeALine));
    }
    if (absl::StartsWith(hash, "$1$")) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the password of '", user,
                                                     "' is an MD5 hash ($1$), too weak: ", kHowToMakeALine));
    }
    if (Crypt("iotax-probe", hash).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the password hash of '", user,
                                                     "' is not one this system's crypt(3) knows (use bcrypt $2b$, "
                                                     "sha512-crypt $6$ or yescrypt $y$): ",
                                                     kHowToMakeALine));
    }
    if (!auth.hashes_.emplace(user, hash).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": user '", user, "' appears twice: keep one line"));
    }
  }
  if (auth.hashes_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, " has no USER:HASH line, so nobody could log in: ",
                                                   kHowToMakeALine));
  }
  return auth;
}

absl::StatusOr<BasicAuth> BasicAuth::FromFile(const std::string& path) {
  const std::string origin = absl::StrCat("--auth-file=", path);
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(origin, " cannot be read (missing, or not readable by this user): ",
                                            kHowToMakeALine));
  }
  std::stringstream text;
  text << in.rdbuf();
  return FromText(text.str(), origin);
}

bool BasicAuth::Allows(absl::string_view authorization_header) const {
  const std::optional<BasicCredentials> credentials = ParseBasicAuthorization(authorization_header);
  if (!credentials || hashes_.empty()) return false;
  auto it = hashes_.find(credentials->user);
  if (it == hashes_.end()) {
    // Spend the same time as for a known user, so timing does not tell
    // which user names exist.
    (void)PasswordMatchesHash(credentials->password, hashes_.begin()->second);
    return false;
  }
  return PasswordMatchesHash(credentials->password, it->second);
}

}  // namespace iotax
