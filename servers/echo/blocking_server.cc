#include "blocking_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "request_handler.h"

namespace iotax::echo {
namespace {

// One read() is one request; 64 KiB takes a whole socket buffer's worth.
constexpr size_t kReadBufferBytes = 64 * 1024;

bool WriteAllBlocking(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

BlockingServer::~BlockingServer() {
  if (acceptor_.joinable()) {
    shutdown_->RequestStop();
    Join();
  }
}

absl::Status BlockingServer::Start() {
  auto fd = net::ListenTcp(options_.host, options_.port, options_.backlog);
  if (!fd.ok()) return fd.status();
  // Non-blocking so that a connection reset between poll() and accept() makes
  // accept return EAGAIN instead of blocking the acceptor (and the stop).
  // Accepted sockets are blocking all the same: accept4 does not inherit it.
  if (auto s = net::SetNonBlocking(fd->get()); !s.ok()) return s;
  auto port = net::LocalPort(fd->get());
  if (!port.ok()) return port.status();
  port_ = *port;
  listener_ = std::move(*fd);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void BlockingServer::Join() {
  if (acceptor_.joinable()) acceptor_.join();
}

void BlockingServer::AcceptLoop() {
  pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {shutdown_->stop_fd(), POLLIN, 0}};
  bool warned_fd_limit = false;
  uint64_t accepted = 0;
  while (!shutdown_->stop_requested()) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Fail(absl::ErrnoToStatus(errno, "poll on the listening socket"));
      break;
    }
    if (fds[1].revents & POLLIN) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        if (!warned_fd_limit) {
          std::fprintf(stderr, "blocking: accept: %s: out of file descriptors, retrying\n", std::strerror(errno));
          warned_fd_limit = true;
        }
        poll(nullptr, 0, 10);  // a connection must close first: do not spin
      }
      continue;  // EAGAIN, ECONNABORTED, EINTR...: nothing to serve
    }
    // Nagle plus delayed ACK would stall multi-segment echoes by ~40 ms.
    (void)net::SetNoDelay(fd);
    ++accepted;
    JoinFinished();
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_id_++;
    open_fds_[id] = fd;
    try {
      threads_[id] = std::thread([this, id, fd] { ServeConnection(id, fd); });
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "blocking: cannot start a connection thread (%s): closing it\n", e.what());
      open_fds_.erase(id);
      threads_.erase(id);
      close(fd);
    }
  }
  counters_.Add(accepted, 0, 0);
  listener_ = net::UniqueFd();  // refuse new connections from now on
  CloseAllAndJoin();
}

void BlockingServer::ServeConnection(uint64_t id, int fd) {
  {
    RequestHandler handler(options_, papi_, &counters_);
    std::unique_ptr<char[]> buf(new char[kReadBufferBytes]);
    for (;;) {
      ssize_t n = read(fd, buf.get(), kReadBufferBytes);
      if (n > 0) {
        handler.OnRequest(static_cast<size_t>(n));
        if (!WriteAllBlocking(fd, buf.get(), static_cast<size_t>(n))) break;
      } else if (n == 0 || errno != EINTR) {
        break;  // EOF, reset, or shut down by the acceptor at stop
      }
    }
  }
  // Closing under the lock means the acceptor never shuts down an fd number
  // that has been closed and reused.
  std::lock_guard<std::mutex> lock(mu_);
  close(fd);
  open_fds_.erase(id);
  finished_.push_back(id);
}

void BlockingServer::JoinFinished() {
  std::vector<std::thread> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t id : finished_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      done.push_back(std::move(it->second));
      threads_.erase(it);
    }
    finished_.clear();
  }
  for (auto& t : done) t.join();
}

void BlockingServer::CloseAllAndJoin() {
  std::map<uint64_t, std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Wakes threads blocked in read() (which returns 0) or write() (EPIPE).
    for (const auto& [id, fd] : open_fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
    finished_.clear();
  }
  for (auto& [id, t] : threads) t.join();
}

}  // namespace iotax::echo
