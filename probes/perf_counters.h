// Per-CPU perf_event counters for the two PMU events iotax reads from BPF:
// one fd per online CPU (pid = -1, system-wide on that CPU), ready to be put
// in a BPF_MAP_TYPE_PERF_EVENT_ARRAY at the CPU's index. Reads from user
// space are scaled by time enabled / time running and say when the kernel
// multiplexed the counter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pmu_events.h"

namespace iotax::pmu {

// One read with PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING.
struct CounterValue {
  uint64_t raw = 0;
  uint64_t time_enabled_ns = 0;
  uint64_t time_running_ns = 0;

  // raw * enabled / running: the estimate had the counter run all the time.
  // 0 when the counter never ran.
  double Scaled() const;
  // The kernel time-shared the hardware counter with other events.
  bool Multiplexed() const { return time_running_ns < time_enabled_ns; }
  CounterValue& operator+=(const CounterValue& other);
};

// The CPUs in a Linux CPU list such as "0-3,6" (sysfs format). InvalidArgument
// on malformed text.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text);

// CPUs online now, from <sys_root>/devices/system/cpu/online.
absl::StatusOr<std::vector<int>> OnlineCpus(const std::string& sys_root = "/sys");

// /proc/sys/kernel/perf_event_paranoid under `proc_root`, or nullopt when
// it cannot be read.
std::optional<int> ReadPerfEventParanoid(const std::string& proc_root = "/proc");

// Turns a perf_event_open errno into a one-line error that says what failed,
// why, and what to do. `paranoid` is the current perf_event_paranoid, if known.
absl::Status PerfOpenError(int err, const EncodedEvent& event, int cpu, std::optional<int> paranoid);

class PerCpuCounter {
 public:
  struct CpuFd {
    int cpu;
    int fd;
  };

  // Opens `event` as a counting event on each CPU in `cpus` (system-wide on
  // that CPU). All or nothing: on error every fd opened so far is closed.
  // perf_event_paranoid is read from `proc_root` to explain a refusal.
  static absl::StatusOr<PerCpuCounter> Open(const EncodedEvent& event, const std::vector<int>& cpus,
                                            const std::string& proc_root = "/proc");

  PerCpuCounter(PerCpuCounter&& other) noexcept;
  PerCpuCounter& operator=(PerCpuCounter&& other) noexcept;
  PerCpuCounter(const PerCpuCounter&) = delete;
  PerCpuCounter& operator=(const PerCpuCounter&) = delete;
  ~PerCpuCounter();

  const EncodedEvent& event() const { return event_; }
  const std::vector<CpuFd>& fds() const { return fds_; }

  // The counter on one CPU, and the sum over all CPUs (enabled and running
  // times summed too, so Multiplexed() means "on some CPU").
  absl::StatusOr<CounterValue> ReadCpu(int cpu) const;
  absl::StatusOr<CounterValue> ReadTotal() const;

 private:
  PerCpuCounter(EncodedEvent event, std::vector<CpuFd> fds) : event_(std::move(event)), fds_(std::move(fds)) {}
  void Close();

  EncodedEvent event_;
  std::vector<CpuFd> fds_;
};

// The instructions/cycles pair on every online CPU.
struct PmuCounterPair {
  PerCpuCounter instructions;
  PerCpuCounter cycles;
};

// Encodes both events of `events` in `mode` and opens them on every online
// CPU. The error says which event failed and what to do.
absl::StatusOr<PmuCounterPair> OpenCounterPair(const EventPair& events, CountingMode mode,
                                               const std::string& sys_root = "/sys",
                                               const std::string& proc_root = "/proc");

}  // namespace iotax::pmu
