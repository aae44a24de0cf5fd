#include "target_manager.h"

#include <unistd.h>

#include <fstream>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "proc_reader.h"

namespace iotax {
namespace {

// The parent PID, or 0 when unknown.
int ReadParentPid(int pid, const std::string& proc_root) { return proc::ReadParentPid(pid, proc_root); }

}  // namespace

TargetManager::TargetManager(Tracer* tracer, TargetManagerOptions options, LogSink log)
    : tracer_(tracer),
      options_(std::move(options)),
      log_(std::move(log)),
      attached_per_watch_(options_.comms.size(), 0),
      waiting_announced_(options_.comms.size(), false) {}

absl::StatusOr<std::vector<ProcessIdentity>> TargetManager::IdentifyPids(const std::vector<int>& pids,
                                                                         const std::string& proc_root) {
  return iotax::IdentifyPids(pids, kMaxTargets, proc_root);
}

absl::Status TargetManager::Start() {
  absl::StatusOr<std::vector<ProcessIdentity>> processes = IdentifyPids(options_.pids, options_.proc_root);
  if (!processes.ok()) return processes.status();
  return Start(*processes);
}

absl::Status TargetManager::Start(const std::vector<ProcessIdentity>& processes) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<int> seen;
  for (const ProcessIdentity& process : processes) {
    if (process.pid != process.requested_pid) {
      log_(absl::StrCat("PID ", process.requested_pid, " is a thread of process ", process.pid,
                        "; tracing all threads of process ", process.pid));
    }
    if (!seen.insert(process.pid).second) continue;
    if (absl::Status s = Attach(process, -1); !s.ok()) return s;
  }
  if (options_.service) {
    absl::StatusOr<int> service = tracer_->AddService(options_.service->KindName(), options_.service->DisplayName());
    if (!service.ok()) return service.status();
    service_pid_ = *service;
    DiscoverService(/*first_pass=*/true);
  }
  DiscoverComm(/*first_pass=*/true);
  return absl::OkStatus();
}

int TargetManager::ServicePid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return service_pid_;
}

void TargetManager::DiscoverService(bool first_pass) {
  const ServiceSelector& selector = *options_.service;
  int added = 0;
  int present = 0;
  service_members_.clear();
  for (int pid : FindServiceMembers(selector, options_.proc_root)) {
    if (pid == getpid()) continue;  // never ourselves (iotax runs in the cgroup it traces)
    absl::StatusOr<ProcessIdentity> process = IdentifyProcess(pid, options_.proc_root);
    if (!process.ok()) continue;  // it exited meanwhile
    // Already counted (a child the kernel followed, or added by an earlier
    // poll): the tracer says so cheaply.
    const absl::Status s = tracer_->AddMember(service_pid_, *process);
    if (s.ok() || absl::IsAlreadyExists(s)) {
      ++present;
      service_members_.push_back(pid);
      added += s.ok() ? 1 : 0;
      continue;
    }
    if (absl::IsNotFound(s)) continue;
    ++attach_failures_;
    if (!service_full_announced_) {
      service_full_announced_ = true;
      log_(absl::StrCat(s.message(), " (counted in iotax_target_attach_failures_total; said once)"));
    }
  }
  if (first_pass) {
    log_(absl::StrCat("tracing ", selector.Describe(), " as one service: ", added,
                      added == 1 ? " process" : " processes", "; new ones join as they appear"));
  }
  if (present == 0 && !service_waiting_announced_) {
    service_waiting_announced_ = true;
    log_(absl::StrCat("no process of ", selector.Describe(), " runs now; checking ",
                      selector.kind == ServiceSelector::Kind::kCgroup ? selector.name : options_.proc_root, " every ",
                      absl::FormatDuration(options_.poll_interval)));
  }
  if (present > 0) service_waiting_announced_ = false;
}

absl::Status TargetManager::Attach(const ProcessIdentity& process, int watch) {
  if (absl::Status s = tracer_->AddProcess(process); !s.ok()) return s;
  targets_[process.pid] = Target{process, process.comm, watch, false};
  all_exited_announced_ = false;
  if (watch >= 0) {
    ++attached_per_watch_[watch];
    waiting_announced_[watch] = false;
  }
  log_(absl::StrCat("tracing process ", process.pid, " (", process.comm, ")"));
  return absl::OkStatus();
}

void TargetManager::Poll() {
  std::lock_guard<std::mutex> lock(mu_);
  FollowTargets(tracer_->Targets());
  if (options_.service) DiscoverService(/*first_pass=*/false);
  DiscoverComm(/*first_pass=*/false);
}

void TargetManager::FollowTargets(const std::vector<TargetSnapshot>& traced) {
  bool any_exit = false;
  for (auto& [pid, t] : targets_) {
    if (t.exited) continue;
    const TargetSnapshot* now = nullptr;
    for (const TargetSnapshot& s : traced) {
      if (s.pid == pid && s.start_time == t.process.start_time) now = &s;
    }
    if (now == nullptr) continue;
    if (!now->up) {
      t.exited = true;
      any_exit = true;
      log_(absl::StrCat("target ", pid, " (", t.comm, ") exited; its metrics stay readable, iotax_target_up is 0",
                        now->pid_reused ? " (PID now reused by another process, which is not traced)" : ""));
      continue;
    }
    // exec keeps the PID (and the tracer's slot): the same process, another
    // program. It stays traced; its series carry the new comm from now on.
    if (now->comm != t.comm) {
      log_(absl::StrCat("target ", pid, " (", t.comm, ") now runs ", now->comm,
                        " (exec or rename): still traced, same PID; its series now carry comm=\"", now->comm, "\""));
      t.comm = now->comm;
    }
  }
  if (!any_exit || !options_.comms.empty()) return;
  bool all_gone = true;
  for (const auto& [pid, t] : targets_) all_gone = all_gone && t.exited;
  if (all_gone && !all_exited_announced_) {
    all_exited_announced_ = true;
    log_("all targets have exited; metrics stay readable until iotaxd is stopped (SIGINT or SIGTERM)");
  }
}

bool TargetManager::DescendsFromLiveTarget(int pid) const {
  // Walk up the parent chain a bounded number of steps (it ends at PID 1).
  int current = pid;
  for (int depth = 0; depth < 64; ++depth) {
    const int parent = ReadParentPid(current, options_.proc_root);
    if (parent <= 1) return false;
    auto it = targets_.find(parent);
    if (it != targets_.end() && !it->second.exited) return true;
    current = parent;
  }
  return false;
}

int TargetManager::LiveCount(int watch) const {
  int n = 0;
  for (const auto& [pid, t] : targets_) n += (t.watch == watch && !t.exited) ? 1 : 0;
  return n;
}

void TargetManager::DiscoverComm(bool first_pass) {
  std::set<int> seen;
  for (int w = 0; w < static_cast<int>(options_.comms.size()); ++w) {
    const std::string& name = options_.comms[w];
    // Decide on the whole batch before attaching any of it, so that processes
    // already running together (a master and its workers) are all attached.
    std::vector<ProcessIdentity> fresh;
    for (int pid : proc::FindPidsByComm(name, options_.proc_root)) {
      seen.insert(pid);
      auto it = targets_.find(pid);
      if (it != targets_.end() && !it->second.exited) continue;
      // Never ourselves (--comm iotaxd) nor a kernel thread of that name.
      if (pid == getpid() || proc::IsKernelThread(pid, options_.proc_root)) continue;
      // With --follow-children, a process forked by a live target after it
      // was attached is already counted in its parent's slot.
      if (options_.follow_children && !first_pass && DescendsFromLiveTarget(pid)) continue;
      absl::StatusOr<ProcessIdentity> process = IdentifyProcess(pid, options_.proc_root);
      if (!process.ok()) continue;  // it exited meanwhile
      // Refused once (e.g. every slot in use): not retried, counted and said once.
      if (auto r = refused_.find(pid); r != refused_.end() && r->second == process->start_time) continue;
      fresh.push_back(*std::move(process));
    }
    for (const ProcessIdentity& process : fresh) {
      absl::Status s = Attach(process, w);
      if (s.ok()) continue;
      if (absl::IsNotFound(s)) continue;  // it exited between the scan and the attach
      refused_[process.pid] = process.start_time;
      ++attach_failures_;
      log_(absl::StrCat(s.message(), " (counted in iotax_target_attach_failures_total)"));
    }
    if (LiveCount(w) == 0 && !waiting_announced_[w]) {
      waiting_announced_[w] = true;
      const bool had_one = attached_per_watch_[w] > 0;
      log_(absl::StrCat(had_one ? "waiting for the next process named " : "waiting for a process named ",
                        name, " to appear (checking ", options_.proc_root, " every ",
                        absl::FormatDuration(options_.poll_interval), ")"));
    }
  }
  // Forget refused processes that are gone, so the set stays small.
  for (auto it = refused_.begin(); it != refused_.end();) {
    it = seen.count(it->first) ? std::next(it) : refused_.erase(it);
  }
}

DaemonView TargetManager::View() {
  std::lock_guard<std::mutex> lock(mu_);
  DaemonView view;
  const absl::Time start = absl::Now();
  view.snapshot = tracer_->Read();
  view.snapshot_read_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (int w = 0; w < static_cast<int>(options_.comms.size()); ++w) {
    view.comm_watches.push_back({options_.comms[w], LiveCount(w), attached_per_watch_[w]});
  }
  view.attach_failures = attach_failures_;
  ReportLosses(view.snapshot);
  return view;
}

void TargetManager::ReportLosses(const AgentSnapshot& snapshot) {
  // Only the drops that lose data; unpaired exits and missed switches are
  // repaired or expected at attach, and stay in the metric.
  struct Loss {
    int reason;
    const char* what;
  };
  static constexpr Loss kLosses[] = {
      {0, "events of target threads were not accounted: the kernel could not allocate their per-thread "
          "state (memory pressure?)"},
      {1, "child processes of targets were not followed: the kernel's targets map is full (too many "
          "followed processes alive at once)"},
  };
  static_assert(kDropReasonNames[0] == "thread_state_alloc" && kDropReasonNames[1] == "targets_full");
  const absl::Time now = absl::Now();
  for (const Loss& loss : kLosses) {
    const uint64_t total = snapshot.dropped[loss.reason];
    if (total <= losses_logged_[loss.reason]) continue;
    if (losses_logged_[loss.reason] > 0 && now - losses_logged_at_[loss.reason] < absl::Minutes(1)) continue;
    log_(absl::StrCat(total, " ", loss.what, "; counted in iotax_bpf_dropped_total{reason=\"",
                      std::string(kDropReasonNames[loss.reason]), "\"}"));
    losses_logged_[loss.reason] = total;
    losses_logged_at_[loss.reason] = now;
  }
}

std::vector<int> TargetManager::LiveTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int> pids;
  for (const auto& [pid, t] : targets_) {
    if (!t.exited) pids.push_back(pid);
  }
  pids.insert(pids.end(), service_members_.begin(), service_members_.end());
  return pids;
}

}  // namespace iotax
