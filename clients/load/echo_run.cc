#include "echo_run.h"

#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clock.h"
#include "connection_setup.h"
#include "cpu_list.h"
#include "load_generator.h"
#include "payload.h"
#include "system_counters.h"

namespace iotax::client {
namespace {

// File descriptors beyond the sockets: stdio, rings, /proc reads.
constexpr uint64_t kSpareFds = 32;

void AddInvalid(RunReport& r, std::string why) {
  r.valid = false;
  r.invalid_reasons.push_back(std::move(why));
}

}  // namespace

std::string ScheduleLagReason(const RunReport& r, const ClientOptions& o) {
  std::string why = absl::StrFormat(
      "the client fell behind its send schedule: p99 send lag %.3f ms (max %.3f ms) exceeds --max-schedule-lag=%s; "
      "the offered load was lower than --rate",
      static_cast<double>(r.schedule_lag_ns.p99) / 1e6, static_cast<double>(r.schedule_lag_ns.max) / 1e6,
      absl::FormatDuration(o.max_schedule_lag));
  // Waiting for a CPU that other work held is the machine's doing, not the
  // client's capacity: say which, with the figure. Only where the client's
  // threads do not queue behind each other: io_uring rings, at most one per
  // CPU (a thread per connection waits for its siblings too).
  const bool own_cpus =
      o.model == ClientModel::kUring && (o.cpus.empty() || o.rings <= static_cast<int>(o.cpus.size()));
  const double wait_share = r.duration_s > 0 && r.runqueue_wait_s > 0 ? r.runqueue_wait_s / r.duration_s : 0;
  if (own_cpus && wait_share >= kBusyCpuWaitShare) {
    absl::StrAppendFormat(&why,
                          ": its threads waited %.0f ms for a CPU in the %.1f s window (other work ran on the "
                          "client's CPUs): %s, or use a quieter machine",
                          r.runqueue_wait_s * 1e3, r.duration_s,
                          o.realtime ? "give the client CPUs of its own" : "add --realtime");
  } else {
    absl::StrAppend(&why,
                    ": lower --rate, add --rings or --cpus (or the server stopped reading and sends blocked)");
  }
  return why;
}

absl::StatusOr<RunReport> RunEchoClient(const ClientOptions& o) { return RunEchoClient(o, WindowHooks{}); }

absl::StatusOr<RunReport> RunEchoClient(const ClientOptions& o, const WindowHooks& hooks) {
  auto fd_limit = RaiseFileLimit();
  if (!fd_limit.ok()) return fd_limit.status();
  if (static_cast<uint64_t>(o.conns) + kSpareFds > *fd_limit) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "--conns=", o.conns, " needs ", o.conns + kSpareFds, " file descriptors but the hard limit is ",
        *fd_limit, ": raise it (ulimit -Hn, LimitNOFILE=) or use fewer --conns"));
  }
  // Open-loop sleeps and ring timeouts should end on time, not up to 50 us late.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  // Every thread started from here inherits the CPU set; the caller gets its
  // own set back at the end.
  cpu_set_t caller_cpus;
  const bool restore_cpus = sched_getaffinity(0, sizeof(caller_cpus), &caller_cpus) == 0;
  if (auto s = iotax::net::PinCurrentThread(o.cpus); !s.ok()) return s;
  absl::Cleanup restore = [&] {
    if (restore_cpus) sched_setaffinity(0, sizeof(caller_cpus), &caller_cpus);
  };
  // --realtime: the same for the scheduling policy. A woken open-loop sender
  // otherwise waits for whatever else runs on its CPU (a tracer, a build,
  // kernel workers) to end its slice; measured on a 2-CPU VM at 20,000
  // requests/s, that wait is what made the client fall behind its
  // schedule. SCHED_FIFO at the lowest real-time priority preempts ordinary
  // tasks at once and still sleeps between sends.
  const int caller_policy = sched_getscheduler(0);
  sched_param caller_param{};
  sched_getparam(0, &caller_param);
  if (o.realtime) {
    sched_param fifo{};
    fifo.sched_priority = 1;
    if (sched_setscheduler(0, SCHED_FIFO, &fifo) != 0) {
      const int err = errno;
      return absl::PermissionDeniedError(absl::StrCat(
          "--realtime: cannot switch to SCHED_FIFO: ", std::strerror(err),
          err == EPERM ? " (needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO of at least 1: run it with sudo, or drop "
                         "--realtime)"
                       : ""));
    }
  }
  absl::Cleanup restore_policy = [&] {
    if (o.realtime && caller_policy >= 0) sched_setscheduler(0, caller_policy, &caller_param);
  };

  RunReport r;
  r.model = ModelName(o.model);
  r.mode = ModeName(o.mode);
  r.host = o.host;
  r.port = o.port;
  r.conns = o.conns;
  r.msg_size = o.msg_size;
  r.depth = o.mode == LoadMode::kClosedLoop ? o.depth : 0;
  r.rate = o.mode == LoadMode::kOpenLoop ? o.rate : 0;
  r.rings = o.model == ClientModel::kUring ? o.rings : 0;
  r.busy_poll = o.busy_poll;
  r.realtime = o.realtime;
  r.seed = o.seed;
  r.warmup_s = absl::ToDoubleSeconds(o.warmup);
  r.duration_s = absl::ToDoubleSeconds(o.duration);

  auto listen_before = ReadListenCounters();

  Payload payload(o.msg_size);
  auto conns = ConnectAll(o.host, o.port, o.conns, o.io_timeout);
  if (!conns.ok()) return conns.status();
  if (auto s = ProbeAll(*conns, payload, o.io_timeout); !s.ok()) return s;
  const uint64_t probe_bytes = ProbeSize(o.msg_size) * static_cast<uint64_t>(o.conns);

  LoadSpec spec;
  spec.mode = o.mode;
  spec.depth = o.depth;
  spec.rate = o.rate;
  spec.seed = o.seed;
  spec.rings = o.rings;
  spec.busy_poll = o.busy_poll;
  spec.cpus = o.cpus;
  spec.io_timeout_ns = absl::ToInt64Nanoseconds(o.io_timeout);
  std::unique_ptr<LoadGenerator> generator = o.model == ClientModel::kBlocking
                                                 ? MakeBlockingGenerator(&payload, spec)
                                                 : MakeUringGenerator(&payload, spec);
  if (auto s = generator->Prepare(std::move(*conns)); !s.ok()) return s;

  Timeline t;
  t.origin_ns = NowNs();
  t.measure_start_ns = t.origin_ns + absl::ToInt64Nanoseconds(o.warmup);
  t.measure_end_ns = t.measure_start_ns + absl::ToInt64Nanoseconds(o.duration);
  t.drain_deadline_ns = t.measure_end_ns + spec.io_timeout_ns;
  generator->Start(t);
  SleepUntilNs(t.measure_start_ns);
  if (hooks.at_start) hooks.at_start();
  auto before = SampleSystem();
  SleepUntilNs(t.measure_end_ns);
  auto after = SampleSystem();
  if (hooks.at_end) hooks.at_end();
  const LoadResult result = generator->Finish();
  generator.reset();
  auto listen_after = ReadListenCounters();

  r.requests = result.requests;
  r.throughput_rps = static_cast<double>(result.requests) / r.duration_s;
  r.latency_ns = Summarize(result.latency);
  if (o.mode == LoadMode::kOpenLoop) r.schedule_lag_ns = Summarize(result.send_lag);
  r.errors = result.errors;
  r.first_error = result.first_error;
  r.bytes_verified = result.bytes_verified + probe_bytes;

  if (before.ok() && after.ok()) {
    r.client_user_s = after->own.user_s - before->own.user_s;
    r.client_sys_s = after->own.sys_s - before->own.sys_s;
    r.voluntary_switches = after->own.voluntary_switches - before->own.voluntary_switches;
    r.involuntary_switches = after->own.involuntary_switches - before->own.involuntary_switches;
    if (before->own_runqueue_wait_s.ok() && after->own_runqueue_wait_s.ok()) {
      // The generators keep their threads until after the last sample; a
      // thread that ended anyway would take its share along: never below 0.
      r.runqueue_wait_s = std::max(0.0, *after->own_runqueue_wait_s - *before->own_runqueue_wait_s);
    }
    r.machine_busy_s =
        static_cast<double>(after->machine.busy_ticks - before->machine.busy_ticks) * SecondsPerTick();
    r.machine_total_s =
        static_cast<double>(after->machine.total_ticks - before->machine.total_ticks) * SecondsPerTick();
    r.machine_cores = after->machine.cores;
  } else {
    AddInvalid(r, absl::StrCat("CPU counters could not be read: ",
                               (before.ok() ? after.status() : before.status()).message()));
  }

  if (r.errors > 0) AddInvalid(r, absl::StrCat(r.errors, " error(s); the first: ", r.first_error));
  if (listen_before.ok() && listen_after.ok()) {
    r.listen_overflows = listen_after->overflows - listen_before->overflows;
    r.listen_drops = listen_after->drops - listen_before->drops;
    if (r.listen_overflows > 0 || r.listen_drops > 0) {
      AddInvalid(r, absl::StrCat("the server's accept queue overflowed (TcpExt ListenOverflows +", r.listen_overflows,
                                 ", ListenDrops +", r.listen_drops,
                                 " during the run): raise its backlog / somaxconn (the counters are machine-wide: "
                                 "another listener on this machine can also cause this)"));
    }
  } else {
    AddInvalid(r, absl::StrCat("the listen-overflow counters could not be read, so dropped SYNs cannot be ruled "
                               "out: ",
                               (listen_before.ok() ? listen_after.status() : listen_before.status()).message()));
  }
  if (r.requests == 0) AddInvalid(r, "no request was answered inside the measurement window");
  if (o.mode == LoadMode::kOpenLoop &&
      r.schedule_lag_ns.p99 > static_cast<uint64_t>(absl::ToInt64Nanoseconds(o.max_schedule_lag))) {
    AddInvalid(r, ScheduleLagReason(r, o));
  }
  return r;
}

int ExitCodeFor(const RunReport& report, bool allow_invalid) {
  if (report.errors > 0) return 1;
  if (!report.valid && !allow_invalid) return 1;
  return 0;
}

}  // namespace iotax::client
