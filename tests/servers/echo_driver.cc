#include "echo_driver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace iotax::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Byte `i` of connection `c`'s stream: differs by connection and position, so
// a byte echoed on the wrong connection or out of order is caught.
inline uint8_t StreamByte(uint32_t c, uint64_t i) {
  uint64_t x = (uint64_t{c} << 40) ^ i;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 29;
  return static_cast<uint8_t>(x);
}

struct Conn {
  int fd = -1;
  uint64_t sent = 0;
  uint64_t received = 0;
  Clock::time_point next_action{};
  bool done = false;
};

}  // namespace

void RaiseTestFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

DriveResult DriveEcho(uint16_t port, const DriveSpec& spec) {
  DriveResult result;
  const auto deadline = Clock::now() + spec.timeout;
  const uint64_t total = spec.message_bytes * static_cast<uint64_t>(spec.messages);
  const size_t read_chunk = spec.read_chunk ? spec.read_chunk : 256 * 1024;
  std::vector<Conn> conns(static_cast<size_t>(spec.connections));
  auto fail = [&](std::string why) {
    result.error = std::move(why);
    for (auto& c : conns)
      if (c.fd >= 0) close(c.fd);
    return result;
  };

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  for (size_t i = 0; i < conns.size(); ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
    conns[i].fd = fd;
    if (spec.receive_buffer > 0) {
      // Before connect, so the advertised window stays small.
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &spec.receive_buffer, sizeof(spec.receive_buffer));
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return fail("connect #" + std::to_string(i) + ": " + std::strerror(errno));
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, O_NONBLOCK);
  }

  std::vector<char> out_buf;
  std::vector<char> in_buf(read_chunk);
  std::vector<pollfd> pfds;
  std::vector<size_t> index;
  int remaining = spec.connections;
  while (remaining > 0) {
    const auto now = Clock::now();
    if (now >= deadline) {
      return fail("timed out with " + std::to_string(remaining) + " of " + std::to_string(spec.connections) +
                  " connections unfinished (first: sent " + std::to_string(conns[0].sent) + ", received " +
                  std::to_string(conns[0].received) + " of " + std::to_string(total) + ")");
    }
    pfds.clear();
    index.clear();
    Clock::time_point wake = deadline;
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      if (c.done) continue;
      if (c.next_action > now) {
        wake = std::min(wake, c.next_action);
        continue;
      }
      // Closed loop: send up to the end of the message being echoed.
      const uint64_t limit = std::min(total, (c.received / spec.message_bytes + 1) * spec.message_bytes);
      short events = POLLIN;
      if (c.sent < limit) events |= POLLOUT;
      pfds.push_back({c.fd, events, 0});
      index.push_back(i);
    }
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count());
    if (!pfds.empty() && wait_ms > 50) wait_ms = 50;
    if (poll(pfds.data(), pfds.size(), std::max(wait_ms, 0)) < 0 && errno != EINTR) {
      return fail(std::string("poll: ") + std::strerror(errno));
    }
    for (size_t k = 0; k < pfds.size(); ++k) {
      Conn& c = conns[index[k]];
      const auto id = static_cast<uint32_t>(index[k]);
      bool acted = false;
      if (pfds[k].revents & POLLOUT) {
        const uint64_t limit = std::min(total, (c.received / spec.message_bytes + 1) * spec.message_bytes);
        size_t want = static_cast<size_t>(limit - c.sent);
        if (spec.write_chunk) want = std::min(want, spec.write_chunk);
        want = std::min<size_t>(want, 256 * 1024);
        out_buf.resize(want);
        for (size_t j = 0; j < want; ++j) out_buf[j] = static_cast<char>(StreamByte(id, c.sent + j));
        ssize_t n = send(c.fd, out_buf.data(), want, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
          return fail("send on connection " + std::to_string(id) + ": " + std::strerror(errno));
        }
        if (n > 0) {
          c.sent += static_cast<uint64_t>(n);
          acted = true;
        }
      }
      if (pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = recv(c.fd, in_buf.data(), read_chunk, 0);
        if (n == 0) {
          return fail("connection " + std::to_string(id) + " closed by the server after " +
                      std::to_string(c.received) + " of " + std::to_string(total) + " bytes");
        }
        if (n < 0 && errno != EAGAIN) {
          return fail("recv on connection " + std::to_string(id) + ": " + std::strerror(errno));
        }
        if (n > 0) {
          if (c.received + static_cast<uint64_t>(n) > c.sent) {
            return fail("connection " + std::to_string(id) + " received more bytes than it sent");
          }
          for (ssize_t j = 0; j < n; ++j) {
            if (static_cast<uint8_t>(in_buf[j]) != StreamByte(id, c.received + j)) {
              return fail("connection " + std::to_string(id) + ": byte " + std::to_string(c.received + j) +
                          " differs from what was sent");
            }
          }
          c.received += static_cast<uint64_t>(n);
          result.bytes_verified += static_cast<uint64_t>(n);
          acted = true;
        }
      }
      if (acted && spec.pause.count() > 0) c.next_action = Clock::now() + spec.pause;
      if (c.received == total) {
        c.done = true;
        close(c.fd);
        c.fd = -1;
        --remaining;
        ++result.connections_done;
      }
    }
  }
  result.ok = true;
  return result;
}

}  // namespace iotax::testing
