// Finds the processes to trace and says what happens to them: --pid targets
// attached at start, --comm NAME watches that attach every new process with
// that name (--follow-children: not the ones the tracer already follows). The
// tracer owns each target's identity and liveness (target_identity.h); this
// only logs what it reports: once when a target is gone (a PID reused by a
// new process counts as gone), and a note when a target execs another
// program. It owns the lock that serialises its tracer calls. With a
// service (--comm/--cgroup in iotax report, --cgroup in iotaxd) every member
// counts into one slot: each poll adds the members that appeared, and the
// kernel adds what they fork; members that exit are counted, never an error.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon_view.h"
#include "log_sink.h"
#include "service_members.h"
#include "target_identity.h"
#include "tracer.h"

namespace iotax {

struct TargetManagerOptions {
  std::vector<int> pids;
  std::vector<std::string> comms;
  bool follow_children = false;       // the tracer follows forks into the parent's slot
  absl::Duration poll_interval = absl::Seconds(1);  // only for messages
  std::string proc_root = "/proc";
  std::optional<ServiceSelector> service;  // trace these processes as one service (one slot)
};

class TargetManager {
 public:

  // `tracer` must outlive the manager. `log` receives one line per event.
  TargetManager(Tracer* tracer, TargetManagerOptions options, LogSink log);

  // The --pid checks (IdentifyPids), without touching the tracer: the same
  // one-line errors Start gives, available before BPF is loaded. Pass the
  // identities to Start(processes), so they are read once.
  static absl::StatusOr<std::vector<ProcessIdentity>> IdentifyPids(const std::vector<int>& pids,
                                                                   const std::string& proc_root = "/proc");
  static absl::Status ValidatePids(const std::vector<int>& pids, const std::string& proc_root = "/proc") {
    return IdentifyPids(pids, proc_root).status();
  }

  // Attaches every --pid (a PID that does not exist, or cannot be traced, is
  // an error that names the PID and what to do) and makes a first --comm
  // pass, saying when it waits for a name to appear. Start() identifies
  // options.pids first; Start(processes) takes IdentifyPids(options.pids).
  absl::Status Start();
  absl::Status Start(const std::vector<ProcessIdentity>& processes);

  // One round: notices targets that exited and attaches new --comm matches.
  // Call every --interval from the main thread.
  void Poll();

  // Reads the tracer now, with what this manager knows (watches, failures);
  // logs lost events. Thread-safe; iotaxd's snapshot pump calls it.
  DaemonView View();

  // PIDs currently attached and not known to have exited, and the
  // service's members as of the last scan.
  std::vector<int> LiveTargets() const;

  // The service's stand-in pid (snapshot.h), or 0 without a service.
  int ServicePid() const;

 private:
  struct Target {
    ProcessIdentity process;  // as attached; the tracer's slot has the same pid and start time
    std::string comm;         // as last logged
    int watch = -1;           // index into options_.comms, or -1 for --pid
    bool exited = false;
  };

  absl::Status Attach(const ProcessIdentity& process, int watch);
  // Logs what the tracer reports about the targets: exits (once) and execs.
  void FollowTargets(const std::vector<TargetSnapshot>& traced);
  void DiscoverComm(bool first_pass);
  // Adds the service's members that are not counted into its slot yet.
  void DiscoverService(bool first_pass);
  bool DescendsFromLiveTarget(int pid) const;
  int LiveCount(int watch) const;
  void ReportLosses(const AgentSnapshot& snapshot);

  Tracer* tracer_;
  TargetManagerOptions options_;
  LogSink log_;

  mutable std::mutex mu_;  // guards tracer_ calls and everything below
  std::map<int, Target> targets_;
  std::vector<uint64_t> attached_per_watch_;
  std::vector<bool> waiting_announced_;
  uint64_t attach_failures_ = 0;
  std::map<int, uint64_t> refused_;  // --comm matches that could not be traced: PID -> start time
  bool all_exited_announced_ = false;
  int service_pid_ = 0;
  std::vector<int> service_members_;  // found by the last scan and counting into the service
  bool service_full_announced_ = false;
  bool service_waiting_announced_ = false;
  // Lost events already logged, per drop reason, and when (at most one line
  // a minute per reason; the metric has every one).
  std::array<uint64_t, kNumDropReasons> losses_logged_{};
  std::array<absl::Time, kNumDropReasons> losses_logged_at_{};
};

}  // namespace iotax
