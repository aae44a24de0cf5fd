// Does this machine count instructions and cycles in hardware? The kernel's
// own answer decides: perf_event_open of the generic hardware events. Sysfs
// names, PAPI and DMI only explain why (pmu_capability.h).
#pragma once

#include <string>

namespace iotax::pmu {

struct KernelCounterAnswer {
  bool asked = false;          // false: nobody asked (facts built by hand)
  int instructions_errno = 0;  // 0: the kernel opened PERF_COUNT_HW_INSTRUCTIONS
  int cycles_errno = 0;        // 0: the kernel opened PERF_COUNT_HW_CPU_CYCLES

  // Both events opened: a hardware PMU counts them here.
  bool Counts() const { return asked && instructions_errno == 0 && cycles_errno == 0; }
  // The kernel has no counter for one of them (ENOENT, EOPNOTSUPP, ENODEV):
  // no PMU, or one without a generic mapping for the event.
  bool Absent() const;
  // Neither: not asked, refused (EACCES/EPERM), or another error.
  bool Undecided() const { return !Counts() && !Absent(); }
  // "instructions: No such file or directory; cycles: ..." or "opened".
  std::string Describe() const;
};

// Opens (and closes at once) both events counting the calling thread in user
// mode only, the least privileged request there is: perf_event_paranoid up to
// 2 allows it without any capability.
KernelCounterAnswer AskKernelForCounters();

}  // namespace iotax::pmu
