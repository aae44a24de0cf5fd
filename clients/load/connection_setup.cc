#include "connection_setup.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "clock.h"
#include "socket_util.h"

namespace iotax::client {
namespace {

constexpr size_t kMaxProbeSize = 4096;

void SetSendTimeout(int fd, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// Like iotax::net::ConnectTcp, but a SYN the server drops (full accept queue)
// cannot stall set-up for the kernel's two-minute retry sequence.
absl::StatusOr<iotax::net::UniqueFd> ConnectWithTimeout(const sockaddr_in& addr, const std::string& host,
                                                        uint16_t port, absl::Duration timeout) {
  iotax::net::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    if (errno == EMFILE || errno == ENFILE) {
      return absl::ResourceExhaustedError(
          "out of file descriptors: raise the hard limit (ulimit -Hn) or use fewer --conns");
    }
    return absl::ErrnoToStatus(errno, "socket");
  }
  SetSendTimeout(fd.get(), timeout);
  while (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno == EINTR) continue;
    if (errno == ECONNREFUSED) {
      return absl::UnavailableError(
          absl::StrCat("connection to ", host, ":", port, " refused: is the server running on that port?"));
    }
    if (errno == EINPROGRESS || errno == EAGAIN || errno == ETIMEDOUT) {
      return absl::DeadlineExceededError(absl::StrCat(
          "connecting to ", host, ":", port, " timed out after ", absl::FormatDuration(timeout),
          ": the server is not accepting (its accept queue may be full: raise its backlog / somaxconn)"));
    }
    if (errno == EADDRNOTAVAIL) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "connecting to ", host, ":", port, ": no free local port (too many connections in TIME_WAIT?): "
          "use fewer --conns or widen net.ipv4.ip_local_port_range"));
    }
    return absl::ErrnoToStatus(errno, absl::StrCat("connect ", host, ":", port));
  }
  SetSendTimeout(fd.get(), absl::ZeroDuration());
  if (auto s = iotax::net::SetNoDelay(fd.get()); !s.ok()) return s;
  return fd;
}

}  // namespace

absl::StatusOr<uint64_t> RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return absl::ErrnoToStatus(errno, "getrlimit(RLIMIT_NOFILE)");
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return absl::ErrnoToStatus(errno, "setrlimit(RLIMIT_NOFILE)");
  }
  return static_cast<uint64_t>(lim.rlim_cur);
}

absl::StatusOr<std::vector<Connection>> ConnectAll(const std::string& host, uint16_t port, int count,
                                                   absl::Duration timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("'", host, "' is not an IPv4 address (use e.g. 127.0.0.1)"));
  }
  std::vector<Connection> conns;
  conns.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto fd = ConnectWithTimeout(addr, host, port, timeout);
    if (!fd.ok()) {
      if (i == 0) return fd.status();
      return absl::Status(fd.status().code(), absl::StrCat("opening connection ", i + 1, " of ", count, ": ",
                                                           fd.status().message()));
    }
    conns.push_back(Connection{std::move(*fd), static_cast<uint64_t>(i)});
  }
  return conns;
}

size_t ProbeSize(size_t msg_size) { return std::min(msg_size, kMaxProbeSize); }

absl::Status ProbeAll(const std::vector<Connection>& conns, const Payload& payload, absl::Duration timeout) {
  const size_t len = ProbeSize(payload.msg_size());
  // Send everywhere first so the server works on all connections at once.
  for (const Connection& c : conns) {
    SetSendTimeout(c.fd.get(), timeout);
    absl::Status s = iotax::net::WriteAll(c.fd.get(), payload.Message(c.id, Payload::kProbeSeq), len);
    SetSendTimeout(c.fd.get(), absl::ZeroDuration());
    if (!s.ok()) {
      return absl::UnavailableError(absl::StrCat("connection ", c.id, ": sending the set-up message failed: ",
                                                 s.message(), " (did the server close the connection?)"));
    }
  }
  const int64_t deadline = NowNs() + absl::ToInt64Nanoseconds(timeout);
  std::vector<uint8_t> buf(len);
  for (const Connection& c : conns) {
    size_t got = 0;
    while (got < len) {
      const int64_t left_ms = (deadline - NowNs()) / 1'000'000;
      pollfd p{c.fd.get(), POLLIN, 0};
      const int ready = left_ms > 0 ? poll(&p, 1, static_cast<int>(left_ms)) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        return absl::DeadlineExceededError(absl::StrCat(
            "connection ", c.id, ": no echo of the set-up message within ", absl::FormatDuration(timeout),
            ": the server took the TCP connection but does not answer (not accepted yet because its accept "
            "queue is full, overloaded, or not an echo server?)"));
      }
      const ssize_t n = read(c.fd.get(), buf.data() + got, len - got);
      if (n == 0) {
        return absl::UnavailableError(
            absl::StrCat("connection ", c.id, ": the server closed the connection during set-up"));
      }
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return absl::ErrnoToStatus(errno, absl::StrCat("connection ", c.id, ": reading the set-up echo"));
      }
      got += static_cast<size_t>(n);
    }
    const uint8_t* expected = payload.Message(c.id, Payload::kProbeSeq);
    const size_t diff = Payload::FirstDifference(expected, buf.data(), len);
    if (diff != len) {
      return absl::DataLossError(
          EchoMismatch{c.id, Payload::kProbeSeq, diff, expected[diff], buf[diff]}.ToString());
    }
  }
  return absl::OkStatus();
}

}  // namespace iotax::client
