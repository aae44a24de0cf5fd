#include "epoll_server.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "cpu_list.h"
#include "listeners.h"
#include "request_handler.h"

namespace iotax::echo {
namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;
constexpr int kMaxEvents = 256;

struct Connection {
  explicit Connection(int socket) : fd(socket) {}
  int fd;
  std::vector<char> unsent;  // the tail of a short write, sent on EPOLLOUT
  size_t unsent_offset = 0;
};

}  // namespace

class EpollServer::Loop {
 public:
  Loop(EpollServer* server, net::UniqueFd listener, int cpu)
      : server_(server), listener_(std::move(listener)), cpu_(cpu) {}

  absl::Status Init() {
    epoll_ = net::UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return absl::ErrnoToStatus(errno, "epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.ptr = &listener_;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &ev) != 0) {
      return absl::ErrnoToStatus(errno, "epoll_ctl(ADD listener)");
    }
    ev.events = EPOLLIN;  // level-triggered: stays ready once stop is requested
    ev.data.ptr = &stop_tag_;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, server_->shutdown_->stop_fd(), &ev) != 0) {
      return absl::ErrnoToStatus(errno, "epoll_ctl(ADD stop fd)");
    }
    return absl::OkStatus();
  }

  void Run() {
    if (cpu_ >= 0) (void)net::PinCurrentThread({cpu_});
    RequestHandler handler(server_->options_, server_->papi_, &server_->counters_);
    handler_ = &handler;
    buffer_.reset(new char[kReadBufferBytes]);
    epoll_event events[kMaxEvents];
    bool running = true;
    while (running) {
      int n = epoll_wait(epoll_.get(), events, kMaxEvents, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        server_->Fail(absl::ErrnoToStatus(errno, "epoll_wait"));
        break;
      }
      for (int i = 0; i < n; ++i) {
        void* tag = events[i].data.ptr;
        if (tag == &listener_) {
          AcceptAll();
        } else if (tag == &stop_tag_) {
          running = false;
        } else {
          Serve(static_cast<Connection*>(tag), events[i].events);
        }
      }
    }
    for (Connection* c : connections_) {
      close(c->fd);
      delete c;
    }
    connections_.clear();
    handler_ = nullptr;
  }

 private:
  void AcceptAll() {
    for (;;) {
      int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && !warned_fd_limit_) {
          std::fprintf(stderr, "epoll: accept: %s: out of file descriptors\n", std::strerror(errno));
          warned_fd_limit_ = true;
        }
        return;  // EAGAIN: drained (edge-triggered)
      }
      // Nagle plus delayed ACK would stall multi-segment echoes by ~40 ms.
      (void)net::SetNoDelay(fd);
      auto* c = new Connection(fd);
      epoll_event ev{};
      // EPOLLOUT is registered once and costs nothing until a send fills the
      // socket buffer (TCP only signals write space after SOCK_NOSPACE).
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.ptr = c;
      if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        delete c;
        continue;
      }
      connections_.insert(c);
      handler_->OnConnection();
    }
  }

  void Close(Connection* c) {
    close(c->fd);  // also removes it from the epoll set
    connections_.erase(c);
    delete c;
  }

  // Sends what a short write left behind. False on a dead connection.
  bool FlushUnsent(Connection* c) {
    while (c->unsent_offset < c->unsent.size()) {
      ssize_t n = send(c->fd, c->unsent.data() + c->unsent_offset, c->unsent.size() - c->unsent_offset,
                       MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN;
      }
      c->unsent_offset += static_cast<size_t>(n);
    }
    c->unsent.clear();
    c->unsent_offset = 0;
    return true;
  }

  void Serve(Connection* c, uint32_t events) {
    if (!c->unsent.empty()) {
      if (!FlushUnsent(c)) return Close(c);
      if (!c->unsent.empty()) return;  // still blocked: wait for EPOLLOUT
    }
    // After a hang-up or error the socket must be read to EOF/error even if a
    // read comes back short, or the final event would be lost.
    const bool hangup = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
    char* buf = buffer_.get();
    for (;;) {
      ssize_t n = read(c->fd, buf, kReadBufferBytes);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) Close(c);
        return;  // EAGAIN: drained
      }
      if (n == 0) return Close(c);
      handler_->OnRequest(static_cast<size_t>(n));
      ssize_t sent = send(c->fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno != EAGAIN && errno != EINTR) return Close(c);
        sent = 0;
      }
      if (sent < n) {
        // Keep the rest and read no more until EPOLLOUT flushed it.
        c->unsent.assign(buf + sent, buf + n);
        c->unsent_offset = 0;
        return;
      }
      // A short read drained the TCP receive queue: anything arriving later
      // raises a new edge. Skipping the read that would return EAGAIN saves
      // a syscall per request.
      if (static_cast<size_t>(n) < kReadBufferBytes && !hangup) return;
    }
  }

  EpollServer* const server_;
  net::UniqueFd listener_;
  const int cpu_;
  net::UniqueFd epoll_;
  int stop_tag_ = 0;
  RequestHandler* handler_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  std::unordered_set<Connection*> connections_;
  bool warned_fd_limit_ = false;
};

EpollServer::EpollServer(const ServerOptions& options, ShutdownSignal* shutdown, PapiCalipers* papi)
    : EchoServer(options, shutdown, papi) {}

EpollServer::~EpollServer() {
  if (!threads_.empty()) {
    shutdown_->RequestStop();
    Join();
  }
}

absl::Status EpollServer::Start() {
  auto listeners = OpenListeners(options_, options_.threads, /*nonblocking=*/true);
  if (!listeners.ok()) return listeners.status();
  auto port = net::LocalPort((*listeners)[0].get());
  if (!port.ok()) return port.status();
  port_ = *port;
  for (int i = 0; i < options_.threads; ++i) {
    const int cpu = options_.cpus.empty() ? -1 : options_.cpus[i % options_.cpus.size()];
    auto loop = std::make_unique<Loop>(this, std::move((*listeners)[i]), cpu);
    if (auto s = loop->Init(); !s.ok()) return s;
    loops_.push_back(std::move(loop));
  }
  for (auto& loop : loops_) threads_.emplace_back([l = loop.get()] { l->Run(); });
  return absl::OkStatus();
}

void EpollServer::Join() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace iotax::echo
