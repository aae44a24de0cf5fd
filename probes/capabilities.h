// The capabilities of this process, read once, and the rules that decide
// what they allow. Reading is one capget(2); the rules are pure functions of
// what was read, so tests can hand them any set.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace iotax::caps {

// The effective user id and effective capability set (bit n is capability n,
// as in CapEff: of /proc/PID/status) of the calling thread.
struct Credentials {
  uid_t euid = 0;
  uint64_t effective = 0;
};

// The calling thread's effective set; an error when capget(2) fails.
absl::StatusOr<uint64_t> ReadEffective();

// The calling thread's credentials; an empty effective set when capget(2)
// fails (then only root counts).
Credentials Current();

// Whether capability `cap` (CAP_* from <linux/capability.h>) is in `set`.
bool Has(uint64_t set, int cap);

// Pure: may these credentials load and attach the tracing programs (tp_btf,
// raw_tp) and create their maps and ring buffers? Root, CAP_BPF+CAP_PERFMON,
// or CAP_SYS_ADMIN (kernels before 5.8 know only that one).
bool MayTrace(const Credentials& c);

// Pure: may these credentials open per-CPU perf events system-wide whatever
// kernel.perf_event_paranoid says? Root, CAP_PERFMON or CAP_SYS_ADMIN.
bool MayMonitorPerformance(const Credentials& c);

}  // namespace iotax::caps
