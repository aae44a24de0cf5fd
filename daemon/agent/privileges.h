// Giving up privileges once the probes are attached. Loading BPF programs,
// attaching them and opening the perf counters need CAP_BPF + CAP_PERFMON
// (or root); everything iotaxd does afterwards works on file descriptors it
// already holds (map reads and updates, task-iterator links of the loaded
// program, ring buffers, counter reads, closing it all at exit) or on
// world-readable /proc files, and needs no capability on Linux 6.5+ (where
// bpf(2) checks privilege only to create maps and load programs).
// docs/security.md lists what needs which capability, and why.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace iotax {

struct UserIds {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// A user name (or numeric uid) from the password database. Errors say
// which --user is unknown.
absl::StatusOr<UserIds> LookUpUser(const std::string& name);

// Whether this process could switch to another user (CAP_SETUID and
// CAP_SETGID effective): checked before attaching, so --user as a non-root
// user is an error at once, not after the probes are up.
absl::Status CheckCanSwitchUser(const UserIds& user);

// What DropPrivileges did, for the log.
struct DropReport {
  bool bounding_set_cleared = false;  // false without CAP_SETPCAP (no_new_privs still blocks regaining any)
  std::optional<UserIds> user;        // the user switched to, if any
};

// Drops every capability for good: sets no_new_privs, clears the ambient,
// bounding (when CAP_SETPCAP allows), inheritable, permitted and effective
// sets; with `user`, first drops supplementary groups and switches real,
// effective and saved uid/gid to it. Capabilities are per thread in Linux,
// so this must run while the process has one thread: it refuses otherwise.
// On success the effective, permitted, inheritable and ambient sets read
// back as empty.
absl::StatusOr<DropReport> DropPrivileges(const std::optional<UserIds>& user);

// The capability sets of this thread as /proc/self/status shows them.
struct CapabilitySets {
  uint64_t effective = 0, permitted = 0, inheritable = 0, bounding = 0, ambient = 0;
};
CapabilitySets ReadCapabilitySets(const std::string& status_path = "/proc/self/status");

// Threads of this process (entries of /proc/self/task).
int CountThreads();

// The first port (net.ipv4.ip_unprivileged_port_start) a process without
// CAP_NET_BIND_SERVICE may bind; 1024 when the sysctl cannot be read.
int FirstUnprivilegedPort();

}  // namespace iotax
