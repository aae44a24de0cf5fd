// The io_uring client: --rings rings, each in its own thread driving a share
// of the connections. Per connection at most one send (a sendmsg covering
// every released message) and one receive are in flight; everything a loop
// iteration prepares goes to the kernel in one io_uring_enter, which also
// waits for completions, bounded by a timeout that wakes the ring for the
// next open-loop send. No allocation per request: buffers, send timestamps
// and the schedule heap are sized at set-up.
#include <liburing.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <latch>
#include <memory>
#include <queue>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clock.h"
#include "cpu_list.h"
#include "echo_stream.h"
#include "load_generator.h"
#include "poisson_schedule.h"

namespace iotax::client {
namespace {

constexpr uint64_t kOpSend = 0;
constexpr uint64_t kOpRecv = 1;
constexpr int kMaxIov = 16;                   // messages one sendmsg may cover
constexpr size_t kMaxRecvBuffer = 64 * 1024;
constexpr int64_t kStallCheckNs = 100'000'000;  // how often stalled connections are looked for

size_t RecvBufferSize(size_t outstanding_bytes) { return std::clamp<size_t>(outstanding_bytes, 4096, kMaxRecvBuffer); }

unsigned RingEntries(size_t conns) {
  unsigned entries = 64;
  while (entries < 2 * conns + 16 && entries < 32768) entries *= 2;
  return entries;
}

struct UringConn {
  UringConn(const Payload* payload, uint64_t id, double rate, uint64_t seed)
      : stream(payload, id), release_schedule(rate, seed), recv_schedule(rate, seed) {}

  int fd = -1;
  EchoStream stream;
  uint8_t* recv_buf = nullptr;
  int64_t* send_ts = nullptr;  // closed loop: send time of message seq at [seq % depth]
  uint64_t released = 0;       // messages that may be sent
  uint64_t send_seq = 0;       // message being sent
  size_t send_offset = 0;      // bytes of it already sent
  int64_t progress_ns = 0;     // last echo, or when the connection last became busy
  bool send_inflight = false;
  bool send_queued = false;
  bool failed = false;
  msghdr msg{};
  iovec iov[kMaxIov];
  PoissonSchedule release_schedule;  // open loop: when to release the next message
  PoissonSchedule recv_schedule;     // the same times, consumed as echoes arrive
};

// One ring and its connections; everything runs on the ring's thread.
class UringWorker {
 public:
  UringWorker(const Payload* payload, const LoadSpec& spec, size_t total_conns, std::vector<Connection> conns)
      : payload_(payload), spec_(spec), owned_(std::move(conns)) {
    const double rate = spec_.mode == LoadMode::kOpenLoop ? spec_.rate / static_cast<double>(total_conns) : 1.0;
    conns_.reserve(owned_.size());
    for (const Connection& c : owned_) {
      conns_.emplace_back(payload, c.id, rate, PoissonSchedule::ConnectionSeed(spec_.seed, c.id));
      conns_.back().fd = c.fd.get();
    }
  }
  ~UringWorker() {
    if (ring_ready_) io_uring_queue_exit(&ring_);
  }

  absl::Status Init() {
    const unsigned entries = RingEntries(conns_.size());
    // Fewest interruptions first; older kernels reject the newer flags.
    const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                  IORING_SETUP_COOP_TASKRUN, 0};
    int ret = -EINVAL;
    for (unsigned flags : flag_sets) {
      ret = io_uring_queue_init(entries, &ring_, flags);
      if (ret != -EINVAL) break;
    }
    if (ret < 0) {
      return absl::UnavailableError(absl::StrCat(
          "io_uring_queue_init(", entries, " entries) failed: ", std::strerror(-ret),
          " (io_uring disabled by kernel.io_uring_disabled or a seccomp policy? use --model=blocking)"));
    }
    ring_ready_ = true;

    const size_t msg_size = payload_->msg_size();
    const bool closed = spec_.mode == LoadMode::kClosedLoop;
    const size_t depth = static_cast<size_t>(spec_.depth);
    recv_size_ = RecvBufferSize(msg_size * (closed ? depth : 4));
    recv_slab_ = std::make_unique_for_overwrite<uint8_t[]>(recv_size_ * conns_.size());
    if (closed) send_ts_slab_ = std::make_unique<int64_t[]>(depth * conns_.size());
    for (size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].recv_buf = recv_slab_.get() + i * recv_size_;
      if (closed) conns_[i].send_ts = send_ts_slab_.get() + i * depth;
    }
    send_queue_.reserve(conns_.size());
    std::vector<Due> heap_storage;
    heap_storage.reserve(conns_.size() + 1);
    due_ = DueHeap(std::greater<Due>(), std::move(heap_storage));
    return absl::OkStatus();
  }

  void Run(const Timeline& t) {
    const bool closed = spec_.mode == LoadMode::kClosedLoop;
    int64_t now = NowNs();
    for (size_t i = 0; i < conns_.size(); ++i) {
      UringConn& c = conns_[i];
      c.progress_ns = now;
      PostRecv(i);
      if (closed) {
        for (int d = 0; d < spec_.depth && now < t.measure_end_ns; ++d) Release(i, now);
      } else {
        const int64_t first = t.origin_ns + c.release_schedule.Next();
        if (first < t.measure_end_ns) due_.push({first, i});
      }
    }
    int64_t next_stall_check = now + kStallCheckNs;

    for (;;) {
      if (!closed) ReleaseDue(now, t);
      FlushSends();
      if (now >= t.measure_end_ns && outstanding_ == 0) break;
      if (now >= t.drain_deadline_ns) {
        FailBusy("request(s) still unanswered when the drain after the run timed out", now, 0);
        break;
      }
      if (now >= next_stall_check) {
        FailBusy("request(s) unanswered for the --io-timeout (server stalled?)", now,
                 spec_.io_timeout_ns);
        next_stall_check = now + kStallCheckNs;
      }

      int64_t wake = std::min(next_stall_check, t.drain_deadline_ns);
      if (now < t.measure_end_ns) wake = std::min(wake, t.measure_end_ns);
      if (!due_.empty()) wake = std::min(wake, due_.top().time_ns);
      __kernel_timespec ts{};
      const int64_t wait_ns = std::max<int64_t>(0, wake - now);
      ts.tv_sec = wait_ns / 1'000'000'000;
      ts.tv_nsec = wait_ns % 1'000'000'000;
      io_uring_cqe* cqe = nullptr;
      const int ret = spec_.busy_poll ? io_uring_submit_and_get_events(&ring_)
                                      : io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
        result_.AddError(absl::StrCat("io_uring_enter failed: ", std::strerror(-ret)));
        break;
      }
      now = NowNs();
      unsigned head;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        if (cqe->user_data == LIBURING_UDATA_TIMEOUT) continue;
        --inflight_;
        HandleCompletion(cqe->user_data, cqe->res, now, t);
      }
      io_uring_cq_advance(&ring_, seen);
    }
    for (const UringConn& c : conns_) result_.bytes_verified += c.stream.bytes_verified();
    QuiesceRing();
  }

  const LoadResult& result() const { return result_; }

 private:
  // Ends every operation still in flight before buffers can be freed: a
  // shut-down socket completes its pending receive and send at once.
  void QuiesceRing() {
    for (const UringConn& c : conns_) shutdown(c.fd, SHUT_RDWR);
    const int64_t give_up = NowNs() + 2'000'000'000;
    while (inflight_ > 0 && NowNs() < give_up) {
      __kernel_timespec ts{0, 100'000'000};
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      unsigned head;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        if (cqe->user_data != LIBURING_UDATA_TIMEOUT) --inflight_;
      }
      io_uring_cq_advance(&ring_, seen);
    }
  }

  struct Due {
    int64_t time_ns;
    size_t conn;
    bool operator>(const Due& o) const { return time_ns > o.time_ns; }
  };
  using DueHeap = std::priority_queue<Due, std::vector<Due>, std::greater<Due>>;

  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // SQ full: hand what is queued to the kernel first
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  // Allows one more message on connection i to be sent.
  void Release(size_t i, int64_t now) {
    UringConn& c = conns_[i];
    if (c.failed) return;
    if (c.send_ts != nullptr) c.send_ts[c.released % static_cast<uint64_t>(spec_.depth)] = now;
    if (c.released == c.stream.next_seq()) c.progress_ns = now;  // was idle: a stall clock starts now
    ++c.released;
    ++outstanding_;
    if (!c.send_queued && !c.send_inflight) {
      c.send_queued = true;
      send_queue_.push_back(i);
    }
  }

  // Open loop: releases every message whose intended time has come.
  void ReleaseDue(int64_t now, const Timeline& t) {
    while (!due_.empty() && due_.top().time_ns <= now) {
      const Due d = due_.top();
      due_.pop();
      if (t.InWindow(d.time_ns)) result_.send_lag.Record(static_cast<uint64_t>(now - d.time_ns));
      Release(d.conn, now);
      const int64_t next = t.origin_ns + conns_[d.conn].release_schedule.Next();
      if (next < t.measure_end_ns) due_.push({next, d.conn});
    }
  }

  void FlushSends() {
    for (size_t i : send_queue_) {
      conns_[i].send_queued = false;
      PrepareSend(i);
    }
    send_queue_.clear();
  }

  void PrepareSend(size_t i) {
    UringConn& c = conns_[i];
    if (c.failed || c.send_inflight || c.send_seq == c.released) return;
    const size_t msg_size = payload_->msg_size();
    const uint64_t id = c.stream.conn();
    int n = 0;
    for (uint64_t seq = c.send_seq; seq < c.released && n < kMaxIov; ++seq, ++n) {
      const size_t skip = seq == c.send_seq ? c.send_offset : 0;
      c.iov[n].iov_base = const_cast<uint8_t*>(payload_->Message(id, seq) + skip);
      c.iov[n].iov_len = msg_size - skip;
    }
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      Fail(i, "no free io_uring submission entry");
      return;
    }
    if (n == 1) {
      io_uring_prep_send(sqe, c.fd, c.iov[0].iov_base, c.iov[0].iov_len, MSG_NOSIGNAL);
    } else {
      c.msg.msg_iov = c.iov;
      c.msg.msg_iovlen = static_cast<size_t>(n);
      io_uring_prep_sendmsg(sqe, c.fd, &c.msg, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(sqe, (static_cast<uint64_t>(i) << 1) | kOpSend);
    c.send_inflight = true;
    ++inflight_;
  }

  void PostRecv(size_t i) {
    UringConn& c = conns_[i];
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      Fail(i, "no free io_uring submission entry");
      return;
    }
    io_uring_prep_recv(sqe, c.fd, c.recv_buf, recv_size_, 0);
    // The echo is rarely there yet: wait for readiness instead of trying a
    // read that would fail first.
    sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(sqe, (static_cast<uint64_t>(i) << 1) | kOpRecv);
    ++inflight_;
  }

  void HandleCompletion(uint64_t user_data, int res, int64_t now, const Timeline& t) {
    const size_t i = static_cast<size_t>(user_data >> 1);
    UringConn& c = conns_[i];
    if ((user_data & 1) == kOpSend) {
      c.send_inflight = false;
      if (c.failed) return;
      if (res < 0) {
        Fail(i, absl::StrCat("send failed: ", std::strerror(-res)));
        return;
      }
      AdvanceSend(c, static_cast<size_t>(res));
      PrepareSend(i);
      return;
    }
    if (c.failed) return;
    if (res == 0) {
      Fail(i, absl::StrCat("the server closed the connection with ", c.released - c.stream.next_seq(),
                           " request(s) unanswered"));
      return;
    }
    if (res < 0) {
      Fail(i, absl::StrCat("receive failed: ", std::strerror(-res)));
      return;
    }
    c.progress_ns = now;
    const bool closed = spec_.mode == LoadMode::kClosedLoop;
    const bool ok = c.stream.Consume(c.recv_buf, static_cast<size_t>(res), [&](uint64_t seq) {
      --outstanding_;
      const int64_t start =
          closed ? c.send_ts[seq % static_cast<uint64_t>(spec_.depth)] : t.origin_ns + c.recv_schedule.Next();
      if (t.InWindow(start)) {
        ++result_.requests;
        result_.latency.Record(static_cast<uint64_t>(now - start));
      }
      if (closed && now < t.measure_end_ns) Release(i, now);
    });
    if (!ok) {
      // Fail() subtracts what is still outstanding; the messages counted above already left.
      Fail(i, c.stream.mismatch()->ToString(), /*prefix=*/false);
      return;
    }
    PostRecv(i);
  }

  void AdvanceSend(UringConn& c, size_t bytes) {
    const size_t msg_size = payload_->msg_size();
    while (bytes > 0) {
      const size_t take = std::min(bytes, msg_size - c.send_offset);
      c.send_offset += take;
      bytes -= take;
      if (c.send_offset == msg_size) {
        c.send_offset = 0;
        ++c.send_seq;
      }
    }
  }

  void Fail(size_t i, const std::string& why, bool prefix = true) {
    UringConn& c = conns_[i];
    if (c.failed) return;
    c.failed = true;
    outstanding_ -= c.released - c.stream.next_seq();
    result_.AddError(prefix ? absl::StrCat("connection ", c.stream.conn(), ": ", why) : why);
  }

  // Fails every connection with requests outstanding and no echo for `idle_ns`.
  void FailBusy(const char* why, int64_t now, int64_t idle_ns) {
    for (size_t i = 0; i < conns_.size(); ++i) {
      UringConn& c = conns_[i];
      const uint64_t waiting = c.released - c.stream.next_seq();
      if (!c.failed && waiting > 0 && now - c.progress_ns >= idle_ns) {
        Fail(i, absl::StrCat(waiting, " ", why));
      }
    }
  }

  const Payload* payload_;
  const LoadSpec spec_;
  std::vector<Connection> owned_;
  std::vector<UringConn> conns_;
  io_uring ring_{};
  bool ring_ready_ = false;
  size_t recv_size_ = 0;
  std::unique_ptr<uint8_t[]> recv_slab_;
  std::unique_ptr<int64_t[]> send_ts_slab_;
  std::vector<size_t> send_queue_;
  DueHeap due_;
  uint64_t outstanding_ = 0;  // released and not yet echoed, over live connections
  uint64_t inflight_ = 0;     // operations submitted and not yet completed
  LoadResult result_;
};

class UringGenerator : public LoadGenerator {
 public:
  UringGenerator(const Payload* payload, const LoadSpec& spec) : payload_(payload), spec_(spec) {}
  ~UringGenerator() override {
    gate_.Abort();
    JoinAll();
  }

  absl::Status Prepare(std::vector<Connection> conns) override {
    const size_t rings = static_cast<size_t>(std::max(1, spec_.rings));
    const size_t total = conns.size();
    std::vector<std::vector<Connection>> shares(rings);
    for (size_t i = 0; i < conns.size(); ++i) shares[i % rings].push_back(std::move(conns[i]));
    for (size_t r = 0; r < rings; ++r) {
      workers_.push_back(std::make_unique<UringWorker>(payload_, spec_, total, std::move(shares[r])));
    }
    std::vector<absl::Status> init(rings);
    std::latch ready(static_cast<std::ptrdiff_t>(rings));
    try {
      for (size_t r = 0; r < rings; ++r) {
        threads_.emplace_back([this, r, &init, &ready] {
          absl::Status pinned = absl::OkStatus();
          if (!spec_.cpus.empty()) pinned = iotax::net::PinCurrentThread({spec_.cpus[r % spec_.cpus.size()]});
          init[r] = pinned.ok() ? workers_[r]->Init() : pinned;
          const bool ok = init[r].ok();
          ready.count_down();  // `init` and `ready` die after this: not touched again
          if (!ok) return;
          if (std::optional<Timeline> t = gate_.Wait()) workers_[r]->Run(*t);
          exit_gate_.Wait();  // counted by the run's last sample until Finish()
        });
      }
    } catch (const std::system_error& e) {
      for (size_t r = threads_.size(); r < rings; ++r) ready.count_down();
      ready.wait();
      gate_.Abort();
      JoinAll();
      return absl::ResourceExhaustedError(absl::StrCat("cannot start a ring thread: ", e.what()));
    }
    ready.wait();
    for (const absl::Status& s : init) {
      if (!s.ok()) {
        gate_.Abort();
        JoinAll();
        return s;
      }
    }
    return absl::OkStatus();
  }

  void Start(const Timeline& timeline) override { gate_.Open(timeline); }

  LoadResult Finish() override {
    JoinAll();
    LoadResult total;
    for (const auto& w : workers_) total.Merge(w->result());
    return total;
  }

 private:
  void JoinAll() {
    exit_gate_.Open();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  const Payload* payload_;
  LoadSpec spec_;
  StartGate gate_;
  ExitGate exit_gate_;
  std::vector<std::unique_ptr<UringWorker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<LoadGenerator> MakeUringGenerator(const Payload* payload, const LoadSpec& spec) {
  return std::make_unique<UringGenerator>(payload, spec);
}

}  // namespace iotax::client
