// Who belongs to a service now (iotax report --comm / --cgroup, iotaxd
// --cgroup): every live process named NAME, or every process of a cgroup
// and of the cgroups below it. Read from /proc (a test root in tests) and
// the cgroup v2 tree, fresh at every call: processes come and go.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax {

struct ServiceSelector {
  enum class Kind { kComm, kCgroup, kPids };
  Kind kind = Kind::kComm;
  std::string name;       // the comm, or the cgroup's directory (/sys/fs/cgroup/...)
  std::vector<int> pids;  // kPids: the processes given (their children join in the kernel)

  // "comm", "cgroup" or "pids": the `kind` of ServiceFacts.
  const char* KindName() const;
  // What the report calls it: "apache2", "/sys/fs/cgroup/system.slice/x.service", "PIDs 1, 2".
  std::string DisplayName() const;
  // For log lines: "comm apache2", "cgroup /sys/fs/...", "PIDs 1, 2".
  std::string Describe() const;
};

// Checks a --cgroup path before tracing: a cgroup directory (it has
// cgroup.procs: cgroup v2, or any v1 hierarchy). The error says what to pass
// instead.
absl::Status CheckCgroupPath(const std::string& path);

// The live processes of the service now, ascending. Kernel threads (a
// comm shared with a kernel thread, kthreadd's cgroup) are left out.
std::vector<int> FindServiceMembers(const ServiceSelector& selector, const std::string& proc_root = "/proc");

// The PIDs in cgroup.procs of `cgroup_dir` and of every cgroup below it.
std::vector<int> ReadCgroupProcs(const std::string& cgroup_dir);

// Parses a kernel CPU list ("0-3,8,10-11"); empty on malformed input.
std::set<int> ParseCpuList(absl::string_view list);

// The CPUs the service may use: the cpuset.cpus.effective of `cgroup_dir`
// (or its nearest ancestor that has one) when given, else the union of the
// members' Cpus_allowed_list (/proc/PID/status). 0 when unknown.
int ServiceCpus(const std::string& cgroup_dir, const std::vector<int>& members, const std::string& proc_root = "/proc");

}  // namespace iotax
