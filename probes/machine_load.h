// How busy the machine is, as the kernel reports it: the 1-minute load
// average (/proc/loadavg: tasks running or waiting for a CPU, plus those in
// uninterruptible sleep, exponentially damped over a minute), the tasks
// runnable right now, and the online CPUs. `iotax calibrate` records it with a calibration, and refuses to
// calibrate on a machine whose other work already wants more CPUs than it has.
#pragma once

#include <optional>
#include <string>

namespace iotax {

struct MachineLoad {
  MachineLoad() = default;
  MachineLoad(double load, int cpus, std::optional<double> runnable = std::nullopt)
      : load_average_1m(load), online_cpus(cpus), runnable_now(runnable) {}

  double load_average_1m = 0;
  int online_cpus = 0;
  // Tasks runnable at the moment other than the reader: the median of a few
  // samples of /proc/loadavg's fourth field. Absent in calibrations written
  // before it was recorded.
  std::optional<double> runnable_now;
  // True when other work wants more CPUs than there are: the servers and the
  // client of a calibration, each pinned to one CPU, then share theirs. The
  // load average lags a minute behind (after a build it stays high while
  // nothing runs), so when the tasks runnable now were sampled they must
  // want more CPUs than there are too.
  bool Oversubscribed() const {
    return load_average_1m > online_cpus && (!runnable_now || *runnable_now > online_cpus);
  }
  // "load average 45.20 on 2 CPUs, 3 other tasks runnable now"
  std::string Describe() const;
};

// The first field of /proc/loadavg's text ("0.52 0.58 0.59 1/467 12345");
// nullopt when it is not a non-negative number.
std::optional<double> ParseLoadAverage1m(const std::string& loadavg_text);

// The fourth field's first number ("1/467" gives 1): tasks runnable now, the
// reader included; nullopt when it is missing or malformed.
std::optional<int> ParseRunnableNow(const std::string& loadavg_text);

// Now: `proc_root`/loadavg and the online CPUs (sysconf, which reads
// /sys/devices/system/cpu/online); runnable_now from `samples` reads of
// loadavg `gap_ms` apart (median, less the reader). nullopt when
// /proc/loadavg is unreadable.
std::optional<MachineLoad> ReadMachineLoad(const std::string& proc_root = "/proc", int samples = 1, int gap_ms = 100);

}  // namespace iotax
