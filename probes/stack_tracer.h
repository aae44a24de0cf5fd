// Stacks of traced processes (bpf/stacks.bpf.c): off-CPU stacks taken at
// each blocked switch-out, with the syscall and the kind of descriptor it
// waited on, and on-CPU stacks sampled by a CPU clock. Raw addresses; the
// Symbolizer turns them into names.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace iotax {

struct StackTracerOptions {
  bool kernel_stacks = false;  // also take kernel stacks
  int oncpu_hz = 99;           // on-CPU samples per second per CPU; 0 = no on-CPU profile
  // Processes a target forks join the targets in the kernel, at the fork
  // (so a child that lives a moment is taken too), until they exit.
  bool follow_children = false;
};

// One aggregated stack. Addresses leaf first, as the kernel gives them.
struct RawStack {
  int tgid = 0;
  std::string thread;  // the thread's name
  std::vector<uint64_t> user;
  std::vector<uint64_t> kernel;
  bool user_missing = false;  // the user stack could not be taken
  // Off-CPU: a return address found on the top of the user stack, the
  // caller a frameless leaf (a libc syscall wrapper) hides from the
  // frame-pointer walk; 0 if none. The Symbolizer's user decides.
  uint64_t leaf_caller = 0;
  int syscall_nr = -1;        // off-CPU: the call the thread blocked in (-1: none)
  std::string fd_kind;        // off-CPU: "socket", "file", "pipe", "anon", "char", "other", "" (no descriptor)
  uint64_t count = 0;         // off-CPU: blocks; on-CPU: samples
  uint64_t offcpu_ns = 0;     // off-CPU: time from switch-out to switch-in
};

struct StackDrops {
  uint64_t offcpu_keys = 0;   // off-CPU keys that did not fit the map
  uint64_t oncpu_keys = 0;
  uint64_t user_stacks = 0;   // user stacks not taken (stack map full, or a kernel thread)
  uint64_t kernel_stacks = 0;
  uint64_t children = 0;      // forked children not followed (the targets map was full)
};

struct StackProfile {
  std::vector<RawStack> offcpu;
  std::vector<RawStack> oncpu;
  StackDrops drops;
  int oncpu_hz = 0;
};

class StackTracer {
 public:
  virtual ~StackTracer() = default;
  // Loads and attaches the stack programs (root or CAP_BPF + CAP_PERFMON).
  static absl::StatusOr<std::unique_ptr<StackTracer>> Create(const StackTracerOptions& options);
  // The processes whose stacks are taken (replaces the previous set; the
  // children the kernel follows stay until they exit).
  virtual absl::Status SetTargets(const std::vector<int>& tgids) = 0;
  // Everything aggregated so far.
  virtual StackProfile Read() = 0;
};

}  // namespace iotax
