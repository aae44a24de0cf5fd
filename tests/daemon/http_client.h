// A plain-socket HTTP/1.0 GET for tests: no library between the test and the
// server, bounded by a receive timeout.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "loopback_socket.h"

namespace iotax::testing {

struct HttpResult {
  int status = 0;            // 0 when the request failed
  std::string headers;
  std::string body;
};

inline HttpResult HttpGet(int port, const std::string& path, const std::string& method = "GET") {
  HttpResult result;
  const int fd = ConnectLoopback(port, 5);
  if (fd < 0) return result;
  const std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return result;
  }
  std::string raw;
  char buf[8192];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t split = raw.find("\r\n\r\n");
  if (split == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return result;
  result.status = std::stoi(raw.substr(9, 3));
  result.headers = raw.substr(0, split);
  result.body = raw.substr(split + 4);
  return result;
}

}  // namespace iotax::testing
