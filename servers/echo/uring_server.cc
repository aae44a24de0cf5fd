#include "uring_server.h"

#include <liburing.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "cpu_list.h"
#include "listeners.h"
#include "request_handler.h"
#include "uring_buf_ring.h"

namespace iotax::echo {
namespace {

// Submission queue: a batch needs at most two SQEs per completion, and a full
// queue is flushed and retried, so this bounds batching, not connections.
constexpr unsigned kSqEntries = 1024;
// Completion queue: at least one pending completion per connection (its recv)
// plus sends; the kernel keeps overflow entries anyway (IORING_FEAT_NODROP).
constexpr unsigned kCqEntries = 16384;
// Receive buffers per thread. Received bytes are copied out at once, so a
// buffer is back in the ring within the same batch; 16 KiB keeps large
// messages to a few completions, and only the bytes received are touched.
constexpr unsigned kBufferCount = 1024;
constexpr unsigned kBufferBytes = 16 * 1024;
constexpr uint16_t kBufferGroup = 0;
// Above this many queued bytes (the peer is not reading its echo) the
// connection's recv is cancelled until the queue has been sent.
constexpr size_t kMaxQueuedBytes = 256 * 1024;
// How long a stopping thread waits for its requests to finish.
constexpr int64_t kDrainTimeoutNs = 2'000'000'000;

// user_data = connection pointer | operation (connections are 16-aligned).
enum Op : uint64_t { kAccept = 1, kStop = 2, kRecv = 3, kSend = 4, kCancelRecv = 5, kCancelAccept = 6, kCancelFd = 7 };
constexpr uint64_t kOpMask = 7;

struct alignas(16) Connection {
  explicit Connection(int socket) : fd(socket) {}
  int fd;
  bool recv_armed = false;       // a recv (multishot or not) is in flight
  bool send_inflight = false;
  bool cancel_inflight = false;  // cancelling the recv to pause reading
  bool cancel_all_requested = false;  // closing: every request on the fd was cancelled
  bool paused = false;           // too much queued: do not re-arm recv
  bool peer_closed = false;      // EOF seen: close once everything is sent
  bool closing = false;          // close as soon as nothing is in flight
  std::vector<char> out;         // being sent (stable while the send is in flight)
  size_t out_offset = 0;
  std::vector<char> queued;      // arrived while a send was in flight
};

uint64_t Tag(Connection* c, Op op) { return reinterpret_cast<uint64_t>(c) | op; }

}  // namespace

class UringServer::Worker {
 public:
  Worker(UringServer* server, net::UniqueFd listener, int cpu)
      : server_(server), listener_(std::move(listener)), cpu_(cpu),
        multishot_accept_(server->options_.uring_multishot),
        multishot_recv_(server->options_.uring_multishot) {}

  // Sets up the ring in this thread (the ring is single-issuer), reports the
  // outcome through `ready`, then serves until the stop fd fires.
  void Run(std::promise<absl::Status>* ready) {
    if (cpu_ >= 0) (void)net::PinCurrentThread({cpu_});
    absl::Status init = Init();
    ready->set_value(init);
    if (!init.ok()) {
      TearDown();
      return;
    }
    RequestHandler handler(server_->options_, server_->papi_, &server_->counters_);
    handler_ = &handler;
    Loop();
    if (buffer_shortages_ > 0) {
      std::fprintf(stderr, "uring: a thread ran out of receive buffers %llu times (recv re-armed each time)\n",
                   static_cast<unsigned long long>(buffer_shortages_));
    }
    TearDown();
    handler_ = nullptr;
  }

 private:
  absl::Status Init() {
    io_uring_params params;
    // Task work runs only when this thread enters the kernel to wait, which
    // batches it and avoids interrupting the thread (Linux 6.1+); older
    // kernels get cooperative task running, then plain rings.
    const unsigned attempts[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                 IORING_SETUP_COOP_TASKRUN, 0};
    int rc = -EINVAL;
    for (unsigned flags : attempts) {
      std::memset(&params, 0, sizeof(params));
      params.flags = flags | IORING_SETUP_CQSIZE;
      params.cq_entries = kCqEntries;
      rc = io_uring_queue_init_params(kSqEntries, &ring_, &params);
      if (rc != -EINVAL) break;
    }
    if (rc < 0) {
      const char* why = rc == -ENOSYS   ? "this kernel has no io_uring"
                        : rc == -EPERM  ? "io_uring is disabled here (sysctl kernel.io_uring_disabled)"
                        : rc == -ENOMEM ? "not enough locked memory (raise ulimit -l)"
                                        : "io_uring_queue_init_params failed";
      return absl::ErrnoToStatus(-rc, absl::StrCat(why, ": use --model=epoll"));
    }
    ring_ready_ = true;
    if (!(params.features & IORING_FEAT_FAST_POLL)) {
      return absl::FailedPreconditionError(
          "this kernel's io_uring lacks fast poll (Linux 5.7+), so every socket wait would take a "
          "worker thread: use --model=epoll");
    }
    io_uring_register_ring_fd(&ring_);  // saves a file lookup per enter; optional
    auto bufs = ProvidedBufferRing::Create(&ring_, kBufferCount, kBufferBytes, kBufferGroup);
    if (!bufs.ok()) return bufs.status();
    bufs_ = std::move(*bufs);

    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_poll_add(sqe, server_->shutdown_->stop_fd(), POLLIN);
    io_uring_sqe_set_data64(sqe, kStop);
    ArmAccept();
    rc = io_uring_submit(&ring_);
    if (rc < 0) return absl::ErrnoToStatus(-rc, "io_uring_submit of the first accept");
    return absl::OkStatus();
  }

  void Loop() {
    int64_t drain_deadline = 0;
    while (!stopping_ || inflight_ > 0) {
      int rc;
      if (!stopping_) {
        rc = io_uring_submit_and_wait(&ring_, 1);
      } else {
        if (drain_deadline == 0) drain_deadline = MonotonicNowNs() + kDrainTimeoutNs;
        if (MonotonicNowNs() > drain_deadline) {
          std::fprintf(stderr, "uring: %llu requests still in flight after 2 s at stop: closing anyway\n",
                       static_cast<unsigned long long>(inflight_));
          break;
        }
        __kernel_timespec ts{0, 100'000'000};
        io_uring_cqe* unused;
        rc = io_uring_submit_and_wait_timeout(&ring_, &unused, 1, &ts, nullptr);
      }
      if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -EAGAIN && rc != -EBUSY) {
        server_->Fail(absl::ErrnoToStatus(-rc, "io_uring_submit_and_wait"));
        break;
      }
      unsigned head;
      unsigned seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        Handle(cqe->user_data, cqe->res, cqe->flags);
      }
      io_uring_cq_advance(&ring_, seen);
      // Buffers recycled by this batch go back before the next submit, so
      // recvs re-armed after ENOBUFS find them.
      bufs_->Publish();
    }
  }

  void TearDown() {
    for (Connection* c : connections_) {
      close(c->fd);
      delete c;
    }
    connections_.clear();
    bufs_.reset();  // unregisters through the ring: before the ring goes
    if (ring_ready_) io_uring_queue_exit(&ring_);
    ring_ready_ = false;
  }

  // A free SQE; when the queue is full, submits what is queued and retries.
  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    ++inflight_;
    return sqe;
  }

  void Handle(uint64_t user_data, int res, unsigned flags) {
    // Every request ends with one completion without F_MORE.
    if (!(flags & IORING_CQE_F_MORE)) --inflight_;
    auto* c = reinterpret_cast<Connection*>(user_data & ~kOpMask);
    switch (user_data & kOpMask) {
      case kAccept:
        return OnAccept(res, flags);
      case kStop:
        return OnStop();
      case kRecv:
        return OnRecv(c, res, flags);
      case kSend:
        return OnSend(c, res);
      case kCancelRecv:
        c->cancel_inflight = false;
        return MaybeRelease(c);
      case kCancelAccept:
      case kCancelFd:  // the cancelled requests' own completions release
        return;
    }
  }

  // --- accepting ---

  void ArmAccept() {
    io_uring_sqe* sqe = GetSqe();
    if (multishot_accept_) {
      io_uring_prep_multishot_accept(sqe, listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    } else {
      io_uring_prep_accept(sqe, listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    }
    io_uring_sqe_set_data64(sqe, kAccept);
    accept_armed_ = true;
  }

  void OnAccept(int res, unsigned flags) {
    if (!(flags & IORING_CQE_F_MORE)) accept_armed_ = false;
    if (res >= 0) {
      if (stopping_) {
        close(res);
      } else {
        OpenConnection(res);
      }
    } else if (res == -EINVAL && multishot_accept_) {
      std::fprintf(stderr, "uring: this kernel rejects multishot accept: falling back to single-shot accept\n");
      multishot_accept_ = false;
    } else if (res == -EMFILE || res == -ENFILE) {
      if (!warned_fd_limit_) {
        std::fprintf(stderr, "uring: accept: %s: out of file descriptors, waiting for a close\n",
                     std::strerror(-res));
        warned_fd_limit_ = true;
      }
      accept_starved_ = true;  // re-armed when a connection closes
    }
    if (!accept_armed_ && !stopping_ && !accept_starved_) ArmAccept();
  }

  void OpenConnection(int fd) {
    // Nagle plus delayed ACK would stall multi-segment echoes by ~40 ms.
    (void)net::SetNoDelay(fd);
    auto* c = new Connection(fd);
    connections_.insert(c);
    handler_->OnConnection();
    ArmRecv(c);
  }

  // --- receiving ---

  void ArmRecv(Connection* c) {
    io_uring_sqe* sqe = GetSqe();
    if (multishot_recv_) {
      io_uring_prep_recv_multishot(sqe, c->fd, nullptr, 0, 0);
    } else {
      io_uring_prep_recv(sqe, c->fd, nullptr, 0, 0);  // length 0: the whole provided buffer
    }
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = bufs_->group();
    io_uring_sqe_set_data64(sqe, Tag(c, kRecv));
    c->recv_armed = true;
  }

  void RearmRecvIfWanted(Connection* c) {
    if (!c->recv_armed && !c->paused && !c->closing && !c->peer_closed && !stopping_) ArmRecv(c);
  }

  void OnRecv(Connection* c, int res, unsigned flags) {
    if (!(flags & IORING_CQE_F_MORE)) c->recv_armed = false;
    if (flags & IORING_CQE_F_BUFFER) {
      const auto id = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
      if (res > 0 && !c->closing) Echo(c, bufs_->buffer(id), static_cast<size_t>(res));
      bufs_->Recycle(id);  // the bytes were copied out
    }
    if (res == -ENOBUFS) ++buffer_shortages_;
    if (res > 0 || res == -ENOBUFS || res == -ECANCELED) {
      // A multishot recv ended (ring ran dry, cancelled to pause, or the
      // kernel chose to), or a single-shot one completed: arm the next.
      RearmRecvIfWanted(c);
    } else if (res == 0) {
      c->peer_closed = true;  // finish sending what is queued, then close
      if (!c->send_inflight) c->closing = true;
    } else if (res == -EINVAL && multishot_recv_) {
      std::fprintf(stderr, "uring: this kernel rejects multishot recv: falling back to single-shot recv\n");
      multishot_recv_ = false;
      RearmRecvIfWanted(c);
    } else {
      Abort(c);  // reset by the peer, or another socket error
    }
    MaybeRelease(c);
  }

  // One request: run the handler, then send the bytes back, or queue them
  // behind the send in flight so the byte order is kept.
  void Echo(Connection* c, const char* data, size_t len) {
    handler_->OnRequest(len);
    if (!c->send_inflight) {
      c->out.assign(data, data + len);
      c->out_offset = 0;
      SubmitSend(c);
      return;
    }
    c->queued.insert(c->queued.end(), data, data + len);
    if (c->queued.size() >= kMaxQueuedBytes && !c->paused) Pause(c);
  }

  void Pause(Connection* c) {
    c->paused = true;
    if (!c->recv_armed || c->cancel_inflight) return;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_cancel64(sqe, Tag(c, kRecv), 0);
    io_uring_sqe_set_data64(sqe, Tag(c, kCancelRecv));
    c->cancel_inflight = true;
  }

  // --- sending ---

  void SubmitSend(Connection* c) {
    io_uring_sqe* sqe = GetSqe();
    // MSG_WAITALL lets the kernel retry a short send itself; a short send that
    // still comes back is resubmitted in OnSend.
    io_uring_prep_send(sqe, c->fd, c->out.data() + c->out_offset, c->out.size() - c->out_offset,
                       MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, Tag(c, kSend));
    c->send_inflight = true;
  }

  void OnSend(Connection* c, int res) {
    c->send_inflight = false;
    if (res < 0 || c->closing) {
      if (res < 0) Abort(c);
      return MaybeRelease(c);
    }
    c->out_offset += static_cast<size_t>(res);
    if (c->out_offset < c->out.size()) return SubmitSend(c);  // short send: the rest
    if (!c->queued.empty()) {
      c->out.swap(c->queued);
      c->queued.clear();
      c->out_offset = 0;
      SubmitSend(c);
      if (c->paused) {
        c->paused = false;
        RearmRecvIfWanted(c);
      }
      return;
    }
    if (c->peer_closed) {
      c->closing = true;
      MaybeRelease(c);
    }
  }

  // --- closing ---

  // Closes on an error or at stop: shutdown() tells the peer, and every
  // request in flight on the socket is cancelled, so each completes at once
  // and MaybeRelease closes. shutdown() alone did not always end them: a
  // send waiting for room in a peer's full buffer, and a multishot recv on
  // the same socket, sometimes waited out the 2 s drain (seen in about 1 stop
  // in 4 with such a peer).
  void Abort(Connection* c) {
    if (c->closing) return;
    c->closing = true;
    if (c->recv_armed || c->send_inflight) shutdown(c->fd, SHUT_RDWR);
    CancelAll(c);
  }

  void CancelAll(Connection* c) {
    if (c->cancel_all_requested || !(c->recv_armed || c->send_inflight)) return;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, kCancelFd);
    c->cancel_all_requested = true;
  }

  void MaybeRelease(Connection* c) {
    if (!c->closing || c->recv_armed || c->send_inflight || c->cancel_inflight) return;
    close(c->fd);
    connections_.erase(c);
    delete c;
    if (accept_starved_ && !stopping_) {
      accept_starved_ = false;
      if (!accept_armed_) ArmAccept();
    }
  }

  void OnStop() {
    stopping_ = true;
    if (accept_armed_) {
      io_uring_sqe* sqe = GetSqe();
      io_uring_prep_cancel64(sqe, kAccept, 0);
      io_uring_sqe_set_data64(sqe, kCancelAccept);
    }
    // Copy: MaybeRelease erases from the set.
    std::vector<Connection*> open(connections_.begin(), connections_.end());
    for (Connection* c : open) {
      Abort(c);
      CancelAll(c);  // also on a connection that was closing already
      MaybeRelease(c);
    }
  }

  UringServer* const server_;
  net::UniqueFd listener_;
  const int cpu_;
  io_uring ring_{};
  bool ring_ready_ = false;
  std::unique_ptr<ProvidedBufferRing> bufs_;
  RequestHandler* handler_ = nullptr;
  std::unordered_set<Connection*> connections_;
  uint64_t inflight_ = 0;  // requests submitted whose final completion is pending
  uint64_t buffer_shortages_ = 0;  // ENOBUFS: the buffer ring was empty
  bool stopping_ = false;
  bool accept_armed_ = false;
  bool accept_starved_ = false;
  bool warned_fd_limit_ = false;
  bool multishot_accept_;
  bool multishot_recv_;
};

UringServer::UringServer(const ServerOptions& options, ShutdownSignal* shutdown, PapiCalipers* papi)
    : EchoServer(options, shutdown, papi) {}

UringServer::~UringServer() {
  if (!threads_.empty()) {
    shutdown_->RequestStop();
    Join();
  }
}

absl::Status UringServer::Start() {
  auto listeners = OpenListeners(options_, options_.threads, /*nonblocking=*/false);
  if (!listeners.ok()) return listeners.status();
  auto port = net::LocalPort((*listeners)[0].get());
  if (!port.ok()) return port.status();
  port_ = *port;
  std::vector<std::promise<absl::Status>> ready(options_.threads);
  for (int i = 0; i < options_.threads; ++i) {
    const int cpu = options_.cpus.empty() ? -1 : options_.cpus[i % options_.cpus.size()];
    workers_.push_back(std::make_unique<Worker>(this, std::move((*listeners)[i]), cpu));
  }
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([w = workers_[i].get(), r = &ready[i]] { w->Run(r); });
  }
  absl::Status status;
  for (auto& r : ready) {
    absl::Status s = r.get_future().get();
    if (status.ok() && !s.ok()) status = s;
  }
  if (!status.ok()) {
    shutdown_->RequestStop();
    Join();
  }
  return status;
}

void UringServer::Join() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace iotax::echo
