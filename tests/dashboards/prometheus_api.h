// A minimal client of a Prometheus server's HTTP API for tests: plain-socket
// GET on loopback (HTTP/1.0, bounded by a receive timeout), URL encoding,
// and the JSON answers of /api/v1/query, /api/v1/rules and friends.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "loopback_socket.h"

namespace iotax::dashboards {

struct HttpReply {
  int status = 0;  // 0 when the request failed
  std::string body;
};

inline HttpReply LoopbackGet(int port, const std::string& path_and_query) {
  HttpReply reply;
  const int fd = ::iotax::testing::ConnectLoopback(port, 10);
  if (fd < 0) return reply;
  std::string raw;
  const std::string request = "GET " + path_and_query + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[16384];
    for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t split = raw.find("\r\n\r\n");
  // Go answers an HTTP/1.0 request with HTTP/1.0; civetweb with HTTP/1.1.
  if (split == std::string::npos || raw.compare(0, 5, "HTTP/") != 0 || raw.size() < 12) return reply;
  reply.status = std::atoi(raw.c_str() + 9);
  reply.body = raw.substr(split + 4);
  return reply;
}

inline std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The parsed JSON of a GET on the API; a JSON null when the request failed or
// the body was not JSON.
inline nlohmann::json ApiGet(int port, const std::string& path_and_query) {
  const HttpReply r = LoopbackGet(port, path_and_query);
  if (r.status == 0) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

struct QueryResult {
  std::string error;   // the API's error, or why the request failed; "" when it answered
  size_t series = 0;   // samples in the instant vector (1 for a scalar)
  size_t non_finite = 0;
  std::string first_non_finite;
};

inline QueryResult InstantQuery(int port, const std::string& expr) {
  QueryResult r;
  const nlohmann::json j = ApiGet(port, "/api/v1/query?query=" + UrlEncode(expr));
  if (!j.is_object()) {
    r.error = "no JSON answer from Prometheus";
    return r;
  }
  if (j.value("status", "") != "success") {
    r.error = j.value("error", "status " + j.value("status", "?"));
    return r;
  }
  const auto& data = j["data"];
  auto check = [&](const nlohmann::json& value, const std::string& series) {
    // Values are strings: "1.5", "NaN", "+Inf", "-Inf".
    const double v = std::strtod(value[1].get<std::string>().c_str(), nullptr);
    if (!std::isfinite(v)) {
      if (r.non_finite++ == 0) r.first_non_finite = series + " = " + value[1].get<std::string>();
    }
  };
  if (data["resultType"] == "vector") {
    for (const auto& s : data["result"]) {
      ++r.series;
      check(s["value"], s["metric"].dump());
    }
  } else if (data["resultType"] == "scalar") {
    r.series = 1;
    check(data["result"], "scalar");
  } else {
    r.error = "unexpected result type " + data["resultType"].dump();
  }
  return r;
}

}  // namespace iotax::dashboards
