#include "pmu_kernel_answer.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace iotax::pmu {
namespace {

bool AbsentErrno(int err) { return err == ENOENT || err == EOPNOTSUPP || err == ENODEV; }

// 0 when the kernel opens the generic hardware event `config`, else errno.
int TryOpen(uint64_t config) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = config;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  const long fd = syscall(SYS_perf_event_open, &attr, 0 /* this thread */, -1 /* any CPU */, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return errno;
  close(static_cast<int>(fd));
  return 0;
}

std::string Part(const char* name, int err) {
  return std::string(name) + ": " + (err == 0 ? "opened" : std::strerror(err));
}

}  // namespace

bool KernelCounterAnswer::Absent() const {
  return asked && (AbsentErrno(instructions_errno) || AbsentErrno(cycles_errno));
}

std::string KernelCounterAnswer::Describe() const {
  if (!asked) return "not asked";
  return Part("instructions", instructions_errno) + "; " + Part("cycles", cycles_errno);
}

KernelCounterAnswer AskKernelForCounters() {
  KernelCounterAnswer a;
  a.asked = true;
  a.instructions_errno = TryOpen(PERF_COUNT_HW_INSTRUCTIONS);
  a.cycles_errno = TryOpen(PERF_COUNT_HW_CPU_CYCLES);
  return a;
}

}  // namespace iotax::pmu
