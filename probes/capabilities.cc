#include "capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace iotax::caps {

absl::StatusOr<uint64_t> ReadEffective() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) {
    return absl::InternalError(absl::StrCat("capget failed: ", std::strerror(errno)));
  }
  return static_cast<uint64_t>(data[0].effective) | (static_cast<uint64_t>(data[1].effective) << 32);
}

Credentials Current() {
  const absl::StatusOr<uint64_t> effective = ReadEffective();
  return Credentials{geteuid(), effective.ok() ? *effective : 0};
}

bool Has(uint64_t set, int cap) { return cap >= 0 && cap < 64 && ((set >> cap) & 1u) != 0; }

// The kernel (kernel/bpf/syscall.c, include/linux/capability.h): loading a
// tracing program needs bpf_capable() (CAP_BPF or CAP_SYS_ADMIN) and, for the
// perf-monitoring program types (tracing, raw tracepoints), perfmon_capable()
// (CAP_PERFMON or CAP_SYS_ADMIN); per-CPU perf events for all processes need
// perfmon_capable() too unless perf_event_paranoid allows them. CAP_SYS_ADMIN
// therefore covers both, and is the only way on kernels before 5.8.
bool MayTrace(const Credentials& c) {
  return c.euid == 0 || Has(c.effective, CAP_SYS_ADMIN) ||
         (Has(c.effective, CAP_BPF) && Has(c.effective, CAP_PERFMON));
}

bool MayMonitorPerformance(const Credentials& c) {
  return c.euid == 0 || Has(c.effective, CAP_PERFMON) || Has(c.effective, CAP_SYS_ADMIN);
}

}  // namespace iotax::caps
