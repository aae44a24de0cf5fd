// The narrow interface daemon/ uses to trace processes: attach the BPF
// programs, add targets, read an AgentSnapshot. Implemented over the iotax
// skeleton in tracer.cc; everything kernel-facing stays behind it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snapshot.h"
#include "target_identity.h"

namespace iotax {

// Separate targets a tracer can trace since it started (slots are never
// reused, so an exited target's series stay readable); IOTAX_MAX_TARGETS in
// bpf/iotax.h. A service takes one slot however many processes it has.
inline constexpr int kMaxTargets = 64;
// Processes counting into all slots at once (members of services and
// followed children included); IOTAX_MAX_PROCESSES in bpf/iotax.h.
inline constexpr int kMaxTracedProcesses = 8192;

struct TracerOptions {
  bool follow_children = false;  // processes forked by a target join its slot
  // Processes counted at once in all slots (followed children and service
  // members included): the size of the kernel's `targets` map.
  int max_processes = kMaxTracedProcesses;
  bool strict = false;           // any probe that fails to attach is an error
  bool enable_bpf_stats = false; // turn on kernel.bpf_stats_enabled while attached
  // Tier 3: the two PMU events read at every kernel boundary, instructions
  // first, then cycles (libpfm4 names; "cpu-clock,task-clock" are software
  // stand-ins). Empty turns tier 3 off. Counters that cannot be opened (no
  // PMU) are not an error: the snapshot's PmuStatus says why.
  std::string pmu_events = "instructions,cycles";
  // Sampled tracing: below 1, sys_enter, sys_exit, sched_switch and
  // sched_wakeup are attached for this share of every sample_period only
  // (one window per period), and the targets' stats are estimates scaled
  // from the windows. Costs the targets about this share of what full
  // tracing costs; see docs/overhead.md.
  double sample_fraction = 1.0;
  uint64_t sample_period_ns = 10'000'000'000;
};

class Tracer {
 public:
  virtual ~Tracer() = default;

  // Loads and attaches the programs. Fails with a one-line, actionable error
  // when privileges or BTF are missing (and, if strict, when any probe fails).
  static absl::StatusOr<std::unique_ptr<Tracer>> Create(const TracerOptions& options);

  // Starts tracing a process (all its threads), identified just before. The
  // same process again is a no-op. NotFound when it has exited meanwhile;
  // otherwise errors say "cannot trace PID N (comm): why" (ResourceExhausted
  // when all slots are used). The tracer keeps the identity: from then on it
  // alone says whether the target runs, exited or had its PID reused.
  virtual absl::Status AddProcess(const ProcessIdentity& process) = 0;

  // Starts a service: one slot that any number of processes count into
  // (AddMember), and that processes forked by its members join in the
  // kernel, so short-lived children are counted too. `kind` and `name` say
  // what it is ("comm" and "apache2", "cgroup" and a path). Returns the
  // slot's stand-in pid (kServicePidBase + slot, see snapshot.h); the slot
  // stays up for good. ResourceExhausted when all slots are used.
  virtual absl::StatusOr<int> AddService(const std::string& kind, const std::string& name) {
    (void)kind, (void)name;
    return absl::UnimplementedError("this tracer cannot trace services");
  }

  // Adds a process to the service `service_pid` (from AddService).
  // AlreadyExists when it already counts into a slot (a child the kernel
  // followed, or a separate target); NotFound when it has exited meanwhile;
  // ResourceExhausted when kMaxTracedProcesses are traced.
  virtual absl::Status AddMember(int service_pid, const ProcessIdentity& process) {
    (void)service_pid, (void)process;
    return absl::UnimplementedError("this tracer cannot trace services");
  }

  // IdentifyProcess(pid), then AddProcess.
  absl::Status AddTarget(int pid) {
    absl::StatusOr<ProcessIdentity> process = IdentifyProcess(pid);
    return process.ok() ? AddProcess(*process) : process.status();
  }

  // The targets' identities and liveness now (pid, start_time, comm, up,
  // pid_reused, threads_alive), without reading any counters: cheap.
  virtual std::vector<TargetSnapshot> Targets() = 0;

  // Reads every map now and returns cumulative counters; targets that exited
  // keep their last values with up = false. When sampling, the targets' stats
  // are the estimates as of the end of the last window (monotonic_ns).
  virtual AgentSnapshot Read() = 0;

  // Sampling (TracerOptions::sample_fraction < 1): starts the windows, on a
  // thread of the tracer's own; until then every event is traced and Read()
  // has no estimates yet. Call it once privileges are dropped, so the thread
  // starts without them. Does nothing when not sampling or already started.
  virtual void StartSampling() {}

  // Which probes attached and which did not (also in every snapshot).
  virtual std::vector<ProbeStatus> Probes() const = 0;
};

}  // namespace iotax
