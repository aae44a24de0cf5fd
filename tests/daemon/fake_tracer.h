// A Tracer that needs no kernel: tests set the snapshot it returns and the
// errors AddTarget gives, and read back which PIDs were added.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "tracer.h"

namespace iotax::testing {

class FakeTracer : public Tracer {
 public:
  absl::Status AddTarget(int pid) override {
    std::lock_guard<std::mutex> lock(mu_);
    add_calls.push_back(pid);
    if (auto it = add_errors.find(pid); it != add_errors.end()) return it->second;
    TargetSnapshot t;
    t.pid = pid;
    t.comm = "fake";
    t.up = true;
    t.threads_alive = 1;
    snapshot.targets.push_back(t);
    return absl::OkStatus();
  }

  AgentSnapshot Read() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++reads;
    return snapshot;
  }

  std::vector<ProbeStatus> Probes() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return snapshot.probes;
  }

  // Set by tests (before use, or under their own ordering).
  AgentSnapshot snapshot;
  std::map<int, absl::Status> add_errors;
  std::vector<int> add_calls;
  int reads = 0;

 private:
  mutable std::mutex mu_;
};

}  // namespace iotax::testing
