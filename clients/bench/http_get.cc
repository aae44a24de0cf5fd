#include "http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clock.h"
#include "socket_util.h"

namespace iotax::bench {

absl::StatusOr<HttpResponse> ParseHttpResponse(const std::string& raw) {
  // "HTTP/1.x NNN reason\r\n headers \r\n\r\n body"
  const size_t sp = raw.find(' ');
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/", 0) != 0 || sp == std::string::npos || head_end == std::string::npos) {
    return absl::DataLossError("not an HTTP response");
  }
  HttpResponse r;
  if (!absl::SimpleAtoi(raw.substr(sp + 1, 3), &r.status)) return absl::DataLossError("no HTTP status code");
  r.body = raw.substr(head_end + 4);
  return r;
}

absl::StatusOr<HttpResponse> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                                     absl::Duration timeout) {
  const int64_t deadline = client::NowNs() + absl::ToInt64Nanoseconds(timeout);
  auto fd = net::ConnectTcp(host, port);
  if (!fd.ok()) return fd.status();
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host, "\r\nConnection: close\r\n\r\n");
  if (absl::Status s = net::WriteAll(fd->get(), request.data(), request.size()); !s.ok()) return s;
  std::string raw;
  for (;;) {
    const int64_t left_ms = (deadline - client::NowNs()) / 1'000'000;
    if (left_ms <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("GET http://", host, ":", port, path, " took longer than ", absl::FormatDuration(timeout)));
    }
    pollfd p{fd->get(), POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(left_ms));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[16384];
    const ssize_t got = read(fd->get(), buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return absl::ErrnoToStatus(errno, absl::StrCat("reading http://", host, ":", port, path));
    if (got == 0) break;
    raw.append(buf, static_cast<size_t>(got));
  }
  return ParseHttpResponse(raw);
}

}  // namespace iotax::bench
