// What iotaxd needs from the system (privileges, kernel BTF) and the report
// `iotaxd --check` prints. Paths are under a root prefix so tests can use a
// fake tree; privilege detection reads the real process credentials.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "snapshot.h"

namespace iotax {

struct PrerequisiteItem {
  std::string name;    // "privileges", "btf", "bpf_stats"
  bool ok = false;
  bool required = true;  // false: informational, does not fail --check
  std::string detail;    // what was found, or what to do
};

struct SystemPaths {
  std::string btf = "/sys/kernel/btf/vmlinux";
  std::string bpf_stats_enabled = "/proc/sys/kernel/bpf_stats_enabled";
};

// caps::MayTrace on this process: root, CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN.
bool HasBpfPrivileges();

std::vector<PrerequisiteItem> CheckPrerequisites(const SystemPaths& paths = {}, bool privileged = HasBpfPrivileges());

// The first required item that is missing, as a one-line error that says
// what to do; nullopt when everything required is there.
std::optional<std::string> FirstMissingPrerequisite(const std::vector<PrerequisiteItem>& items);

// The --check table: one line per prerequisite and per probe ("up" or
// "DOWN: reason"), then a summary line.
std::string FormatCheckReport(const std::vector<PrerequisiteItem>& items, const absl::Status& tracer_status,
                              const std::vector<ProbeStatus>& probes);

// --check's exit code: 0 when every required prerequisite holds, the tracer
// was created and every probe is up; 1 otherwise.
int CheckExitCode(const std::vector<PrerequisiteItem>& items, const absl::Status& tracer_status,
                  const std::vector<ProbeStatus>& probes);

}  // namespace iotax
