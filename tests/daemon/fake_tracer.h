// A Tracer that needs no kernel: tests set the snapshot it returns and the
// errors AddProcess gives, and read back which PIDs were added. With a
// proc_root it keeps its targets' identities the way the real tracer does
// (target_identity.h over that tree): a target whose process exited or whose
// PID was reused goes down for good; a running one carries its current comm.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tracer.h"

namespace iotax::testing {

class FakeTracer : public Tracer {
 public:
  absl::Status AddProcess(const ProcessIdentity& process) override {
    std::lock_guard<std::mutex> lock(mu_);
    add_calls.push_back(process.pid);
    if (auto it = add_errors.find(process.pid); it != add_errors.end()) {
      if (it->second.ok() || absl::IsNotFound(it->second)) return it->second;
      return CannotTrace(process, it->second.code(), it->second.message());
    }
    TargetSnapshot t;
    t.pid = process.pid;
    t.start_time = process.start_time;
    t.comm = process.comm;
    t.up = true;
    t.threads_alive = 1;
    snapshot.targets.push_back(t);
    return absl::OkStatus();
  }

  // A service: one target with a stand-in pid; members are a set (a second
  // add is AlreadyExists, as for a child the kernel followed).
  absl::StatusOr<int> AddService(const std::string& kind, const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    TargetSnapshot t;
    t.pid = kServicePidBase + static_cast<int>(snapshot.targets.size());
    t.comm = name;
    t.up = true;
    t.service = ServiceFacts{kind, name, {}, 0, 0};
    snapshot.targets.push_back(t);
    return t.pid;
  }

  absl::Status AddMember(int service_pid, const ProcessIdentity& process) override {
    std::lock_guard<std::mutex> lock(mu_);
    member_calls.push_back(process.pid);
    if (auto it = add_errors.find(process.pid); it != add_errors.end() && !it->second.ok()) return it->second;
    for (TargetSnapshot& t : snapshot.targets) {
      if (t.pid != service_pid || !t.service) continue;
      std::vector<int>& m = t.service->members;
      if (std::find(m.begin(), m.end(), process.pid) != m.end()) return absl::AlreadyExistsError("already traced");
      m.push_back(process.pid);
      ++t.service->processes_added;
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError("no such service");
  }

  AgentSnapshot Read() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++reads;
    RefreshLocked();
    return snapshot;
  }

  std::vector<TargetSnapshot> Targets() override {
    std::lock_guard<std::mutex> lock(mu_);
    RefreshLocked();
    return snapshot.targets;
  }

  std::vector<ProbeStatus> Probes() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return snapshot.probes;
  }

  // Set by tests (before use, or under their own ordering).
  AgentSnapshot snapshot;
  std::map<int, absl::Status> add_errors;  // the reason; AddProcess says "cannot trace PID N (comm): " first
  std::vector<int> add_calls;
  std::vector<int> member_calls;  // every AddMember, AlreadyExists included
  int reads = 0;
  std::string proc_root;  // "" = the targets stay as set

 private:
  void RefreshLocked() {
    if (proc_root.empty()) return;
    for (TargetSnapshot& t : snapshot.targets) {
      if (t.service) {
        // Members leave when their process is gone, as the kernel's exit event does.
        std::vector<int>& m = t.service->members;
        m.erase(std::remove_if(m.begin(), m.end(), [this](int pid) { return !proc::ProcessAlive(pid, proc_root); }),
                m.end());
        continue;
      }
      if (!t.up) continue;
      const ProcessState state = CheckProcess({t.pid, t.pid, t.start_time, t.comm}, proc_root);
      if (state != ProcessState::kRunning) {
        t.up = false;
        t.pid_reused = state == ProcessState::kReused;
        t.threads_alive = 0;
        continue;
      }
      if (auto comm = proc::ReadComm(t.pid, proc_root); comm.ok()) t.comm = *comm;
    }
  }

  mutable std::mutex mu_;
};

}  // namespace iotax::testing
