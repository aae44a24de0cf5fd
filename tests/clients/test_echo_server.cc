#include "test_echo_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace iotax::testing {
namespace {

struct Conn {
  int fd = -1;
  bool first = false;
  std::vector<uint8_t> buf;
  size_t start = 0, end = 0;  // unsent bytes are buf[start, end)
  uint64_t read_total = 0;
  uint64_t echoed = 0;
  uint32_t interest = 0;
};

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace

TestEchoServer::TestEchoServer(const TestEchoServerOptions& options) : options_(options) {
  auto fd = iotax::net::ListenTcp("127.0.0.1", 0, 4096);
  if (!fd.ok()) Die("test echo server: listen");
  listen_fd_ = std::move(*fd);
  port_ = *iotax::net::LocalPort(listen_fd_.get());
  iotax::net::SetNonBlocking(listen_fd_.get()).IgnoreError();
  epoll_fd_ = iotax::net::UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  stop_fd_ = iotax::net::UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_fd_ || !stop_fd_) Die("test echo server: epoll/eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_.get();
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listen_fd_.get(), &ev);
  ev.data.fd = stop_fd_.get();
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, stop_fd_.get(), &ev);
  thread_ = std::thread([this] { Loop(); });
}

TestEchoServer::~TestEchoServer() {
  const uint64_t one = 1;
  if (write(stop_fd_.get(), &one, sizeof(one)) < 0) Die("test echo server: stop");
  thread_.join();
}

void TestEchoServer::Loop() {
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  bool first_taken = false;
  bool stalled = false;
  std::vector<epoll_event> events(256);

  auto close_conn = [&](Conn* c) {
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    conns.erase(c->fd);
  };
  auto update_interest = [&](Conn* c) {
    uint32_t want = 0;
    if (c->end - c->start < options_.buffer_limit) want |= EPOLLIN;
    if (c->end > c->start) want |= EPOLLOUT;
    if (want == c->interest) return;
    c->interest = want;
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = c->fd;
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, c->fd, &ev);
  };
  // Returns false when the connection was closed.
  auto flush = [&](Conn* c) {
    while (c->end > c->start) {
      if (options_.delay_per_write.count() > 0) std::this_thread::sleep_for(options_.delay_per_write);
      const size_t len = std::min(options_.chunk, c->end - c->start);
      const ssize_t n = send(c->fd, c->buf.data() + c->start, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        close_conn(c);
        return false;
      }
      c->start += static_cast<size_t>(n);
      c->echoed += static_cast<uint64_t>(n);
      const uint64_t total = bytes_echoed_.fetch_add(static_cast<uint64_t>(n)) + static_cast<uint64_t>(n);
      if (!stalled && options_.stall_after_bytes >= 0 && total >= static_cast<uint64_t>(options_.stall_after_bytes)) {
        stalled = true;
        std::this_thread::sleep_for(options_.stall_for);
      }
      if (c->first && options_.hang_up_after_bytes >= 0 &&
          c->echoed >= static_cast<uint64_t>(options_.hang_up_after_bytes)) {
        close_conn(c);
        return false;
      }
    }
    if (c->start == c->end) c->start = c->end = 0;
    return true;
  };

  for (;;) {
    const int n = epoll_wait(epoll_fd_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      Die("test echo server: epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd_.get()) {
        for (auto& [cfd, c] : conns) close(cfd);
        return;
      }
      if (fd == listen_fd_.get()) {
        for (;;) {
          const int cfd = accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          iotax::net::SetNoDelay(cfd).IgnoreError();
          auto c = std::make_unique<Conn>();
          c->fd = cfd;
          c->first = !first_taken;
          first_taken = true;
          c->buf.resize(options_.buffer_limit);
          c->interest = EPOLLIN;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = cfd;
          epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, cfd, &ev);
          conns[cfd] = std::move(c);
          accepted_.fetch_add(1);
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn* c = it->second.get();
      if ((events[i].events & EPOLLOUT) && !flush(c)) continue;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (c->start > 0) {  // compact so reads have room
          std::memmove(c->buf.data(), c->buf.data() + c->start, c->end - c->start);
          c->end -= c->start;
          c->start = 0;
        }
        const size_t room = std::min(options_.chunk, options_.buffer_limit - c->end);
        if (room > 0) {
          const ssize_t got = read(fd, c->buf.data() + c->end, room);
          if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
            close_conn(c);
            continue;
          }
          if (got > 0) {
            const int64_t at = options_.corrupt_offset;
            if (c->first && at >= 0 && static_cast<uint64_t>(at) >= c->read_total &&
                static_cast<uint64_t>(at) < c->read_total + static_cast<uint64_t>(got)) {
              c->buf[c->end + static_cast<size_t>(at - static_cast<int64_t>(c->read_total))] ^= 0x01;
            }
            c->read_total += static_cast<uint64_t>(got);
            c->end += static_cast<size_t>(got);
            if (!flush(c)) continue;
          }
        }
      }
      update_interest(c);
    }
  }
}

}  // namespace iotax::testing
