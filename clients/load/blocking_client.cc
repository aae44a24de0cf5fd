// The thread-per-connection client: blocking sockets, one thread per
// connection doing send-then-receive (closed loop with small pipelines), or a
// sender and a receiver thread per connection (open loop, and closed loop
// whose outstanding bytes could fill the socket buffers: a thread blocked
// writing a large message cannot read the echo the server is blocked writing
// back, and both would stall).
#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <semaphore>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clock.h"
#include "echo_stream.h"
#include "load_generator.h"
#include "poisson_schedule.h"

namespace iotax::client {
namespace {

// Socket timeouts: how often a blocked thread looks at the clock.
constexpr int64_t kWakeNs = 100'000'000;
// Outstanding bytes up to which one thread per connection is safe.
constexpr size_t kLockstepLimit = 32 * 1024;
constexpr size_t kMaxRecvBuffer = 32 * 1024;

size_t RecvBufferSize(size_t outstanding_bytes) {
  return std::clamp<size_t>(outstanding_bytes, 4096, kMaxRecvBuffer);
}

std::chrono::steady_clock::time_point SteadyAt(int64_t ns) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

struct Worker {
  Connection conn;
  LoadResult result;          // receiver side (or the only thread)
  LoadResult sender_result;   // split mode: sender's lag histogram and errors
  std::thread receiver;
  std::thread sender;
  // Split mode, sender -> receiver.
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> sender_done{false};
  std::atomic<bool> stop{false};  // the other half ended: stop too
  std::counting_semaphore<> credits{0};
  std::unique_ptr<std::atomic<int64_t>[]> send_ts;
};

class BlockingGenerator : public LoadGenerator {
 public:
  BlockingGenerator(const Payload* payload, const LoadSpec& spec) : payload_(payload), spec_(spec) {}
  ~BlockingGenerator() override {
    gate_.Abort();
    JoinAll();
  }

  absl::Status Prepare(std::vector<Connection> conns) override {
    const size_t msg_size = payload_->msg_size();
    split_ = spec_.mode == LoadMode::kOpenLoop || msg_size * static_cast<size_t>(spec_.depth) > kLockstepLimit;
    const timeval wake{0, kWakeNs / 1000};
    for (Connection& c : conns) {
      setsockopt(c.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &wake, sizeof(wake));
      setsockopt(c.fd.get(), SOL_SOCKET, SO_SNDTIMEO, &wake, sizeof(wake));
      auto w = std::make_unique<Worker>();
      w->conn = std::move(c);
      if (split_ && spec_.mode == LoadMode::kClosedLoop) {
        w->send_ts = std::make_unique<std::atomic<int64_t>[]>(static_cast<size_t>(spec_.depth));
        w->credits.release(spec_.depth);
      }
      workers_.push_back(std::move(w));
    }
    try {
      for (auto& w : workers_) {
        Worker* wp = w.get();
        if (split_) {
          w->receiver = std::thread([this, wp] {
            RunReceiver(*wp);
            exit_gate_.Wait();
          });
          w->sender = std::thread([this, wp] {
            RunSender(*wp);
            exit_gate_.Wait();
          });
        } else {
          w->receiver = std::thread([this, wp] {
            RunLockstep(*wp);
            exit_gate_.Wait();
          });
        }
      }
    } catch (const std::system_error& e) {
      gate_.Abort();
      JoinAll();
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot start a thread for each of ", workers_.size(), " connections (", e.what(),
          "): use fewer --conns, or --model=uring"));
    }
    return absl::OkStatus();
  }

  void Start(const Timeline& timeline) override { gate_.Open(timeline); }

  LoadResult Finish() override {
    JoinAll();
    LoadResult total;
    for (auto& w : workers_) {
      total.Merge(w->result);
      total.Merge(w->sender_result);
    }
    return total;
  }

 private:
  // Opens the exit gate: idle workers may end now.
  void JoinAll() {
    exit_gate_.Open();
    for (auto& w : workers_) {
      if (w->sender.joinable()) w->sender.join();
      if (w->receiver.joinable()) w->receiver.join();
    }
  }

  // Sends all of `len` bytes; a send blocked for io_timeout without progress is an error.
  bool SendAll(Worker& w, LoadResult& result, const uint8_t* data, size_t len) {
    int64_t progress = NowNs();
    while (len > 0) {
      const ssize_t n = send(w.conn.fd.get(), data, len, MSG_NOSIGNAL);
      if (n > 0) {
        data += n;
        len -= static_cast<size_t>(n);
        progress = NowNs();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        if (w.stop.load(std::memory_order_relaxed)) return false;
        if (NowNs() - progress > spec_.io_timeout_ns) {
          result.AddError(absl::StrCat("connection ", w.conn.id, ": the server stopped reading (send blocked for ",
                                       spec_.io_timeout_ns / 1'000'000, " ms)"));
          return false;
        }
        continue;
      }
      result.AddError(absl::StrCat("connection ", w.conn.id, ": send failed: ", std::strerror(errno)));
      return false;
    }
    return true;
  }

  // Handles a receive that returned n <= 0. Returns true to keep receiving.
  // `progress` is when the connection last made progress or went idle.
  bool KeepReceiving(Worker& w, LoadResult& result, ssize_t n, uint64_t outstanding, int64_t& progress,
                     const Timeline& t) {
    if (n == 0) {
      result.AddError(absl::StrCat("connection ", w.conn.id, ": the server closed the connection with ",
                                   outstanding, " request(s) unanswered"));
      return false;
    }
    if (errno == EINTR) return true;
    if (errno != EAGAIN) {
      result.AddError(absl::StrCat("connection ", w.conn.id, ": receive failed: ", std::strerror(errno)));
      return false;
    }
    const int64_t now = NowNs();
    if (outstanding == 0) {
      progress = now;
      return true;
    }
    if (now >= t.drain_deadline_ns) {
      result.AddError(absl::StrCat("connection ", w.conn.id, ": ", outstanding,
                                   " request(s) still unanswered when the drain after the run timed out"));
      return false;
    }
    if (now - progress > spec_.io_timeout_ns) {
      result.AddError(absl::StrCat("connection ", w.conn.id, ": ", outstanding, " request(s) unanswered for ",
                                   spec_.io_timeout_ns / 1'000'000, " ms (server stalled?)"));
      return false;
    }
    return true;
  }

  // One thread: keep `depth` messages in flight, read their echoes.
  void RunLockstep(Worker& w) {
    const std::optional<Timeline> timeline = gate_.Wait();
    if (!timeline) return;
    const Timeline& t = *timeline;
    const size_t msg_size = payload_->msg_size();
    const uint64_t depth = static_cast<uint64_t>(spec_.depth);
    EchoStream stream(payload_, w.conn.id);
    std::vector<uint8_t> buf(RecvBufferSize(msg_size * depth));
    std::vector<int64_t> send_ts(depth);
    uint64_t next_send = 0;
    int64_t progress = NowNs();
    int64_t now = progress;
    bool sending_ok = true;
    for (;;) {
      while (sending_ok && next_send - stream.next_seq() < depth && now < t.measure_end_ns) {
        send_ts[next_send % depth] = now;
        sending_ok = SendAll(w, w.result, payload_->Message(w.conn.id, next_send), msg_size);
        if (sending_ok) ++next_send;
      }
      if (!sending_ok) break;
      if (stream.next_seq() == next_send) break;  // the run is over and nothing is outstanding
      const ssize_t n = recv(w.conn.fd.get(), buf.data(), buf.size(), 0);
      now = NowNs();
      if (n > 0) {
        progress = now;
        const bool ok = stream.Consume(buf.data(), static_cast<size_t>(n), [&](uint64_t seq) {
          const int64_t sent_at = send_ts[seq % depth];
          if (t.InWindow(sent_at)) {
            ++w.result.requests;
            w.result.latency.Record(static_cast<uint64_t>(now - sent_at));
          }
        });
        if (!ok) {
          w.result.AddError(stream.mismatch()->ToString());
          break;
        }
        continue;
      }
      if (!KeepReceiving(w, w.result, n, next_send - stream.next_seq(), progress, t)) break;
    }
    w.result.bytes_verified = stream.bytes_verified();
  }

  // Split mode, sending half: on credits (closed loop) or on schedule (open loop).
  void RunSender(Worker& w) {
    const std::optional<Timeline> timeline = gate_.Wait();
    if (!timeline) return;
    const Timeline& t = *timeline;
    const size_t msg_size = payload_->msg_size();
    const uint64_t depth = static_cast<uint64_t>(spec_.depth);
    PoissonSchedule schedule(spec_.rate / static_cast<double>(conn_count()),
                             PoissonSchedule::ConnectionSeed(spec_.seed, w.conn.id));
    for (uint64_t seq = 0;; ++seq) {
      if (spec_.mode == LoadMode::kClosedLoop) {
        if (!w.credits.try_acquire_until(SteadyAt(t.measure_end_ns))) break;
        if (w.stop.load(std::memory_order_relaxed)) break;
        const int64_t now = NowNs();
        if (now >= t.measure_end_ns) break;
        w.send_ts[seq % depth].store(now, std::memory_order_release);
      } else {
        const int64_t intended = t.origin_ns + schedule.Next();
        if (intended >= t.measure_end_ns) break;
        SleepUntilNs(intended);
        if (w.stop.load(std::memory_order_relaxed)) break;
        const int64_t now = NowNs();
        if (t.InWindow(intended)) w.sender_result.send_lag.Record(static_cast<uint64_t>(now - intended));
      }
      if (!SendAll(w, w.sender_result, payload_->Message(w.conn.id, seq), msg_size)) {
        w.stop.store(true);
        break;
      }
      w.sent.store(seq + 1, std::memory_order_release);
    }
    w.sender_done.store(true, std::memory_order_release);
  }

  // Split mode, receiving half: verifies echoes and times them.
  void RunReceiver(Worker& w) {
    const std::optional<Timeline> timeline = gate_.Wait();
    if (!timeline) return;
    const Timeline& t = *timeline;
    const uint64_t depth = static_cast<uint64_t>(spec_.depth);
    const bool closed = spec_.mode == LoadMode::kClosedLoop;
    PoissonSchedule schedule(closed ? 1.0 : spec_.rate / static_cast<double>(conn_count()),
                             PoissonSchedule::ConnectionSeed(spec_.seed, w.conn.id));
    EchoStream stream(payload_, w.conn.id);
    std::vector<uint8_t> buf(RecvBufferSize(payload_->msg_size() * (closed ? depth : 4)));
    int64_t progress = NowNs();
    for (;;) {
      const bool done = w.sender_done.load(std::memory_order_acquire);
      const uint64_t sent = w.sent.load(std::memory_order_acquire);
      if (done && stream.next_seq() >= sent) break;
      if (w.stop.load(std::memory_order_relaxed)) break;
      const ssize_t n = recv(w.conn.fd.get(), buf.data(), buf.size(), 0);
      const int64_t now = NowNs();
      if (n > 0) {
        progress = now;
        const bool ok = stream.Consume(buf.data(), static_cast<size_t>(n), [&](uint64_t seq) {
          int64_t start;
          if (closed) {
            start = w.send_ts[seq % depth].load(std::memory_order_acquire);
            w.credits.release();
          } else {
            start = t.origin_ns + schedule.Next();
          }
          if (t.InWindow(start)) {
            ++w.result.requests;
            w.result.latency.Record(static_cast<uint64_t>(now - start));
          }
        });
        if (!ok) {
          w.result.AddError(stream.mismatch()->ToString());
          break;
        }
        continue;
      }
      if (!KeepReceiving(w, w.result, n, sent - std::min(sent, stream.next_seq()), progress, t)) break;
    }
    w.result.bytes_verified = stream.bytes_verified();
    // Unblock a sender waiting for credits or for the server to read.
    w.stop.store(true);
    if (closed) w.credits.release(spec_.depth);
  }

  size_t conn_count() const { return workers_.size(); }

  const Payload* payload_;
  LoadSpec spec_;
  bool split_ = false;
  StartGate gate_;
  ExitGate exit_gate_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace

std::unique_ptr<LoadGenerator> MakeBlockingGenerator(const Payload* payload, const LoadSpec& spec) {
  return std::make_unique<BlockingGenerator>(payload, spec);
}

}  // namespace iotax::client
