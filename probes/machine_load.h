// How busy the machine is, as the kernel reports it: the 1-minute load
// average (/proc/loadavg: tasks running or waiting for a CPU, plus those in
// uninterruptible sleep, exponentially damped over a minute) and the online
// CPUs. `iotax calibrate` records it with a calibration, and refuses to
// calibrate on a machine whose other work already wants more CPUs than it has.
#pragma once

#include <optional>
#include <string>

namespace iotax {

struct MachineLoad {
  double load_average_1m = 0;
  int online_cpus = 0;
  // True when other work wants more CPUs than there are: the servers and the
  // client of a calibration, each pinned to one CPU, then share theirs.
  bool Oversubscribed() const { return load_average_1m > online_cpus; }
  std::string Describe() const;  // "load average 45.20 on 2 CPUs"
};

// The first field of /proc/loadavg's text ("0.52 0.58 0.59 1/467 12345");
// nullopt when it is not a non-negative number.
std::optional<double> ParseLoadAverage1m(const std::string& loadavg_text);

// Now: `proc_root`/loadavg and the online CPUs (sysconf, which reads
// /sys/devices/system/cpu/online). nullopt when /proc/loadavg is unreadable.
std::optional<MachineLoad> ReadMachineLoad(const std::string& proc_root = "/proc");

}  // namespace iotax
