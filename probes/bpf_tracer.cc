// Tracer over the iotax BPF skeleton: open -> set rodata -> load -> fill the
// syscall class map -> attach each program on its own (a probe is the unit
// that is up or down). Maps are read only when Read() is called; each read
// also runs the task iterator over every traced process, so the on-CPU time
// of threads running at that moment is in the snapshot.
//
// Sampled tracing (sample_fraction < 1): a thread of the tracer attaches the
// hot probes for one window per period and detaches them after, which is
// what makes it cheap (detached, the tracepoints cost nothing). Each window
// starts like an attach (window_epoch in iotax.bpf.c); its end is a full
// read, folded into estimates by SampleScaler; Read() returns those.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bpf_preflight.h"
#include "iotax.h"
#include "iotax.skel.h"
#include "map_sums.h"
#include "pmu_setup.h"
#include "proc_reader.h"
#include "sample_scaler.h"
#include "syscall_classes.h"
#include "tracer.h"

namespace iotax {
namespace {

static_assert(kMaxTargets == IOTAX_MAX_TARGETS, "tracer.h and bpf/iotax.h disagree on the number of slots");
static_assert(kMaxTracedProcesses == IOTAX_MAX_PROCESSES, "tracer.h and bpf/iotax.h disagree on the targets map");

// Same order as enum iotax_probe.
constexpr const char* kProbeNames[IOTAX_NPROBES] = {
    "sys_enter",    "sys_exit",           "sched_switch",      "sched_wakeup",
    "sched_wakeup_new", "sched_process_fork", "sched_process_exit", "task_iter"};

// libbpf's warnings and errors go to stderr with our prefix; its debug and
// info chatter does not.
int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level != LIBBPF_WARN) return 0;
  std::fputs("iotax: ", stderr);
  return std::vfprintf(stderr, format, args);
}

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

std::string AttachHint(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
      return "needs root or CAP_BPF+CAP_PERFMON";
    case ENOENT:
    case ESRCH:
    case EINVAL:
      return "this kernel lacks the tracepoint or BTF for it";
    default:
      return "see the libbpf message above";
  }
}

// The probes that fire per syscall, switch and wakeup: attached only during
// windows when sampling. Fork, exit and new threads stay attached (rare, and
// they keep target lifetimes and thread counts exact).
constexpr int kHotProbes[] = {IOTAX_PROBE_SYS_ENTER, IOTAX_PROBE_SYS_EXIT, IOTAX_PROBE_SCHED_SWITCH,
                              IOTAX_PROBE_SCHED_WAKEUP};

// How long after a sampling window opens the indirect part's paths wait.
constexpr uint64_t kPathSettleNs = 20'000'000;

bool BpfStatsSysctlOn() {
  std::FILE* f = std::fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
  if (f == nullptr) return false;
  int v = 0;
  const bool ok = std::fscanf(f, "%d", &v) == 1;
  std::fclose(f);
  return ok && v != 0;
}

class BpfTracer final : public Tracer {
 public:
  ~BpfTracer() override {
    if (window_thread_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
      }
      stop_cv_.notify_all();
      window_thread_.join();
    }
    for (bpf_link*& link : links_) {
      if (link != nullptr) bpf_link__destroy(link);
      link = nullptr;
    }
    if (skel_ != nullptr) iotax_bpf::destroy(skel_);
    if (stats_fd_ >= 0) close(stats_fd_);
  }

  absl::Status Init(const TracerOptions& options) {
    ncpus_ = libbpf_num_possible_cpus();
    if (ncpus_ <= 0)
      return absl::InternalError(absl::StrCat("cannot count possible CPUs: ", std::strerror(-ncpus_)));

    // Tier 3: open the counters before load, so the programs are loaded with
    // the PMU reads compiled in only when they can work.
    absl::StatusOr<pmu::PmuSetup> pmu = pmu::SetUpPmu(options.pmu_events);
    if (!pmu.ok()) return pmu.status();
    pmu_ = std::move(*pmu);
    int err = OpenAndLoad(options, /*with_task_iter=*/true);
    if (err != 0 && err != -EPERM && skel_ != nullptr) {
      // The task iterator is the newest kernel feature used here: without it
      // the tracer still works, only a running thread's current stretch
      // waits for its next switch or syscall to be counted.
      const int iter_err = err;
      iotax_bpf::destroy(skel_);
      skel_ = nullptr;
      err = OpenAndLoad(options, /*with_task_iter=*/false);
      if (err == 0) {
        task_iter_error_ = absl::StrCat(
            "loading iter/task failed (", std::strerror(-iter_err),
            "): on-CPU time of threads running at a read is counted only at their next switch or syscall");
        std::fprintf(stderr, "iotax: probe task_iter is down: %s\n", task_iter_error_.c_str());
      }
    }
    if (err != 0) {
      if (skel_ == nullptr)
        return absl::InternalError(absl::StrCat("opening the iotax BPF object failed: ", std::strerror(-err)));
      // EPERM is privileges; EACCES is what the verifier returns when it rejects a program.
      if (err == -EPERM) {
        return absl::PermissionDeniedError(
            "the kernel refused to load iotax's BPF programs (permission denied): iotaxd needs "
            "CAP_BPF+CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8); in a container, run it privileged");
      }
      return absl::InternalError(absl::StrCat(
          "loading the iotax BPF programs failed (", std::strerror(-err),
          "): the verifier or kernel rejected them; libbpf's message above says which"));
    }
    if (absl::Status s = FillSyscallClasses(); !s.ok()) return s;
    if (pmu_.status.up) HandCountersToBpf();

    if (options.enable_bpf_stats) {
      stats_fd_ = bpf_enable_stats(BPF_STATS_RUN_TIME);
      if (stats_fd_ < 0) {
        std::fprintf(stderr, "iotax: cannot enable BPF run-time stats (%s): probe run times unavailable\n",
                     std::strerror(errno));
      }
    }

    bpf_program* programs[IOTAX_NPROBES] = {
        skel_->progs.iotax_sys_enter,      skel_->progs.iotax_sys_exit,
        skel_->progs.iotax_sched_switch,   skel_->progs.iotax_sched_wakeup,
        skel_->progs.iotax_sched_wakeup_new, skel_->progs.iotax_process_fork,
        skel_->progs.iotax_process_exit,   skel_->progs.iotax_task_iter};
    std::string first_error;
    for (int i = 0; i < IOTAX_NPROBES; ++i) {
      programs_[i] = programs[i];
      ProbeStatus& probe = probes_.emplace_back();
      probe.name = kProbeNames[i];
      if (i == IOTAX_PROBE_TASK_ITER) {
        // Attached per process at each read; try it once now on ourselves.
        if (task_iter_error_.empty()) {
          std::array<uint64_t, IOTAX_NMODES> unused{};
          if (absl::Status s = AddOpenSegments(static_cast<uint32_t>(getpid()), unused); !s.ok()) {
            task_iter_error_ = std::string(s.message());
            std::fprintf(stderr, "iotax: probe task_iter is down: %s\n", task_iter_error_.c_str());
          }
        }
        probe.up = task_iter_error_.empty();
        probe.error = task_iter_error_;
        if (!probe.up && first_error.empty()) first_error = probe.error;
        continue;
      }
      links_[i] = bpf_program__attach(programs[i]);
      if (links_[i] == nullptr) {
        const int err = errno;
        probe.error = absl::StrCat("attaching tp_btf/", probe.name, " failed: ", std::strerror(err), " (",
                                   AttachHint(err), ")");
        std::fprintf(stderr, "iotax: probe %s is down: %s\n", probe.name.c_str(), probe.error.c_str());
        if (first_error.empty()) first_error = probe.error;
      } else {
        probe.up = true;
      }
    }
    if (options.strict && !first_error.empty())
      return absl::UnavailableError(absl::StrCat(first_error, "; without --strict iotaxd runs with the probes that work"));
    if (options.sample_fraction < 1.0) {
      const double on = options.sample_fraction * static_cast<double>(options.sample_period_ns);
      if (!(options.sample_fraction > 0.0) || on < 1e6) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sampling ", options.sample_fraction * 100, "% of ", options.sample_period_ns / 1e9,
            " s leaves windows shorter than 1 ms: raise the share or the period"));
      }
      sampling_ = true;
      sampling_status_.fraction = options.sample_fraction;
      sampling_status_.period_ns = options.sample_period_ns;
      window_ns_ = static_cast<uint64_t>(on);
      // The first 20 ms of a window (at most a quarter of it) stay off the
      // indirect part's paths: see path_settle_ns in bpf/iotax.bpf.c.
      skel_->bss->path_settle_ns = std::min<uint64_t>(kPathSettleNs, window_ns_ / 4);
      last_window_end_ns_ = MonotonicNs();
    }
    return absl::OkStatus();
  }

  void StartSampling() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!sampling_ || window_thread_.joinable()) return;
    window_thread_ = std::thread([this] { WindowLoop(); });
  }

  absl::Status AddProcess(const ProcessIdentity& process) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Slot& s : slots_) {
      if (s.pid == process.pid && s.start_time == process.start_time && InTargetsMap(s)) return absl::OkStatus();
    }
    if (slots_.size() >= IOTAX_MAX_TARGETS) {
      return CannotTrace(process, absl::StatusCode::kResourceExhausted,
                         absl::StrCat("all ", IOTAX_MAX_TARGETS, " target slots are in use (one per process since "
                                      "iotaxd started): restart iotaxd or trace fewer processes"));
    }
    Slot slot;
    slot.pid = process.pid;
    slot.index = static_cast<uint32_t>(slots_.size());
    slot.start_time = process.start_time;
    slot.comm = process.comm;
    if (absl::Status s = ZeroSlot(slot.index); !s.ok()) return CannotTrace(process, s.code(), s.message());

    const __u32 key = slot.pid;
    const __u32 value = slot.index;
    MarkTracedSince(key);
    MarkMaybeTraced(key);
    if (bpf_map__update_elem(skel_->maps.targets, &key, sizeof(key), &value, sizeof(value), BPF_ANY) != 0) {
      return CannotTrace(process, absl::StatusCode::kInternal,
                         absl::StrCat("adding it to the BPF targets map failed: ", std::strerror(errno)));
    }
    TargetsChanged();
    // It may have exited before it was in the map, and then no exit event
    // will ever remove it: check again now that it is there. (A PID reused
    // in between is caught by the start time at the next read.)
    if (!proc::ProcessAlive(slot.pid)) {
      Untarget(key);
      return NoSuchProcess(process.requested_pid);
    }
    slot.attached_at_ns = MonotonicNs();
    slots_.push_back(std::move(slot));
    return absl::OkStatus();
  }

  absl::StatusOr<int> AddService(const std::string& kind, const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (slots_.size() >= IOTAX_MAX_TARGETS) {
      return absl::ResourceExhaustedError(absl::StrCat("cannot trace the service ", kind, " ", name, ": all ",
                                                       IOTAX_MAX_TARGETS, " target slots are in use"));
    }
    Slot slot;
    slot.index = static_cast<uint32_t>(slots_.size());
    slot.pid = kServicePidBase + static_cast<int>(slot.index);
    slot.comm = name;
    slot.service = ServiceFacts{kind, name, {}, 0, 0};
    if (absl::Status s = ZeroSlot(slot.index); !s.ok()) return s;
    // Processes its members fork join it in the kernel, before user space could see them.
    const __u32 key = slot.index;
    const __u8 follows = 1;
    if (bpf_map__update_elem(skel_->maps.slot_follows, &key, sizeof(key), &follows, sizeof(follows), BPF_ANY) != 0) {
      return absl::InternalError(absl::StrCat("marking the service's slot to follow forks failed: ", std::strerror(errno)));
    }
    slot.attached_at_ns = MonotonicNs();
    slots_.push_back(std::move(slot));
    return slots_.back().pid;
  }

  absl::Status AddMember(int service_pid, const ProcessIdentity& process) override {
    std::lock_guard<std::mutex> lock(mu_);
    Slot* slot = nullptr;
    for (Slot& s : slots_) {
      if (s.service && s.pid == service_pid) slot = &s;
    }
    if (slot == nullptr) return absl::InvalidArgumentError(absl::StrCat("no service with id ", service_pid));
    const __u32 key = static_cast<__u32>(process.pid);
    const __u32 value = slot->index;
    MarkTracedSince(key);
    MarkMaybeTraced(key);
    if (bpf_map__update_elem(skel_->maps.targets, &key, sizeof(key), &value, sizeof(value), BPF_NOEXIST) != 0) {
      const int err = errno;
      if (err == EEXIST) return absl::AlreadyExistsError(absl::StrCat("process ", process.pid, " is already traced"));
      if (err == E2BIG || err == ENOSPC || err == ENOMEM) {
        return CannotTrace(process, absl::StatusCode::kResourceExhausted,
                           absl::StrCat("the kernel's targets map is full (", max_processes_,
                                        " processes traced at once; iotaxd --max-processes raises it)"));
      }
      return CannotTrace(process, absl::StatusCode::kInternal,
                         absl::StrCat("adding it to the BPF targets map failed: ", std::strerror(err)));
    }
    TargetsChanged();
    // As in AddProcess: gone before it was in the map means no exit event removes it.
    if (!proc::ProcessAlive(process.pid)) {
      Untarget(key);
      return NoSuchProcess(process.requested_pid);
    }
    ++slot->service->processes_added;
    return absl::OkStatus();
  }

  std::vector<TargetSnapshot> Targets() override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::map<uint32_t, std::vector<uint32_t>> tgids = TracedTgidsBySlot();
    std::vector<TargetSnapshot> out;
    for (Slot& slot : slots_) out.push_back(RefreshTarget(slot, tgids));
    return out;
  }

  AgentSnapshot Read() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!sampling_) return ReadLocked(/*with_stats=*/true);
    // The targets as they are now, with the estimates as of the last window.
    AgentSnapshot snap = ReadLocked(/*with_stats=*/false);
    for (size_t i = 0; i < snap.targets.size(); ++i) {
      if (i < scaler_.stats().size()) snap.targets[i].stats = scaler_.stats()[i];
      if (i < scaler_.pmu().size()) snap.targets[i].pmu = scaler_.pmu()[i];
    }
    snap.monotonic_ns = last_window_end_ns_;
    snap.sampling = sampling_status_;
    return snap;
  }

  std::vector<ProbeStatus> Probes() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return ProbesWithCounts(ReadSelf());
  }

 private:
  // Reads what is in the maps now. Without stats only the targets' facts
  // (up, comm, threads), the probes and the drops.
  AgentSnapshot ReadLocked(bool with_stats) {
    AgentSnapshot snap;
    snap.monotonic_ns = MonotonicNs();
    std::vector<iotax_target_stats> per_cpu(ncpus_);
    std::vector<iotax_pmu_stats> pmu_per_cpu(pmu_.status.up ? ncpus_ : 0);
    const std::map<uint32_t, std::vector<uint32_t>> tgids = TracedTgidsBySlot();
    for (Slot& slot : slots_) {
      TargetSnapshot& t = snap.targets.emplace_back(RefreshTarget(slot, tgids));
      const __u32 key = slot.index;
      if (!with_stats) continue;
      // The counters first, then the open segments (the order the iterator's
      // reasoning needs: what closes in between is in neither, never in both).
      if (bpf_map__lookup_elem(skel_->maps.stats, &key, sizeof(key), per_cpu.data(),
                               per_cpu.size() * sizeof(iotax_target_stats), 0) == 0) {
        t.stats = SumTargetStats(per_cpu.data(), per_cpu.size());
        if (slot.up) {
          const auto it = tgids.find(slot.index);
          AddRunningThreads(slot, it == tgids.end() ? std::vector<uint32_t>{} : it->second, t.stats);
        }
      }
      if (pmu_.status.up && bpf_map__lookup_elem(skel_->maps.pmu_stats, &key, sizeof(key), pmu_per_cpu.data(),
                                                 pmu_per_cpu.size() * sizeof(iotax_pmu_stats), 0) == 0) {
        t.pmu = pmu::SumPmuStats(pmu_per_cpu.data(), pmu_per_cpu.size());
      }
    }
    snap.pmu = pmu_.status;
    if (pmu_.status.up) {
      // Machine-wide totals from user space, for scaling and multiplexing.
      auto totals = [](const pmu::PerCpuCounter& c) {
        PmuCounterTotals t;
        if (auto v = c.ReadTotal(); v.ok()) t = {v->raw, v->time_enabled_ns, v->time_running_ns};
        return t;
      };
      snap.pmu.instructions_counter = totals(pmu_.counters->instructions);
      snap.pmu.cycles_counter = totals(pmu_.counters->cycles);
    }
    const SelfCounters self = ReadSelf();
    snap.dropped = self.dropped;
    snap.probes = ProbesWithCounts(self);
    return snap;
  }

  // ---- Sampled tracing ----

  // One window per period: attach, wait the window, read, detach, wait the
  // rest of the period. Periods are kept on a fixed schedule.
  void WindowLoop() {
    const auto period = std::chrono::nanoseconds(sampling_status_.period_ns);
    const auto window = std::chrono::nanoseconds(window_ns_);
    auto start = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      StartWindowLocked();
      if (stop_cv_.wait_until(lock, start + window, [this] { return stop_; })) break;
      EndWindowLocked();
      start += period;
      const auto now = std::chrono::steady_clock::now();
      if (start < now) start = now;  // fell behind (the machine is overloaded): skip, do not catch up
      if (stop_cv_.wait_until(lock, start, [this] { return stop_; })) break;
    }
  }

  // A window starts like an attach: every thread's state is forgotten (new
  // epoch), and what running threads ran of their time slice so far is kept
  // out (the window's start bounds it, as a process's attach time does).
  void StartWindowLocked() {
    // Closed while the set is only partly attached (see window_closed).
    skel_->bss->window_closed = true;
    for (int i : kHotProbes) {
      if (links_[i] != nullptr || !probes_[i].up) continue;
      links_[i] = bpf_program__attach(programs_[i]);
      if (links_[i] == nullptr) {
        const int err = errno;
        probes_[i].up = false;
        probes_[i].error = absl::StrCat("attaching tp_btf/", probes_[i].name, " for a sampling window failed: ",
                                        std::strerror(err), " (", AttachHint(err), ")");
        std::fprintf(stderr, "iotax: probe %s is down: %s\n", probes_[i].name.c_str(), probes_[i].error.c_str());
      }
    }
    // What running threads ran before this moment stays out (fresh_floor in iotax.bpf.c).
    window_start_ns_ = MonotonicNs();
    skel_->bss->window_start_ns = window_start_ns_;
    skel_->bss->window_epoch = ++epoch_;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the epoch before the opening
    skel_->bss->window_closed = false;
    hot_attached_ = true;
  }

  // Reads everything (open segments included), then detaches; what was open
  // at the read stays counted (carried_open), since no event will close it.
  void EndWindowLocked() {
    const AgentSnapshot observed = ReadLocked(/*with_stats=*/true);
    for (Slot& slot : slots_) {
      for (int m = 0; m < IOTAX_NMODES; ++m) slot.carried_open[m] += slot.last_open[m];
      slot.last_open = {};
    }
    skel_->bss->window_closed = true;
    for (int i : kHotProbes) {
      if (links_[i] != nullptr) bpf_link__destroy(links_[i]);
      links_[i] = nullptr;
    }
    hot_attached_ = false;
    const uint64_t traced = observed.monotonic_ns > window_start_ns_ ? observed.monotonic_ns - window_start_ns_ : 0;
    sampling_status_.traced_ns += traced;
    ++sampling_status_.windows;
    const double factor = traced > 0 ? static_cast<double>(sampling_status_.period_ns) / static_cast<double>(traced) : 1.0;
    scaler_.AddWindow(observed, factor);
    last_window_end_ns_ = observed.monotonic_ns;
    WarnIfWindowsTooShort(observed);
  }

  // Each window leaves out every thread's call in progress when it opens;
  // when that is a large share of the calls (threads making few calls per
  // window) the estimates are low: say so once, with what to do.
  void WarnIfWindowsTooShort(const AgentSnapshot& observed) {
    const double lost = EdgeLossShare(last_window_observed_, observed);
    last_window_observed_ = observed;
    short_windows_in_a_row_ = lost > 0.10 ? short_windows_in_a_row_ + 1 : 0;
    if (short_windows_in_a_row_ < 3 || warned_short_windows_) return;
    warned_short_windows_ = true;
    std::fprintf(stderr,
                 "iotax: sampling windows are too short for these targets: %.0f%% of their syscalls began before a "
                 "window opened and are not counted, so the estimates are low; pass a longer --sample-period "
                 "(e.g. 10s) or --sample=100%%\n",
                 100 * lost);
  }

  struct Slot {
    int pid = 0;
    uint32_t index = 0;
    uint64_t start_time = 0;
    uint64_t attached_at_ns = 0;
    std::string comm;
    bool up = true;  // false for good once the process is gone
    bool pid_reused = false;  // when it went down, the PID already named another process
    std::optional<ServiceFacts> service;  // set for a service's slot (pid is a stand-in)
    // The CPU figures of the last read, per enum iotax_cpu_mode: a read never
    // reports less (a segment that closes while a read is under way can be
    // missing from it, and must not make the next read look smaller).
    std::array<uint64_t, IOTAX_NMODES> reported_cpu{};
    // Sampling: the open segments of the last read (last_open), and those
    // read at the end of past windows (carried_open), which no event closes.
    std::array<uint64_t, IOTAX_NMODES> last_open{};
    std::array<uint64_t, IOTAX_NMODES> carried_open{};
  };

  // The slot's process as it is now: its liveness checked (a slot goes
  // down for good), its comm and threads read while it runs.
  TargetSnapshot RefreshTarget(Slot& slot, const std::map<uint32_t, std::vector<uint32_t>>& tgids) {
    if (slot.service) return RefreshService(slot, tgids);
    if (slot.up && !StillTraced(slot)) {
      slot.up = false;
      slot.pid_reused = proc::ProcessAlive(slot.pid);
      ForgetTarget(slot);
    }
    TargetSnapshot t;
    if (slot.up) {
      if (auto comm = proc::ReadComm(slot.pid); comm.ok()) slot.comm = *comm;
      t.threads_alive = proc::CountThreads(slot.pid);
      t.sockets_open = proc::CountSockets(slot.pid);
    }
    t.pid = slot.pid;
    t.start_time = slot.start_time;
    t.comm = slot.comm;
    t.up = slot.up;
    t.pid_reused = slot.pid_reused;
    t.attached_at_ns = slot.attached_at_ns;
    return t;
  }

  // A service is up for good (members come and go); its members are the
  // processes counting into its slot now, its threads theirs.
  TargetSnapshot RefreshService(Slot& slot, const std::map<uint32_t, std::vector<uint32_t>>& tgids) {
    TargetSnapshot t;
    t.pid = slot.pid;
    t.comm = slot.comm;
    t.up = true;
    t.attached_at_ns = slot.attached_at_ns;
    t.service = slot.service;
    if (const auto it = tgids.find(slot.index); it != tgids.end()) {
      t.sockets_open = 0;
      for (uint32_t tgid : it->second) {
        t.service->members.push_back(static_cast<int>(tgid));
        t.threads_alive += proc::CountThreads(static_cast<int>(tgid));
        t.sockets_open += std::max(0, proc::CountSockets(static_cast<int>(tgid)));  // a member just gone has none
      }
    }
    return t;
  }

  // Adds the running threads' open segments to the CPU figures of `stats`,
  // keeping every figure at least what the previous read reported.
  void AddRunningThreads(Slot& slot, const std::vector<uint32_t>& tgids, TargetStats& stats) {
    std::array<uint64_t, IOTAX_NMODES> open{};
    if (task_iter_error_.empty() && hot_attached_) (void)AddOpenSegmentsOf(slot.index, tgids, open);
    uint64_t* figures[IOTAX_NMODES] = {&stats.user_ns, &stats.syscall_ns, &stats.io_worker_ns, &stats.sched_ns};
    slot.last_open = open;
    for (int m = 0; m < IOTAX_NMODES; ++m) {
      const uint64_t seen = *figures[m] + open[m] + slot.carried_open[m];
      *figures[m] = std::max(seen, slot.reported_cpu[m]);
      slot.reported_cpu[m] = *figures[m];
    }
  }

  // The open segments of the processes `tgids` of slot `index`: one iterator
  // run per process, or, for many (a service), one run over every task of
  // the machine, kept to the slot's.
  absl::Status AddOpenSegmentsOf(uint32_t index, const std::vector<uint32_t>& tgids,
                                 std::array<uint64_t, IOTAX_NMODES>& open) {
    static constexpr size_t kPerProcessUpTo = 8;
    if (tgids.size() > kPerProcessUpTo) return AddOpenSegments(0, open, static_cast<int>(index));
    for (uint32_t tgid : tgids) {
      // A process that just exited cannot be iterated: nothing of it runs.
      (void)AddOpenSegments(tgid, open);
    }
    return absl::OkStatus();
  }

  // Runs the task iterator over the threads of process `tgid` (0: every
  // task) and adds what it reports (the open on-CPU segments of running
  // target threads, of slot `only_slot` unless -1) to `open`.
  absl::Status AddOpenSegments(uint32_t tgid, std::array<uint64_t, IOTAX_NMODES>& open, int only_slot = -1) {
    union bpf_iter_link_info info;
    std::memset(&info, 0, sizeof(info));
    info.task.pid = tgid;
    LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
    bpf_link* link = bpf_program__attach_iter(skel_->progs.iotax_task_iter, tgid != 0 ? &opts : nullptr);
    if (link == nullptr) {
      const int err = errno;
      return absl::UnavailableError(absl::StrCat("attaching iter/task to PID ", tgid, " failed: ",
                                                 std::strerror(err), " (", AttachHint(err), ")"));
    }
    const int fd = bpf_iter_create(bpf_link__fd(link));
    if (fd < 0) {
      const int err = errno;
      bpf_link__destroy(link);
      return absl::UnavailableError(absl::StrCat("creating the task iterator failed: ", std::strerror(err)));
    }
    // seq_file output: whole records, possibly split across read() calls.
    std::string out;
    char buf[16384];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    const int err = n < 0 ? errno : 0;
    close(fd);
    bpf_link__destroy(link);
    if (err != 0) return absl::UnavailableError(absl::StrCat("reading the task iterator failed: ", std::strerror(err)));
    for (size_t off = 0; off + sizeof(iotax_open_cpu) <= out.size(); off += sizeof(iotax_open_cpu)) {
      iotax_open_cpu rec;
      std::memcpy(&rec, out.data() + off, sizeof(rec));
      if (only_slot >= 0 && rec.slot != static_cast<uint32_t>(only_slot)) continue;
      if (rec.mode < IOTAX_NMODES) open[rec.mode] += rec.ns;
    }
    return absl::OkStatus();
  }

  // Every process in the kernel's `targets` map (followed children
  // included), by slot.
  std::map<uint32_t, std::vector<uint32_t>> TracedTgidsBySlot() const {
    std::map<uint32_t, std::vector<uint32_t>> out;
    __u32 key = 0, next = 0;
    const __u32* prev = nullptr;
    while (bpf_map__get_next_key(skel_->maps.targets, prev, &next, sizeof(next)) == 0) {
      __u32 value = 0;
      if (bpf_map__lookup_elem(skel_->maps.targets, &next, sizeof(next), &value, sizeof(value), 0) == 0)
        out[value].push_back(next);
      key = next;
      prev = &key;
    }
    return out;
  }

  // Opens the skeleton, configures it and loads it; returns 0 or a negative
  // errno (skel_ stays set for the caller to destroy, null if opening failed).
  int OpenAndLoad(const TracerOptions& options, bool with_task_iter) {
    skel_ = iotax_bpf::open();
    if (skel_ == nullptr) return -errno;
    skel_->rodata->follow_children = options.follow_children;
    max_processes_ = options.max_processes > 0 ? options.max_processes : kMaxTracedProcesses;
    if (int err = bpf_map__set_max_entries(skel_->maps.targets, static_cast<__u32>(max_processes_)); err != 0) return err;
    if (int err = bpf_map__set_max_entries(skel_->maps.traced_since, static_cast<__u32>(max_processes_)); err != 0)
      return err;
    skel_->rodata->pmu_enabled = pmu_.status.up;
    if (!with_task_iter) bpf_program__set_autoload(skel_->progs.iotax_task_iter, false);
    return iotax_bpf::load(skel_);
  }

  absl::Status FillSyscallClasses() {
    const std::vector<uint8_t> table = BuildSyscallClassTable();
    for (__u32 nr = 0; nr < table.size(); ++nr) {
      const __u8 cls = table[nr];
      if (bpf_map__update_elem(skel_->maps.syscall_class, &nr, sizeof(nr), &cls, sizeof(cls), BPF_ANY) != 0)
        return absl::InternalError(absl::StrCat("filling the syscall class map failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status ZeroSlot(uint32_t index) {
    const std::vector<iotax_target_stats> zeros(ncpus_);
    if (bpf_map__update_elem(skel_->maps.stats, &index, sizeof(index), zeros.data(),
                             zeros.size() * sizeof(iotax_target_stats), BPF_ANY) != 0)
      return absl::InternalError(absl::StrCat("clearing stats slot ", index, " failed: ", std::strerror(errno)));
    const std::vector<iotax_pmu_stats> pmu_zeros(ncpus_);
    if (bpf_map__update_elem(skel_->maps.pmu_stats, &index, sizeof(index), pmu_zeros.data(),
                             pmu_zeros.size() * sizeof(iotax_pmu_stats), BPF_ANY) != 0)
      return absl::InternalError(absl::StrCat("clearing PMU slot ", index, " failed: ", std::strerror(errno)));
    return absl::OkStatus();
  }

  // Puts each CPU's perf_event fd at the CPU's index of the PERF_EVENT_ARRAYs
  // the programs read. On failure tier 3 is down (the status says why).
  void HandCountersToBpf() {
    const struct {
      bpf_map* map;
      const pmu::PerCpuCounter* counter;
    } pairs[] = {{skel_->maps.pmu_instructions, &pmu_.counters->instructions},
                 {skel_->maps.pmu_cycles, &pmu_.counters->cycles}};
    for (const auto& p : pairs) {
      for (const pmu::PerCpuCounter::CpuFd& f : p.counter->fds()) {
        const __u32 key = static_cast<__u32>(f.cpu);
        const __u32 fd = static_cast<__u32>(f.fd);
        if (bpf_map__update_elem(p.map, &key, sizeof(key), &fd, sizeof(fd), BPF_ANY) != 0) {
          pmu_.status.up = false;
          pmu_.status.reason = "open_failed";
          pmu_.status.detail = absl::StrCat("handing the ", p.counter->event().requested, " counter of CPU ", f.cpu,
                                            " to BPF failed: ", std::strerror(errno));
          pmu_.counters.reset();
          return;
        }
      }
    }
  }

  // The kernel removes the tgid from `targets` when the whole thread group
  // has exited, so presence in the map is the authoritative "still traced";
  // the start time guards against a PID reused by another process.
  bool StillTraced(const Slot& slot) const {
    if (!InTargetsMap(slot)) return false;
    absl::StatusOr<uint64_t> start = proc::ReadStartTime(slot.pid);
    return start.ok() && *start == slot.start_time;
  }

  bool InTargetsMap(const Slot& slot) const {
    const __u32 key = slot.pid;
    __u32 value = 0;
    return bpf_map__lookup_elem(skel_->maps.targets, &key, sizeof(key), &value, sizeof(value), 0) == 0 &&
           value == slot.index;
  }

  // Removes the slot's tgid from `targets` if it is still there (the process
  // vanished without an exit event we saw), so a reused PID is never traced.
  void ForgetTarget(const Slot& slot) {
    const __u32 key = slot.pid;
    __u32 value = 0;
    if (bpf_map__lookup_elem(skel_->maps.targets, &key, sizeof(key), &value, sizeof(value), 0) == 0 &&
        value == slot.index)
      Untarget(key);
  }

  // Takes process `tgid` out of the kernel's maps: no event counts it any more.
  void Untarget(__u32 tgid) {
    bpf_map__delete_elem(skel_->maps.targets, &tgid, sizeof(tgid), 0);
    bpf_map__delete_elem(skel_->maps.traced_since, &tgid, sizeof(tgid), 0);
    TargetsChanged();
  }

  // Sets `tgid`'s bit in the hot programs' filter (traced_tgid_bits in
  // iotax.bpf.c) before it enters `targets`; bits are never cleared.
  void MarkMaybeTraced(__u32 tgid) {
    static_assert(IOTAX_TGID_BITMAP_WORDS * 64ULL >= (1ULL << 22), "the filter covers every possible tgid");
    __atomic_fetch_or(&skel_->bss->traced_tgid_bits[tgid >> 6], 1ULL << (tgid & 63), __ATOMIC_SEQ_CST);
  }

  // Threads cache their slot with the generation of `targets` they checked it
  // against (traced_thread in iotax.bpf.c): a change makes each look again.
  void TargetsChanged() { __atomic_add_fetch(&skel_->data->targets_gen, 1, __ATOMIC_SEQ_CST); }

  // Threads of `tgid` on a CPU since before now count only what they run
  // from now on (fresh_floor in iotax.bpf.c). Written before the process is
  // in `targets`, so no event of it sees it missing. A full map only loses
  // that bound (the thread's whole time slice counts), never the process.
  void MarkTracedSince(__u32 tgid) {
    const __u64 now = MonotonicNs();
    (void)bpf_map__update_elem(skel_->maps.traced_since, &tgid, sizeof(tgid), &now, sizeof(now), BPF_ANY);
  }

  SelfCounters ReadSelf() const {
    std::vector<iotax_self_stats> per_cpu(ncpus_);
    const __u32 zero = 0;
    if (bpf_map__lookup_elem(skel_->maps.self_stats, &zero, sizeof(zero), per_cpu.data(),
                             per_cpu.size() * sizeof(iotax_self_stats), 0) != 0)
      return {};
    return SumSelfStats(per_cpu.data(), per_cpu.size());
  }

  std::vector<ProbeStatus> ProbesWithCounts(const SelfCounters& self) const {
    std::vector<ProbeStatus> out = probes_;
    const bool stats_on = stats_fd_ >= 0 || BpfStatsSysctlOn();
    for (int i = 0; i < IOTAX_NPROBES && i < static_cast<int>(out.size()); ++i) {
      out[i].events = self.events[i];
      bpf_prog_info info{};
      __u32 len = sizeof(info);
      if (bpf_obj_get_info_by_fd(bpf_program__fd(programs_[i]), &info, &len) == 0) {
        out[i].run_stats_valid = stats_on;
        out[i].run_count = info.run_cnt;
        out[i].run_time_ns = info.run_time_ns;
        out[i].prog_id = info.id;
      }
    }
    return out;
  }

  mutable std::mutex mu_;
  iotax_bpf* skel_ = nullptr;
  int ncpus_ = 0;
  int max_processes_ = kMaxTracedProcesses;  // entries of the `targets` map
  int stats_fd_ = -1;
  bpf_program* programs_[IOTAX_NPROBES] = {};
  bpf_link* links_[IOTAX_NPROBES] = {};
  std::vector<ProbeStatus> probes_;
  std::vector<Slot> slots_;  // index = BPF slot; never reused, so stats of exited targets stay readable
  pmu::PmuSetup pmu_;        // tier 3: the counters (kept open while attached) and whether they work
  std::string task_iter_error_;  // why the task iterator cannot run ("" when it can)

  // Sampled tracing (all guarded by mu_).
  bool sampling_ = false;
  bool hot_attached_ = true;  // the hot probes are attached now (always, when not sampling)
  uint32_t epoch_ = 0;
  uint64_t window_ns_ = 0;
  uint64_t window_start_ns_ = 0;
  uint64_t last_window_end_ns_ = 0;
  SamplingStatus sampling_status_;
  SampleScaler scaler_;
  AgentSnapshot last_window_observed_;
  int short_windows_in_a_row_ = 0;
  bool warned_short_windows_ = false;
  bool stop_ = false;
  std::condition_variable stop_cv_;
  std::thread window_thread_;  // last: started after everything it uses
};

}  // namespace

absl::StatusOr<std::unique_ptr<Tracer>> Tracer::Create(const TracerOptions& options) {
  if (absl::Status s = CheckBpfPrivileges(); !s.ok()) return s;
  if (absl::Status s = CheckKernelBtf(); !s.ok()) return s;
  static std::once_flag print_once;
  std::call_once(print_once, [] { libbpf_set_print(LibbpfPrint); });
  auto tracer = std::make_unique<BpfTracer>();
  if (absl::Status s = tracer->Init(options); !s.ok()) return s;
  return std::unique_ptr<Tracer>(std::move(tracer));
}

}  // namespace iotax
